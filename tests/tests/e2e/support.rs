//! Helpers on top of `hanse_node::test_utils`: running nodes with an HTTP client, and
//! bounded polling.

use anyhow::{Context, Result, bail};
use hanse_node::NodeHandle;
use hanse_node::client::NodeClient;
use hanse_node::test_utils::{PreparedNode, test_consortium};
use hanse_node::trust::consortium::SignedMembership;
use std::time::{Duration, Instant};

/// A running node with its HTTP clients.
pub struct Running {
    pub name: String,
    pub handle: NodeHandle,
    /// The node's operator: a client that sends the node's admin token with every request.
    pub http: NodeClient,
    /// A client without credentials: a visitor.
    pub visitor: NodeClient,
    pub token: String,
}

impl Running {
    /// The node's PeerId, as the API names members.
    pub fn peer_id(&self) -> Result<String> {
        Ok(self
            .handle
            .network()
            .context("network")?
            .local_peer_id()
            .to_string())
    }

    /// Names of the peers `/api/peers` lists.
    pub async fn peer_names(&self) -> Result<Vec<String>> {
        let peers: serde_json::Value = self
            .http
            .get_request("/api/peers")
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
}

/// Starts a prepared node with `bootstrap` addresses.
pub async fn start(node: &PreparedNode, bootstrap: &[String]) -> Result<Running> {
    let handle = node.start(bootstrap).await?;
    let token = node.dir.load_admin_token()?.as_str().to_owned();
    let base = handle.http_url();
    Ok(Running {
        name: node.name.clone(),
        handle,
        http: NodeClient::bearer(&base, &token),
        visitor: NodeClient::visitor(base),
        token,
    })
}

/// Waits until `node`'s observation index is fresh (it is built from the store at start),
/// so that histories are read from it rather than from the store's triples.
pub async fn observation_index_fresh(node: &NodeHandle) -> Result<()> {
    let index = node.observations().clone();
    let fresh =
        tokio::task::spawn_blocking(move || index.wait_until_fresh(Duration::from_secs(30)));
    if !fresh.await? {
        bail!("the observation index is not fresh 30 s after start");
    }
    Ok(())
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

/// Starts node 0, then the others with node 0's address as their only bootstrap.
pub async fn mesh(nodes: &[PreparedNode]) -> Result<Vec<Running>> {
    let first = start(&nodes[0], &[]).await?;
    let bootstrap = vec![first.handle.p2p_address().await?];
    let mut running = vec![first];
    for node in &nodes[1..] {
        running.push(start(node, &bootstrap).await?);
    }
    Ok(running)
}

pub async fn full_mesh(running: &[Running], members: &[String]) -> Result<()> {
    for node in running {
        let expected: Vec<String> = members
            .iter()
            .filter(|n| **n != node.name)
            .cloned()
            .collect();
        eventually(
            Duration::from_secs(30),
            &format!("{} sees every member", node.name),
            || async { Ok(node.peer_names().await? == expected) },
        )
        .await?;
    }
    Ok(())
}

/// Installs one consortium of all `nodes`, starts them and waits for the full mesh.
pub async fn meshed_consortium(
    nodes: &[PreparedNode],
) -> Result<(SignedMembership, Vec<Running>, Vec<String>)> {
    let document = test_consortium(&nodes.iter().collect::<Vec<_>>())?;
    for node in nodes {
        node.install(&document)?;
    }
    let running = mesh(nodes).await?;
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    full_mesh(&running, &names).await?;
    Ok((document, running, names))
}

pub async fn stop(running: Vec<Running>) -> Result<()> {
    for node in running {
        node.handle.shutdown().await?;
    }
    Ok(())
}

/// A response's status and its body: JSON where it parses, else the text as a JSON string.
pub async fn status_and_body(response: reqwest::Response) -> Result<(u16, serde_json::Value)> {
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    ))
}

/// `POST /api/remote/sparql` from `from` to `provider`: the answer, which must be a 200.
pub async fn remote_query(
    from: &Running,
    provider: &Running,
    query: &str,
) -> Result<serde_json::Value> {
    let response = from
        .http
        .post_request("/api/remote/sparql")
        .json(&serde_json::json!({ "provider": provider.peer_id()?, "query": query }))
        .send()
        .await?;
    let (status, body) = status_and_body(response).await?;
    anyhow::ensure!(status == 200, "remote query: {status} {body}");
    Ok(body)
}

/// Quads outside the node's own catalogue graphs (`hanse://…`), which it rewrites in the
/// background when datasets or statistics change: the data an attack must not touch.
pub async fn data_quads(node: &Running) -> Result<i64> {
    let response = node
        .http
        .post_request("/sparql")
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(r#"SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } FILTER(!STRSTARTS(STR(?g), "hanse:")) }"#)
        .send()
        .await?;
    let (status, body) = status_and_body(response).await?;
    anyhow::ensure!(status == 200, "{status} {body}");
    body["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .context("count")?
        .parse()
        .context("count")
}

/// The TTN v3 air-quality source the ingest and NGSI-LD tests share: device `aq-1` over MQTT
/// at `broker`, `no2` in GQ, then `more_fields` (TOML, may be empty).
pub fn air_quality_source(broker: &str, more_fields: &str) -> String {
    format!(
        r#"graph = "https://t.example/g/air"
base = "https://t.example/"
entity_type = "AirQualityObserved"
[format]
type = "ttn-v3"
[mqtt]
url = "{broker}"
topics = ["v3/+/devices/+/up"]
[devices.aq-1]
location = [51.0279, 4.4777]
[fields.no2]
attribute = "no2"
unit = "GQ"
{more_fields}"#
    )
}
