//! `hanse-testnet bench network`: how fast a consortium forms and how fast gossip spreads.
//!
//! For each size N (default 10 and 50) N nodes start in this process on loopback, all
//! bootstrapping from node 0's address. Measured:
//!
//! - **formation**: from starting node 0 until every node lists all N-1 others as connected
//!   (the fully connected membership view);
//! - **gossip**: a member publishes a message; the time until the last of the other N-1
//!   nodes has received it. Repeated `--messages` times from rotating publishers; median and p95.

use crate::local_consortium::LocalConsortium;
use anyhow::{Context, Result, bail};
use hanse_node::p2p::NetworkEvent;
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
    let consortium = LocalConsortium::start(n, 0xbe, |_| {}).await?;
    let formation = consortium.formation;
    let networks = &consortium.networks;

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
    consortium.stop().await?;
    Ok((formation, samples))
}
