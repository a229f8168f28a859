//! `hanse-testnet bench ngsi-ld`: the NGSI-LD API against oxigraph answering the
//! equivalent SPARQL on the same data, in one run on one machine.
//!
//! A node runs in-process; AirQualityObserved entities (no2 with `observedAt`, pm10, a level,
//! `dateObserved`, a location in a 10 x 11 km box) are upserted over HTTP in batches of
//! 1,000 from `--clients` clients at once until the store holds each size asked for (1k, 10k,
//! 100k by default). At each size:
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
//! on a 2-core machine near 2.0 means the machine, not the code path, is the limit. For new
//! entities it also prints the CPU per entity until RocksDB finished compacting them, the
//! node's and oxigraph's alone: what the machine's cores can sustain. The brokers' published
//! figures are printed beside them. Last, the temporal phase (`temporal`): a year of
//! readings asked for through the temporal API beside the same question as SPARQL.

mod anchors;
mod temporal;
mod workload;

use anchors::{
    cores_text, is_observation_quad, node_quads_by_batch, plain_anchor, process_cpu_seconds,
    same_quads_anchor, settle, sparql_rows,
};
use anyhow::{Context, Result, bail};
use hanse_node::Node;
use hanse_node::client::NodeClient;
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
    /// Upsert batches in flight at once (IoT agents sending side by side).
    #[arg(long, default_value_t = 2)]
    pub clients: usize,
    /// Stations of the temporal phase (a year of hourly readings each); 0 leaves it out.
    #[arg(long, default_value_t = 100)]
    pub temporal_stations: usize,
    /// Hours of readings per station in the temporal phase.
    #[arg(long, default_value_t = 8760)]
    pub temporal_hours: usize,
    /// Only the temporal phase.
    #[arg(long)]
    pub only_temporal: bool,
}

/// Entities re-sent with their next reading in the update phase (at most all stored).
const UPDATES: usize = 10_000;

/// The NGSI-LD API's path on the node.
const NGSI_LD: &str = "/ngsi-ld/v1";

/// The batch upsert's path on the node.
const UPSERT: &str = "/ngsi-ld/v1/entityOperations/upsert";

/// The bench's clients: upsert entities over HTTP in batches of [`BATCH`], `clients` batches
/// at a time (as several IoT agents would), and keep what that took.
struct Upserts {
    /// The node's operator.
    operator: NodeClient,
    /// Batches in flight at once.
    clients: usize,
    /// Entities sent.
    sent: usize,
    /// Wall time of the sends.
    time: Duration,
    /// CPU of the whole process (node, client and RocksDB's compaction) while sending.
    cpu: Option<f64>,
    /// The same, and until RocksDB had finished compacting what the sends wrote.
    settled_cpu: Option<f64>,
}

impl Upserts {
    /// Sends entities `range` as of round `round`, [`BATCH`] at a time from each client. The
    /// bodies are built before the clock starts, as a load generator prepares its payloads:
    /// on the same two cores building them would be timed as the node's work.
    async fn send(&mut self, range: Range<usize>, round: u64) -> Result<()> {
        let bodies: Vec<String> = range
            .clone()
            .step_by(BATCH)
            .map(|start| {
                let batch: Vec<Value> = (start..(start + BATCH).min(range.end))
                    .map(|i| entity(i, round))
                    .collect();
                Value::Array(batch).to_string()
            })
            .collect();
        let mut shares: Vec<Vec<String>> = vec![Vec::new(); self.clients];
        for (i, body) in bodies.into_iter().enumerate() {
            shares[i % self.clients].push(body);
        }
        let started = Instant::now();
        let cpu = process_cpu_seconds();
        let mut clients = tokio::task::JoinSet::new();
        for share in shares {
            let operator = self.operator.clone();
            clients.spawn(async move {
                for body in share {
                    let response = operator
                        .post_request(UPSERT)
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
                Ok(())
            });
        }
        while let Some(client) = clients.join_next().await {
            client??;
        }
        self.time += started.elapsed();
        let sent = process_cpu_seconds();
        let settled = tokio::task::spawn_blocking(settle).await?;
        self.sent += range.len();
        self.cpu = self
            .cpu
            .zip(cpu.zip(sent))
            .map(|(sum, (before, after))| sum + after - before);
        self.settled_cpu = self
            .settled_cpu
            .zip(cpu.zip(settled))
            .map(|(sum, (before, after))| sum + after - before);
        Ok(())
    }

    /// Entities per second.
    fn rate(&self) -> f64 {
        self.sent as f64 / self.time.as_secs_f64()
    }

    /// Cores kept busy while sending, as printed.
    fn cores(&self) -> String {
        cores_text(self.cpu.map(|cpu| cpu / self.time.as_secs_f64()))
    }

    /// CPU seconds per entity, compaction to its end included.
    fn settled_cpu_per_entity(&self) -> Option<f64> {
        self.settled_cpu.map(|cpu| cpu / self.sent as f64)
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index].as_secs_f64() * 1e3
}

/// Runs the benchmark and prints the tables.
pub async fn run(options: NgsiLdBenchOptions) -> Result<()> {
    if options.runs == 0 || options.sizes.is_empty() || options.clients == 0 {
        bail!("--runs, --sizes and --clients must not be empty or 0");
    }
    if options.only_temporal {
        if options.temporal_stations == 0 || options.temporal_hours == 0 {
            bail!("--only-temporal needs --temporal-stations and --temporal-hours above 0");
        }
        return temporal::run(
            options.temporal_stations,
            options.temporal_hours,
            options.runs,
        )
        .await;
    }
    let mut sizes = options.sizes.clone();
    sizes.sort();
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (node, node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.sparql.query_timeout_secs = 600;
        config.http.max_concurrent_queries = 2;
    })
    .await?;
    let operator = NodeClient::new(node.http_url(), Some(node_dir.load_admin_token()?));
    let store = node.store().clone();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "hanse-testnet bench ngsi-ld: {cores} cores, sizes {:?}, {} timed runs per query and method",
        sizes, options.runs
    );
    let upserts = || Upserts {
        operator: operator.clone(),
        clients: options.clients,
        sent: 0,
        time: Duration::ZERO,
        cpu: Some(0.0),
        settled_cpu: Some(0.0),
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
                let response = operator
                    .get_request(&format!("{NGSI_LD}{path}"))
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
    let (ceiling, ceiling_cpu) =
        tokio::task::spawn_blocking(move || same_quads_anchor(batches, stored)).await??;
    let (entity_only, _) =
        tokio::task::spawn_blocking(move || same_quads_anchor(without_observations, stored))
            .await??;
    let rate = created.rate();
    println!(
        "\nbatch upsert over HTTP (batches of {BATCH} from {} clients at once, {stored} new entities, {:.1} quads each as stored: 8 of the entity with its state, 6 of a SOSA observation): {rate:.0} entities/s, {} cores busy (node, client and compaction)",
        options.clients,
        node_quads as f64 / stored as f64,
        created.cores()
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
    let bound = |cpu: Option<f64>| {
        cpu.map_or_else(
            || "n/a".to_owned(),
            |cpu| {
                format!(
                    "{:.0} µs, at most {:.0} entities/s",
                    cpu * 1e6,
                    cores as f64 / cpu
                )
            },
        )
    };
    println!(
        "CPU per new entity until RocksDB finished compacting (the bound on {cores} cores, all busy): oxigraph alone loading the node's quads {}; the node {} (the bench's client included)",
        bound(ceiling_cpu),
        bound(created.settled_cpu_per_entity())
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
    if options.temporal_stations > 0 && options.temporal_hours > 0 {
        temporal::run(
            options.temporal_stations,
            options.temporal_hours,
            options.runs,
        )
        .await?;
    }
    Ok(())
}
