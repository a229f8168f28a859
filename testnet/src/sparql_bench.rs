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
//!
//! Then the visitor's case: the data is a public dataset, and a caller without a token
//! queries it. The node cuts the query's dataset down to the public graphs (the gate), so the
//! anchor is oxigraph evaluating the same query over the same graphs (its dataset set to
//! them) with JSON: `visitor ÷ view+JSON` is what the gate and the endpoint cost together.
//! The visitor's query is also sent to the node's router in process (`no socket`), without
//! TCP and HTTP parsing: what the application costs apart from the transport. And, where
//! oxigraph-cli is installed (`--oxigraph`, or `oxigraph` on `PATH`), to `oxigraph serve` on a
//! copy of the store with the public graph as its dataset (`default-graph-uri`,
//! `named-graph-uri`): endpoint against endpoint, both paying loopback HTTP.

use crate::oxigraph_server::{OxigraphServer, find_binary};
use anyhow::{Context, Result, bail};
use hanse_node::Node;
use hanse_node::catalog::{AccessRights, DatasetDefinition};
use hanse_node::client::NodeClient;
use hanse_node::demo::data as demo_data;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// An open offer: anyone may read the benchmark's dataset.
const OPEN_OFFER: &str = "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n\
<#offer> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] .";

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
    /// oxigraph-cli's `oxigraph` binary, for the `oxigraph serve` column (default: `oxigraph`
    /// on `PATH`; the column is left out when there is none).
    #[arg(long)]
    pub oxigraph: Option<PathBuf>,
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

/// Evaluates on the store and returns (rows, bytes of JSON when `serialise`); over `view`'s
/// graphs only (default graph their union, named graphs them) when given.
fn direct(
    store: &Store,
    query: &str,
    serialise: bool,
    view: Option<&[NamedNode]>,
) -> Result<(usize, usize)> {
    let mut prepared = SparqlEvaluator::new().parse_query(query)?;
    if let Some(graphs) = view {
        let dataset = prepared.dataset_mut();
        dataset.set_default_graph(graphs.iter().cloned().map(GraphName::from).collect());
        dataset.set_available_named_graphs(
            graphs.iter().cloned().map(NamedOrBlankNode::from).collect(),
        );
    }
    let results = prepared.on_store(store).execute()?;
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

/// The median of the runs' ratios `measured[i] / anchor[i]`: each run times both back to
/// back, so a pause of the machine that slows one run cancels out instead of moving one
/// side's median.
fn paired_ratio(measured: &[Duration], anchor: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = measured
        .iter()
        .zip(anchor)
        .map(|(m, a)| m.as_secs_f64() / a.as_secs_f64().max(f64::MIN_POSITIVE))
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
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
    let (node, node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.sparql.max_result_rows = 1_000_000;
        config.sparql.query_timeout_secs = 600;
    })
    .await?;
    let admin = node_dir.load_admin_token()?;
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
    // The data as one public dataset, which a visitor may read.
    let view = vec![NamedNode::new(demo_data::AIR_QUALITY_GRAPH)?];
    let mut dataset = DatasetDefinition::new("air", "Air quality", demo_data::AIR_QUALITY_GRAPH);
    dataset.access_rights = AccessRights::Public;
    dataset.policy = Some(OPEN_OFFER.into());
    node.catalog().datasets().create(dataset)?;
    let operator = NodeClient::new(node.http_url(), Some(admin));
    let visitor = NodeClient::visitor(node.http_url());
    let router = node.router();
    let server = match find_binary(options.oxigraph.clone()) {
        Some(binary) => Some(OxigraphServer::start(&binary, &store, dir.path()).await?),
        None => {
            println!(
                "oxigraph serve: left out, no `oxigraph` (give --oxigraph PATH; cargo install oxigraph-cli --version 0.5.13)"
            );
            None
        }
    };
    let anchor = server.as_ref().map(|s| OxigraphEndpoint {
        client: reqwest::Client::new(),
        url: s.query_url(),
        graph: demo_data::AIR_QUALITY_GRAPH,
    });
    println!(
        "\n{:<28} {:>6} {:>9} {:>11} {:>10} {:>9} {:>11} {:>10} {:>10} {:>10} {:>13} {:>9} {:>10}",
        "query",
        "rows",
        "direct ms",
        "direct+JSON",
        "/sparql ms",
        "÷+JSON",
        "view+JSON",
        "visitor ms",
        "÷view+JSON",
        "no socket",
        "/sparql÷dir",
        "ox serve",
        "vis÷serve"
    );
    let (mut worst, mut worst_visitor, mut worst_served): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for (name, text) in queries() {
        let query = format!("{PREFIXES}{text}");
        let mut times: [Vec<Duration>; 7] = Default::default();
        let mut rows = 0;
        for run in 0..options.runs + 3 {
            let (r, elapsed) = timed_run(
                &store,
                &query,
                &view,
                [&operator, &visitor],
                &router,
                anchor.as_ref(),
            )
            .await?;
            if run >= 3 {
                for (samples, time) in times.iter_mut().zip(elapsed) {
                    samples.push(time);
                }
            }
            rows = r;
        }
        let ratio_json = paired_ratio(&times[2], &times[1]);
        let ratio_visitor = paired_ratio(&times[4], &times[3]);
        let ratio_direct = paired_ratio(&times[2], &times[0]);
        let served = anchor.is_some().then(|| paired_ratio(&times[4], &times[6]));
        let [d, dj, h, vj, v, app, ox] = times.map(|mut t| median(&mut t));
        if rows <= 10_000 {
            worst = worst.max(ratio_json);
            worst_visitor = worst_visitor.max(ratio_visitor);
            worst_served = worst_served.max(served.unwrap_or(0.0));
        }
        let (ox, served) = match served {
            Some(ratio) => (format!("{:.3}", ms(ox)), format!("{ratio:.2}x")),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{name:<28} {rows:>6} {:>9.3} {:>11.3} {:>10.3} {ratio_json:>8.2}x {:>11.3} {:>10.3} {ratio_visitor:>9.2}x {:>10.3} {ratio_direct:>12.2}x {ox:>9} {served:>10}",
            ms(d),
            ms(dj),
            ms(h),
            ms(vj),
            ms(v),
            ms(app),
        );
    }
    println!(
        "\nworst for results <= 10k rows: operator /sparql ÷ direct+JSON {worst:.2}x; visitor /sparql ÷ oxigraph over the same public graphs (+JSON) {worst_visitor:.2}x (goal <= 1.10x for both); times are medians of {} runs, ratios medians of the runs' paired ratios",
        options.runs
    );
    if anchor.is_some() {
        println!(
            "visitor /sparql ÷ oxigraph serve over the same graphs, worst for results <= 10k rows: {worst_served:.2}x"
        );
    }
    drop(server);
    node.shutdown().await?;
    Ok(())
}

/// `GET /sparql?query=` with `client`, the whole body read; the time taken.
async fn over_http(client: &NodeClient, name_query: &str) -> Result<Duration> {
    // A GET, as a browser or a dashboard asks (`NodeClient::query` POSTs).
    let request = client
        .get_request("/sparql")
        .query(&[("query", name_query)]);
    timed("/sparql", request).await
}

/// Sends `request` asking for SPARQL JSON and reads the whole body; the time taken.
async fn timed(route: &str, request: reqwest::RequestBuilder) -> Result<Duration> {
    let t = Instant::now();
    let response = request
        .header("accept", "application/sparql-results+json")
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = t.elapsed();
    answered(route, status, &body)?;
    Ok(elapsed)
}

/// Fails with the node's message unless `status` is a success: a benchmark of refusals
/// would measure nothing.
fn answered(route: &str, status: axum::http::StatusCode, body: &[u8]) -> Result<()> {
    if !status.is_success() {
        bail!(
            "{route} answered {status}: {}",
            String::from_utf8_lossy(body)
        );
    }
    Ok(())
}

/// `oxigraph serve`'s query endpoint, asked over the benchmark's public graph.
struct OxigraphEndpoint {
    client: reqwest::Client,
    url: String,
    graph: &'static str,
}

/// `GET /query?query=` to `oxigraph serve` with the public graph as the dataset, the whole
/// body read; the time taken.
async fn over_oxigraph_server(endpoint: &OxigraphEndpoint, query: &str) -> Result<Duration> {
    let request = endpoint.client.get(&endpoint.url).query(&[
        ("query", query),
        ("default-graph-uri", endpoint.graph),
        ("named-graph-uri", endpoint.graph),
    ]);
    timed("oxigraph serve /query", request).await
}

/// The visitor's `GET /sparql?query=` handed to the node's router in process (no TCP, no
/// HTTP parsing), the whole body read; the time taken.
async fn without_socket(router: &axum::Router, query: &str) -> Result<Duration> {
    use tower::ServiceExt;
    let encoded: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .finish();
    let request = axum::http::Request::get(format!("/sparql?{encoded}"))
        .header("accept", "application/sparql-results+json")
        // A caller from elsewhere (TEST-NET-1): a visitor whatever loopback settings say.
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 1],
            40_000,
        ))))
        .body(axum::body::Body::empty())?;
    let t = Instant::now();
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    let elapsed = t.elapsed();
    answered("/sparql in process", status, &body)?;
    Ok(elapsed)
}

/// One run of a query seven ways, interleaved: direct, direct+JSON, operator over HTTP,
/// oxigraph over the public graphs +JSON, visitor over HTTP, visitor without a socket and
/// (when there is one) `oxigraph serve`, a zero time otherwise. The rows of the direct run.
async fn timed_run(
    store: &Store,
    query: &str,
    view: &[NamedNode],
    [operator, visitor]: [&NodeClient; 2],
    router: &axum::Router,
    anchor: Option<&OxigraphEndpoint>,
) -> Result<(usize, [Duration; 7])> {
    let blocking = |serialise: bool, view: Option<Vec<NamedNode>>| {
        let (store, query) = (store.clone(), query.to_owned());
        tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let result = direct(&store, &query, serialise, view.as_deref());
            result.map(|(rows, _)| (rows, t.elapsed()))
        })
    };
    let (rows, d) = blocking(false, None).await??;
    let (_, dj) = blocking(true, None).await??;
    let h = over_http(operator, query).await?;
    let (view_rows, vj) = blocking(true, Some(view.to_vec())).await??;
    let v = over_http(visitor, query).await?;
    let app = without_socket(router, query).await?;
    let served = match anchor {
        Some(endpoint) => Some(over_oxigraph_server(endpoint, query).await?),
        None => None,
    };
    if view_rows != rows {
        bail!(
            "the public view answers {view_rows} rows, the whole store {rows}: the benchmark data must all be public"
        );
    }
    Ok((rows, [d, dj, h, vj, v, app, served.unwrap_or_default()]))
}
