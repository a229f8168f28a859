//! `hanse-testnet up|down|scenario`: consortia of node processes on loopback.
//!
//! `up` creates N node directories with a fresh consortium and generated data, starts each
//! node as its own process (this binary's hidden `node` subcommand, which is `hanse serve`),
//! waits until every node is connected to all others and holds every member's catalogue,
//! and prints each node's URL and resident memory. The processes keep running; `down` stops
//! them. State lives in `<dir>/testnet.json`.

use crate::netns::Endpoints;
use anyhow::{Context, Result, bail};
use hanse_node::NodeIdentity;
use hanse_node::catalog::{AccessRights, DatasetDefinition};
use hanse_node::client::NodeClient;
use hanse_node::config::{CONFIG_FILE, Config, Role};
use hanse_node::demo::data::{self as demo_data, SensorSample};
use hanse_node::node_dir::{InitOptions, NodeDir};
use hanse_node::trust::consortium::{Member, MembershipDocument, SignedMembership};
use hanse_node::trust::membership::CONSORTIUM_FILE;
use serde::{Deserialize, Serialize};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Name of the state file in the testnet directory.
const STATE_FILE: &str = "testnet.json";

/// One node process of a testnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestnetNode {
    /// Node name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// HTTP API base URL.
    pub url: String,
    /// libp2p listen address with PeerId.
    pub p2p: String,
    /// PeerId.
    pub peer_id: String,
    /// The process id while running.
    pub pid: Option<u32>,
    /// The network namespace the node runs in (`None`: this host's loopback).
    #[serde(default)]
    pub netns: Option<String>,
}

impl TestnetNode {
    /// The libp2p listen address (`p2p` without its `/p2p/<PeerId>`).
    pub fn listen(&self) -> &str {
        self.p2p.split("/p2p/").next().unwrap_or_default()
    }

    /// A client of its API without credentials: what a visitor sees.
    pub fn visitor(&self) -> NodeClient {
        NodeClient::visitor(&self.url)
    }

    /// A client of its API as its operator (with its admin token), who sees every graph.
    pub fn operator(&self) -> Result<NodeClient> {
        let token = NodeDir::new(&self.dir).load_admin_token()?;
        Ok(NodeClient::new(&self.url, Some(token)))
    }
}

/// A testnet's state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Testnet {
    /// The nodes, node 0 first (the bootstrap and steward).
    pub nodes: Vec<TestnetNode>,
}

/// Node `index`'s key, derived from the testnet directory and the index: stable across runs
/// in the same directory, yet testnets side by side (parallel tests) never share PeerIds,
/// which would make their nodes take each other for members.
fn identity(root: &Path, index: usize) -> NodeIdentity {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(root.as_os_str().as_encoded_bytes());
    hasher.update((index as u64).to_le_bytes());
    NodeIdentity::from_seed(hasher.finalize().into())
}

/// Endpoints for `n` nodes on this host's loopback, on distinct free ports. All listeners
/// are held until every port is chosen, so the kernel cannot hand out one port twice.
pub fn loopback_endpoints(n: usize) -> Result<Vec<Endpoints>> {
    let listeners = (0..2 * n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<_>>()?;
    Ok(ports
        .chunks(2)
        .map(|pair| Endpoints {
            http: SocketAddr::from(([127, 0, 0, 1], pair[0])),
            p2p: format!("/ip4/127.0.0.1/tcp/{}", pair[1]),
            netns: None,
        })
        .collect())
}

/// Creates `n` node directories on loopback under `root`, with a consortium and generated
/// data.
pub fn prepare(root: &Path, n: usize) -> Result<Testnet> {
    prepare_at(root, loopback_endpoints(n)?)
}

/// Creates one node directory per entry of `endpoints` under `root`, with a consortium and
/// generated data.
pub fn prepare_at(root: &Path, endpoints: Vec<Endpoints>) -> Result<Testnet> {
    let n = endpoints.len();
    if root.join(STATE_FILE).exists() {
        bail!(
            "{} already holds a testnet; run `hanse-testnet down --dir {}` first",
            root.display(),
            root.display()
        );
    }
    let mut document = MembershipDocument::new("testnet", "hanse testnet", 1);
    let mut nodes = Vec::new();
    let identities: Vec<NodeIdentity> = (0..n).map(|i| identity(root, i)).collect();
    for ((index, identity), endpoints) in identities.iter().enumerate().zip(endpoints) {
        let name = format!("node{index:02}");
        let dir = NodeDir::new(root.join(&name));
        let role = match index % 4 {
            0 if index == 0 => Role::Steward,
            1 => Role::Utility,
            2 => Role::Research,
            _ => Role::City,
        };
        dir.init(InitOptions {
            name: name.clone(),
            role,
            http_listen: endpoints.http,
            p2p_listen: None,
            mdns: false,
            force: true,
            identity: Some(identity.clone()),
        })?;
        document.members.push(Member {
            peer_id: identity.peer_id().to_string(),
            name: name.clone(),
            organisation: format!("Testnet member {index}"),
            role,
            addresses: vec![endpoints.p2p.clone()],
        });
        nodes.push(TestnetNode {
            name,
            dir: dir.root().to_owned(),
            url: format!("http://{}", endpoints.http),
            p2p: format!("{}/p2p/{}", endpoints.p2p, identity.peer_id()),
            peer_id: identity.peer_id().to_string(),
            pid: None,
            netns: endpoints.netns,
        });
    }
    document.stewards.push(identities[0].peer_id().to_string());
    let mut signed = SignedMembership::unsigned(document);
    signed.sign(&identities[0])?;
    for (index, node) in nodes.iter().enumerate() {
        let dir = NodeDir::new(&node.dir);
        std::fs::write(dir.root().join(CONSORTIUM_FILE), signed.to_json())?;
        let mut config: Config = dir.load_config()?;
        config.p2p.listen = vec![node.listen().to_owned()];
        config.p2p.mdns = false;
        config.p2p.bootstrap = if index == 0 {
            Vec::new()
        } else {
            vec![nodes[0].p2p.clone()]
        };
        config.sparql.union_default_graph = true;
        config.log.level = "warn".into();
        std::fs::write(dir.root().join(CONFIG_FILE), toml::to_string(&config)?)?;
        generate_data(&dir, &config, index)?;
    }
    Ok(Testnet { nodes })
}

/// Loads a day of air-quality data and describes it as a public dataset.
fn generate_data(dir: &NodeDir, config: &Config, index: usize) -> Result<()> {
    let base = format!("https://node{index}.testnet.hanse.example/");
    let graph = format!("{base}graph/air-quality");
    let quads = demo_data::sensor_observations(
        &demo_data::AIR_QUALITY,
        &SensorSample {
            base: &base,
            graph: &graph,
            // Spread the members over Flanders.
            centre: (
                50.8 + (index % 5) as f64 * 0.1,
                3.2 + (index / 5) as f64 * 0.3,
            ),
            sensors: 4,
            hours: 24,
            seed: index as u64,
        },
    );
    let store = dir.open_store(config)?;
    let mut transaction = store.start_transaction()?;
    transaction.extend(&quads);
    transaction.commit()?;
    store.flush()?;
    drop(store);
    let state = hanse_node::store::state::NodeState::open(&dir.resolve(&config.storage.state))?;
    let iris = hanse_node::catalog::NodeIris::new(&dir.load_identity()?.peer_id());
    let registry = hanse_node::catalog::DatasetRegistry::open(&state, iris)?;
    let mut definition = DatasetDefinition::new("air-quality", "Air quality", &graph);
    definition.themes = vec!["ENVI".into()];
    definition.access_rights = AccessRights::Public;
    definition.licence = Some("https://creativecommons.org/licenses/by/4.0/".into());
    definition.policy = Some(hanse_node::test_utils::OPEN_OFFER.into());
    registry.create(definition)?;
    state.flush()?;
    Ok(())
}

/// Starts one node process (this executable's `node` subcommand) logging to `<dir>/node.log`,
/// inside the node's network namespace if it has one.
pub fn spawn_node(node: &TestnetNode) -> Result<Child> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let log = std::fs::File::create(node.dir.join("node.log"))?;
    let mut command = match &node.netns {
        // `ip netns exec` execs the program itself, so the child's pid is the node's.
        Some(netns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", netns]).arg(exe);
            command
        }
        None => Command::new(exe),
    };
    command
        .args(["node", "--dir"])
        .arg(&node.dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", node.name))
}

/// Resident memory of a process in MB (Linux `/proc`).
pub fn resident_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The `?n` of a `SELECT (COUNT(…) AS ?n)` query asked with `client`: a node's operator
/// (see [`TestnetNode::operator`]), so every graph counts.
pub async fn sparql_count(client: &NodeClient, query: &str) -> Result<u64> {
    let body = client
        .query(query, "application/sparql-results+json")
        .await?;
    let answer: serde_json::Value = serde_json::from_slice(&body)?;
    answer["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .context("no count in the answer")
}

/// The `/api/catalog/status` of `client`'s node, if it answers.
pub async fn catalog_status(client: &NodeClient) -> Option<serde_json::Value> {
    client.get_json("/api/catalog/status").await.ok()
}

/// Waits until every node answers and holds the catalogue of every member.
pub async fn wait_converged(nodes: &[TestnetNode], limit: Duration) -> Result<Duration> {
    // A hung node must not stall the polling of the others.
    let clients: Vec<NodeClient> = nodes
        .iter()
        .map(|node| node.visitor().with_timeout(Duration::from_secs(5)))
        .collect();
    let started = Instant::now();
    loop {
        let mut complete = 0;
        for client in &clients {
            if let Some(status) = catalog_status(client).await
                && status["members"].as_array().map(Vec::len) == Some(nodes.len())
            {
                complete += 1;
            }
        }
        if complete == nodes.len() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            let mut report = String::new();
            for (node, client) in nodes.iter().zip(&clients) {
                report.push_str(&diagnose(client, node).await);
            }
            bail!(
                "only {complete} of {} nodes hold every catalogue after {limit:?}:\n{report}",
                nodes.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// One line per node for a failure report: alive or not, members held, and the end of its
/// log, so that a CI failure can be read without the (deleted) node directories.
async fn diagnose(client: &NodeClient, node: &TestnetNode) -> String {
    let alive = node.pid.is_some_and(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z ") && !stat.contains(") X "))
    });
    let members = match catalog_status(client).await {
        Some(status) => format!(
            "holds {} catalogues",
            status["members"].as_array().map_or(0, Vec::len)
        ),
        None => "API does not answer".to_owned(),
    };
    let log = std::fs::read_to_string(node.dir.join("node.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(8).collect();
    let mut line = format!(
        "  {} ({}, pid {:?}, {}): {members}\n",
        node.name,
        if alive { "running" } else { "not running" },
        node.pid,
        node.url
    );
    for entry in tail.into_iter().rev() {
        line.push_str(&format!("      | {entry}\n"));
    }
    line
}

/// `up`: prepare, start, wait, report.
pub async fn up(root: &Path, n: usize) -> Result<()> {
    std::fs::create_dir_all(root)?;
    println!(
        "preparing {n} nodes with generated data in {}",
        root.display()
    );
    let mut testnet = prepare(root, n)?;
    for node in &mut testnet.nodes {
        let child = spawn_node(node)?;
        node.pid = Some(child.id());
        // The process outlives this command; `down` stops it by pid.
        std::mem::forget(child);
    }
    save(root, &testnet)?;
    let converged = wait_converged(&testnet.nodes, Duration::from_secs(300)).await?;
    println!(
        "{n} nodes up; every node holds all {n} catalogues after {:.1} s",
        converged.as_secs_f64()
    );
    // Let start-up work (statistics, first gossip) settle before measuring idle memory.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut total = 0.0;
    println!("{:<8} {:<24} {:>8}  peer", "node", "http", "RSS MB");
    for node in &testnet.nodes {
        let rss = node.pid.and_then(resident_mb).unwrap_or(0.0);
        total += rss;
        println!(
            "{:<8} {:<24} {:>8.1}  {}",
            node.name, node.url, rss, node.peer_id
        );
    }
    println!(
        "idle resident memory: {:.1} MB per node on average (goal: under 60 MB)",
        total / n as f64
    );
    println!("stop with: hanse-testnet down --dir {}", root.display());
    Ok(())
}

fn save(root: &Path, testnet: &Testnet) -> Result<()> {
    std::fs::write(root.join(STATE_FILE), serde_json::to_vec_pretty(testnet)?)?;
    Ok(())
}

/// Sends `signal` (e.g. `TERM`, `KILL`) to a process.
pub fn signal(pid: u32, signal: &str) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()?;
    if !status.success() {
        bail!("kill -{signal} {pid} failed");
    }
    Ok(())
}

/// Whether a process runs (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'))
        })
}

/// `down`: stops every node of the testnet in `root` (SIGTERM, then SIGKILL after 30 s).
pub async fn down(root: &Path) -> Result<()> {
    let path = root.join(STATE_FILE);
    let testnet: Testnet = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("no testnet in {}", root.display()))?,
    )?;
    let pids: Vec<u32> = testnet.nodes.iter().filter_map(|n| n.pid).collect();
    for pid in &pids {
        if alive(*pid) {
            let _ = signal(*pid, "TERM");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for pid in pids.iter().filter(|p| alive(**p)) {
        let _ = signal(*pid, "KILL");
    }
    std::fs::remove_file(&path)?;
    println!("stopped {} nodes", pids.len());
    Ok(())
}
