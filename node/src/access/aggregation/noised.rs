//! Differentially private aggregates.
//!
//! 1. The node asks its store for one row per group and individual: how many records the
//!    individual has in the group and the sum of its values clamped to the offer's bounds
//!    ([`partial_query`]).
//! 2. It bounds what one individual can change ([`Tally::new`]): an individual counts in at
//!    most `hanse:maxGroups` groups (the others are dropped, chosen by a keyed hash), with at
//!    most `hanse:maxContributions` records per group (an individual with more counts with
//!    its mean value that many times). Contributions become integers on a fixed grid, so the
//!    sums and the noise are exact integer arithmetic.
//! 3. The exact group totals, the query and the terms give the answer's key
//!    ([`Tally::answer_key`]); the caller charges the budget for it.
//! 4. Noise from the discrete Laplace mechanism, seeded by the node's secret and the key,
//!    is added to every measurement ([`Tally::release`]): the same question over the same
//!    data gets the same answer, so asking again reveals nothing new and averaging cannot
//!    remove the noise. Whether a group appears at all is decided from its noisy count of
//!    individuals alone (differentially private partition selection, [`threshold`]): a
//!    decision on the exact count would tell whether one individual tipped a group over the
//!    minimum, outside the ε guarantee.
//!
//! The query's ε is split evenly over its measurements: the count of individuals (always,
//! for the threshold) and one per COUNT, SUM or AVG column. Each measurement has sensitivity
//! Δ for one individual, so noise of scale `Δ · measurements / ε` makes the answer ε-DP for
//! what it releases about any one individual's values.

use super::exact::ground;
use super::shape::AggregateQuery;
use crate::access::noise::{Scale, discrete_laplace};
use crate::access::privacy_terms::{MICRO, NoiseTerms, from_micro};
use crate::p2p::ColumnNoise;
use crate::store::solutions::SolutionTable;
use oxigraph::model::{Literal, Term};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use spargebra::Query;
use spargebra::algebra::{
    AggregateExpression, AggregateFunction, Expression, Function, GraphPattern,
};
use spargebra::term::{GroundTerm, Variable};
use std::collections::BTreeMap;

/// Grid units one individual can move a SUM or AVG by: fine enough that rounding is far
/// below the noise.
const GRID: i64 = 1024;

/// What one aggregate column measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `COUNT(DISTINCT ?individual)`: the noisy count of individuals itself.
    Individuals,
    /// `COUNT(*)`, `COUNT(x)`: records, at most `maxContributions` per individual.
    Records,
    /// `SUM(x)`: clamped values, at most `maxContributions` per individual.
    Sum,
    /// `AVG(x)`: the mean over individuals of each individual's clamped mean.
    Mean,
}

/// One aggregate column and the partial results that feed it.
#[derive(Debug, Clone)]
pub struct Column {
    kind: Kind,
    /// Per individual: records (COUNT) or numeric values (SUM, AVG).
    count: Option<Variable>,
    /// Per individual: the sum of its clamped values (SUM, AVG).
    sum: Option<Variable>,
}

fn double(value: f64) -> Expression {
    Expression::Literal(Literal::from(value))
}

fn integer(value: i64) -> Expression {
    Expression::Literal(Literal::from(value))
}

fn sum_of(expr: Expression) -> AggregateExpression {
    AggregateExpression::FunctionCall {
        name: AggregateFunction::Sum,
        expr,
        distinct: false,
    }
}

/// The query returning, per group and individual, the partial results of every column.
pub fn partial_query(
    query: &AggregateQuery,
    noise: &NoiseTerms,
) -> Result<(Query, Vec<Column>), String> {
    let mut partials: Vec<(Variable, AggregateExpression)> = Vec::new();
    let mut columns = Vec::new();
    for (j, aggregate) in query.aggregates.iter().enumerate() {
        let count = Variable::new_unchecked(format!("hanse_count_{j}"));
        let sum = Variable::new_unchecked(format!("hanse_sum_{j}"));
        let (kind, argument) = match &aggregate.expression {
            AggregateExpression::CountSolutions { .. } => (Kind::Records, None),
            AggregateExpression::FunctionCall {
                name: AggregateFunction::Count,
                distinct: true,
                ..
            } => (Kind::Individuals, None),
            AggregateExpression::FunctionCall {
                name: AggregateFunction::Count,
                expr,
                ..
            } => (Kind::Records, Some(expr)),
            AggregateExpression::FunctionCall {
                name: AggregateFunction::Sum,
                expr,
                ..
            } => (Kind::Sum, Some(expr)),
            AggregateExpression::FunctionCall {
                name: AggregateFunction::Avg,
                expr,
                ..
            } => (Kind::Mean, Some(expr)),
            other => return Err(format!("{other} has no differentially private form")),
        };
        let column = match (kind, argument) {
            (Kind::Individuals, _) => Column {
                kind,
                count: None,
                sum: None,
            },
            (Kind::Records, argument) => {
                partials.push((
                    count.clone(),
                    match argument {
                        None => AggregateExpression::CountSolutions { distinct: false },
                        Some(expr) => AggregateExpression::FunctionCall {
                            name: AggregateFunction::Count,
                            expr: expr.clone(),
                            distinct: false,
                        },
                    },
                ));
                Column {
                    kind,
                    count: Some(count),
                    sum: None,
                }
            }
            (_, Some(expr)) => {
                let (lower, upper) = noise.bounds.ok_or_else(|| {
                    format!(
                        "{} needs value bounds, and the offer declares none (hanse:lowerBound, hanse:upperBound): only counts are answered",
                        super::syntax::function_name(&aggregate.expression)
                    )
                })?;
                let e = || Box::new(expr.clone());
                let numeric = || {
                    Box::new(Expression::FunctionCall(
                        Function::IsNumeric,
                        vec![expr.clone()],
                    ))
                };
                let clamped = Expression::If(
                    Box::new(Expression::Less(e(), Box::new(double(lower)))),
                    Box::new(double(lower)),
                    Box::new(Expression::If(
                        Box::new(Expression::Greater(e(), Box::new(double(upper)))),
                        Box::new(double(upper)),
                        e(),
                    )),
                );
                // Never an error: a value that is not a number adds nothing and is not counted.
                let value = Expression::Coalesce(vec![
                    Expression::If(numeric(), Box::new(clamped), Box::new(double(0.0))),
                    double(0.0),
                ]);
                let counted = Expression::Coalesce(vec![
                    Expression::If(numeric(), Box::new(integer(1)), Box::new(integer(0))),
                    integer(0),
                ]);
                partials.push((sum.clone(), sum_of(value)));
                partials.push((count.clone(), sum_of(counted)));
                Column {
                    kind,
                    count: Some(count),
                    sum: Some(sum),
                }
            }
            (_, None) => unreachable!("SUM and AVG have an argument"),
        };
        columns.push(column);
    }
    let mut grouped = query.keys.clone();
    grouped.push(query.individual.clone());
    let mut variables = grouped.clone();
    variables.extend(partials.iter().map(|(v, _)| v.clone()));
    let query = Query::Select {
        dataset: None,
        pattern: GraphPattern::Project {
            inner: Box::new(GraphPattern::Group {
                inner: Box::new(query.pattern.clone()),
                variables: grouped,
                aggregates: partials,
            }),
            variables,
        },
        base_iri: None,
    };
    Ok((query, columns))
}

/// One group's exact, bounded totals.
#[derive(Debug, Clone)]
struct Group {
    key: Vec<Option<Term>>,
    individuals: i64,
    totals: Vec<i64>,
}

/// The exact, contribution-bounded totals of every group, before noise.
#[derive(Debug)]
pub struct Tally {
    groups: BTreeMap<String, Group>,
    columns: Vec<Column>,
    /// Value of one grid unit per column (1 for counts).
    grid: Vec<f64>,
}

fn number(term: Option<&Option<Term>>) -> f64 {
    match term {
        Some(Some(Term::Literal(l))) => l.value().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn keyed_hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// A group key as one string (N-Triples terms; `UNDEF` for unbound).
fn key_text(key: &[Option<Term>]) -> String {
    key.iter()
        .map(|t| {
            t.as_ref()
                .map_or_else(|| "UNDEF".to_owned(), Term::to_string)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Tally {
    /// Bounds every individual's contribution in `table` (from [`partial_query`]).
    pub fn new(
        table: &SolutionTable,
        query: &AggregateQuery,
        columns: Vec<Column>,
        noise: &NoiseTerms,
        secret: &[u8; 32],
    ) -> Result<Self, String> {
        let position = |v: &Variable| {
            table
                .column(v)
                .ok_or_else(|| format!("the partial answer lacks ?{}", v.as_str()))
        };
        let keys: Vec<usize> = query.keys.iter().map(position).collect::<Result<_, _>>()?;
        let individual = position(&query.individual)?;
        let contributions = noise.max_contributions as f64;
        let (lower, upper) = noise.bounds.unwrap_or((0.0, 1.0));
        let middle = (lower + upper) / 2.0;
        let grid: Vec<f64> = columns.iter().map(|c| grid(c.kind, noise)).collect();
        // The groups of each individual, to keep at most `max_groups` of them.
        let mut by_individual: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        for (index, row) in table.rows.iter().enumerate() {
            let key: Vec<Option<Term>> = keys.iter().map(|&i| row[i].clone()).collect();
            let who = row[individual]
                .as_ref()
                .map_or_else(String::new, Term::to_string);
            by_individual
                .entry(who)
                .or_default()
                .push((key_text(&key), index));
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        let max_groups = usize::try_from(noise.max_groups).unwrap_or(usize::MAX);
        for (who, mut memberships) in by_individual {
            if memberships.len() > max_groups {
                memberships.sort_by_key(|(key, _)| {
                    keyed_hash(&[
                        b"hanse/dp-groups/v1",
                        secret,
                        who.as_bytes(),
                        key.as_bytes(),
                    ])
                });
                memberships.truncate(max_groups);
            }
            for (text, index) in memberships {
                let row = &table.rows[index];
                let group = groups.entry(text).or_insert_with(|| Group {
                    key: keys.iter().map(|&i| row[i].clone()).collect(),
                    individuals: 0,
                    totals: vec![0; columns.len()],
                });
                group.individuals += 1;
                for (j, column) in columns.iter().enumerate() {
                    let cell = |v: &Option<Variable>| {
                        number(v.as_ref().and_then(|v| table.column(v)).map(|i| &row[i]))
                    };
                    let records = cell(&column.count).max(0.0);
                    let units = match column.kind {
                        Kind::Individuals => 0.0,
                        Kind::Records => records.min(contributions),
                        Kind::Sum if records > 0.0 => {
                            cell(&column.sum) / records * records.min(contributions) / grid[j]
                        }
                        Kind::Mean if records > 0.0 => {
                            (cell(&column.sum) / records - middle) / grid[j]
                        }
                        Kind::Sum | Kind::Mean => 0.0,
                    };
                    let bound = match column.kind {
                        Kind::Records => contributions,
                        _ => GRID as f64,
                    };
                    // The clamp holds the sensitivity whatever floating point did.
                    group.totals[j] += units.round().clamp(-bound, bound) as i64;
                }
            }
        }
        Ok(Self {
            groups,
            columns,
            grid,
        })
    }

    /// The key of this answer: the same for the same question over the same data, so a
    /// repeated question is recognised (and not charged again) and gets the same noise.
    pub fn answer_key(&self, parts: &[&str]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"hanse/dp-answer/v1");
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        for (key, group) in &self.groups {
            hasher.update((key.len() as u64).to_be_bytes());
            hasher.update(key.as_bytes());
            hasher.update(group.individuals.to_be_bytes());
            for total in &group.totals {
                hasher.update(total.to_be_bytes());
            }
        }
        hex::encode(hasher.finalize())
    }
}

/// A released answer: rows of keys then aggregates, and the noise of each column.
pub struct Released {
    /// The released groups.
    pub rows: Vec<Vec<Option<GroundTerm>>>,
    /// The noise per column.
    pub columns: Vec<ColumnNoise>,
    /// The noisy count of individuals a group needed to be released.
    pub threshold: i64,
}

/// The probability, beyond ε, that a group of one answer reveals that an individual is in
/// the data: the δ of (ε, δ)-differential privacy that partition selection adds.
pub const DELTA: f64 = 1e-6;

/// The noisy count of individuals a group must reach to be released: the offer's minimum,
/// and at least `1 + b · ln(maxGroups / δ)` for noise of scale `b`. A group that holds one
/// individual then appears with probability at most δ / maxGroups (the discrete Laplace
/// tail is below `e^(−(τ−1)/b)`), so the groups of one individual — at most maxGroups of
/// them — appear with probability at most δ.
pub fn threshold(minimum: u64, scale: f64, max_groups: u64) -> i64 {
    let needed = 1.0 + scale * (max_groups.max(1) as f64 / DELTA).ln();
    let needed = if needed.is_finite() {
        needed.ceil() as i64
    } else {
        i64::MAX
    };
    needed.max(i64::try_from(minimum).unwrap_or(i64::MAX))
}

/// The value of one grid unit: the sensitivity Δ of the column divided by [`GRID`].
fn grid(kind: Kind, noise: &NoiseTerms) -> f64 {
    let (lower, upper) = noise.bounds.unwrap_or((0.0, 1.0));
    match kind {
        Kind::Individuals | Kind::Records => 1.0,
        Kind::Sum => noise.max_contributions as f64 * lower.abs().max(upper.abs()) / GRID as f64,
        Kind::Mean => (upper - lower) / 2.0 / GRID as f64,
    }
}

/// What one individual can change one measurement of one group by, in grid units.
fn sensitivity(kind: Kind, noise: &NoiseTerms) -> u64 {
    match kind {
        Kind::Individuals => 1,
        Kind::Records => noise.max_contributions,
        Kind::Sum | Kind::Mean => GRID as u64,
    }
}

/// The discrete Laplace scale of one measurement: `Δ × measurements × maxGroups / ε`. One
/// individual moves at most `measurements` numbers in each of at most `maxGroups` groups, so
/// the privacy losses of the answer's noises add up to ε.
fn noise_scale(kind: Kind, noise: &NoiseTerms, measurements: u64) -> Scale {
    let numerator = sensitivity(kind, noise)
        .saturating_mul(measurements)
        .saturating_mul(noise.max_groups.max(1))
        .saturating_mul(MICRO);
    // Both are at least 1 (`privacy_terms::read` refuses ε = 0); the fallback is the
    // largest scale there is, never a smaller one.
    Scale::new(numerator.max(1), noise.epsilon.max(1)).unwrap_or(Scale::MAX)
}

impl Tally {
    /// Adds noise to every group and releases those whose individuals reach `minimum`, with
    /// noise seeded by `secret` and `answer` (the key the budget was charged for).
    pub fn release(
        &self,
        secret: &[u8; 32],
        answer: &str,
        minimum: u64,
        noise: &NoiseTerms,
        query: &AggregateQuery,
    ) -> Released {
        let measurements = 1 + self
            .columns
            .iter()
            .filter(|c| c.kind != Kind::Individuals)
            .count() as u64;
        let scale = |kind: Kind| noise_scale(kind, noise, measurements);
        let (lower, upper) = noise.bounds.unwrap_or((0.0, 1.0));
        let middle = (lower + upper) / 2.0;
        let threshold = threshold(minimum, scale(Kind::Individuals).as_f64(), noise.max_groups);
        let mut rows = Vec::new();
        for (text, group) in &self.groups {
            let seed = keyed_hash(&[
                b"hanse/dp-noise/v1",
                secret,
                answer.as_bytes(),
                text.as_bytes(),
            ]);
            let mut rng = ChaCha20Rng::from_seed(seed);
            let individuals =
                group.individuals + discrete_laplace(&mut rng, scale(Kind::Individuals));
            let key: Vec<Option<GroundTerm>> =
                group.key.iter().map(|t| ground(t.as_ref())).collect();
            let keyed = group
                .key
                .iter()
                .zip(&key)
                .all(|(t, g)| t.is_none() || g.is_some());
            let mut values = key;
            for (j, column) in self.columns.iter().enumerate() {
                let value = match column.kind {
                    Kind::Individuals => Literal::from(individuals),
                    Kind::Records => {
                        let noisy =
                            group.totals[j] + discrete_laplace(&mut rng, scale(column.kind));
                        Literal::from(noisy.max(0))
                    }
                    Kind::Sum => {
                        let noisy =
                            group.totals[j] + discrete_laplace(&mut rng, scale(column.kind));
                        Literal::from(noisy as f64 * self.grid[j])
                    }
                    Kind::Mean => {
                        let noisy =
                            group.totals[j] + discrete_laplace(&mut rng, scale(column.kind));
                        let mean = middle + noisy as f64 * self.grid[j] / individuals.max(1) as f64;
                        Literal::from(mean.clamp(lower, upper))
                    }
                };
                values.push(Some(GroundTerm::Literal(value)));
            }
            if individuals >= threshold && keyed {
                rows.push(values);
            }
        }
        let columns = self
            .columns
            .iter()
            .zip(&query.aggregates)
            .map(|(column, aggregate)| {
                let b = scale(column.kind).as_f64() * grid(column.kind, noise);
                ColumnNoise {
                    column: aggregate.column.clone(),
                    aggregate: aggregate.expression.to_string(),
                    scale: b,
                    meaning: meaning(column.kind, noise),
                }
            })
            .collect();
        Released {
            rows,
            columns,
            threshold,
        }
    }
}

fn meaning(kind: Kind, noise: &NoiseTerms) -> String {
    let records = match noise.max_contributions {
        1 => "one record per individual (an individual with more counts once, with its mean)"
            .to_owned(),
        n => {
            format!("at most {n} records per individual (one with more counts its mean {n} times)")
        }
    };
    let bounds = noise
        .bounds
        .map(|(l, u)| format!("values clamped to [{l}, {u}]"))
        .unwrap_or_default();
    match kind {
        Kind::Individuals => "the number of individuals, noised".into(),
        Kind::Records => format!("records, {records}, noised"),
        Kind::Sum => format!("sum of {bounds}, {records}, noised"),
        Kind::Mean => format!(
            "mean over individuals of each individual's mean, {bounds}; the noise is this scale divided by the group's number of individuals"
        ),
    }
}

/// ε as a number, for reports.
pub fn epsilon(noise: &NoiseTerms) -> f64 {
    from_micro(noise.epsilon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::aggregation::shape::{Rules, analyse};

    fn terms(epsilon: u64) -> NoiseTerms {
        NoiseTerms {
            epsilon,
            budget: 100 * MICRO,
            bounds: Some((0.0, 500.0)),
            max_contributions: 1,
            max_groups: 1,
            period_days: None,
        }
    }

    fn query(select: &str) -> AggregateQuery {
        let text = format!(
            "SELECT ?d {select} WHERE {{ ?o <urn:unit> ?h ; <urn:v> ?v . ?h <urn:d> ?d }} GROUP BY ?d"
        );
        analyse(
            spargebra::SparqlParser::new().parse_query(&text).unwrap(),
            &Rules {
                unit: "urn:unit",
                noised: true,
                permitted: &[],
            },
        )
        .unwrap()
    }

    fn literal(v: f64) -> Option<Term> {
        Some(Literal::from(v).into())
    }

    /// Partial rows as the store would return them: per individual (district, household,
    /// then count and sum per SUM/AVG column).
    fn partial_table(
        query: &AggregateQuery,
        columns: &[Column],
        values: &[(&str, f64, f64)],
    ) -> SolutionTable {
        let mut variables = vec![Variable::new_unchecked("d"), Variable::new_unchecked("h")];
        for c in columns {
            variables.extend(c.sum.clone());
            variables.extend(c.count.clone());
        }
        let _ = query;
        let rows = values
            .iter()
            .enumerate()
            .map(|(i, (district, records, sum))| {
                let mut row = vec![
                    Some(Literal::new_simple_literal(*district).into()),
                    Some(oxigraph::model::NamedNode::new_unchecked(format!("urn:h:{i}")).into()),
                ];
                for c in columns {
                    if c.sum.is_some() {
                        row.push(literal(*sum));
                    }
                    if c.count.is_some() {
                        row.push(literal(*records));
                    }
                }
                row
            })
            .collect();
        SolutionTable { variables, rows }
    }

    fn released_value(released: &Released, row: usize, column: usize) -> f64 {
        match &released.rows[row][column] {
            Some(GroundTerm::Literal(l)) => l.value().parse().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_partial_query_clamps_and_counts_per_individual() {
        let q = query("(AVG(?v) AS ?mean) (COUNT(DISTINCT ?h) AS ?n) (SUM(?v) AS ?s)");
        let (text, columns) = partial_query(&q, &terms(MICRO)).unwrap();
        let text = text.to_string();
        assert!(text.contains("GROUP BY ?d ?h"), "{text}");
        assert!(
            text.to_lowercase().contains("isnumeric(?v)") && text.contains("500"),
            "{text}"
        );
        assert_eq!(columns.len(), 3);
        let mut counts_only = terms(MICRO);
        counts_only.bounds = None;
        let error = partial_query(&q, &counts_only).unwrap_err();
        assert!(error.contains("AVG needs value bounds"), "{error}");
    }

    /// The acceptance test: over 2,000 draws, the mean absolute error of a noised
    /// SUM is within 20% of its sensitivity divided by its ε (here: Δ = 500 litres, two
    /// measurements share ε = 1, so each has ε/2 and the scale is 1,000 litres).
    #[test]
    fn the_noise_scale_matches_epsilon_over_2000_draws() {
        let q = query("(SUM(?v) AS ?s)");
        let noise = terms(MICRO);
        let (_, columns) = partial_query(&q, &noise).unwrap();
        let households: Vec<(&str, f64, f64)> =
            (0..200).map(|i| ("noord", 1.0, 100.0 + i as f64)).collect();
        let table = partial_table(&q, &columns, &households);
        let tally = Tally::new(&table, &q, columns, &noise, &[9; 32]).unwrap();
        let truth: f64 = households.iter().map(|(_, _, s)| s).sum();
        let mut errors = 0.0;
        for draw in 0..2_000 {
            let released = tally.release(&[9; 32], &format!("draw {draw}"), 10, &noise, &q);
            errors += (released_value(&released, 0, 1) - truth).abs();
        }
        let mae = errors / 2_000.0;
        let expected = 500.0 * 2.0 / 1.0;
        assert!(
            (mae / expected - 1.0).abs() < 0.2,
            "MAE {mae}, sensitivity/ε {expected}"
        );
        let reported = tally.release(&[9; 32], "x", 10, &noise, &q).columns[0].scale;
        assert!((reported - expected).abs() < 1e-6, "{reported}");
        // An individual that may count in three groups moves three times as many numbers.
        let mut three = noise.clone();
        three.max_groups = 3;
        let reported = tally.release(&[9; 32], "x", 10, &three, &q).columns[0].scale;
        assert!((reported - 3.0 * expected).abs() < 1e-6, "{reported}");
    }

    #[test]
    fn partition_selection_needs_a_noisy_count_past_the_threshold() {
        // Scale 2 (ε = 1, two measurements): 1 + 2 ln(10^6) = 28.6, so 29.
        assert_eq!(threshold(10, 2.0, 1), 29);
        // The offer's minimum holds when it is higher; more groups per individual raise it.
        assert_eq!(threshold(50, 2.0, 1), 50);
        assert_eq!(threshold(10, 2.0, 3), 31);
        assert_eq!(threshold(10, f64::INFINITY, 1), i64::MAX);
        // A group of 20 households (above the minimum of 10) is withheld: only the noisy
        // count decides, and 20 is far below 29 for noise of scale 2.
        let q = query("(AVG(?v) AS ?mean)");
        let noise = terms(MICRO);
        let (_, columns) = partial_query(&q, &noise).unwrap();
        let rows: Vec<(&str, f64, f64)> = (0..20).map(|_| ("zuid", 7.0, 1750.0)).collect();
        let table = partial_table(&q, &columns, &rows);
        let tally = Tally::new(&table, &q, columns, &noise, &[1; 32]).unwrap();
        let released = tally.release(&[1; 32], "k", 10, &noise, &q);
        assert_eq!(released.threshold, 29);
        assert!(released.rows.is_empty());
    }

    #[test]
    fn the_same_key_gives_the_same_answer_and_small_groups_stay_hidden() {
        let q = query("(AVG(?v) AS ?mean)");
        let noise = terms(MICRO);
        let (_, columns) = partial_query(&q, &noise).unwrap();
        let mut rows: Vec<(&str, f64, f64)> =
            (0..96).map(|_| ("noord", 7.0, 7.0 * 250.0)).collect();
        rows.extend((0..6).map(|_| ("west", 7.0, 7.0 * 250.0)));
        let table = partial_table(&q, &columns, &rows);
        let tally = Tally::new(&table, &q, columns, &noise, &[1; 32]).unwrap();
        let key = tally.answer_key(&[&q.normalised]);
        let a = tally.release(&[1; 32], &key, 10, &noise, &q);
        let b = tally.release(&[1; 32], &key, 10, &noise, &q);
        assert_eq!(a.rows, b.rows);
        // West's six households are never released, whatever the noise.
        for draw in 0..200 {
            let released = tally.release(&[1; 32], &format!("{draw}"), 10, &noise, &q);
            assert!(released.rows.iter().all(|r| r[0] != Some(GroundTerm::Literal(Literal::new_simple_literal("west")))));
        }
        // A mean of 96 households: 250 plus noise of scale 250 * 2 / 1 / 96.
        let mean = released_value(&a, 0, 1);
        assert!((mean - 250.0).abs() < 200.0, "{mean}");
        // Other data (one household more) is another answer, with its own key.
        rows.push(("noord", 7.0, 7.0 * 300.0));
        let (_, columns) = partial_query(&q, &noise).unwrap();
        let other = Tally::new(
            &partial_table(&q, &columns, &rows),
            &q,
            columns,
            &noise,
            &[1; 32],
        )
        .unwrap();
        assert_ne!(other.answer_key(&[&q.normalised]), key);
    }

    #[test]
    fn contributions_are_bounded_per_individual() {
        let q = query("(SUM(?v) AS ?s) (COUNT(*) AS ?n)");
        let noise = terms(MICRO);
        let (_, columns) = partial_query(&q, &noise).unwrap();
        // One household with 1,000 readings of 500 litres counts like one reading.
        let table = partial_table(&q, &columns, &[("noord", 1000.0, 500_000.0)]);
        let tally = Tally::new(&table, &q, columns, &noise, &[2; 32]).unwrap();
        let group = tally.groups.values().next().unwrap();
        assert_eq!(group.totals[0], GRID);
        assert!(group.totals[1] <= 1, "{:?}", group.totals);
    }
}
