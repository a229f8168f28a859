//! The oxigraph anchors the NGSI-LD figures are compared with, and how a phase is timed.

use super::workload::{BATCH, plain_quads, plain_subjects};
use anyhow::{Result, bail};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use std::time::{Duration, Instant};

/// A SPARQL evaluator with GeoSPARQL's functions, as the node registers them.
fn evaluator() -> SparqlEvaluator {
    spargeo::GEOSPARQL_EXTENSION_FUNCTIONS
        .iter()
        .fold(SparqlEvaluator::new(), |e, (name, f)| {
            e.with_custom_function(name.into_owned(), *f)
        })
}

/// Evaluates a SELECT query on `store`; returns its number of rows.
pub(super) fn sparql_rows(store: &Store, query: &str) -> Result<usize> {
    let QueryResults::Solutions(solutions) =
        evaluator().parse_query(query)?.on_store(store).execute()?
    else {
        bail!("a SELECT query");
    };
    let mut rows = 0;
    for solution in solutions {
        solution?;
        rows += 1;
    }
    Ok(rows)
}

/// The plain-triples anchor: what oxigraph on disk (RocksDB, as the node) does with the
/// entities a SPARQL user would store.
pub(super) struct PlainAnchor {
    /// Bulk-loading `n` entities' plain triples, one commit per [`BATCH`] entities.
    pub insert: Phase,
    /// Then replacing the first `updated` entities' triples with their next reading, one
    /// transaction per [`BATCH`] entities.
    pub update: Phase,
}

/// Runs the plain-triples anchor on a fresh store.
pub(super) fn plain_anchor(n: usize, updated: usize) -> Result<PlainAnchor> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    let graph = GraphName::NamedNode(NamedNode::new_unchecked("https://bench.example/g"));
    let insert = Phase::measure(n, || {
        for start in (0..n).step_by(BATCH) {
            let mut quads = Vec::with_capacity(BATCH * 7);
            for i in start..(start + BATCH).min(n) {
                plain_quads(i, 0, &graph, &mut quads);
            }
            let mut loader = store.bulk_loader().with_num_threads(1);
            loader.load_quads(quads)?;
            loader.commit()?;
        }
        Ok(())
    })?;
    let update = Phase::measure(updated, || {
        for start in (0..updated).step_by(BATCH) {
            let mut tx = store.start_transaction()?;
            let mut quads = Vec::with_capacity(BATCH * 7);
            for i in start..(start + BATCH).min(updated) {
                // What `DELETE WHERE { <e> ?p ?o }` (and the geometry's) does: read, remove.
                let old: Vec<Quad> = plain_subjects(i)
                    .iter()
                    .flat_map(|s| tx.quads_for_pattern(Some(s.as_ref().into()), None, None, None))
                    .collect::<Result<_, _>>()?;
                for quad in &old {
                    tx.remove(quad);
                }
                plain_quads(i, 1, &graph, &mut quads);
            }
            tx.extend(quads.iter());
            tx.commit()?;
        }
        Ok(())
    })?;
    Ok(PlainAnchor { insert, update })
}

/// The node's own quads of the bench entities (entity, geometry and observation triples, the
/// stored NGSI-LD state), grouped by the batch that wrote them.
pub(super) fn node_quads_by_batch(node_store: &Store, n: usize) -> Result<Vec<Vec<Quad>>> {
    const PREFIX: &str = "urn:ngsi-ld:AirQualityObserved:";
    let mut batches = vec![Vec::new(); n.div_ceil(BATCH)];
    for quad in node_store.iter() {
        let quad = quad?;
        let NamedOrBlankNode::NamedNode(subject) = &quad.subject else {
            continue;
        };
        let Some(index) = subject
            .as_str()
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.get(..6))
            .and_then(|digits| digits.parse::<usize>().ok())
        else {
            continue;
        };
        if let Some(batch) = batches.get_mut(index / BATCH) {
            batch.push(quad);
        }
    }
    Ok(batches)
}

/// CPU seconds this process has used so far, all threads (RocksDB's compaction included), from
/// `/proc/self/stat`; `None` where there is no procfs.
pub(super) fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime (fields 14 and 15) in USER_HZ, which Linux fixes at 100 for procfs.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Waits until the process is idle (RocksDB's compaction of what was written has finished:
/// less than 5% of a core for half a second, at most a minute); returns the process's CPU
/// seconds then.
pub(super) fn settle() -> Option<f64> {
    const STEP: Duration = Duration::from_millis(500);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = process_cpu_seconds()?;
    while Instant::now() < deadline {
        std::thread::sleep(STEP);
        let now = process_cpu_seconds()?;
        let busy = (now - last) / STEP.as_secs_f64();
        last = now;
        if busy < 0.05 {
            break;
        }
    }
    Some(last)
}

/// Throughput of a phase and how busy it kept the machine.
pub(super) struct Phase {
    pub entities_per_s: f64,
    /// CPU seconds over wall seconds: 2.0 is both cores of a 2-core machine.
    pub cores_busy: Option<f64>,
}

impl Phase {
    /// Times `work` over `n` entities, wall and process CPU.
    pub fn measure(n: usize, work: impl FnOnce() -> Result<()>) -> Result<Self> {
        let cpu = process_cpu_seconds();
        let started = Instant::now();
        work()?;
        let wall = started.elapsed().as_secs_f64();
        Ok(Self {
            entities_per_s: n as f64 / wall,
            cores_busy: cpu.zip(process_cpu_seconds()).map(|(a, b)| (b - a) / wall),
        })
    }

    /// Cores kept busy as printed.
    pub fn cores(&self) -> String {
        cores_text(self.cores_busy)
    }
}

/// Cores kept busy as printed: two decimals, or `n/a` without procfs.
pub(super) fn cores_text(cores_busy: Option<f64>) -> String {
    cores_busy.map_or_else(|| "n/a".to_owned(), |c| format!("{c:.2}"))
}

/// Oxigraph on disk bulk-loading `batches` (the quads the node stored), one commit per batch
/// the node received: the ceiling for the node's upserts on this machine. Also the CPU
/// seconds per entity it took until RocksDB had compacted them ([`settle`]).
pub(super) fn same_quads_anchor(batches: Vec<Vec<Quad>>, n: usize) -> Result<(Phase, Option<f64>)> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    let cpu = process_cpu_seconds();
    let phase = Phase::measure(n, || {
        for quads in batches {
            let mut loader = store.bulk_loader().with_num_threads(1);
            loader.load_quads(quads)?;
            loader.commit()?;
        }
        Ok(())
    })?;
    let settled = cpu
        .zip(settle())
        .map(|(before, after)| (after - before) / n as f64);
    Ok((phase, settled))
}

/// Whether `quad` belongs to a SOSA observation the node recorded (its IRI says so).
pub(super) fn is_observation_quad(quad: &Quad) -> bool {
    matches!(&quad.subject, NamedOrBlankNode::NamedNode(s) if s.as_str().contains("/observation/"))
}
