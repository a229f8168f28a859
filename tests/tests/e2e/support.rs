//! Helpers to build in-process consortia: node directories with seeded keys, a signed
//! membership document, and nodes started on ephemeral loopback ports.

use anyhow::{Context, Result, bail};
use hanse_node::config::Role;
use hanse_node::consortium::{Member, MembershipDocument, SignedMembership};
use hanse_node::membership::CONSORTIUM_FILE;
use hanse_node::node_dir::InitOptions;
use hanse_node::{Config, Node, NodeDir, NodeHandle, NodeIdentity};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A node directory prepared for a consortium (not started yet).
pub struct Prepared {
    pub name: String,
    pub identity: NodeIdentity,
    pub dir: NodeDir,
    _tmp: TempDir,
}

/// Creates `n` node directories named `node0…`, with keys derived from `seed` and `index`.
pub fn prepare(n: usize, seed: u8) -> Result<Vec<Prepared>> {
    (0..n)
        .map(|i| {
            let tmp = tempfile::tempdir()?;
            let dir = NodeDir::new(tmp.path());
            let mut key = [seed; 32];
            key[0] = i as u8;
            let identity = NodeIdentity::from_seed(key);
            let name = format!("node{i}");
            dir.init(InitOptions {
                name: name.clone(),
                role: if i == 0 { Role::Steward } else { Role::City },
                http_listen: "127.0.0.1:0".parse()?,
                force: false,
                identity: Some(identity.clone()),
            })?;
            Ok(Prepared {
                name,
                identity,
                dir,
                _tmp: tmp,
            })
        })
        .collect()
}

/// A membership document listing `members`, with the first one as sole steward (threshold 1),
/// signed by it.
pub fn consortium(members: &[&Prepared]) -> Result<SignedMembership> {
    let mut document = MembershipDocument::new("test-consortium", "Test consortium", 1);
    for (i, node) in members.iter().enumerate() {
        document.members.push(Member {
            peer_id: node.identity.peer_id().to_string(),
            name: node.name.clone(),
            organisation: format!("{} org", node.name),
            role: if i == 0 { Role::Steward } else { Role::City },
            addresses: vec![],
        });
    }
    document
        .stewards
        .push(members[0].identity.peer_id().to_string());
    let mut signed = SignedMembership::unsigned(document);
    signed.sign(&members[0].identity)?;
    signed.verify_genesis()?;
    Ok(signed)
}

/// Installs `document` in a prepared directory.
pub fn install(node: &Prepared, document: &SignedMembership) -> Result<()> {
    std::fs::write(node.dir.root().join(CONSORTIUM_FILE), document.to_json())?;
    Ok(())
}

/// p2p settings for tests: loopback TCP only, no mDNS, the given bootstrap addresses.
pub fn p2p_config(config: &mut Config, bootstrap: &[String]) {
    config.p2p.listen = vec!["/ip4/127.0.0.1/tcp/0".into()];
    config.p2p.mdns = false;
    config.p2p.bootstrap = bootstrap.to_vec();
}

/// A running node with its HTTP client.
pub struct Running {
    pub name: String,
    pub handle: NodeHandle,
    pub http: reqwest::Client,
    pub token: String,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.http_url())
    }

    /// Names of the peers `/api/peers` lists.
    pub async fn peer_names(&self) -> Result<Vec<String>> {
        let peers: serde_json::Value = self
            .http
            .get(self.url("/api/peers"))
            .send()
            .await?
            .json()
            .await?;
        let mut names: Vec<String> = peers
            .as_array()
            .context("peers is a list")?
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The full `/p2p/` address of this node's first listen address.
    pub async fn p2p_address(&self) -> Result<String> {
        let network = self.handle.network().context("node has a network")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(address) = network.listen_addrs().await?.first() {
                return Ok(format!("{address}/p2p/{}", network.local_peer_id()));
            }
            if Instant::now() > deadline {
                bail!("no listen address after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Starts a prepared node with `bootstrap` addresses.
pub async fn start(node: &Prepared, bootstrap: &[String]) -> Result<Running> {
    let mut config = node.dir.load_config()?;
    p2p_config(&mut config, bootstrap);
    let handle = Node::spawn(&node.dir, config).await?;
    Ok(Running {
        name: node.name.clone(),
        handle,
        http: reqwest::Client::new(),
        token: node.dir.load_admin_token()?.as_str().to_owned(),
    })
}

/// Polls `check` every 200 ms until it holds or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what}: not reached within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
