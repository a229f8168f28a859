//! `hanse-testnet bench sparql`: what the HTTP endpoint costs on top of oxigraph.
//!
//! One run, one machine, one store: sensor-shaped data (~1M triples by default) is loaded
//! into a node started in-process; each query is then timed three ways, interleaved so
//! machine noise hits all three alike:
//!
//! - **direct**: `SparqlEvaluator` on the store, iterating every solution (the anchor);
//! - **direct+JSON**: the same plus writing SPARQL JSON, i.e. the same bytes the endpoint sends;
//! - **/sparql**: an HTTP GET to the node on loopback, reading the whole body.
//!
//! The ratios `/sparql ÷ direct+JSON` and `/sparql ÷ direct` are the endpoint's overhead.

use anyhow::{Context, Result, bail};
use hanse_node::Node;
use hanse_node::demo::data as demo_data;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::time::{Duration, Instant};

/// Options of `bench sparql`.
#[derive(Debug, Clone, clap::Args)]
pub struct SparqlBenchOptions {
    /// Air-quality sensors to generate (each adds ~10k triples at the default hours).
    #[arg(long, default_value_t = 100)]
    pub sensors: usize,
    /// Hours of observations per sensor (3 properties, 6 triples each per hour).
    #[arg(long, default_value_t = 555)]
    pub hours: usize,
    /// Timed runs per query and method (after 3 warm-up runs).
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
}

const PREFIXES: &str = "PREFIX sosa: <http://www.w3.org/ns/sosa/>\n\
    PREFIX sdm: <https://smartdatamodels.org/dataModel.Environment/>\n\
    PREFIX geo: <http://www.opengis.net/ont/geosparql#>\n\
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n";

/// The benchmark queries: name and text (without prefixes).
fn queries() -> Vec<(&'static str, String)> {
    let base = demo_data::BASE;
    vec![
        (
            "one sensor, one hour",
            format!("SELECT ?p ?v {{ GRAPH ?g {{ ?o sosa:madeBySensor <{base}sensor/aq-0042> ; sosa:resultTime \"2026-11-03T08:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> ; sosa:observedProperty ?p ; sosa:hasSimpleResult ?v }} }}"),
        ),
        (
            "one sensor, a day of NO2",
            format!("SELECT ?t ?v {{ GRAPH ?g {{ ?o sosa:madeBySensor <{base}sensor/aq-0007> ; sosa:observedProperty sdm:no2 ; sosa:resultTime ?t ; sosa:hasSimpleResult ?v }} FILTER(?t >= \"2026-11-02T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> && ?t < \"2026-11-03T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>) }} ORDER BY ?t"),
        ),
        (
            "sensors with location",
            "SELECT ?s ?label ?wkt { GRAPH ?g { ?s a sosa:Sensor ; rdfs:label ?label . ?place geo:hasGeometry/geo:asWKT ?wkt . FILTER(STRAFTER(STR(?s), \"sensor/\") = STRAFTER(STR(?place), \"place/\")) } }".to_owned(),
        ),
        (
            "1,000 PM2.5 values",
            "SELECT ?o ?v { GRAPH ?g { ?o sosa:observedProperty sdm:pm25 ; sosa:hasSimpleResult ?v } } LIMIT 1000".to_owned(),
        ),
        (
            "10,000 NO2 rows",
            "SELECT ?o ?t ?v { GRAPH ?g { ?o sosa:observedProperty sdm:no2 ; sosa:resultTime ?t ; sosa:hasSimpleResult ?v } } LIMIT 10000".to_owned(),
        ),
        (
            "mean NO2 per sensor (scan)",
            "SELECT ?s (AVG(?v) AS ?mean) { GRAPH ?g { ?o sosa:observedProperty sdm:no2 ; sosa:madeBySensor ?s ; sosa:hasSimpleResult ?v } } GROUP BY ?s".to_owned(),
        ),
    ]
}

/// Evaluates on the store and returns (rows, bytes of JSON when `serialise`).
fn direct(store: &Store, query: &str, serialise: bool) -> Result<(usize, usize)> {
    let results = SparqlEvaluator::new()
        .parse_query(query)?
        .on_store(store)
        .execute()?;
    let QueryResults::Solutions(solutions) = results else {
        bail!("benchmark queries are SELECT queries");
    };
    if serialise {
        let mut writer = QueryResultsSerializer::from_format(QueryResultsFormat::Json)
            .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())?;
        let mut rows = 0;
        for solution in solutions {
            writer.serialize(&solution?)?;
            rows += 1;
        }
        Ok((rows, writer.finish()?.len()))
    } else {
        let mut rows = 0;
        for solution in solutions {
            solution?;
            rows += 1;
        }
        Ok((rows, 0))
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark and prints the table.
pub async fn run(options: SparqlBenchOptions) -> Result<()> {
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (node, _) = Node::spawn_for_tests(dir.path(), |config| {
        config.sparql.max_result_rows = 1_000_000;
        config.sparql.query_timeout_secs = 600;
    })
    .await?;
    let store = node.store().clone();
    let started = Instant::now();
    let (sensors, hours) = (options.sensors, options.hours);
    let loaded = tokio::task::spawn_blocking({
        let store = store.clone();
        move || -> Result<usize> {
            let quads = demo_data::air_quality(sensors, hours);
            let n = quads.len();
            let mut loader = store.bulk_loader();
            loader.load_quads(quads)?;
            loader.commit()?;
            Ok(n)
        }
    })
    .await??;
    println!(
        "loaded {loaded} triples ({sensors} sensors x {hours} h) in {:.1}s; {} timed runs per query and method",
        started.elapsed().as_secs_f64(),
        options.runs
    );
    let http = reqwest::Client::new();
    let url = format!("{}/sparql", node.http_url());
    println!(
        "\n{:<28} {:>6} {:>11} {:>13} {:>11} {:>14} {:>11}",
        "query", "rows", "direct ms", "direct+JSON", "/sparql ms", "/sparql÷+JSON", "/sparql÷dir"
    );
    let mut worst: f64 = 0.0;
    for (name, text) in queries() {
        let query = format!("{PREFIXES}{text}");
        let (mut d, mut dj, mut h) = (Vec::new(), Vec::new(), Vec::new());
        let mut rows = 0;
        for run in 0..options.runs + 3 {
            let t = Instant::now();
            let (r, _) = {
                let (store, query) = (store.clone(), query.clone());
                tokio::task::spawn_blocking(move || direct(&store, &query, false)).await??
            };
            let direct_time = t.elapsed();
            let t = Instant::now();
            {
                let (store, query) = (store.clone(), query.clone());
                tokio::task::spawn_blocking(move || direct(&store, &query, true)).await??;
            }
            let json_time = t.elapsed();
            let t = Instant::now();
            let response = http
                .get(&url)
                .query(&[("query", &query)])
                .header("accept", "application/sparql-results+json")
                .send()
                .await?;
            let status = response.status();
            let body = response.bytes().await?;
            let http_time = t.elapsed();
            if !status.is_success() {
                bail!(
                    "{name}: /sparql answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            if run >= 3 {
                d.push(direct_time);
                dj.push(json_time);
                h.push(http_time);
            }
            rows = r;
        }
        let (d, dj, h) = (median(&mut d), median(&mut dj), median(&mut h));
        let ratio_json = h.as_secs_f64() / dj.as_secs_f64();
        let ratio_direct = h.as_secs_f64() / d.as_secs_f64();
        if rows <= 10_000 {
            worst = worst.max(ratio_json);
        }
        println!(
            "{name:<28} {rows:>6} {:>11.3} {:>13.3} {:>11.3} {ratio_json:>13.2}x {ratio_direct:>10.2}x",
            ms(d),
            ms(dj),
            ms(h)
        );
    }
    println!(
        "\nworst /sparql ÷ direct+JSON for results <= 10k rows: {worst:.2}x (goal <= 1.10x); medians of {} runs",
        options.runs
    );
    node.shutdown().await?;
    Ok(())
}
