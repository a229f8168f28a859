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
mod tests;
