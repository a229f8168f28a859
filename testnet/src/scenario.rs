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
//! printed). The partition is made at each node's connection gate (`POST
//! /api/network/block`): members of the other side are disconnected and refused. Network
//! namespaces are not used yet.

use crate::mqtt_load::{self, Publisher};
use crate::processes::{self, TestnetNode, spawn_node, wait_converged};
use anyhow::{Context, Result, bail};
use hanse_node::mqtt_broker::EmbeddedBroker;
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

/// Runs a scenario in `root` (a fresh directory); `partition` is how long a partition lasts.
pub async fn run(name: ScenarioName, root: &Path, partition: Duration) -> Result<()> {
    match name {
        ScenarioName::CrashRestart => crash_restart(root).await,
        ScenarioName::PartitionHeal => partition_heal(root, partition).await,
    }
}

/// Starts `n` fresh node processes, runs `steps`, and stops them whatever happened.
async fn with_processes<F, Fut>(
    root: &Path,
    n: usize,
    before_start: impl FnOnce(&[TestnetNode]) -> Result<()>,
    steps: F,
) -> Result<()>
where
    F: FnOnce(Vec<TestnetNode>, Vec<Child>) -> Fut,
    Fut: std::future::Future<Output = (Result<()>, Vec<Child>)>,
{
    std::fs::create_dir_all(root)?;
    let mut testnet = processes::prepare(root, n)?;
    before_start(&testnet.nodes)?;
    let children: Vec<Child> = testnet
        .nodes
        .iter()
        .map(spawn_node)
        .collect::<Result<_>>()?;
    for (node, child) in testnet.nodes.iter_mut().zip(&children) {
        node.pid = Some(child.id());
    }
    let (result, mut children) = steps(testnet.nodes, children).await;
    for child in &mut children {
        let _ = processes::signal(child.id(), "TERM");
    }
    for child in &mut children {
        let _ = child.wait();
    }
    result
}

fn token(node: &TestnetNode) -> Result<String> {
    Ok(std::fs::read_to_string(node.dir.join("admin.token"))?
        .trim()
        .to_owned())
}

async fn block(
    client: &reqwest::Client,
    node: &TestnetNode,
    others: &[&TestnetNode],
    blocked: bool,
) -> Result<()> {
    let peers: Vec<&str> = others.iter().map(|n| n.peer_id.as_str()).collect();
    let response = client
        .post(format!("{}/api/network/block", node.url))
        .bearer_auth(token(node)?)
        .json(&serde_json::json!({ "peers": peers, "blocked": blocked }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("{}: block refused: {}", node.name, response.text().await?);
    }
    Ok(())
}

async fn connected(client: &reqwest::Client, node: &TestnetNode) -> Result<usize> {
    let peers: serde_json::Value = client
        .get(format!("{}/api/peers", node.url))
        .send()
        .await?
        .json()
        .await?;
    Ok(peers.as_array().map_or(0, Vec::len))
}

/// Every member's own catalogue version, read from the member itself.
async fn own_versions(
    client: &reqwest::Client,
    nodes: &[TestnetNode],
) -> Result<Vec<(String, u64)>> {
    let mut versions = Vec::new();
    for node in nodes {
        let status = processes::catalog_status(client, node)
            .await
            .with_context(|| format!("{} does not answer", node.name))?;
        versions.push((
            node.peer_id.clone(),
            status["own_version"].as_u64().unwrap_or(0),
        ));
    }
    Ok(versions)
}

/// Whether `node` holds at least `versions` of every member.
async fn holds_all(
    client: &reqwest::Client,
    node: &TestnetNode,
    versions: &[(String, u64)],
) -> bool {
    let Some(status) = processes::catalog_status(client, node).await else {
        return false;
    };
    let members = status["members"].as_array().cloned().unwrap_or_default();
    versions.iter().all(|(peer, version)| {
        members
            .iter()
            .any(|m| m[0] == peer.as_str() && m[1].as_u64() >= Some(*version))
    })
}

async fn change_dataset(client: &reqwest::Client, node: &TestnetNode, round: usize) -> Result<()> {
    let mut dataset: serde_json::Value = client
        .get(format!("{}/api/datasets/air-quality", node.url))
        .send()
        .await?
        .json()
        .await?;
    dataset["keywords"] = serde_json::json!([format!("round-{round}")]);
    for derived in ["iri", "statistics", "modified"] {
        if let Some(object) = dataset.as_object_mut() {
            object.remove(derived);
        }
    }
    let response = client
        .put(format!("{}/api/datasets/air-quality", node.url))
        .bearer_auth(token(node)?)
        .json(&dataset)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "{}: dataset update refused: {}",
            node.name,
            response.text().await?
        );
    }
    Ok(())
}

async fn partition_heal(root: &Path, partition: Duration) -> Result<()> {
    with_processes(
        root,
        6,
        |_| Ok(()),
        |nodes, children| async move {
            let result = partition_heal_steps(&nodes, partition).await;
            (result, children)
        },
    )
    .await
}

async fn partition_heal_steps(nodes: &[TestnetNode], partition: Duration) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let converged = wait_converged(nodes, Duration::from_secs(120)).await?;
    println!(
        "6 nodes up, catalogues converged in {:.1} s",
        converged.as_secs_f64()
    );
    let (left, right) = nodes.split_at(3);
    let left_refs: Vec<&TestnetNode> = left.iter().collect();
    let right_refs: Vec<&TestnetNode> = right.iter().collect();
    for node in left {
        block(&client, node, &right_refs, true).await?;
    }
    for node in right {
        block(&client, node, &left_refs, true).await?;
    }
    let started = Instant::now();
    loop {
        let mut split = 0;
        for node in nodes {
            if connected(&client, node).await? == 2 {
                split += 1;
            }
        }
        if split == nodes.len() {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the partition did not take effect within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "partitioned 3/3 at the connection gate (no network namespaces) for {:.0} s; datasets change on both sides",
        partition.as_secs_f64()
    );
    let mut round = 0;
    while started.elapsed() < partition {
        round += 1;
        change_dataset(&client, &left[1], round).await?;
        change_dataset(&client, &right[1], round).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // While split, neither side can know the other's latest version.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let latest = own_versions(&client, nodes).await?;
    if holds_all(&client, &left[0], &latest).await {
        bail!(
            "node00 holds the other side's latest catalogue during the partition: not partitioned"
        );
    }
    for node in nodes {
        let others: Vec<&TestnetNode> = nodes.iter().filter(|n| n.name != node.name).collect();
        block(&client, node, &others, false).await?;
    }
    let healed = Instant::now();
    loop {
        let latest = own_versions(&client, nodes).await?;
        let mut current = 0;
        for node in nodes {
            if holds_all(&client, node, &latest).await {
                current += 1;
            }
        }
        if current == nodes.len() {
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

async fn count_subjects(client: &reqwest::Client, node: &TestnetNode) -> Result<u64> {
    let query = format!(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s <urn:ex:seq> ?b }} }}"
    );
    processes::sparql_count(client, &node.url, query).await
}

/// Waits until the node's MQTT source is subscribed (messages sent before are not queued
/// for it).
async fn wait_mqtt_connected(client: &reqwest::Client, node: &TestnetNode) -> Result<()> {
    for _ in 0..300 {
        let status: Option<serde_json::Value> = match client
            .get(format!("{}/api/ingest/status", node.url))
            .send()
            .await
        {
            Ok(response) => response.json().await.ok(),
            Err(_) => None,
        };
        if status.is_some_and(|s| s[0]["mqtt_connected"] == true) {
            // The subscription follows the connection acknowledgement.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{}: the MQTT source did not connect within 30 s", node.name)
}

async fn wait_http(
    client: &reqwest::Client,
    node: &TestnetNode,
    limit: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if client
            .get(format!("{}/health", node.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{} did not answer within {limit:?}", node.name)
}

async fn crash_restart(root: &Path) -> Result<()> {
    // Node 1 also ingests meter readings over MQTT from a broker in this process, which
    // outlives the node's crash.
    let broker = EmbeddedBroker::start(0)?;
    let source = mqtt_load::meter_source(&broker.url(), "hanse-node01-meters", 1);
    with_processes(
        root,
        3,
        |nodes| {
            let sources = nodes[1].dir.join("sources");
            std::fs::create_dir_all(&sources)?;
            Ok(std::fs::write(sources.join("meters.toml"), source)?)
        },
        |nodes, mut children| async move {
            let result = crash_restart_steps(&nodes, &mut children, &broker).await;
            (result, children)
        },
    )
    .await
}

async fn crash_restart_steps(
    nodes: &[TestnetNode],
    children: &mut [Child],
    broker: &EmbeddedBroker,
) -> Result<()> {
    let converged = wait_converged(nodes, Duration::from_secs(120)).await?;
    println!(
        "3 nodes up, catalogues converged in {:.1} s",
        converged.as_secs_f64()
    );
    let victim = &nodes[1];
    let token = token(victim)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;

    // The written graph is a dataset, so its statistics (and node 1's catalogue) change.
    let dataset = serde_json::json!({
        "id": "ingest", "title": "Ingested batches", "description": "Written during the scenario",
        "graphs": [GRAPH], "access_rights": "public",
        "policy": "@prefix odrl: <http://www.w3.org/ns/odrl/2/> . <#o> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] ."
    });
    let created = client
        .post(format!("{}/api/datasets", victim.url))
        .bearer_auth(&token)
        .json(&dataset)
        .send()
        .await?;
    if !created.status().is_success() {
        bail!("cannot create the dataset: {}", created.text().await?);
    }

    // The writer: one batch of 10 subjects per request; a 2xx answer is an acknowledgement.
    let writer = {
        let (client, url, token) = (client.clone(), victim.url.clone(), token.clone());
        tokio::spawn(async move {
            let mut acknowledged = 0usize;
            loop {
                let response = client
                    .post(format!("{url}/store"))
                    .query(&[("graph", GRAPH)])
                    .bearer_auth(&token)
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
    wait_mqtt_connected(&client, victim).await?;
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

    children[1] = spawn_node(victim)?;
    let reopened = wait_http(&client, victim, Duration::from_secs(60)).await?;
    println!(
        "node01 restarted: store opened without repair, serving after {:.2} s",
        reopened.as_secs_f64()
    );
    let stored = count_subjects(&client, victim).await? as usize;
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
        stored = mqtt_load::meter_observations(&client, &victim.url).await?;
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
        if let Some(status) = processes::catalog_status(&client, victim).await
            && let Some(version) = status["own_version"].as_u64()
        {
            break version;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let started = Instant::now();
    loop {
        let mut current = 0;
        for peer in [&nodes[0], &nodes[2]] {
            if let Some(status) = processes::catalog_status(&client, peer).await
                && status["members"].as_array().is_some_and(|members| {
                    members
                        .iter()
                        .any(|m| m[0] == victim.peer_id.as_str() && m[1].as_u64() >= Some(own))
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
