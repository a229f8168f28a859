//! Retention: hourly aggregates (count, min, max, mean per sensor, property and hour) of a
//! source's numeric observations go to `{graph}/hourly`; raw observations older than the
//! source's `raw_days` are then deleted. Aggregates are kept.
//!
//! Each run aggregates the complete hours since the previous run's watermark (minus a
//! two-hour window for late messages; aggregates are replaced, so recomputing is safe) and
//! deletes only raw observations from hours already aggregated.

use super::writer::remove_matching;
use crate::store::observation_index::{ObservationIndex, observations_in};
use crate::store::state::NodeState;
use crate::store::subject_filter::SubjectFilter;
use hanse_sensors::{Mapper, OffsetDateTime, format_time, parse_time_text};
use hanse_vocab::{hanse, rdf, sosa, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde::Serialize;

const TREE: &str = "ingest_retention";
/// Hours before the watermark that are aggregated again, for late messages.
const LATE_HOURS: i64 = 2;

/// What one run did for one source.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct RetentionReport {
    /// The source.
    pub source: String,
    /// Aggregates written (new or replaced).
    pub aggregates: usize,
    /// Raw observations deleted.
    pub raw_deleted: usize,
    /// Hours up to which observations are aggregated (exclusive).
    pub aggregated_until: String,
}

/// Why a retention run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetentionError {
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
    /// The state database failed.
    #[error("state: {0}")]
    State(#[from] sled::Error),
}

fn store_error(e: impl std::fmt::Display) -> RetentionError {
    RetentionError::Store(e.to_string())
}

/// Runs a SELECT query on the store; `None` if it is not a SELECT.
fn select<'a>(
    store: &'a Store,
    query: &str,
) -> Result<Option<oxigraph::sparql::QuerySolutionIter<'a>>, RetentionError> {
    let results = SparqlEvaluator::new()
        .parse_query(query)
        .map_err(store_error)?
        .on_store(store)
        .execute()
        .map_err(store_error)?;
    Ok(match results {
        QueryResults::Solutions(solutions) => Some(solutions),
        _ => None,
    })
}

/// The graph holding a source's hourly aggregates.
pub fn aggregates_graph(mapper: &Mapper) -> String {
    match mapper.graph() {
        GraphName::NamedNode(g) => format!("{}/hourly", g.as_str()),
        _ => String::new(),
    }
}

fn hour_floor(time: OffsetDateTime) -> OffsetDateTime {
    let utc = time.to_offset(time::UtcOffset::UTC);
    utc.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(utc)
}

fn literal_time(time: OffsetDateTime) -> String {
    format!("\"{}\"^^<{}>", format_time(time), xsd::DATE_TIME)
}

/// Runs retention for one source at `now`.
pub fn run(
    store: &Store,
    subjects: &SubjectFilter,
    observations: &ObservationIndex,
    state: &NodeState,
    mapper: &Mapper,
    now: OffsetDateTime,
) -> Result<RetentionReport, RetentionError> {
    let config = mapper.config();
    let Some(retention) = &config.retention else {
        return Ok(RetentionReport {
            source: config.name.clone(),
            aggregates: 0,
            raw_deleted: 0,
            aggregated_until: String::new(),
        });
    };
    let GraphName::NamedNode(graph) = mapper.graph() else {
        return Err(RetentionError::Store(
            "a source's graph must be named".into(),
        ));
    };
    let tree = state.db().open_tree(TREE)?;
    let watermark = tree
        .get(config.name.as_bytes())?
        .and_then(|v| parse_time_text(&String::from_utf8_lossy(&v)));
    let until = hour_floor(now);
    let from = watermark.map(|w| w - time::Duration::hours(LATE_HOURS));
    let aggregates = if retention.hourly {
        aggregate(store, subjects, mapper, graph, from, until)?
    } else {
        0
    };
    tree.insert(config.name.as_bytes(), format_time(until).as_bytes())?;
    tree.flush()?;
    // Only hours that are aggregated by now may lose their raw observations.
    let cutoff = (now - time::Duration::days(i64::from(retention.raw_days))).min(until);
    let raw_deleted = delete_raw(store, observations, graph, cutoff)?;
    let report = RetentionReport {
        source: config.name.clone(),
        aggregates,
        raw_deleted,
        aggregated_until: format_time(until),
    };
    tracing::info!(?report, "retention run");
    Ok(report)
}

fn aggregate(
    store: &Store,
    subjects: &SubjectFilter,
    mapper: &Mapper,
    graph: &NamedNode,
    from: Option<OffsetDateTime>,
    until: OffsetDateTime,
) -> Result<usize, RetentionError> {
    let lower = from.map_or_else(String::new, |f| format!("&& ?t >= {}", literal_time(f)));
    let query = format!(
        "SELECT ?sensor ?property ?feature ?hour (COUNT(?v) AS ?n) (MIN(?v) AS ?min) (MAX(?v) AS ?max) (AVG(?v) AS ?mean) \
         WHERE {{ GRAPH <{graph}> {{ ?o a <{obs}> ; <{sensor}> ?sensor ; <{property}> ?property ; <{foi}> ?feature ; <{result}> ?v ; <{time}> ?t . \
         FILTER(isNumeric(?v) && ?t < {until} {lower}) BIND(SUBSTR(STR(?t), 1, 13) AS ?hour) }} }} \
         GROUP BY ?sensor ?property ?feature ?hour",
        graph = graph.as_str(),
        obs = sosa::OBSERVATION,
        sensor = sosa::MADE_BY_SENSOR,
        property = sosa::OBSERVED_PROPERTY,
        foi = sosa::HAS_FEATURE_OF_INTEREST,
        result = sosa::HAS_SIMPLE_RESULT,
        time = sosa::PHENOMENON_TIME,
        until = literal_time(until),
    );
    let Some(solutions) = select(store, &query)? else {
        return Ok(0);
    };
    let target = GraphName::NamedNode(NamedNode::new_unchecked(aggregates_graph(mapper)));
    let iri = |p: &str| NamedNode::new_unchecked(p);
    let mut transaction = store.start_transaction().map_err(store_error)?;
    // The aggregates made: typed, so entities to the filter of stored entities.
    let mut made: Vec<NamedNode> = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(store_error)?;
        let (
            Some(Term::NamedNode(sensor)),
            Some(property),
            Some(feature),
            Some(Term::Literal(hour)),
        ) = (
            solution.get("sensor"),
            solution.get("property"),
            solution.get("feature"),
            solution.get("hour"),
        )
        else {
            continue;
        };
        let Term::NamedNode(property_iri) = property else {
            continue;
        };
        let local = property_iri
            .as_str()
            .rsplit(['/', '#'])
            .next()
            .unwrap_or_default();
        let subject = iri(&format!(
            "{}/hourly/{local}/{}",
            sensor.as_str(),
            hour.value()
        ));
        remove_matching(
            &mut transaction,
            subject.as_ref().into(),
            None,
            target.as_ref(),
        )
        .map_err(store_error)?;
        let start =
            Literal::new_typed_literal(format!("{}:00:00Z", hour.value()), iri(xsd::DATE_TIME));
        let mut push = |p: &str, o: Term| {
            transaction.insert(&Quad::new(
                NamedOrBlankNode::from(subject.clone()),
                iri(p),
                o,
                target.clone(),
            ));
        };
        push(rdf::TYPE, iri(hanse::HOURLY_AGGREGATE).into());
        push(sosa::MADE_BY_SENSOR, sensor.clone().into());
        push(sosa::OBSERVED_PROPERTY, property.clone());
        push(sosa::HAS_FEATURE_OF_INTEREST, feature.clone());
        push(hanse::HOUR_START, start.into());
        for (variable, predicate) in [
            ("n", hanse::OBSERVATION_COUNT),
            ("min", hanse::MINIMUM),
            ("max", hanse::MAXIMUM),
            ("mean", hanse::MEAN),
        ] {
            if let Some(value) = solution.get(variable) {
                push(predicate, value.clone());
            }
        }
        made.push(subject);
    }
    let _announced = subjects.announce(made.iter().map(NamedNode::as_str));
    transaction.commit().map_err(store_error)?;
    Ok(made.len())
}

fn delete_raw(
    store: &Store,
    observations: &ObservationIndex,
    graph: &NamedNode,
    cutoff: OffsetDateTime,
) -> Result<usize, RetentionError> {
    let query = format!(
        "SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?o a <{obs}> ; <{time}> ?t . FILTER(?t < {cutoff}) }} }}",
        graph = graph.as_str(),
        obs = sosa::OBSERVATION,
        time = sosa::PHENOMENON_TIME,
        cutoff = literal_time(cutoff),
    );
    let Some(solutions) = select(store, &query)? else {
        return Ok(0);
    };
    let subjects: Vec<NamedOrBlankNode> = solutions
        .filter_map(|s| match s.ok()?.get("o")? {
            Term::NamedNode(n) => Some(n.clone().into()),
            _ => None,
        })
        .collect();
    let graph_name = GraphName::NamedNode(graph.clone());
    for chunk in subjects.chunks(10_000) {
        let mut transaction = store.start_transaction().map_err(store_error)?;
        // What the index forgets once the chunk is gone.
        let mut removed: Vec<Quad> = Vec::new();
        for subject in chunk {
            removed.extend(
                remove_matching(
                    &mut transaction,
                    subject.as_ref(),
                    None,
                    graph_name.as_ref(),
                )
                .map_err(store_error)?,
            );
        }
        transaction.commit().map_err(store_error)?;
        if let Err(e) = observations.forget(observations_in(removed.iter().map(Into::into))) {
            tracing::error!("{e}");
            observations.invalidate();
        }
    }
    Ok(subjects.len())
}
