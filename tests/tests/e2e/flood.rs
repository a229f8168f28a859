//! A member floods a node with catalogue gossip and node-to-node requests: the node's tasks
//! and memory stay bounded (the catalogue service's background work, the answers in flight
//! and each member's share are capped), and it keeps answering, over HTTP and over the
//! network, during and after the flood.

use crate::support::meshed_consortium;
use anyhow::{Context, Result};
use futures::StreamExt;
use hanse_node::catalog::CATALOG_TOPIC;
use hanse_node::p2p::{QueryLimits, Request, Response};
use hanse_node::test_utils::prepare_nodes as prepare;
use libp2p::PeerId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Gossip messages and requests the member sends.
const GOSSIP: usize = 3_000;
const REQUESTS: usize = 2_000;

/// Resident memory of this process, in bytes.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The most tasks and resident bytes seen while it runs, sampled every 5 ms.
struct Peak {
    tasks: Arc<AtomicUsize>,
    resident: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Peak {
    fn watch() -> Self {
        let peak = Peak {
            tasks: Arc::default(),
            resident: Arc::default(),
            stop: Arc::default(),
        };
        let (tasks, resident, stop) =
            (peak.tasks.clone(), peak.resident.clone(), peak.stop.clone());
        let metrics = tokio::runtime::Handle::current().metrics();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                tasks.fetch_max(metrics.num_alive_tasks(), Ordering::Relaxed);
                resident.fetch_max(resident_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        peak
    }
}

fn query(text: &str) -> Request {
    Request::Query {
        query: text.into(),
        purpose: None,
        agreements: Vec::new(),
        datasets: Vec::new(),
        limits: QueryLimits {
            timeout_ms: 5_000,
            max_rows: 1_000,
        },
        on_behalf_of: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_flooding_gossip_and_requests_leaves_the_node_bounded_and_answering() -> Result<()>
{
    let nodes = prepare(2, 71)?;
    let (_, running, _) = meshed_consortium(&nodes).await?;
    let (target, member) = (&running[0], &running[1]);
    let network = member.handle.network().context("network")?.clone();
    let target_peer: PeerId = target.peer_id()?.parse()?;
    let metrics = tokio::runtime::Handle::current().metrics();
    let (tasks_before, resident_before) = (metrics.num_alive_tasks(), resident_bytes());
    let peak = Peak::watch();

    // Announcements of ever newer versions the member does not hold: each one sends the
    // node back to the member for a catalogue, the slowest gossip there is to handle.
    let gossip = {
        let network = network.clone();
        tokio::spawn(async move {
            let mut sent = 0;
            for version in 0..GOSSIP {
                let announcement = serde_json::json!({
                    "version": 1_000_000 + version, "hash": format!("flood-{version}"), "nquads": null
                });
                if network
                    .publish(CATALOG_TOPIC, announcement.to_string().into_bytes())
                    .await
                    .is_ok()
                {
                    sent += 1;
                }
            }
            sent
        })
    };
    // Requests, 400 outstanding at a time: digests and queries over the node's open data.
    let answers = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let network = network.clone();
            async move {
                let request = if i % 2 == 0 {
                    Request::CatalogDigest
                } else {
                    query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
                };
                network.request(target_peer, request).await
            }
        })
        .buffer_unordered(400);
    let during = async {
        // The node's own users are served while a member floods it.
        let status = target.visitor.get_request("/health").send().await?.status();
        anyhow::Ok(status)
    };
    let (answers, health): (Vec<_>, _) = tokio::join!(answers.collect(), during);
    let sent = gossip.await?;
    peak.stop.store(true, Ordering::Relaxed);

    let answered = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Ok(Response::CatalogDigest { .. } | Response::Solutions(_))
            )
        })
        .count();
    let busy = answers
        .iter()
        .filter(|a| matches!(a, Ok(Response::Error(e)) if e.starts_with("busy")))
        .count();
    let mut other: std::collections::BTreeMap<String, usize> = Default::default();
    for answer in &answers {
        let kind = match answer {
            Ok(Response::CatalogDigest { .. } | Response::Solutions(_)) => continue,
            Ok(Response::Error(e)) if e.starts_with("busy") => continue,
            Ok(other) => format!("{other:?}").chars().take(60).collect(),
            // The member's own side caps its streams per connection, too.
            Err(e) => e
                .to_string()
                .rsplit(": ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        *other.entry(kind).or_default() += 1;
    }
    println!("flood: other outcomes {other:?}");
    let (tasks_peak, resident_peak) = (
        peak.tasks.load(Ordering::Relaxed),
        peak.resident.load(Ordering::Relaxed),
    );
    println!(
        "flood: {sent} announcements gossiped, {REQUESTS} requests: {answered} answered, {busy} busy; tasks {tasks_before} -> peak {tasks_peak}; resident {} -> peak {} MiB",
        resident_before >> 20,
        resident_peak >> 20
    );
    assert_eq!(health?.as_u16(), 200, "the node stopped answering HTTP");
    assert!(
        answered > 0,
        "the node answered no member request during the flood"
    );
    // What the node may hold at once: its answers in flight (32), the catalogue's background
    // work (16), the HTTP server's and each connection's tasks; two nodes share this runtime.
    let allowed = tasks_before
        + hanse_node::requests::MAX_IN_FLIGHT
        + hanse_node::catalog::MAX_BACKGROUND
        + 64;
    assert!(
        tasks_peak <= allowed,
        "{tasks_peak} tasks at the peak, more than {allowed}"
    );
    assert!(
        resident_peak.saturating_sub(resident_before) < 512 << 20,
        "resident memory grew from {} to {} MiB",
        resident_before >> 20,
        resident_peak >> 20
    );
    // And afterwards, a member's request is answered in full.
    let after = network.request(target_peer, Request::CatalogDigest).await?;
    assert!(matches!(after, Response::CatalogDigest { .. }), "{after:?}");
    for node in running {
        node.handle.shutdown().await?;
    }
    Ok(())
}
