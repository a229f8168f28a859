//! Tests of the noised aggregates: scales, keys, partition selection, contribution bounds.

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
    let mut rows: Vec<(&str, f64, f64)> = (0..96).map(|_| ("noord", 7.0, 7.0 * 250.0)).collect();
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
        assert!(
            released
                .rows
                .iter()
                .all(|r| r[0] != Some(GroundTerm::Literal(Literal::new_simple_literal("west"))))
        );
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
