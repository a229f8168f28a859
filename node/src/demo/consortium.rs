//! The running demo consortium: the six members of [`super::members`], each a node on
//! loopback with its generated data, datasets and live sensors, the signed membership
//! document, and one agreement (the university may aggregate the utility's consumption
//! data for research).

use super::members::{
    CONSORTIUM_ID, DEMO_PURPOSE, MEMBERS, UNIVERSITY, WATER, datasets, identity, sample_data,
};
use super::mqtt_broker::EmbeddedBroker;
use super::sensors as demo_sensors;
use crate::node::{Node, NodeHandle};
use crate::node_dir::{InitOptions, NodeDir};
use crate::trust::consortium::{Member, MembershipDocument, SignedMembership};
use crate::trust::membership::CONSORTIUM_FILE;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A running demo consortium.
pub struct DemoConsortium {
    /// The nodes, in [`MEMBERS`] order.
    pub nodes: Vec<NodeHandle>,
    /// Their directories.
    pub dirs: Vec<NodeDir>,
    /// The id of the university's agreement with the utility.
    pub agreement: String,
    /// The file holding the personal token of the university's researcher (`alice`).
    pub researcher_token: std::path::PathBuf,
    /// Time until every node held all six verified catalogues.
    pub converged_in: Duration,
    /// The embedded MQTT broker the cities' live sensors publish to.
    pub broker: EmbeddedBroker,
    /// Stops the simulated sensors.
    pub sensors: CancellationToken,
}

/// Creates (first run) and starts the six nodes under `root`, HTTP on `http` and the five
/// following ports (port 0: each node on an ephemeral port, for tests), then waits until
/// every federated catalogue holds all six catalogues.
pub async fn start(root: &Path, http: SocketAddr) -> anyhow::Result<DemoConsortium> {
    let started = Instant::now();
    let address = |index: usize| match http.port() {
        0 => http,
        port => SocketAddr::new(http.ip(), port + index as u16),
    };
    let broker = EmbeddedBroker::start(0)?;
    let mut dirs = Vec::new();
    let mut document = MembershipDocument::new(CONSORTIUM_ID, "SCIFI demo consortium", 1);
    for (index, member) in MEMBERS.iter().enumerate() {
        let dir = NodeDir::new(root.join(member.name));
        let address = address(index);
        if !dir.config_path().exists() {
            dir.init(InitOptions {
                name: member.name.into(),
                role: member.role,
                http_listen: address,
                p2p_listen: None,
                mdns: false,
                force: false,
                identity: Some(identity(index)),
            })?;
        }
        document.members.push(Member {
            peer_id: identity(index).peer_id().to_string(),
            name: member.name.into(),
            organisation: member.organisation.into(),
            role: member.role,
            addresses: Vec::new(),
        });
        dirs.push(dir);
    }
    let researcher_token = researcher(&dirs[UNIVERSITY])?;
    document.stewards.push(identity(0).peer_id().to_string());
    let mut signed = SignedMembership::unsigned(document);
    signed.sign(&identity(0))?;
    let mut nodes: Vec<NodeHandle> = Vec::new();
    let mut bootstrap = Vec::new();
    for (index, dir) in dirs.iter().enumerate() {
        let consortium = dir.root().join(CONSORTIUM_FILE);
        if !consortium.exists() {
            std::fs::write(&consortium, signed.to_json())
                .with_context(|| format!("cannot write {}", consortium.display()))?;
        }
        let sources = dir.root().join("sources");
        std::fs::create_dir_all(&sources)?;
        for (name, text) in demo_sensors::sources(&MEMBERS[index], &broker.url()) {
            std::fs::write(sources.join(format!("{name}.toml")), text)?;
        }
        let mut config = dir.load_config()?;
        config.http.listen = address(index);
        config.p2p.listen = vec!["/ip4/127.0.0.1/tcp/0".into()];
        config.p2p.mdns = false;
        config.p2p.bootstrap = bootstrap.clone();
        // Sample data lives in named graphs, as datasets do; let `?s ?p ?o` find it.
        config.sparql.union_default_graph = true;
        config.catalog.publish_debounce_ms = 100;
        let node = Node::spawn(dir, config).await.with_context(|| {
            format!(
                "cannot start demo node `{}` on port {} (pass --http 127.0.0.1:<port> with six free ports from there)",
                MEMBERS[index].name,
                http.port() + index as u16
            )
        })?;
        load_member(&node, index).await?;
        if index == 0 {
            bootstrap.push(node.p2p_address().await?);
        }
        nodes.push(node);
    }
    wait_for_catalogues(&nodes, Duration::from_secs(60)).await?;
    let converged_in = started.elapsed();
    let agreement = agreement(&nodes).await?;
    let sensors = CancellationToken::new();
    wait_for_subscriptions(&nodes).await?;
    tokio::spawn(demo_sensors::simulate(broker.addr(), sensors.clone()));
    wait_for_first_readings(&nodes).await?;
    Ok(DemoConsortium {
        nodes,
        dirs,
        agreement,
        researcher_token,
        converged_in,
        broker,
        sensors,
    })
}

/// The university's researcher, `alice`: she reads the university's own data and uses its
/// agreements for the demo's purpose. Her personal token is issued again at every start
/// (the node keeps only its hash) and written, owner-only, to `alice.token` in the
/// university's directory, where the printed examples read it.
fn researcher(dir: &NodeDir) -> anyhow::Result<std::path::PathBuf> {
    use crate::trust::roles::Role;
    use crate::trust::users::{DEFAULT_VALIDITY, UserError, UserStore};
    let config = dir.load_config()?;
    let state = crate::store::state::NodeState::open(&dir.resolve(&config.storage.state))?;
    let users = UserStore::open(&state)?;
    let roles = [
        Role::Reader(None),
        Role::Researcher(Some(DEMO_PURPOSE.to_owned())),
    ];
    let (_, token) = match users.add("alice", roles.into_iter().collect(), DEFAULT_VALIDITY) {
        Err(UserError::Exists(_)) => users.reissue("alice", DEFAULT_VALIDITY)?,
        other => other?,
    };
    let path = dir.root().join("alice.token");
    crate::atomic_file::write_secret(&path, format!("{}\n", token.as_str()).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    state.flush()?;
    Ok(path)
}

/// Waits until every live source is subscribed (the broker keeps nothing for a client that
/// has not subscribed yet).
async fn wait_for_subscriptions(nodes: &[NodeHandle]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connected = nodes.iter().all(|node| {
            node.ingest()
                .status()
                .iter()
                .all(|s| s.mqtt_connected != Some(false))
        });
        if connected {
            // The subscription follows the connection acknowledgement.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "the demo's live sensor sources did not connect to the embedded MQTT broker within 30 s"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every live source has stored its first reading, so the printed examples
/// show live data at once.
async fn wait_for_first_readings(nodes: &[NodeHandle]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stored = nodes
            .iter()
            .all(|node| node.ingest().status().iter().all(|s| s.messages_stored > 0));
        if stored {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "the demo's live sensor readings were not stored within 30 s (see `curl …/api/ingest/status`)"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Loads the member's sample data and datasets unless a previous run did.
async fn load_member(node: &NodeHandle, index: usize) -> anyhow::Result<()> {
    let member = MEMBERS[index];
    let store = node.store().clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let quads = sample_data(index, &member);
        let first_graph = quads.first().map(|q| q.graph_name.clone());
        let loaded = match first_graph {
            Some(oxigraph::model::GraphName::NamedNode(g)) => store.contains_named_graph(&g)?,
            _ => true,
        };
        if !loaded {
            let mut transaction = store.start_transaction()?;
            transaction.extend(&quads);
            transaction.commit()?;
        }
        Ok(())
    })
    .await??;
    if !member.sensors.is_empty() {
        let (store, iris) = (node.store().clone(), node.catalog().iris().clone());
        tokio::task::spawn_blocking(move || super::kpis::install_demo(&store, &iris))
            .await?
            .map_err(anyhow::Error::msg)?;
    }
    let registry = node.catalog().datasets();
    for definition in datasets(&member) {
        if registry.get(&definition.id).is_err() {
            registry.create(definition)?;
        }
    }
    // Sign the catalogue with the data's statistics now; the catalogue task announces it.
    node.catalog().refresh_now(true).await?;
    node.catalog().definitions_changed();
    Ok(())
}

/// Waits until every node holds every member's current verified catalogue (the version
/// that member has published).
pub async fn wait_for_catalogues(nodes: &[NodeHandle], limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let current: Vec<(libp2p::PeerId, u64)> = nodes
            .iter()
            .filter_map(|n| {
                let peer = n.network()?.local_peer_id();
                Some((peer, n.catalog().own()?.version))
            })
            .collect();
        let complete = nodes
            .iter()
            .filter(|n| {
                current.len() == nodes.len()
                    && current.iter().all(|(peer, version)| {
                        n.catalog()
                            .federated()
                            .version_of(peer)
                            .is_some_and(|held| held >= *version)
                    })
            })
            .count();
        if complete == nodes.len() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "only {complete} of {} nodes hold every member's current catalogue after {limit:?}",
                nodes.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The university's agreement with the utility (negotiated once, reused on later runs).
async fn agreement(nodes: &[NodeHandle]) -> anyhow::Result<String> {
    let university = &nodes[UNIVERSITY];
    let water = identity(WATER).peer_id().to_string();
    let existing = university
        .access()
        .agreements()
        .list()?
        .into_iter()
        .find(|a| {
            a.terms.provider == water
                && a.state == crate::access::AgreementState::Finalized
                && !a.expired(&oxsdatatypes::DateTime::now())
        });
    if let Some(existing) = existing {
        return Ok(existing.terms.id);
    }
    let network = university
        .network()
        .context("the university has no network")?;
    // The catalogues may have reached the university through other members before it is
    // connected to the utility itself: retry while the utility is not reachable yet.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let requested = university
            .access()
            .request_access(
                network,
                identity(WATER).peer_id(),
                "consumption",
                DEMO_PURPOSE,
                None,
            )
            .await;
        match requested {
            Ok(agreement) => return Ok(agreement.terms.id),
            Err(crate::access::AccessError::Network(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context("the university could not obtain the demo agreement"));
            }
        }
    }
}
