//! The federated catalogue across members: propagation of dataset changes, catch-up of late
//! joiners, rejection of forged, replayed and non-member catalogues, and the verification
//! budget that stops a member from spending others' CPU on crafted ones.

use crate::support::{Running, eventually, mesh, meshed_consortium, start, stop};
use anyhow::{Context, Result};
use hanse_node::NodeIdentity;
use hanse_node::catalog::service::Announcement;
use hanse_node::catalog::{CATALOG_TOPIC, NodeIris, signing};
use hanse_node::test_utils::{
    PreparedNode, prepare_nodes as prepare, test_consortium as consortium,
};
use hanse_vocab::{dcat, hanse, rdf, xsd};
use oxigraph::model::{Graph, Literal, NamedNode, Triple};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn dataset(id: &str, keyword: &str) -> Value {
    json!({
        "id": id,
        "title": { "en": format!("Dataset {id}") },
        "description": "Sensor observations",
        "graphs": [format!("https://data.example/graph/{id}")],
        "keywords": [keyword],
        "themes": ["ENVI"],
        "access_rights": "public",
        "licence": "https://creativecommons.org/licenses/by/4.0/",
    })
}

async fn put_dataset(node: &Running, body: &Value, create: bool) -> Result<()> {
    let request = if create {
        node.http.post_request("/api/datasets")
    } else {
        let id = body["id"].as_str().context("id")?;
        node.http
            .request(reqwest::Method::PUT, &format!("/api/datasets/{id}"))
    };
    let response = request.json(body).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "dataset write refused: {} {}",
        response.status(),
        response.text().await?
    );
    Ok(())
}

async fn federated(node: &Running, query: &str) -> Result<Vec<Value>> {
    let answer: Value = node
        .http
        .get_request(&format!("/api/catalog/federated?{query}"))
        .send()
        .await?
        .json()
        .await?;
    Ok(answer.as_array().cloned().unwrap_or_default())
}

/// Whether `node` holds `publisher`'s dataset `id` with `keyword`.
async fn holds(node: &Running, publisher: &str, id: &str, keyword: &str) -> Result<bool> {
    Ok(federated(node, &format!("publisher={publisher}"))
        .await?
        .iter()
        .any(|d| {
            d["identifier"] == id
                && d["keywords"]
                    .as_array()
                    .is_some_and(|k| k.contains(&json!(keyword)))
        }))
}

async fn status(node: &Running) -> Result<Value> {
    Ok(node
        .http
        .get_request("/api/catalog/status")
        .send()
        .await?
        .json()
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_changes_reach_every_member_and_late_joiners() -> Result<()> {
    let nodes = prepare(6, 31)?;
    let document = consortium(&nodes.iter().collect::<Vec<_>>())?;
    for node in &nodes {
        node.install(&document)?;
    }
    // Five members run; the sixth starts after the change.
    let running = mesh(&nodes[..5]).await?;
    let publisher = &running[1];
    let peer = publisher.peer_id()?;

    put_dataset(publisher, &dataset("air", "no2"), true).await?;
    let started = Instant::now();
    for node in &running {
        eventually(
            Duration::from_secs(30),
            &format!("{} holds air", node.name),
            || holds(node, &peer, "air", "no2"),
        )
        .await?;
    }
    println!(
        "dataset creation reached 5 members in {:?}",
        started.elapsed()
    );

    put_dataset(publisher, &dataset("air", "pm10"), false).await?;
    let started = Instant::now();
    for node in &running {
        eventually(
            Duration::from_secs(30),
            &format!("{} holds the update", node.name),
            || holds(node, &peer, "air", "pm10"),
        )
        .await?;
    }
    println!(
        "dataset update reached 5 members in {:?}",
        started.elapsed()
    );

    // The federated catalogue is queryable by SPARQL: one named graph per member.
    let query = format!(
        "SELECT ?d WHERE {{ GRAPH <{}> {{ ?d a <{}> }} }}",
        NodeIris::new(&peer.parse()?).catalog(),
        dcat::DATASET
    );
    let answer: Value = running[3]
        .http
        .post_request("/sparql")
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        answer["results"]["bindings"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );

    // A member started after the change obtains the latest version by request-response.
    let bootstrap = vec![running[0].handle.p2p_address().await?];
    let late = start(&nodes[5], &bootstrap).await?;
    eventually(
        Duration::from_secs(30),
        "the late member holds the update",
        || holds(&late, &peer, "air", "pm10"),
    )
    .await?;
    let held = status(&late).await?;
    assert_eq!(held["members"].as_array().map(Vec::len), Some(6), "{held}");

    let mut all = running;
    all.push(late);
    stop(all).await
}

/// Publishes `nquads` as a catalogue announcement from `via`.
async fn gossip(via: &Running, version: u64, nquads: String) -> Result<()> {
    let announcement = Announcement {
        version,
        hash: String::new(),
        nquads: Some(nquads),
    };
    via.handle
        .network()
        .context("network")?
        .publish(CATALOG_TOPIC, serde_json::to_vec(&announcement)?)
        .await?;
    Ok(())
}

/// Waits until `node` lists a rejection whose reason contains `needle`.
async fn rejected(node: &Running, needle: &str) -> Result<()> {
    eventually(
        Duration::from_secs(20),
        &format!("rejection `{needle}`"),
        || async {
            let status = status(node).await?;
            Ok(status["rejections"].as_array().is_some_and(|r| {
                r.iter()
                    .any(|r| r["reason"].as_str().is_some_and(|s| s.contains(needle)))
            }))
        },
    )
    .await
}

async fn version_held(node: &Running, publisher: &str) -> Result<Option<u64>> {
    Ok(status(node).await?["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m[0] == publisher)
        .and_then(|m| m[1].as_u64()))
}

/// Three members; node 1 has published a catalogue everyone holds. The prepared nodes
/// (their temporary directories) must outlive the running ones.
async fn three_members(seed: u8) -> Result<(Vec<PreparedNode>, Vec<Running>)> {
    three_members_with(seed, |config| config).await
}

/// [`three_members`], each node's `hanse.toml` passed through `edit` first.
async fn three_members_with(
    seed: u8,
    edit: impl Fn(String) -> String,
) -> Result<(Vec<PreparedNode>, Vec<Running>)> {
    let nodes = prepare(3, seed)?;
    for node in &nodes {
        let path = node.dir.config_path();
        std::fs::write(&path, edit(std::fs::read_to_string(&path)?))?;
    }
    let (_, running, _) = meshed_consortium(&nodes).await?;
    let publisher = &running[1];
    put_dataset(publisher, &dataset("bikes", "cycling"), true).await?;
    let peer = publisher.peer_id()?;
    for node in &running {
        eventually(Duration::from_secs(30), "catalogue everywhere", || {
            holds(node, &peer, "bikes", "cycling")
        })
        .await?;
    }
    Ok((nodes, running))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_catalogues_are_rejected() -> Result<()> {
    let (_nodes, running) = three_members(41).await?;
    let victim = &running[1];
    let peer = victim.peer_id()?;
    let signed = victim.handle.catalog().own().context("own catalogue")?;
    let held = version_held(&running[2], &peer).await?;
    // Node 0 claims node 1 now offers something else, keeping node 1's proof.
    let forged = signed
        .nquads
        .replace("Dataset bikes", "Dataset of everyone's secrets")
        .replace(
            &format!("\"{}\"^^", signed.version),
            &format!("\"{}\"^^", signed.version + 1),
        );
    assert_ne!(forged, signed.nquads);
    gossip(&running[0], signed.version + 1, forged).await?;
    rejected(&running[2], "bad signature").await?;
    assert_eq!(
        version_held(&running[2], &peer).await?,
        held,
        "the stored version stays"
    );
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_catalogues_are_rejected() -> Result<()> {
    let (_nodes, running) = three_members(42).await?;
    let publisher = &running[1];
    let peer = publisher.peer_id()?;
    let old = publisher.handle.catalog().own().context("own catalogue")?;
    put_dataset(publisher, &dataset("bikes", "counters"), false).await?;
    eventually(Duration::from_secs(30), "update everywhere", || {
        holds(&running[2], &peer, "bikes", "counters")
    })
    .await?;
    let newer = version_held(&running[2], &peer).await?.context("held")?;
    assert!(newer > old.version);
    gossip(publisher, old.version, old.nquads.clone()).await?;
    rejected(
        &running[2],
        &format!("version {} of {peer} is not newer", old.version),
    )
    .await?;
    assert_eq!(version_held(&running[2], &peer).await?, Some(newer));
    assert!(holds(&running[2], &peer, "bikes", "counters").await?);
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_member_catalogues_are_rejected() -> Result<()> {
    let (_nodes, running) = three_members(43).await?;
    let outsider = NodeIdentity::from_seed([99; 32]);
    let catalog = NamedNode::new(NodeIris::new(&outsider.peer_id()).catalog())?;
    let iri = NamedNode::new_unchecked;
    let mut document = Graph::new();
    document.insert(&Triple::new(
        catalog.clone(),
        iri(rdf::TYPE),
        iri(dcat::CATALOG),
    ));
    document.insert(&Triple::new(
        catalog.clone(),
        iri(hanse::CATALOG_VERSION),
        Literal::new_typed_literal("1", iri(xsd::INTEGER)),
    ));
    document.insert(&Triple::new(
        catalog,
        iri(hanse::CONSORTIUM),
        Literal::new_simple_literal("test-consortium"),
    ));
    let signed = signing::sign(document, &outsider)?;
    gossip(&running[0], 1, signed.nquads).await?;
    rejected(
        &running[2],
        &format!("publisher {} is not a member", outsider.peer_id()),
    )
    .await?;
    assert_eq!(
        version_held(&running[2], &outsider.peer_id().to_string()).await?,
        None
    );
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sending_costly_catalogues_is_throttled_alone() -> Result<()> {
    // A budget of 100 ms: one catalogue that takes the canonicaliser to its call limit
    // (about 0.4 s) spends it.
    let (_nodes, running) = three_members_with(44, |config| {
        config.replace("verify_budget_ms = 5000", "verify_budget_ms = 100")
    })
    .await?;
    let attacker = &running[0];
    let own = attacker.handle.catalog().own().context("own catalogue")?;
    // Its own catalogue, a newer version, with a chain of 1,000 look-alike blank nodes.
    let costly = |version: u64| {
        let mut nquads = own.nquads.replace(
            &format!("\"{}\"^^", own.version),
            &format!("\"{version}\"^^"),
        );
        for i in 0..1_000 {
            nquads.push_str(&format!(
                "_:costly{i} <https://example.org/next> _:costly{} .\n",
                i + 1
            ));
        }
        nquads
    };
    gossip(attacker, own.version + 1, costly(own.version + 1)).await?;
    rejected(&running[2], "exceeded the limit").await?;
    gossip(attacker, own.version + 2, costly(own.version + 2)).await?;
    rejected(
        &running[2],
        &format!(
            "peer {} has spent its catalogue verification budget",
            attacker.peer_id()?
        ),
    )
    .await?;
    // Another member's catalogues still go through.
    let honest = &running[1];
    let peer = honest.peer_id()?;
    put_dataset(honest, &dataset("bikes", "throttled"), false).await?;
    eventually(Duration::from_secs(30), "the honest update", || {
        holds(&running[2], &peer, "bikes", "throttled")
    })
    .await?;
    stop(running).await
}
