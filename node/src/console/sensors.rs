//! The sensors page: every live entity of the node's ingest sources with its location and
//! latest values, the recent series of one property, and a server-sent event stream of
//! readings as the ingest writer commits them. Each caller sees the sources whose graph the
//! access service lets it read.

use crate::http::{ApiError, AppState};
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use hanse_vocab::{geo, rdfs, sosa};
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Most entities listed, points in a series.
const MAX_ENTITIES: usize = 2_000;
const MAX_POINTS: usize = 500;
/// A live stream ends after this long; the page reconnects (no connection is held forever).
const STREAM_LIFETIME: Duration = Duration::from_secs(3600);

/// One sensor entity.
#[derive(Serialize)]
pub struct SensorView {
    source: String,
    graph: String,
    entity: String,
    label: Option<String>,
    lon: f64,
    lat: f64,
    observed: Option<String>,
    values: BTreeMap<String, f64>,
}

/// The sources (name, graph) whose graph the caller may read.
fn visible_graphs(state: &AppState, caller: &Caller) -> Vec<(String, String)> {
    let visible = state.access.rights(caller).read;
    state
        .ingest
        .status()
        .into_iter()
        .filter(|s| {
            oxigraph::model::NamedNode::new(s.graph.as_str())
                .is_ok_and(|g| visible.sees(g.as_ref().into()))
        })
        .map(|s| (s.source, s.graph))
        .collect()
}

fn select(
    store: &oxigraph::store::Store,
    query: &str,
) -> Result<Vec<BTreeMap<String, Term>>, String> {
    let results = SparqlEvaluator::new()
        .parse_query(query)
        .map_err(|e| e.to_string())?
        .on_store(store)
        .execute()
        .map_err(|e| e.to_string())?;
    let QueryResults::Solutions(solutions) = results else {
        return Err("not a SELECT".into());
    };
    solutions
        .map(|s| {
            s.map(|s| {
                s.iter()
                    .map(|(v, t)| (v.as_str().to_owned(), t.clone()))
                    .collect()
            })
            .map_err(|e| e.to_string())
        })
        .collect()
}

fn text(row: &BTreeMap<String, Term>, name: &str) -> Option<String> {
    match row.get(name)? {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::Literal(l) => Some(l.value().to_owned()),
        _ => None,
    }
}

/// `POINT(lon lat)` → (lon, lat).
fn point(wkt: &str) -> Option<(f64, f64)> {
    let inner = wkt
        .trim()
        .strip_prefix("POINT")?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut numbers = inner.split_whitespace().map(str::parse::<f64>);
    Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// `GET /api/console/sensors`
#[tracing::instrument(skip_all)]
pub async fn sensors(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SensorView>>, ApiError> {
    let graphs = visible_graphs(&state, &caller);
    let store = state.sparql.store().clone();
    let sensors = tokio::task::spawn_blocking(move || -> Result<Vec<SensorView>, String> {
        let mut by_entity: BTreeMap<String, SensorView> = BTreeMap::new();
        for (source, graph) in graphs {
            let query = format!(
                "SELECT ?entity ?label ?wkt ?property ?value ?observed WHERE {{ GRAPH <{graph}> {{
                   ?entity <{has}> ?geometry . ?geometry <{wkt}> ?wkt .
                   ?entity ?property ?value . FILTER(isNumeric(?value))
                   OPTIONAL {{ ?entity <{label}> ?label }}
                   OPTIONAL {{ ?entity ?dated ?observed . FILTER(STRENDS(STR(?dated), \"dateObserved\")) }}
                 }} }} LIMIT {MAX_ENTITIES}",
                has = geo::HAS_GEOMETRY,
                wkt = geo::AS_WKT,
                label = rdfs::LABEL,
            );
            for row in select(&store, &query)? {
                let (Some(entity), Some(wkt)) = (text(&row, "entity"), text(&row, "wkt")) else {
                    continue;
                };
                let Some((lon, lat)) = point(&wkt) else { continue };
                let view = by_entity.entry(entity.clone()).or_insert_with(|| SensorView {
                    source: source.clone(),
                    graph: graph.clone(),
                    entity,
                    label: text(&row, "label"),
                    lon,
                    lat,
                    observed: text(&row, "observed"),
                    values: BTreeMap::new(),
                });
                if let (Some(property), Some(value)) = (
                    text(&row, "property"),
                    text(&row, "value").and_then(|v| v.parse().ok()),
                ) {
                    view.values.insert(property, value);
                }
            }
        }
        Ok(by_entity.into_values().collect())
    })
    .await?
    .map_err(internal)?;
    Ok(Json(sensors))
}

/// `?entity=&property=` of a series.
#[derive(Deserialize)]
pub struct SeriesParams {
    entity: String,
    property: String,
}

/// One point of a series.
#[derive(Serialize)]
pub struct Point {
    time: String,
    value: f64,
}

fn check_iri(value: &str) -> Result<(), ApiError> {
    oxigraph::model::NamedNode::new(value)
        .map(|_| ())
        .map_err(|e| ApiError::bad_request(format!("`{value}` is not an IRI: {e}")))
}

/// `GET /api/console/sensors/series?entity=&property=`: the latest observations, oldest first.
#[tracing::instrument(skip_all)]
pub async fn series(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SeriesParams>,
) -> Result<Json<Vec<Point>>, ApiError> {
    check_iri(&params.entity)?;
    check_iri(&params.property)?;
    let graphs: String = visible_graphs(&state, &caller)
        .into_iter()
        .map(|(_, g)| format!("<{g}> "))
        .collect();
    if graphs.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let query = format!(
        "SELECT ?time ?value WHERE {{ GRAPH ?g {{
           ?o <{foi}> <{entity}> ; <{prop}> <{property}> ; <{result}> ?value ; <{rtime}> ?rt .
           OPTIONAL {{ ?o <{ptime}> ?pt }} }}
           VALUES ?g {{ {graphs} }} BIND(COALESCE(?pt, ?rt) AS ?time) }}
         ORDER BY DESC(STR(?time)) LIMIT {MAX_POINTS}",
        foi = sosa::HAS_FEATURE_OF_INTEREST,
        entity = params.entity,
        prop = sosa::OBSERVED_PROPERTY,
        property = params.property,
        result = sosa::HAS_SIMPLE_RESULT,
        rtime = sosa::RESULT_TIME,
        ptime = sosa::PHENOMENON_TIME,
    );
    let store = state.sparql.store().clone();
    let rows = tokio::task::spawn_blocking(move || select(&store, &query))
        .await?
        .map_err(internal)?;
    let mut points: Vec<Point> = rows
        .iter()
        .filter_map(|row| {
            Some(Point {
                time: text(row, "time")?,
                value: text(row, "value")?.parse().ok()?,
            })
        })
        .collect();
    points.reverse();
    Ok(Json(points))
}

/// `GET /api/console/live`: server-sent events, one `readings` event per committed batch
/// (the newest value per entity and property), `lagged` when this listener fell behind.
#[tracing::instrument(skip_all)]
pub async fn live(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError> {
    let graphs: HashSet<String> = visible_graphs(&state, &caller)
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    let receiver = state.ingest.live();
    let deadline = tokio::time::Instant::now() + STREAM_LIFETIME;
    let stream = futures::stream::unfold(
        (receiver, graphs),
        move |(mut receiver, graphs)| async move {
            loop {
                let next = tokio::time::timeout_at(deadline, receiver.recv()).await;
                let event = match next {
                    Err(_) | Ok(Err(RecvError::Closed)) => return None,
                    Ok(Err(RecvError::Lagged(missed))) => {
                        Event::default().event("lagged").data(missed.to_string())
                    }
                    Ok(Ok(batch)) => {
                        let visible: Vec<_> =
                            batch.iter().filter(|r| graphs.contains(&r.graph)).collect();
                        if visible.is_empty() {
                            continue;
                        }
                        match Event::default().event("readings").json_data(&visible) {
                            Ok(event) => event,
                            Err(_) => continue,
                        }
                    }
                };
                return Some((Ok(event), (receiver, graphs)));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
