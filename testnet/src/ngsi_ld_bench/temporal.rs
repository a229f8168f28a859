//! The temporal phase of `bench ngsi-ld`: a year of hourly NO2 readings for 100 stations
//! (876,000 SOSA observations) in a node's store, asked for through the temporal API and,
//! side by side, as SPARQL on oxigraph directly (the same store):
//!
//! - **lastN=100**: `GET /temporal/entities/{id}?attrs=no2&lastN=100` against `ORDER BY
//!   DESC(?t) LIMIT 100` over the station's observations;
//! - **year, daily avg**: `GET /temporal/entities?type=…&attrs=no2&aggrMethods=avg&
//!   aggrPeriodDuration=P1D` for all stations against `GROUP BY ?station ?day` with `AVG`.

use super::anchors::sparql_rows;
use anyhow::{Context, Result, bail};
use hanse_node::Node;
use hanse_node::client::NodeClient;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SOSA: &str = "http://www.w3.org/ns/sosa/";
/// `no2` under the core context (the entities are written with it).
const NO2: &str = "https://uri.etsi.org/ngsi-ld/default-context/no2";
const GRAPH: &str = "https://bench.example/graph/air-history";
const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

fn station(i: usize) -> String {
    format!("urn:ngsi-ld:AirQualityObserved:history-{i:03}")
}

/// `hour` hours after 2025-01-01T00:00:00Z (a year of 365 days), as `xsd:dateTime` text.
fn hour_text(hour: usize) -> String {
    const DAYS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut day, h) = (hour / 24 % 365, hour % 24);
    let mut month = 0;
    while day >= DAYS[month] {
        day -= DAYS[month];
        month += 1;
    }
    format!("2025-{:02}-{:02}T{h:02}:00:00Z", month + 1, day + 1)
}

/// The observations of station `i`: one NO2 reading an hour.
fn observations(i: usize, hours: usize) -> impl Iterator<Item = Quad> {
    let graph = GraphName::from(NamedNode::new_unchecked(GRAPH));
    let feature = NamedNode::new_unchecked(station(i));
    let p = |local: &str| NamedNode::new_unchecked(format!("{SOSA}{local}"));
    let (foi, property, result, time) = (
        p("hasFeatureOfInterest"),
        p("observedProperty"),
        p("hasSimpleResult"),
        p("phenomenonTime"),
    );
    let date_time = NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#dateTime");
    (0..hours).flat_map(move |hour| {
        let o = NamedNode::new_unchecked(format!("urn:bench:obs:{i}:{hour}"));
        let value = 20.0 + ((i * 7 + hour * 13) % 600) as f64 / 10.0;
        let at = Literal::new_typed_literal(hour_text(hour), date_time.clone());
        [
            (foi.clone(), feature.clone().into()),
            (property.clone(), NamedNode::new_unchecked(NO2).into()),
            (result.clone(), Literal::from(value).into()),
            (time.clone(), at.into()),
        ]
        .map(|(p, object): (NamedNode, Term)| Quad::new(o.clone(), p, object, graph.clone()))
    })
}

/// p50 and p95 of `samples`, in ms.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1e3
    };
    (at(0.5), at(0.95))
}

/// Runs the phase: `stations` stations with `hours` hourly readings each, `runs` timed runs
/// of each question (the year's aggregation at most 10).
pub async fn run(stations: usize, hours: usize, runs: usize) -> Result<()> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (node, node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.sparql.query_timeout_secs = 600;
        config.ngsi_ld.max_temporal_instances = hours.max(1);
    })
    .await?;
    let operator = NodeClient::new(node.http_url(), Some(node_dir.load_admin_token()?));
    // The stations as entities (through the API, so the node knows them), their history
    // bulk-loaded as the observations sensor ingest writes.
    let entities: Vec<Value> = (0..stations)
        .map(|i| {
            json!({"id": station(i), "type": "AirQualityObserved", "@context": CORE,
            "no2": {"type": "Property", "value": 0.0}})
        })
        .collect();
    let response = operator
        .post_request("/ngsi-ld/v1/entityOperations/upsert")
        .header("content-type", "application/ld+json")
        .body(Value::Array(entities).to_string())
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("upsert answered {}", response.status());
    }
    let store = node.store().clone();
    let started = Instant::now();
    tokio::task::spawn_blocking({
        let store = store.clone();
        move || -> Result<()> {
            let mut loader = store.bulk_loader();
            loader.load_quads((0..stations).flat_map(|i| observations(i, hours)))?;
            loader.commit()?;
            Ok(())
        }
    })
    .await??;
    let loaded = started.elapsed();
    // Loaded behind the node's back, as a bulk load is: the index is rebuilt from the store.
    let index = node.observations().clone();
    let started = Instant::now();
    index.invalidate();
    let fresh =
        tokio::task::spawn_blocking(move || index.wait_until_fresh(Duration::from_secs(3600)))
            .await?;
    if !fresh {
        bail!("the observation index was not rebuilt within an hour");
    }
    println!(
        "\ntemporal: {stations} stations x {hours} hourly NO2 readings = {} observations, loaded in {:.1}s, indexed in {:.1}s",
        stations * hours,
        loaded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let one = station(stations / 2);
    let last_n = (
        "lastN=100",
        format!("/ngsi-ld/v1/temporal/entities/{one}?attrs=no2&lastN=100"),
        format!(
            "SELECT ?v ?t {{ GRAPH ?g {{ ?o <{SOSA}hasFeatureOfInterest> <{one}> ; <{SOSA}observedProperty> <{NO2}> ; <{SOSA}hasSimpleResult> ?v ; <{SOSA}phenomenonTime> ?t }} }} ORDER BY DESC(?t) LIMIT 100"
        ),
        runs,
        50.0,
    );
    let year = (
        "year, daily avg",
        format!(
            "/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&attrs=no2&aggrMethods=avg&aggrPeriodDuration=P1D&limit={}",
            stations.min(1000)
        ),
        format!(
            "SELECT ?e ?day (AVG(?v) AS ?avg) {{ GRAPH ?g {{ ?o <{SOSA}hasFeatureOfInterest> ?e ; <{SOSA}observedProperty> <{NO2}> ; <{SOSA}hasSimpleResult> ?v ; <{SOSA}phenomenonTime> ?t }} BIND(SUBSTR(STR(?t), 1, 10) AS ?day) }} GROUP BY ?e ?day"
        ),
        runs.min(10),
        500.0,
    );
    println!(
        "{:<16} {:>6} {:>10} {:>10} {:>11} {:>11} {:>9} {:>9}",
        "question", "runs", "API p50", "API p95", "SPARQL p50", "SPARQL p95", "p50 ÷", "goal p95"
    );
    for (name, path, sparql, runs, goal) in [last_n, year] {
        let (mut api, mut anchor) = (Vec::new(), Vec::new());
        for run in 0..runs + 1 {
            let t = Instant::now();
            let response = operator.get_request(&path).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let elapsed = t.elapsed();
            if !status.is_success() {
                bail!(
                    "{path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            let (store, sparql) = (store.clone(), sparql.clone());
            let (rows, direct) = tokio::task::spawn_blocking(move || {
                let t = Instant::now();
                sparql_rows(&store, &sparql).map(|rows| (rows, t.elapsed()))
            })
            .await??;
            if rows == 0 {
                bail!("the SPARQL anchor of {name} found nothing");
            }
            // The first run of each warms the caches.
            if run > 0 {
                api.push(elapsed);
                anchor.push(direct);
            }
        }
        let (p50, p95) = percentiles(&mut api);
        let (s50, s95) = percentiles(&mut anchor);
        let verdict = if p95 <= goal { "met" } else { "MISSED" };
        println!(
            "{name:<16} {runs:>6} {p50:>8.1}ms {p95:>8.1}ms {s50:>9.1}ms {s95:>9.1}ms {:>8.2}x {:>5} {goal:.0} ms {verdict}",
            p50 / s50,
            "<=",
        );
    }
    node.shutdown().await?;
    Ok(())
}
