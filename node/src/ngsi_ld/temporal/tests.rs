//! Histories read from observations, windows, `lastN`, cuts and aggregation; each read
//! both from the store's triples and from the observation index, which must agree.

use super::aggregate::{Aggregation, Method, aggregate};
use super::*;
use crate::store::state::NodeState;
use oxigraph::model::{GraphName, Literal, Quad};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

const ENTITY: &str = "urn:ngsi-ld:AirQualityObserved:1";
const NO2: &str = "https://smartdatamodels.org/dataModel.Environment/no2";
const PM10: &str = "https://smartdatamodels.org/dataModel.Environment/pm10";
const OPEN: &str = "urn:graph:open";
const SECRET: &str = "urn:graph:secret";

fn n(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

/// An entity in the open graph with `hours` hourly NO2 readings (value = hour) and one PM10
/// reading, plus a reading in a graph the caller does not see.
fn store(hours: usize) -> Store {
    let store = Store::new().unwrap();
    let open = GraphName::from(n(OPEN));
    let mut quads = vec![Quad::new(
        n(ENTITY),
        n(hanse_vocab::rdf::TYPE),
        n("https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"),
        open.clone(),
    )];
    let mut observe = |iri: String, property: &str, value: Literal, at: String, graph: &str| {
        let graph = GraphName::from(n(graph));
        let o = n(&iri);
        let time = Literal::new_typed_literal(at, n(hanse_vocab::xsd::DATE_TIME));
        for (p, object) in [
            (sosa::HAS_FEATURE_OF_INTEREST, Term::from(n(ENTITY))),
            (sosa::OBSERVED_PROPERTY, n(property).into()),
            (sosa::HAS_SIMPLE_RESULT, value.into()),
            (sosa::PHENOMENON_TIME, time.clone().into()),
            (sosa::RESULT_TIME, time.into()),
        ] {
            quads.push(Quad::new(o.clone(), n(p), object, graph.clone()));
        }
    };
    for hour in 0..hours {
        let at = format!("2026-11-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24);
        observe(
            format!("urn:obs:no2:{hour}"),
            NO2,
            Literal::from(hour as f64),
            at,
            OPEN,
        );
    }
    observe(
        "urn:obs:pm10:0".into(),
        PM10,
        Literal::from(7.5),
        "2026-11-01T00:30:00Z".into(),
        OPEN,
    );
    observe(
        "urn:obs:secret".into(),
        NO2,
        Literal::from(999.0),
        "2026-11-01T00:45:00Z".into(),
        SECRET,
    );
    store.extend(quads).unwrap();
    store
}

fn open_only() -> Visible {
    Visible::Graphs(HashSet::from([n(OPEN)]))
}

fn read(store: &Store, query: &TemporalQuery) -> History {
    read_as(store, query, &open_only()).expect("the entity is visible")
}

/// The history as the store's triples give it, checked against the observation index
/// (rebuilt from the same store).
fn read_as(store: &Store, query: &TemporalQuery, visible: &Visible) -> Option<History> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let scanned = history(store, None, &n(ENTITY), visible, query, deadline).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = NodeState::open(dir.path()).unwrap();
    let index = ObservationIndex::open(&state, store.clone()).unwrap();
    assert!(index.wait_until_fresh(Duration::from_secs(30)));
    let indexed = history(store, Some(&index), &n(ENTITY), visible, query, deadline).unwrap();
    match (&scanned, &indexed) {
        (Some(scanned), Some(indexed)) => same(scanned, indexed),
        (scanned, indexed) => assert_eq!(scanned.is_some(), indexed.is_some()),
    }
    scanned
}

/// Equal histories; aggregated numbers may differ in the last bits (days are summed first).
fn same(scanned: &History, indexed: &History) {
    // An answer from daily statistics has no instances to compare.
    if indexed.aggregated.is_empty() || !indexed.attributes.is_empty() {
        assert_eq!(scanned.attributes, indexed.attributes);
    }
    assert_eq!(scanned.truncated, indexed.truncated);
    assert_eq!(
        scanned.aggregated.keys().collect::<Vec<_>>(),
        indexed.aggregated.keys().collect::<Vec<_>>()
    );
    for (attribute, a) in &scanned.aggregated {
        let b = &indexed.aggregated[attribute];
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.rows.len(), b.rows.len());
        for (method, rows) in &a.rows {
            close(
                &Value::Array(rows.clone()),
                &Value::Array(b.rows[method].clone()),
            );
        }
    }
}

fn close(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{a:?} {b:?}");
            a.iter().zip(b).for_each(|(a, b)| close(a, b));
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} != {y}");
        }
        (a, b) => assert_eq!(a, b),
    }
}

fn query() -> TemporalQuery {
    TemporalQuery {
        max_instances: 10_000,
        ..TemporalQuery::default()
    }
}

fn values(history: &History, attribute: &str) -> Vec<f64> {
    history.attributes[attribute]
        .iter()
        .map(|i| match &i.value {
            Term::Literal(l) => l.value().parse().unwrap(),
            other => panic!("{other}"),
        })
        .collect()
}

#[test]
fn a_history_is_the_visible_observations_in_time_order() {
    let store = store(48);
    let all = read(&store, &query());
    assert_eq!(
        values(&all, NO2),
        (0..48).map(f64::from).collect::<Vec<_>>()
    );
    assert_eq!(values(&all, PM10), [7.5]);
    assert!(!all.truncated);
    assert_eq!(all.attributes[NO2][0].instance_id.as_str(), "urn:obs:no2:0");
    // Nobody sees an entity in a graph it may not read.
    let none = Visible::Graphs(HashSet::from([n(SECRET)]));
    assert!(read_as(&store, &query(), &none).is_none());
}

#[test]
fn windows_attributes_last_n_and_cuts() {
    let store = store(48);
    let at = |text| date_time("timeAt", text).unwrap();
    let between = TemporalQuery {
        attrs: vec![NO2.into()],
        timerel: Some(TimeRel::Between(
            at("2026-11-01T10:00:00Z"),
            at("2026-11-01T13:00:00Z"),
        )),
        ..query()
    };
    let answer = read(&store, &between);
    assert_eq!(values(&answer, NO2), [10.0, 11.0, 12.0]);
    assert!(!answer.attributes.contains_key(PM10));
    let before = TemporalQuery {
        timerel: Some(TimeRel::Before(at("2026-11-01T02:00:00Z"))),
        ..query()
    };
    assert_eq!(values(&read(&store, &before), NO2), [0.0, 1.0]);
    let after = TemporalQuery {
        timerel: Some(TimeRel::After(at("2026-11-02T21:00:00Z"))),
        ..query()
    };
    assert_eq!(values(&read(&store, &after), NO2), [46.0, 47.0]);
    let last = TemporalQuery {
        last_n: Some(3),
        ..query()
    };
    let answer = read(&store, &last);
    assert_eq!(values(&answer, NO2), [45.0, 46.0, 47.0]);
    assert!(!answer.truncated, "lastN is what was asked, not a cut");
    let cut = TemporalQuery {
        max_instances: 5,
        ..query()
    };
    let answer = read(&store, &cut);
    assert_eq!(values(&answer, NO2), [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert!(answer.truncated);
}

#[test]
fn bad_windows_are_refused_with_a_reason() {
    for (timerel, at, end, expected) in [
        (
            Some("between"),
            Some("2026-11-01T00:00:00Z"),
            None,
            "endTimeAt",
        ),
        (Some("after"), None, None, "needs timeAt"),
        (Some("during"), Some("2026-11-01T00:00:00Z"), None, "during"),
        (Some("before"), Some("yesterday"), None, "yesterday"),
        (
            Some("before"),
            Some("2026-11-01T00:00:00"),
            None,
            "with a zone",
        ),
        (
            Some("between"),
            Some("2026-11-02T00:00:00Z"),
            Some("2026-11-01T00:00:00Z"),
            "after timeAt",
        ),
        (None, Some("2026-11-01T00:00:00Z"), None, "need a timerel"),
    ] {
        let err = TimeRel::parse(timerel, at, end).unwrap_err().to_string();
        assert!(err.contains(expected), "{timerel:?} {at:?}: {err}");
    }
    assert!(TimeProperty::parse("deletedAt").is_err());
    for period in ["P0D", "-P1D", "1 day", "PT0S"] {
        assert!(Aggregation::parse_period(period).is_err(), "{period}");
    }
    assert!(Method::parse_list("avg,median").is_err());
    assert!(Method::parse_list(" ,").is_err());
}

#[test]
fn aggregation_folds_periods() {
    let store = store(48);
    let answer = read(
        &store,
        &TemporalQuery {
            attrs: vec![NO2.into()],
            ..query()
        },
    );
    let day = Aggregation {
        methods: Method::parse_list("avg,min,max,sum,totalCount,distinctCount,sumsq,stddev")
            .unwrap(),
        period: Some(Aggregation::parse_period("P1D").unwrap()),
    };
    let rows = aggregate(&answer.attributes[NO2], &day, None).unwrap();
    let avg = &rows[&Method::Avg];
    assert_eq!(avg.len(), 2, "{avg:?}");
    assert_eq!(
        avg[0],
        serde_json::json!([11.5, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"])
    );
    assert_eq!(avg[1][0], 35.5);
    assert_eq!(rows[&Method::Min][1][0], 24.0);
    assert_eq!(rows[&Method::Max][0][0], 23.0);
    assert_eq!(rows[&Method::Sum][0][0], 276.0);
    assert_eq!(rows[&Method::TotalCount][0][0], 24);
    assert_eq!(rows[&Method::DistinctCount][0][0], 24);
    assert_eq!(rows[&Method::Sumsq][0][0], 4324.0);
    let stddev = rows[&Method::Stddev][0][0].as_f64().unwrap();
    assert!((stddev - 6.922_186).abs() < 1e-5, "{stddev}");
    // Hours with no reading are left out; a period counts from the window's start.
    let six_hours = Aggregation {
        methods: vec![Method::TotalCount],
        period: Some(Aggregation::parse_period("PT6H").unwrap()),
    };
    let sparse: Vec<TemporalInstance> = answer.attributes[NO2]
        .iter()
        .filter(|i| [0.0, 1.0, 40.0].contains(&values_of(i)))
        .cloned()
        .collect();
    let start = date_time("timeAt", "2026-10-31T22:00:00Z").unwrap();
    let rows = aggregate(&sparse, &six_hours, Some(start)).unwrap();
    assert_eq!(
        rows[&Method::TotalCount],
        [
            serde_json::json!([2, "2026-10-31T22:00:00Z", "2026-11-01T04:00:00Z"]),
            serde_json::json!([1, "2026-11-02T16:00:00Z", "2026-11-02T22:00:00Z"]),
        ]
    );
    // Without a period: one row over everything.
    let whole = Aggregation {
        methods: vec![Method::TotalCount],
        period: None,
    };
    let rows = aggregate(&answer.attributes[NO2], &whole, None).unwrap();
    assert_eq!(
        rows[&Method::TotalCount],
        [serde_json::json!([
            48,
            "2026-11-01T00:00:00Z",
            "2026-11-02T23:00:00Z"
        ])]
    );
}

fn values_of(instance: &TemporalInstance) -> f64 {
    match &instance.value {
        Term::Literal(l) => l.value().parse().unwrap(),
        other => panic!("{other}"),
    }
}

/// Aggregated answers as the query asks them: from daily statistics where the periods are
/// whole days from a midnight, from the instances otherwise, the same rows either way.
#[test]
fn aggregated_answers_agree_from_days_and_from_instances() {
    let store = store(72);
    let at = |text| date_time("timeAt", text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = NodeState::open(dir.path()).unwrap();
    let index = ObservationIndex::open(&state, store.clone()).unwrap();
    assert!(index.wait_until_fresh(Duration::from_secs(30)));
    let every = "avg,min,max,sum,totalCount,sumsq,stddev";
    for (methods, period, timerel, from_days) in [
        (every, Some("P1D"), None, true),
        (every, Some("P2D"), None, true),
        (every, Some("P1M"), None, true),
        (every, None, None, true),
        (
            every,
            Some("P1D"),
            Some(TimeRel::Between(
                at("2026-11-02T00:00:00Z"),
                at("2026-11-03T00:00:00Z"),
            )),
            true,
        ),
        (
            every,
            Some("P1D"),
            Some(TimeRel::Before(at("2026-11-03T00:00:00Z"))),
            true,
        ),
        // Not on day boundaries, or not kept per day: from the instances.
        (every, Some("PT6H"), None, false),
        (
            every,
            Some("P1D"),
            Some(TimeRel::Between(
                at("2026-11-01T06:00:00Z"),
                at("2026-11-03T00:00:00Z"),
            )),
            false,
        ),
        (
            every,
            Some("P1D"),
            Some(TimeRel::After(at("2026-11-01T00:00:00Z"))),
            false,
        ),
        ("distinctCount,avg", Some("P1D"), None, false),
    ] {
        let query = TemporalQuery {
            attrs: vec![NO2.into()],
            timerel,
            aggregation: Some(Aggregation {
                methods: Method::parse_list(methods).unwrap(),
                period: period.map(|p| Aggregation::parse_period(p).unwrap()),
            }),
            ..query()
        };
        let answer = read(&store, &query);
        assert!(!answer.aggregated.is_empty(), "{period:?} {timerel:?}");
        let aggregation = query.aggregation.as_ref().unwrap();
        let daily =
            daily::aggregated(&index, &n(ENTITY), &[], &open_only(), &query, aggregation).unwrap();
        assert_eq!(daily.is_some(), from_days, "{period:?} {timerel:?}");
    }
    // PM10's one reading is at 00:30, so its periods start there: from the instances.
    let both = TemporalQuery {
        aggregation: Some(Aggregation {
            methods: vec![Method::Avg],
            period: Some(Aggregation::parse_period("P1D").unwrap()),
        }),
        ..query()
    };
    assert_eq!(read(&store, &both).aggregated.len(), 2);
    let aggregation = both.aggregation.as_ref().unwrap();
    let daily = daily::aggregated(&index, &n(ENTITY), &[], &open_only(), &both, aggregation);
    assert!(daily.unwrap().is_none());
    // The daily rows are the instances' rows: the secret graph's reading is left out.
    let query = TemporalQuery {
        attrs: vec![NO2.into()],
        aggregation: Some(Aggregation {
            methods: vec![Method::Avg, Method::TotalCount],
            period: Some(Aggregation::parse_period("P1D").unwrap()),
        }),
        ..query()
    };
    let answer = read(&store, &query);
    let rows = &answer.aggregated[NO2].rows;
    assert_eq!(
        rows[&Method::Avg][0],
        serde_json::json!([11.5, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"])
    );
    assert_eq!(rows[&Method::TotalCount][2][0], 24);
}

/// An answer past `max_instances` is cut from the instances (206), not summed from days.
#[test]
fn an_aggregation_past_the_cut_is_answered_from_the_instances() {
    let store = store(48);
    let query = TemporalQuery {
        attrs: vec![NO2.into()],
        max_instances: 10,
        aggregation: Some(Aggregation {
            methods: vec![Method::TotalCount],
            period: Some(Aggregation::parse_period("P1D").unwrap()),
        }),
        ..query()
    };
    let answer = read(&store, &query);
    assert!(answer.truncated);
    assert_eq!(answer.aggregated[NO2].rows[&Method::TotalCount][0][0], 10);
}
