//! `hanse-testnet bench ngsi-ld`: the NGSI-LD API against oxigraph answering the
//! equivalent SPARQL on the same data, in one run on one machine.
//!
//! A node runs in-process; AirQualityObserved entities (no2 with `observedAt`, pm10, a level,
//! `dateObserved`, a location in a 10 x 11 km box) are upserted over HTTP in batches of
//! 1,000 until the store holds each size asked for (1k, 10k, 100k by default). At each size:
//!
//! - **type+q**: `GET /entities?type=AirQualityObserved&q=no2>95;airQualityLevel=="poor"`
//!   (20 of ~5%) against `SELECT` of the same 20 entities' triples with the same filter;
//! - **near**: `georel=near;maxDistance==300` around the box's centre (limit 100) against
//!   `geof:distance(…) <= 300`;
//! - **within**: a 1 km² polygon (limit 100) against `geof:sfWithin`.
//!
//! p50 and p95 of `--runs` runs each, interleaved. Upserts per second are compared with
//! oxigraph on disk bulk-loading, in commits of the same size, the same entities' plain
//! triples (what a SPARQL user would load) and exactly the quads the node stored (the ceiling
//! for the node on this machine), with and without the SOSA observations. Then the first
//! 10,000 stations send their next hour's reading (updates of existing entities), against
//! oxigraph replacing the same entities' plain triples in transactions. Beside each rate is
//! how many cores the process kept busy (CPU over wall time, RocksDB's compaction included):
//! on a 2-core machine near 2.0 means the machine, not the code path, is the limit. The
//! brokers' published figures are printed beside them.

mod anchors;
mod workload;

use anchors::{
    cores_text, is_observation_quad, node_quads_by_batch, plain_anchor, process_cpu_seconds,
    same_quads_anchor, sparql_rows,
};
use anyhow::{Context, Result, bail};
use hanse_node::Node;
use oxigraph::model::Quad;
use serde_json::Value;
use std::ops::Range;
use std::time::{Duration, Instant};
use workload::{BATCH, entity, queries};

/// Options of `bench ngsi-ld`.
#[derive(Debug, Clone, clap::Args)]
pub struct NgsiLdBenchOptions {
    /// Store sizes (entities) at which queries are timed.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    pub sizes: Vec<usize>,
    /// Timed runs per query and method (after 3 warm-up runs).
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
}

/// Entities re-sent with their next reading in the update phase (at most all stored).
const UPDATES: usize = 10_000;

/// The bench's client: upserts entities over HTTP in batches of [`BATCH`] and keeps what
/// that took.
struct Upserts {
    http: reqwest::Client,
    url: String,
    token: String,
    /// Entities sent.
    sent: usize,
    /// Wall time of the sends.
    time: Duration,
    /// The client's share: building the JSON bodies (the rest is the HTTP round trips).
    body_time: Duration,
    /// CPU of the whole process (node, client and RocksDB's compaction) while sending.
    cpu: Option<f64>,
}

impl Upserts {
    /// Sends entities `range` as of round `round`, [`BATCH`] at a time.
    async fn send(&mut self, range: Range<usize>, round: u64) -> Result<()> {
        let started = Instant::now();
        let cpu = process_cpu_seconds();
        for start in range.clone().step_by(BATCH) {
            let building = Instant::now();
            let batch: Vec<Value> = (start..(start + BATCH).min(range.end))
                .map(|i| entity(i, round))
                .collect();
            let body = Value::Array(batch).to_string();
            self.body_time += building.elapsed();
            let response = self
                .http
                .post(&self.url)
                .bearer_auth(&self.token)
                .header("content-type", "application/ld+json")
                .body(body)
                .send()
                .await?;
            if !response.status().is_success() {
                bail!(
                    "upsert answered {}: {}",
                    response.status(),
                    response.text().await?
                );
            }
        }
        self.sent += range.len();
        self.time += started.elapsed();
        self.cpu = self
            .cpu
            .zip(cpu.zip(process_cpu_seconds()))
            .map(|(sum, (before, after))| sum + after - before);
        Ok(())
    }

    /// Entities per second.
    fn rate(&self) -> f64 {
        self.sent as f64 / self.time.as_secs_f64()
    }

    /// Entities per second counting only the HTTP round trips.
    fn served_rate(&self) -> f64 {
        self.sent as f64 / self.time.saturating_sub(self.body_time).as_secs_f64()
    }

    /// Cores kept busy while sending, as printed.
    fn cores(&self) -> String {
        cores_text(self.cpu.map(|cpu| cpu / self.time.as_secs_f64()))
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1e3
}

/// Runs the benchmark and prints the tables.
pub async fn run(options: NgsiLdBenchOptions) -> Result<()> {
    if options.runs == 0 || options.sizes.is_empty() {
        bail!("--runs and --sizes must not be empty");
    }
    let mut sizes = options.sizes.clone();
    sizes.sort();
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (node, node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.sparql.query_timeout_secs = 600;
        config.http.max_concurrent_queries = 2;
    })
    .await?;
    let token = node_dir.load_admin_token()?.as_str().to_owned();
    let store = node.store().clone();
    let http = reqwest::Client::new();
    let base = format!("{}/ngsi-ld/v1", node.http_url());
    println!(
        "hanse-testnet bench ngsi-ld: {} cores, sizes {:?}, {} timed runs per query and method",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        sizes,
        options.runs
    );
    let upserts = || Upserts {
        http: http.clone(),
        url: format!("{base}/entityOperations/upsert"),
        token: token.clone(),
        sent: 0,
        time: Duration::ZERO,
        body_time: Duration::ZERO,
        cpu: Some(0.0),
    };
    let mut created = upserts();
    let mut results: Vec<(usize, &'static str, f64, f64, f64, f64, usize)> = Vec::new();
    for &size in &sizes {
        created.send(created.sent..size, 0).await?;
        for (name, path, sparql) in queries() {
            let (mut api, mut anchor) = (Vec::new(), Vec::new());
            let mut returned = 0;
            for run in 0..options.runs + 3 {
                let t = Instant::now();
                let response = http
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await?;
                let status = response.status();
                let body: Value = response.json().await?;
                let api_time = t.elapsed();
                if !status.is_success() {
                    bail!("{name}: {status} {body}");
                }
                returned = body.as_array().map_or(0, Vec::len);
                let t = Instant::now();
                {
                    let (store, sparql) = (store.clone(), sparql.clone());
                    tokio::task::spawn_blocking(move || sparql_rows(&store, &sparql)).await??;
                }
                let anchor_time = t.elapsed();
                if run >= 3 {
                    api.push(api_time);
                    anchor.push(anchor_time);
                }
            }
            results.push((
                size,
                name,
                percentile(&mut api, 0.5),
                percentile(&mut api, 0.95),
                percentile(&mut anchor, 0.5),
                percentile(&mut anchor, 0.95),
                returned,
            ));
        }
    }
    let stored = created.sent;
    let node_store = store.clone();
    let batches =
        tokio::task::spawn_blocking(move || node_quads_by_batch(&node_store, stored)).await??;
    // Every station of the first UPDATES sends its next hour's reading: what an IoT agent
    // does all day, once the entities exist.
    let updated = stored.min(UPDATES);
    let mut updates = upserts();
    updates.send(0..updated, 1).await?;
    let plain = tokio::task::spawn_blocking(move || plain_anchor(stored, updated)).await??;
    let node_quads: usize = batches.iter().map(Vec::len).sum();
    let without_observations: Vec<Vec<Quad>> = batches
        .iter()
        .map(|b| {
            b.iter()
                .filter(|q| !is_observation_quad(q))
                .cloned()
                .collect()
        })
        .collect();
    let ceiling = tokio::task::spawn_blocking(move || same_quads_anchor(batches, stored)).await??;
    let entity_only =
        tokio::task::spawn_blocking(move || same_quads_anchor(without_observations, stored))
            .await??;
    let rate = created.rate();
    println!(
        "\nbatch upsert over HTTP (batches of {BATCH}, {stored} new entities, {:.1} quads each as stored: 8 of the entity with its state, 6 of a SOSA observation): {rate:.0} entities/s, {} cores busy (node, client and compaction)",
        node_quads as f64 / stored as f64,
        created.cores()
    );
    println!(
        "  of which the HTTP round trips (the node's work; the client building bodies aside): {:.0} entities/s",
        created.served_rate()
    );
    println!(
        "oxigraph on disk bulk-loading the same entities' plain triples (7 quads each) in commits of {BATCH}: {:.0} entities/s; ratio NGSI-LD ÷ oxigraph = {:.2}x",
        plain.insert.entities_per_s,
        rate / plain.insert.entities_per_s
    );
    println!(
        "oxigraph on disk bulk-loading exactly the node's stored quads ({node_quads}), one commit per batch: {:.0} entities/s, {} cores busy (the ceiling); ratio NGSI-LD ÷ oxigraph = {:.2}x",
        ceiling.entities_per_s,
        ceiling.cores(),
        rate / ceiling.entities_per_s
    );
    println!(
        "  the same without the SOSA observations (8 quads each): {:.0} entities/s, {} cores busy",
        entity_only.entities_per_s,
        entity_only.cores()
    );
    println!(
        "batch upsert of {updated} existing entities (the next hour's reading: 8 quads replaced, a new observation of 6): {:.0} entities/s, {} cores busy",
        updates.rate(),
        updates.cores()
    );
    println!(
        "oxigraph on disk replacing the same entities' plain triples (7 removed, 7 added each) in one transaction per {BATCH}: {:.0} entities/s, {} cores busy; ratio NGSI-LD ÷ oxigraph = {:.2}x",
        plain.update.entities_per_s,
        plain.update.cores(),
        updates.rate() / plain.update.entities_per_s
    );
    println!(
        "\n{:>8} {:<13} {:>8} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9}",
        "entities",
        "query",
        "results",
        "API p50",
        "API p95",
        "SPARQL p50",
        "SPARQL p95",
        "p50 ratio",
        "goal"
    );
    for (size, name, p50, p95, s50, s95, returned) in &results {
        let goal = if *size >= 100_000 {
            if *p95 <= 50.0 { "met" } else { "MISSED" }
        } else {
            ""
        };
        println!(
            "{size:>8} {name:<13} {returned:>8} {p50:>8.2}ms {p95:>8.2}ms {s50:>9.2}ms {s95:>9.2}ms {:>9.2}x {goal:>9}",
            p50 / s50
        );
    }
    println!(
        "\ngoals on this machine: >= 10,000 upserts/s in batches ({}); type+q and geo p95 <= 50 ms at 100k",
        if rate >= 10_000.0 { "met" } else { "MISSED" }
    );
    println!(
        "published figures: Orion-LD ~1,800 updates/s and ~2,500 queries/s on 1 core (MongoDB on 8); \
         Stellio on 8 vCPU 131-241 creates/s, type+q p95 1.4 s at 100k entities"
    );
    node.shutdown().await?;
    Ok(())
}
