//! `hanse-testnet bench network`: how fast a consortium forms and how fast gossip spreads.
//!
//! For each size N (default 10 and 50) N nodes start in this process on loopback, all
//! bootstrapping from node 0's address. Measured:
//!
//! - **formation**: from starting node 0 until every node lists all N-1 others as connected
//!   (the fully connected membership view);
//! - **gossip**: a member publishes a message; the time until the last of the other N-1
//!   nodes has received it. Repeated `--messages` times from rotating publishers; median and p95.

use anyhow::{Context, Result, bail};
use hanse_node::NodeHandle;
use hanse_node::p2p::NetworkEvent;
use hanse_node::test_utils::{prepare_nodes, test_consortium};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Options of `bench network`.
#[derive(Debug, Clone, clap::Args)]
pub struct NetworkBenchOptions {
    /// Consortium sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,50")]
    pub nodes: Vec<usize>,
    /// Gossip messages per size.
    #[arg(long, default_value_t = 30)]
    pub messages: usize,
}

const TOPIC: &str = "bench";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark and prints one line per size.
pub async fn run(options: NetworkBenchOptions) -> Result<()> {
    println!(
        "{:>5} {:>14} {:>16} {:>14} {:>8}",
        "nodes", "formation ms", "gossip median ms", "gossip p95 ms", "messages"
    );
    for &n in &options.nodes {
        if n < 2 {
            bail!("--nodes: a consortium needs at least 2 nodes");
        }
        let (formation, mut gossip) = measure(n, options.messages).await?;
        gossip.sort();
        println!(
            "{n:>5} {:>14.0} {:>16.1} {:>14.1} {:>8}",
            ms(formation),
            ms(percentile(&gossip, 0.5)),
            ms(percentile(&gossip, 0.95)),
            gossip.len()
        );
    }
    Ok(())
}

async fn measure(n: usize, messages: usize) -> Result<(Duration, Vec<Duration>)> {
    let nodes = prepare_nodes(n, 0xbe)?;
    let document = test_consortium(&nodes.iter().collect::<Vec<_>>())?;
    for node in &nodes {
        node.install(&document)?;
    }
    let started = Instant::now();
    let first = nodes[0].start(&[]).await?;
    let bootstrap = vec![first.p2p_address().await?];
    let mut running: Vec<NodeHandle> = vec![first];
    for node in &nodes[1..] {
        running.push(node.start(&bootstrap).await?);
    }
    let networks: Vec<_> = running
        .iter()
        .map(|h| h.network().cloned().context("node without network"))
        .collect::<Result<_>>()?;

    // Formation: poll every node's peer list until all see n-1 members.
    let deadline = started + Duration::from_secs(300);
    loop {
        let mut complete = 0;
        for network in &networks {
            if network.peers().await?.len() == n - 1 {
                complete += 1;
            }
        }
        if complete == n {
            break;
        }
        if Instant::now() > deadline {
            bail!("{n} nodes: only {complete} had a full view after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let formation = started.elapsed();

    // Gossip: every node subscribes; a collector timestamps each delivery.
    let (tx, mut rx) = mpsc::channel::<(usize, u64, Instant)>(n * 4);
    for (index, network) in networks.iter().enumerate() {
        network.subscribe_topic(TOPIC).await?;
        let mut events = network.subscribe();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok(event) = events.recv().await {
                if let NetworkEvent::Gossip { topic, data, .. } = event
                    && topic == TOPIC
                    && let Ok(bytes) = <[u8; 8]>::try_from(data.as_slice())
                    && tx
                        .send((index, u64::from_le_bytes(bytes), Instant::now()))
                        .await
                        .is_err()
                {
                    break;
                }
            }
        });
    }
    // Let the gossip meshes form (a few heartbeats).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut samples = Vec::with_capacity(messages);
    for id in 0..messages as u64 {
        let publisher = id as usize % n;
        let sent = Instant::now();
        networks[publisher]
            .publish(TOPIC, id.to_le_bytes().to_vec())
            .await
            .with_context(|| format!("publish from node {publisher}"))?;
        let mut reached = 0;
        let mut last = sent;
        while reached < n - 1 {
            let (_, got, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .with_context(|| {
                    format!("{n} nodes: message {id} reached only {reached} nodes in 30 s")
                })?
                .context("collector closed")?;
            if got == id {
                reached += 1;
                last = last.max(at);
            }
        }
        samples.push(last - sent);
    }
    for handle in running {
        handle.shutdown().await?;
    }
    Ok((formation, samples))
}
