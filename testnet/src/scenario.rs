//! `hanse-testnet scenario NAME`: scripted fault checks on node processes.
//!
//! `crash-restart`: three nodes; while a writer streams acknowledged batches into node 1
//! over the Graph Store Protocol and a publisher sends QoS 1 readings to node 1's MQTT
//! source (through a broker in this process), node 1 is killed with SIGKILL and restarted.
//! Checked: the store reopens without repair, every acknowledged batch is stored exactly
//! once, every MQTT message the broker acknowledged is stored exactly once (the broker
//! redelivers what the node had not acknowledged), and the peers receive node 1's current
//! catalogue afterwards.
//!
//! `partition-heal`: six nodes split 3/3 while datasets change on both sides, then healed;
//! checked: every node converges to every member's latest catalogue version (the time is
//! printed). Where this process may create network namespaces (root and iproute2), each node
//! runs on its own host with its own address and the partition cuts the link between the
//! sides ([`crate::netns`]): packets are lost, nothing is refused, and the nodes must notice
//! by themselves. Elsewhere the partition is made at each node's connection gate (`POST
//! /api/network/block`): members of the other side are disconnected and refused. The
//! scenario prints which was used; `--partition-by` chooses.

use crate::mqtt_load::{self, Broker, BrokerKind, Publisher};
use crate::netns::{Endpoints, NamespaceNet};
use crate::processes::{self, TestnetNode, spawn_node, wait_converged};
use anyhow::{Context, Result, bail};
use hanse_node::client::NodeClient;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// Scenarios `scenario` can run.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScenarioName {
    /// kill -9 a node while data flows in, restart it, check data and catalogue.
    CrashRestart,
    /// Split six nodes 3/3 while datasets change on both sides, heal, check convergence.
    PartitionHeal,
}

/// How `partition-heal` splits the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PartitionBy {
    /// Network namespaces where possible, else the connection gate.
    Auto,
    /// Network namespaces (veth pairs and bridges); fails where they cannot be made.
    Netns,
    /// Each node's connection gate (`POST /api/network/block`).
    Gate,
}

/// The MQTT side of `crash-restart`: which broker, and how many sessions the source runs.
#[derive(Debug, Clone, Copy)]
pub struct MqttChoice {
    /// The broker the victim's source subscribes to.
    pub broker: BrokerKind,
    /// Parallel sessions (a shared subscription above 1).
    pub sessions: usize,
}

/// Runs a scenario in `root` (a fresh directory); `partition` is how long a partition lasts.
pub async fn run(
    name: ScenarioName,
    root: &Path,
    partition: Duration,
    partition_by: PartitionBy,
    mqtt: MqttChoice,
) -> Result<()> {
    match name {
        ScenarioName::CrashRestart => crash_restart(root, mqtt).await,
        ScenarioName::PartitionHeal => partition_heal(root, partition, partition_by).await,
    }
}

/// A scenario's node processes, stopped (SIGTERM, then waited for) when dropped: also when
/// the scenario is interrupted and its future dropped, so no node outlives it.
struct NodeProcesses(Vec<Child>);

impl Drop for NodeProcesses {
    fn drop(&mut self) {
        for child in &self.0 {
            let _ = processes::signal(child.id(), "TERM");
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// Starts one fresh node process per entry of `endpoints`, runs `steps` (which may replace
/// a process, e.g. to restart it), and stops them whatever happened.
async fn with_processes(
    root: &Path,
    endpoints: Vec<Endpoints>,
    before_start: impl FnOnce(&[TestnetNode]) -> Result<()>,
    steps: impl AsyncFnOnce(&[TestnetNode], &mut [Child]) -> Result<()>,
) -> Result<()> {
    std::fs::create_dir_all(root)?;
    let mut testnet = processes::prepare_at(root, endpoints)?;
    before_start(&testnet.nodes)?;
    let mut children = NodeProcesses(Vec::new());
    for node in &mut testnet.nodes {
        let child = spawn_node(node)?;
        node.pid = Some(child.id());
        children.0.push(child);
    }
    steps(&testnet.nodes, &mut children.0).await
}

/// How long a scenario waits for one answer: a hung node fails the step that asked it
/// instead of stalling the scenario.
const ANSWER_LIMIT: Duration = Duration::from_secs(5);

/// A node of a scenario with its two callers: a visitor, and the node's operator.
struct Peer<'a> {
    node: &'a TestnetNode,
    visitor: NodeClient,
    operator: NodeClient,
}

impl<'a> Peer<'a> {
    /// `node`'s callers, each answer bounded by [`ANSWER_LIMIT`].
    fn of(node: &'a TestnetNode) -> Result<Self> {
        Ok(Self {
            node,
            visitor: node.visitor().with_timeout(ANSWER_LIMIT),
            operator: node.operator()?.with_timeout(ANSWER_LIMIT),
        })
    }
}

async fn block(peer: &Peer<'_>, others: &[&TestnetNode], blocked: bool) -> Result<()> {
    let peers: Vec<&str> = others.iter().map(|n| n.peer_id.as_str()).collect();
    let response = peer
        .operator
        .post_request("/api/network/block")
        .json(&serde_json::json!({ "peers": peers, "blocked": blocked }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "{}: block refused: {}",
            peer.node.name,
            response.text().await?
        );
    }
    Ok(())
}

async fn connected(peer: &Peer<'_>) -> Result<usize> {
    let peers = peer.operator.get_json("/api/peers").await?;
    Ok(peers.as_array().map_or(0, Vec::len))
}

/// Every member's own catalogue version, read from the member itself.
async fn own_versions(peers: &[Peer<'_>]) -> Result<Vec<(String, u64)>> {
    let mut versions = Vec::new();
    for peer in peers {
        let status = processes::catalog_status(&peer.visitor)
            .await
            .with_context(|| format!("{} does not answer", peer.node.name))?;
        versions.push((
            peer.node.peer_id.clone(),
            status["own_version"].as_u64().unwrap_or(0),
        ));
    }
    Ok(versions)
}

/// Whether `peer` holds at least `versions` of every member.
async fn holds_all(peer: &Peer<'_>, versions: &[(String, u64)]) -> bool {
    let Some(status) = processes::catalog_status(&peer.visitor).await else {
        return false;
    };
    let members = status["members"].as_array().cloned().unwrap_or_default();
    versions.iter().all(|(peer, version)| {
        members
            .iter()
            .any(|m| m[0] == peer.as_str() && m[1].as_u64() >= Some(*version))
    })
}

async fn change_dataset(peer: &Peer<'_>, round: usize) -> Result<()> {
    let mut dataset = peer.visitor.get_json("/api/datasets/air-quality").await?;
    dataset["keywords"] = serde_json::json!([format!("round-{round}")]);
    for derived in ["iri", "statistics", "modified"] {
        if let Some(object) = dataset.as_object_mut() {
            object.remove(derived);
        }
    }
    let response = peer
        .operator
        .request(reqwest::Method::PUT, "/api/datasets/air-quality")
        .json(&dataset)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "{}: dataset update refused: {}",
            peer.node.name,
            response.text().await?
        );
    }
    Ok(())
}

/// The network namespaces for `nodes` nodes, or `None` (with the reason printed) where the
/// gate is to be used.
fn namespaces_for(nodes: usize, partition_by: PartitionBy) -> Result<Option<NamespaceNet>> {
    match partition_by {
        PartitionBy::Gate => Ok(None),
        PartitionBy::Netns => NamespaceNet::create(nodes).map(Some),
        PartitionBy::Auto => match NamespaceNet::create(nodes) {
            Ok(net) => Ok(Some(net)),
            Err(e) => {
                println!(
                    "network namespaces unavailable ({e:#}); partitioning at the connection gate"
                );
                Ok(None)
            }
        },
    }
}

async fn partition_heal(root: &Path, partition: Duration, partition_by: PartitionBy) -> Result<()> {
    let net = namespaces_for(6, partition_by)?;
    let endpoints = match &net {
        Some(net) => net.endpoints(),
        None => processes::loopback_endpoints(6)?,
    };
    with_processes(
        root,
        endpoints,
        |_| Ok(()),
        async |nodes, _| partition_heal_steps(nodes, partition, net.as_ref()).await,
    )
    .await
}

/// Nodes on the first side of the partition; the rest are on the second.
const FIRST_SIDE: usize = 3;

/// Splits `peers` into the first [`FIRST_SIDE`] and the rest.
async fn split(peers: &[Peer<'_>], net: Option<&NamespaceNet>) -> Result<()> {
    if let Some(net) = net {
        let second_side: Vec<usize> = (FIRST_SIDE..peers.len()).collect();
        return net.partition(&second_side);
    }
    let (left, right) = peers.split_at(FIRST_SIDE);
    let left_refs: Vec<&TestnetNode> = left.iter().map(|p| p.node).collect();
    let right_refs: Vec<&TestnetNode> = right.iter().map(|p| p.node).collect();
    for peer in left {
        block(peer, &right_refs, true).await?;
    }
    for peer in right {
        block(peer, &left_refs, true).await?;
    }
    Ok(())
}

/// Undoes [`split`].
async fn heal(peers: &[Peer<'_>], net: Option<&NamespaceNet>) -> Result<()> {
    if let Some(net) = net {
        return net.heal();
    }
    for peer in peers {
        let others: Vec<&TestnetNode> = peers
            .iter()
            .map(|p| p.node)
            .filter(|n| n.name != peer.node.name)
            .collect();
        block(peer, &others, false).await?;
    }
    Ok(())
}

async fn partition_heal_steps(
    nodes: &[TestnetNode],
    partition: Duration,
    net: Option<&NamespaceNet>,
) -> Result<()> {
    let peers: Vec<Peer> = nodes.iter().map(Peer::of).collect::<Result<_>>()?;
    let converged = wait_converged(nodes, Duration::from_secs(120)).await?;
    match net {
        Some(_) => println!(
            "6 nodes up, each in its own network namespace with its own address ({}); catalogues converged in {:.1} s",
            nodes
                .iter()
                .map(TestnetNode::listen)
                .collect::<Vec<_>>()
                .join(", "),
            converged.as_secs_f64()
        ),
        None => println!(
            "6 nodes up on loopback, catalogues converged in {:.1} s",
            converged.as_secs_f64()
        ),
    }
    let (left, right) = peers.split_at(FIRST_SIDE);
    split(&peers, net).await?;
    let started = Instant::now();
    // Across namespaces nothing is refused: each node notices the silence itself (failed
    // pings close the connection).
    let notice_limit = Duration::from_secs(60);
    loop {
        let mut split = 0;
        for peer in &peers {
            if connected(peer).await? == 2 {
                split += 1;
            }
        }
        if split == peers.len() {
            break;
        }
        if started.elapsed() > notice_limit {
            bail!(
                "the partition did not take effect within {} s",
                notice_limit.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let noticed = started.elapsed();
    match net {
        Some(_) => println!(
            "partitioned 3/3 by network namespaces (the link between the sides is cut); every node dropped the other side after {:.1} s; datasets change on both sides for {:.0} s",
            noticed.as_secs_f64(),
            partition.as_secs_f64()
        ),
        None => println!(
            "partitioned 3/3 at the connection gate (no network namespaces) for {:.0} s; datasets change on both sides",
            partition.as_secs_f64()
        ),
    }
    let split_at = Instant::now();
    let mut round = 0;
    loop {
        round += 1;
        change_dataset(&left[1], round).await?;
        change_dataset(&right[1], round).await?;
        if split_at.elapsed() >= partition {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2).min(partition)).await;
    }
    // While split, neither side can know the other's latest version.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let latest = own_versions(&peers).await?;
    if holds_all(&left[0], &latest).await {
        bail!(
            "node00 holds the other side's latest catalogue during the partition: not partitioned"
        );
    }
    heal(&peers, net).await?;
    let healed = Instant::now();
    loop {
        let latest = own_versions(&peers).await?;
        let mut current = 0;
        for peer in &peers {
            if holds_all(peer, &latest).await {
                current += 1;
            }
        }
        if current == peers.len() {
            println!(
                "healed: all 6 federated catalogues hold every member's latest version ({} changes per side) {:.1} s after healing",
                round,
                healed.elapsed().as_secs_f64()
            );
            break;
        }
        if healed.elapsed() > Duration::from_secs(120) {
            bail!("only {current} of 6 nodes converged within 120 s of healing");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("scenario partition-heal: passed");
    Ok(())
}

const GRAPH: &str = "https://testnet.hanse.example/graph/ingest";

fn batch(n: usize) -> String {
    (0..10)
        .map(|i| {
            format!("<urn:batch:{n}:{i}> <urn:ex:seq> \"{n}\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n")
        })
        .collect()
}

async fn count_subjects(peer: &Peer<'_>) -> Result<u64> {
    let query = format!(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s <urn:ex:seq> ?b }} }}"
    );
    processes::sparql_count(&peer.operator, &query).await
}

/// Waits until the node's MQTT source is subscribed (messages sent before are not queued
/// for it).
async fn wait_mqtt_connected(peer: &Peer<'_>) -> Result<()> {
    // A visitor sees only the sources writing public graphs: ask as the operator.
    for _ in 0..300 {
        let status = peer.operator.get_json("/api/ingest/status").await.ok();
        if status.is_some_and(|s| s[0]["mqtt_connected"] == true) {
            // The subscription follows the connection acknowledgement.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "{}: the MQTT source did not connect within 30 s",
        peer.node.name
    )
}

async fn wait_http(peer: &Peer<'_>, limit: Duration) -> Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if peer
            .visitor
            .get_request("/health")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{} did not answer within {limit:?}", peer.node.name)
}

async fn crash_restart(root: &Path, mqtt: MqttChoice) -> Result<()> {
    // Node 1 also ingests meter readings over MQTT from a broker started here, which
    // outlives the node's crash.
    std::fs::create_dir_all(root)?;
    let broker = Broker::start(mqtt.broker, root)?;
    println!(
        "node01 ingests over MQTT through {} with {} session(s)",
        broker.name(),
        mqtt.sessions
    );
    let source = mqtt_load::meter_source(&broker.url(), "hanse-node01-meters", 1, mqtt.sessions);
    with_processes(
        root,
        processes::loopback_endpoints(3)?,
        |nodes| {
            let sources = nodes[1].dir.join("sources");
            std::fs::create_dir_all(&sources)?;
            Ok(std::fs::write(sources.join("meters.toml"), source)?)
        },
        async |nodes, children| crash_restart_steps(nodes, children, &broker).await,
    )
    .await
}

async fn crash_restart_steps(
    nodes: &[TestnetNode],
    children: &mut [Child],
    broker: &Broker,
) -> Result<()> {
    let converged = wait_converged(nodes, Duration::from_secs(120)).await?;
    println!(
        "3 nodes up, catalogues converged in {:.1} s",
        converged.as_secs_f64()
    );
    let victim = Peer::of(&nodes[1])?;

    // The written graph is a dataset, so its statistics (and node 1's catalogue) change.
    let dataset = serde_json::json!({
        "id": "ingest", "title": "Ingested batches", "description": "Written during the scenario",
        "graphs": [GRAPH], "access_rights": "public",
        "policy": "@prefix odrl: <http://www.w3.org/ns/odrl/2/> . <#o> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] ."
    });
    let created = victim
        .operator
        .post_request("/api/datasets")
        .json(&dataset)
        .send()
        .await?;
    if !created.status().is_success() {
        bail!("cannot create the dataset: {}", created.text().await?);
    }

    // The writer: one batch of 10 subjects per request; a 2xx answer is an acknowledgement.
    let writer = {
        let operator = victim.operator.clone();
        tokio::spawn(async move {
            let mut acknowledged = 0usize;
            loop {
                let response = operator
                    .post_request("/store")
                    .query(&[("graph", GRAPH)])
                    .header("content-type", "application/n-triples")
                    .body(batch(acknowledged))
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => acknowledged += 1,
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        tracing::warn!("write refused: {status} {text}");
                        eprintln!("writer stopped: {status} {}", text.trim());
                        return acknowledged;
                    }
                    Err(e) => {
                        eprintln!("writer stopped: {e}");
                        return acknowledged;
                    }
                }
            }
        })
    };
    wait_mqtt_connected(&victim).await?;
    let publisher = Publisher::start(broker.addr(), "meter-1", u64::MAX, 1, 2000);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    processes::signal(children[1].id(), "KILL")?;
    let _ = children[1].wait();
    let acknowledged = writer.await?;
    if acknowledged == 0 {
        bail!("no write was acknowledged before the kill: the scenario tested nothing");
    }
    println!(
        "node01 killed with SIGKILL after {acknowledged} acknowledged batches and {} MQTT publishes",
        publisher.published()
    );
    // Readings go on while the node is down; the broker keeps them for its session.
    tokio::time::sleep(Duration::from_secs(1)).await;

    children[1] = spawn_node(victim.node)?;
    let reopened = wait_http(&victim, Duration::from_secs(60)).await?;
    println!(
        "node01 restarted: store opened without repair, serving after {:.2} s",
        reopened.as_secs_f64()
    );
    let stored = count_subjects(&victim).await? as usize;
    let expected = acknowledged * 10;
    // A request in flight at the kill may have committed without its answer arriving.
    if stored != expected && stored != expected + 10 {
        bail!("{stored} subjects stored, {expected} acknowledged: data lost or duplicated");
    }
    println!(
        "every acknowledged batch is stored exactly once ({stored} subjects, {expected} acknowledged)"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let published = publisher.finish().await?;
    let started = Instant::now();
    let mut stored = 0;
    while started.elapsed() < Duration::from_secs(60) {
        stored = mqtt_load::meter_observations(&victim.operator).await?;
        if stored >= published {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if stored != published {
        bail!(
            "{published} MQTT messages acknowledged by the broker, {stored} stored: data lost or duplicated"
        );
    }
    println!(
        "every MQTT message the broker acknowledged is stored exactly once ({published} messages, {stored} observations)"
    );

    // The restarted node re-signs its catalogue with the new statistics at start.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let own = loop {
        if let Some(status) = processes::catalog_status(&victim.visitor).await
            && let Some(version) = status["own_version"].as_u64()
        {
            break version;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let others = [&nodes[0], &nodes[2]].map(|node| node.visitor().with_timeout(ANSWER_LIMIT));
    let started = Instant::now();
    loop {
        let mut current = 0;
        for other in &others {
            if let Some(status) = processes::catalog_status(other).await
                && status["members"].as_array().is_some_and(|members| {
                    members
                        .iter()
                        .any(|m| m[0] == victim.node.peer_id.as_str() && m[1].as_u64() >= Some(own))
                })
            {
                current += 1;
            }
        }
        if current == 2 {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("peers did not receive node01's catalogue version {own} within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "both peers hold node01's current catalogue (version {own}, signed at restart) within {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("scenario crash-restart: passed");
    Ok(())
}
