//! The index against the store it derives from: recording, reading in time order, the
//! caller's graphs, daily statistics, forgetting, rebuilding and the clean-shutdown mark.

use super::*;
use crate::store::visible::Visible;
use hanse_vocab::qudt;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use oxsdatatypes::DateTime;
use std::collections::HashSet;
use std::str::FromStr;

const ENTITY: &str = "urn:ngsi-ld:Meter:1";
const FLOW: &str = "https://example.org/flow";
const OPEN: &str = "urn:graph:open";
const SECRET: &str = "urn:graph:secret";

fn n(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn time(text: &str) -> DateTime {
    DateTime::from_str(text).unwrap()
}

/// The quads of one reading of FLOW.
fn reading(iri: &str, value: f64, at: &str, graph: &str) -> Vec<Quad> {
    let g = GraphName::from(n(graph));
    let at = Literal::new_typed_literal(at, n(hanse_vocab::xsd::DATE_TIME));
    [
        (sosa::HAS_FEATURE_OF_INTEREST, Term::from(n(ENTITY))),
        (sosa::OBSERVED_PROPERTY, n(FLOW).into()),
        (sosa::HAS_SIMPLE_RESULT, Literal::from(value).into()),
        (sosa::PHENOMENON_TIME, at.into()),
        (qudt::UNIT, n("http://qudt.org/vocab/unit/M3-PER-HR").into()),
    ]
    .into_iter()
    .map(|(p, o)| Quad::new(n(iri), n(p), o, g.clone()))
    .collect()
}

fn open_index(store: &Store) -> (tempfile::TempDir, NodeState, ObservationIndex) {
    let dir = tempfile::tempdir().unwrap();
    let state = NodeState::open(dir.path()).unwrap();
    let index = ObservationIndex::open(&state, store.clone()).unwrap();
    assert!(index.wait_until_fresh(Duration::from_secs(30)));
    (dir, state, index)
}

fn values(index: &ObservationIndex, range: TimeRange, newest_first: bool, v: &Visible) -> Vec<f64> {
    index
        .instances(ENTITY, FLOW, range, newest_first, v)
        .map(|i| number(&i.unwrap().value).unwrap())
        .collect()
}

#[test]
fn recorded_observations_read_back_in_time_order_for_the_callers_graphs() {
    let store = Store::new().unwrap();
    let (_dir, _state, index) = open_index(&store);
    let mut quads = Vec::new();
    // Written out of order, one in a graph the reader does not see.
    for (i, hour) in [3, 1, 2, 0].into_iter().enumerate() {
        let at = format!("2026-11-01T0{hour}:00:00+01:00");
        quads.extend(reading(&format!("urn:obs:{i}"), f64::from(hour), &at, OPEN));
    }
    quads.extend(reading(
        "urn:obs:s",
        99.0,
        "2026-11-01T01:30:00+01:00",
        SECRET,
    ));
    let observations = observations_in(quads.iter().map(Into::into));
    assert_eq!(observations.len(), 5);
    assert_eq!(index.record(observations.clone()).unwrap(), 5);
    assert_eq!(
        index.record(observations).unwrap(),
        0,
        "told twice counts once"
    );
    let open = Visible::Graphs(HashSet::from([n(OPEN)]));
    let all = TimeRange::default();
    assert_eq!(values(&index, all, false, &open), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(values(&index, all, true, &open), [3.0, 2.0, 1.0, 0.0]);
    assert_eq!(
        values(&index, all, false, &Visible::All),
        [0.0, 1.0, 99.0, 2.0, 3.0]
    );
    let first = index
        .instances(ENTITY, FLOW, all, false, &open)
        .next()
        .unwrap()
        .unwrap();
    // The time reads back as written, zone and all.
    assert_eq!(first.at.to_string(), "2026-11-01T00:00:00+01:00");
    assert_eq!(first.observation.as_str(), "urn:obs:3");
    assert_eq!(
        first.unit.unwrap().as_str(),
        "http://qudt.org/vocab/unit/M3-PER-HR"
    );
    let window = TimeRange {
        from: Some(time("2026-10-31T23:00:00Z")),
        from_excluded: true,
        until: Some(time("2026-11-01T02:00:00Z")),
    };
    assert_eq!(values(&index, window, false, &open), [1.0, 2.0]);
    assert_eq!(index.attributes(ENTITY).unwrap(), [FLOW]);
    assert!(index.attributes("urn:ngsi-ld:Meter").unwrap().is_empty());
    // 00:00+01:00 is the previous UTC day.
    let days = index.days(ENTITY, FLOW, None, None, &open).unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!((days[0].1.total, days[1].1.total), (1, 3));
    assert_eq!(
        (days[1].1.min, days[1].1.max, days[1].1.sum),
        (1.0, 3.0, 6.0)
    );
    let with_secret = index.days(ENTITY, FLOW, None, None, &Visible::All).unwrap();
    assert_eq!(with_secret[1].1.total, 4);
    // Handed to the index's thread (as ingest does): a reader waits for it.
    let late = reading("urn:obs:late", 4.0, "2026-11-01T04:00:00+01:00", OPEN);
    index.record_later(observations_in(late.iter().map(Into::into)));
    assert!(index.readable());
    assert_eq!(values(&index, all, false, &open), [0.0, 1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn forgetting_counts_the_days_again_and_a_rebuild_follows_the_store() {
    let store = Store::new().unwrap();
    let mut quads = Vec::new();
    for hour in 0..6 {
        let at = format!("2026-11-01T0{hour}:00:00Z");
        quads.extend(reading(
            &format!("urn:obs:{hour}"),
            f64::from(hour),
            &at,
            OPEN,
        ));
    }
    store.extend(quads.clone()).unwrap();
    // Opened over a store that already holds them: rebuilt from it.
    let (_dir, state, index) = open_index(&store);
    let all = TimeRange::default();
    assert_eq!(values(&index, all, false, &Visible::All).len(), 6);
    let gone: Vec<Quad> = quads[..10].to_vec();
    for quad in &gone {
        store.remove(quad).unwrap();
    }
    index
        .forget(observations_in(gone.iter().map(Into::into)))
        .unwrap();
    assert_eq!(
        values(&index, all, false, &Visible::All),
        [2.0, 3.0, 4.0, 5.0]
    );
    let days = index.days(ENTITY, FLOW, None, None, &Visible::All).unwrap();
    assert_eq!((days[0].1.total, days[0].1.min), (4, 2.0));
    // A change behind the index's back: stale until the rebuild has read the store.
    store
        .extend(reading("urn:obs:late", 7.0, "2026-11-02T00:00:00Z", OPEN))
        .unwrap();
    index.invalidate();
    assert!(index.wait_until_fresh(Duration::from_secs(30)));
    assert_eq!(
        values(&index, all, false, &Visible::All),
        [2.0, 3.0, 4.0, 5.0, 7.0]
    );
    // A clean shutdown is trusted at the next start; a crash (no mark) is rebuilt.
    index.close().unwrap();
    drop(index);
    let reopened = ObservationIndex::open(&state, store.clone()).unwrap();
    assert!(reopened.is_fresh());
    ObservationIndex::forget_clean_shutdown(&state).unwrap();
    drop(reopened);
    let rebuilt = ObservationIndex::open(&state, store).unwrap();
    assert!(rebuilt.wait_until_fresh(Duration::from_secs(30)));
    assert_eq!(values(&rebuilt, all, false, &Visible::All).len(), 5);
}

#[test]
fn day_statistics_merge_like_one_pass() {
    let values = [3.0, 7.5, -2.0, 11.0, 4.25];
    let mut one = DayStats::default();
    for v in values {
        one.add(&Literal::from(v).into());
    }
    let (mut a, mut b) = (DayStats::default(), DayStats::default());
    for v in &values[..2] {
        a.add(&Literal::from(*v).into());
    }
    for v in &values[2..] {
        b.add(&Literal::from(*v).into());
    }
    b.add(&n("urn:not-a-number").into());
    a.merge(&b);
    assert_eq!((a.total, a.numbers, a.objects), (6, 5, 1));
    assert_eq!((a.min, a.max), (-2.0, 11.0));
    assert!((a.m2 - one.m2).abs() < 1e-9 && (a.mean - one.mean).abs() < 1e-12);
    assert_eq!(DayStats::from_bytes(&a.to_bytes()), Some(a));
    assert_eq!(DayStats::from_bytes(&[0; 3]), None);
    assert!(is_midnight(time("2026-11-02T01:00:00+01:00")));
    assert!(!is_midnight(time("2026-11-02T00:00:00+01:00")));
    assert_eq!(
        midnight(day_of(time("2026-11-02T13:00:00Z"))),
        time("2026-11-02T00:00:00Z")
    );
}
