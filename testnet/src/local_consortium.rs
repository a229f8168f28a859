//! N in-process nodes on loopback in one fresh consortium, for benchmarks.

use anyhow::{Context, Result, bail};
use hanse_node::config::Config;
use hanse_node::test_utils::{PreparedNode, prepare_nodes, test_consortium};
use hanse_node::{NodeHandle, p2p::NetworkClient};
use std::time::{Duration, Instant};

/// Running nodes; the prepared directories live as long as they do.
pub struct LocalConsortium {
    /// Node directories (temporary).
    pub nodes: Vec<PreparedNode>,
    /// The running nodes, node 0 first.
    pub running: Vec<NodeHandle>,
    /// Their network clients.
    pub networks: Vec<NetworkClient>,
    /// From starting node 0 until every node saw all others connected.
    pub formation: Duration,
}

impl LocalConsortium {
    /// Starts `n` nodes bootstrapping from node 0, after `adjust` edits each configuration,
    /// and waits (up to 300 s) until every node is connected to all others.
    pub async fn start(n: usize, seed: u8, adjust: impl Fn(&mut Config)) -> Result<Self> {
        if n < 2 {
            bail!("--nodes: a consortium needs at least 2 nodes");
        }
        let nodes = prepare_nodes(n, seed)?;
        let document = test_consortium(&nodes.iter().collect::<Vec<_>>())?;
        for node in &nodes {
            node.install(&document)?;
            let mut config = node.dir.load_config()?;
            adjust(&mut config);
            let path = node.dir.root().join(hanse_node::config::CONFIG_FILE);
            std::fs::write(&path, toml::to_string(&config)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let started = Instant::now();
        let first = nodes[0].start(&[]).await?;
        let bootstrap = vec![first.p2p_address().await?];
        let mut running = vec![first];
        for node in &nodes[1..] {
            running.push(node.start(&bootstrap).await?);
        }
        let networks: Vec<NetworkClient> = running
            .iter()
            .map(|h| h.network().cloned().context("node without network"))
            .collect::<Result<_>>()?;
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
        Ok(Self {
            nodes,
            running,
            networks,
            formation: started.elapsed(),
        })
    }

    /// Shuts every node down.
    pub async fn stop(self) -> Result<()> {
        for handle in self.running {
            handle.shutdown().await?;
        }
        drop(self.nodes);
        Ok(())
    }
}
