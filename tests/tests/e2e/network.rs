//! The consortium network: a members-only mesh from one bootstrap address, refusal of
//! non-members, and disconnection of removed members.

use crate::support::{eventually, full_mesh, mesh, meshed_consortium, start, stop};
use anyhow::Result;
use hanse_node::p2p::NetworkEvent;
use hanse_node::test_utils::{prepare_nodes as prepare, test_consortium as consortium};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_members_form_a_mesh_from_one_bootstrap_address() -> Result<()> {
    let nodes = prepare(5, 11)?;
    let (_, running, _) = meshed_consortium(&nodes).await?;

    // Every peer entry carries what an operator needs.
    let peers: serde_json::Value = running[2]
        .http
        .get_request("/api/peers")
        .send()
        .await?
        .json()
        .await?;
    for peer in peers.as_array().into_iter().flatten() {
        assert!(
            peer["peer_id"]
                .as_str()
                .is_some_and(|p| p.starts_with("12D3KooW")),
            "{peer}"
        );
        assert!(
            peer["did_key"]
                .as_str()
                .is_some_and(|d| d.starts_with("did:key:z6Mk")),
            "{peer}"
        );
        assert!(
            peer["addresses"].as_array().is_some_and(|a| !a.is_empty()),
            "{peer}"
        );
        assert!(
            peer["role"].is_string() && peer["organisation"].is_string(),
            "{peer}"
        );
    }
    // Gossip larger than p2p.max_gossip_bytes is refused before it leaves the node.
    let network = running[1].handle.network().expect("network");
    network.subscribe_topic("notes").await?;
    let oversized = network.publish("notes", vec![0u8; 3 * 1024 * 1024]).await;
    assert!(
        matches!(oversized, Err(hanse_node::p2p::NetworkError::TooLarge)),
        "{oversized:?}"
    );
    let status: serde_json::Value = running[3]
        .http
        .get_request("/api/consortium")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(status["verification"]["status"], "verified", "{status}");
    assert_eq!(status["document"]["document"]["version"], 1);
    assert_eq!(status["local_member"], true);
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_cannot_connect_or_gossip() -> Result<()> {
    let nodes = prepare(4, 22)?;
    let members: Vec<_> = nodes[..3].iter().collect();
    let document = consortium(&members)?;
    // The outsider has a valid key and even the document, but is not listed in it.
    for node in &nodes {
        node.install(&document)?;
    }
    let running = mesh(&nodes[..3]).await?;
    let names: Vec<String> = nodes[..3].iter().map(|n| n.name.clone()).collect();
    full_mesh(&running, &names).await?;
    for node in &running {
        node.handle
            .network()
            .expect("network")
            .subscribe_topic("notes")
            .await?;
    }
    let mut received = running[1].handle.network().expect("network").subscribe();

    let bootstrap = vec![running[0].handle.p2p_address().await?];
    let outsider = start(&nodes[3], &bootstrap).await?;
    let outsider_net = outsider.handle.network().expect("network").clone();
    outsider_net.subscribe_topic("notes").await?;
    for node in &running {
        outsider_net
            .dial(node.handle.p2p_address().await?.parse()?)
            .await?;
    }
    // Give the outsider several maintenance rounds of dialling.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        outsider.peer_names().await?.is_empty(),
        "outsider got connected"
    );
    for node in &running {
        let peers = node.peer_names().await?;
        assert!(
            !peers.contains(&outsider.name),
            "{} lists the outsider",
            node.name
        );
        assert_eq!(peers.len(), 2, "{}: {peers:?}", node.name);
    }
    let publish = outsider_net.publish("notes", b"let me in".to_vec()).await;
    assert!(publish.is_err(), "outsider could publish: {publish:?}");

    // Members still gossip among themselves; nothing from the outsider arrives. Other topics
    // (a member's catalogue announcement) may interleave: only `notes` is this test's.
    running[0]
        .handle
        .network()
        .expect("network")
        .publish("notes", b"members only".to_vec())
        .await?;
    let note = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(NetworkEvent::Gossip {
                topic,
                data,
                source,
            }) = received.recv().await
                && topic == "notes"
            {
                return (data, source);
            }
        }
    })
    .await?;
    assert_eq!(note.0.as_slice(), b"members only");
    assert_eq!(
        note.1,
        running[0]
            .handle
            .network()
            .expect("network")
            .local_peer_id()
    );
    outsider.handle.shutdown().await?;
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_disconnected() -> Result<()> {
    let nodes = prepare(5, 33)?;
    let (document, running, names) = meshed_consortium(&nodes).await?;

    // The steward (node0) removes node4 and submits version 2 through its API.
    let mut update = document.clone();
    update.document.version = 2;
    update.document.members.retain(|m| m.name != "node4");
    update.clear_signatures();
    update.sign(&nodes[0].identity)?;
    let steward = &running[0];
    let unauthorised = steward
        .visitor
        .post_request("/api/consortium")
        .body(update.to_json())
        .send()
        .await?;
    assert_eq!(unauthorised.status(), reqwest::StatusCode::UNAUTHORIZED);
    let started = std::time::Instant::now();
    let accepted = steward
        .http
        .post_request("/api/consortium")
        .body(update.to_json())
        .send()
        .await?;
    assert_eq!(
        accepted.status(),
        reqwest::StatusCode::OK,
        "{}",
        accepted.text().await?
    );

    let remaining: Vec<String> = names[..4].to_vec();
    full_mesh(&running[..4], &remaining).await?;
    for node in &running[..4] {
        eventually(Duration::from_secs(10), "version 2 adopted", || async {
            let status: serde_json::Value = node
                .http
                .get_request("/api/consortium")
                .send()
                .await?
                .json()
                .await?;
            Ok(status["document"]["document"]["version"] == 2)
        })
        .await?;
    }
    eventually(Duration::from_secs(10), "node4 isolated", || async {
        Ok(running[4].peer_names().await?.is_empty())
    })
    .await?;
    println!(
        "removed member disconnected everywhere {:?} after the update",
        started.elapsed()
    );

    // Replaying the old version is refused with a clear reason.
    let replay = steward
        .http
        .post_request("/api/consortium")
        .body(document.to_json())
        .send()
        .await?;
    assert_eq!(replay.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(replay.text().await?.contains("not newer"));
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_clash_says_address_in_use() -> Result<()> {
    let nodes = prepare(2, 13)?;
    let document = consortium(&nodes.iter().collect::<Vec<_>>())?;
    for node in &nodes {
        node.install(&document)?;
    }
    let first = start(&nodes[0], &[]).await?;
    let p2p = first.handle.p2p_address().await?;
    let taken_p2p = p2p.split("/p2p/").next().unwrap_or_default().to_owned();

    // The second node asks for the first one's p2p address...
    let mut config = nodes[1].dir.load_config()?;
    config.p2p.listen = vec![taken_p2p.clone()];
    config.p2p.mdns = false;
    let error = match hanse_node::Node::spawn(&nodes[1].dir, config).await {
        Ok(_) => anyhow::bail!("a second node listened on {taken_p2p}"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains(&taken_p2p) && error.contains("p2p.listen"),
        "{error}"
    );
    assert!(
        error.to_lowercase().contains("address already in use"),
        "{error}"
    );

    // ...and for its HTTP address.
    let mut config = nodes[1].dir.load_config()?;
    config.http.listen = first.handle.http_addr();
    let error = match hanse_node::Node::spawn(&nodes[1].dir, config).await {
        Ok(_) => anyhow::bail!("a second node listened on the first one's HTTP address"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("http.listen"), "{error}");
    assert!(
        error.to_lowercase().contains("address already in use"),
        "{error}"
    );
    stop(vec![first]).await
}
