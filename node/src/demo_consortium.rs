//! The demo consortium: four cities (Bruges, Delft, Mechelen, Saint-Quentin), a water
//! utility and a university research group, each a node on loopback with its own
//! generated sensor data, datasets with open or restricted ODRL offers, and one agreement
//! (the university may aggregate the utility's consumption data for research).
//!
//! Everything is deterministic: fixed keys (so PeerIds are the same on every run), fixed data.

use crate::catalog::{AccessRights, DatasetDefinition, Text};
use crate::config::Role;
use crate::consortium::{Member, MembershipDocument, SignedMembership};
use crate::demo_data::{
    self, AIR_QUALITY, BICYCLE_COUNTS, PARKING, ROAD_TEMPERATURE, SOIL_MOISTURE, SensorKind,
    SensorSample, WASTE_BINS,
};
use crate::demo_sensors;
use crate::identity::NodeIdentity;
use crate::membership::CONSORTIUM_FILE;
use crate::mqtt_broker::EmbeddedBroker;
use crate::node::{Node, NodeHandle};
use crate::node_dir::{InitOptions, NodeDir};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The consortium's id.
pub const CONSORTIUM_ID: &str = "scifi-demo";
/// DPV purpose the demo agreement is made for.
pub const DEMO_PURPOSE: &str = "https://w3id.org/dpv#AcademicResearch";

/// One member of the demo.
#[derive(Debug, Clone, Copy)]
pub struct DemoMember {
    /// Node name (also the directory name).
    pub name: &'static str,
    /// Organisation.
    pub organisation: &'static str,
    /// Role.
    pub role: Role,
    /// Town centre (latitude, longitude).
    pub centre: (f64, f64),
    /// Sensor kinds the node runs.
    pub sensors: &'static [SensorKind],
}

/// The six members, in start order (Mechelen first: it is the steward and the bootstrap).
pub const MEMBERS: [DemoMember; 6] = [
    DemoMember {
        name: "mechelen",
        organisation: "City of Mechelen",
        role: Role::City,
        centre: (51.0280, 4.4806),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, ROAD_TEMPERATURE],
    },
    DemoMember {
        name: "bruges",
        organisation: "City of Bruges",
        role: Role::City,
        centre: (51.2093, 3.2247),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, PARKING],
    },
    DemoMember {
        name: "delft",
        organisation: "Municipality of Delft",
        role: Role::City,
        centre: (52.0116, 4.3571),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, WASTE_BINS],
    },
    DemoMember {
        name: "saint-quentin",
        organisation: "Ville de Saint-Quentin",
        role: Role::City,
        centre: (49.8465, 3.2876),
        sensors: &[BICYCLE_COUNTS, SOIL_MOISTURE],
    },
    DemoMember {
        name: "water",
        organisation: "Regional Water Utility",
        role: Role::Utility,
        centre: (51.0280, 4.4806),
        sensors: &[],
    },
    DemoMember {
        name: "university",
        organisation: "Regional University Research Group",
        role: Role::Research,
        centre: (51.0, 4.0),
        sensors: &[],
    },
];

/// Index of the water utility and the university in [`MEMBERS`].
pub const WATER: usize = 4;
/// Index of the university in [`MEMBERS`].
pub const UNIVERSITY: usize = 5;

const HOURS: usize = 24;
const SENSORS_PER_KIND: usize = 4;

/// The open offer of city datasets: any member may use them, with attribution.
const OPEN_OFFER: &str = r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<#offer> a odrl:Offer ;
  odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
                    odrl:duty [ odrl:action odrl:attribute ] ] ."#;

/// The utility's offer: research or city members, public-benefit or research purposes,
/// until the end of 2027, aggregates over at least 10 households, attribution.
pub const UTILITY_OFFER: &str = r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix hanse: <https://w3id.org/hanse#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#offer> a odrl:Offer ;
  odrl:permission [
    odrl:action odrl:use ; odrl:target <> ;
    odrl:constraint [ odrl:and (
      [ odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ;
        odrl:rightOperand <role:research>, <role:city> ]
      [ odrl:or (
        [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:PublicBenefit ]
        [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:ResearchAndDevelopment ] ) ]
      [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ;
        odrl:rightOperand "2027-12-31T00:00:00Z"^^xsd:dateTime ]
      [ odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 ] ) ] ;
    odrl:duty [ odrl:action odrl:attribute ] ] ."#;

fn identity(index: usize) -> NodeIdentity {
    let mut seed = *b"hanse-demo-consortium-member-000";
    seed[31] = b'0' + index as u8;
    NodeIdentity::from_seed(seed)
}

fn base_iri(member: &DemoMember) -> String {
    format!("https://{}.demo.hanse.example/", member.name)
}

/// The graph of one of a member's datasets.
pub fn graph_of(member: &DemoMember, dataset: &str) -> String {
    format!("{}graph/{dataset}", base_iri(member))
}

fn dataset_id(kind: &SensorKind) -> &'static str {
    match kind.code {
        "aq" => "air-quality",
        "bike" => "bicycle-counts",
        "park" => "parking",
        "bin" => "waste-bins",
        "soil" => "soil-moisture",
        _ => "road-temperature",
    }
}

fn theme(kind: &SensorKind) -> &'static str {
    match kind.code {
        "aq" | "soil" | "bin" => "ENVI",
        _ => "TRAN",
    }
}

/// The datasets a member describes.
pub fn datasets(member: &DemoMember) -> Vec<DatasetDefinition> {
    let mut definitions: Vec<DatasetDefinition> = member
        .sensors
        .iter()
        .map(|kind| {
            let id = dataset_id(kind);
            let mut d = DatasetDefinition::new(
                id,
                &format!("{} — {}", kind.label, member.organisation),
                &graph_of(member, id),
            );
            d.description = Text::english(format!(
                "Hourly observations of {SENSORS_PER_KIND} {} sensors in {}, as SOSA observations.",
                kind.label.to_lowercase(),
                member.organisation
            ));
            d.keywords = vec![kind.label.to_lowercase(), member.name.to_owned()];
            d.themes = vec![theme(kind).to_owned()];
            d.licence = Some("https://creativecommons.org/licenses/by/4.0/".into());
            d.access_rights = AccessRights::Public;
            d.update_frequency = Some("HOURLY".into());
            d.conforms_to = vec![kind.entity_type.to_owned()];
            d.policy = Some(OPEN_OFFER.into());
            d
        })
        .collect();
    if member.role == Role::Utility {
        let mut d = DatasetDefinition::new(
            "consumption",
            "Household water consumption",
            &graph_of(member, "consumption"),
        );
        d.description = Text::english(
            "Daily litres per household by district; aggregates over at least 10 households only.",
        );
        d.keywords = vec!["water".into(), "consumption".into()];
        d.themes = vec!["ENER".into(), "ENVI".into()];
        d.access_rights = AccessRights::Restricted;
        d.update_frequency = Some("DAILY".into());
        d.policy = Some(UTILITY_OFFER.into());
        definitions.push(d);
    }
    definitions
}

/// The quads a member starts with.
fn sample_data(index: usize, member: &DemoMember) -> Vec<oxigraph::model::Quad> {
    let base = base_iri(member);
    let mut quads = Vec::new();
    for kind in member.sensors {
        let graph = graph_of(member, dataset_id(kind));
        quads.extend(demo_data::sensor_observations(
            kind,
            &SensorSample {
                base: &base,
                graph: &graph,
                centre: member.centre,
                sensors: SENSORS_PER_KIND,
                hours: HOURS,
                seed: 0x5eed + index as u64 * 31 + kind.code.len() as u64,
            },
        ));
    }
    if member.role == Role::Utility {
        quads.extend(demo_data::water_consumption(
            &base,
            &graph_of(member, "consumption"),
            &[("noord", 24), ("zuid", 17), ("oost", 12), ("west", 6)],
            7,
            0xa7e7,
        ));
    }
    quads
}

/// A running demo consortium.
pub struct DemoConsortium {
    /// The nodes, in [`MEMBERS`] order.
    pub nodes: Vec<NodeHandle>,
    /// Their directories.
    pub dirs: Vec<NodeDir>,
    /// The id of the university's agreement with the utility.
    pub agreement: String,
    /// Time until every node held all six verified catalogues.
    pub converged_in: Duration,
    /// The embedded MQTT broker the cities' live sensors publish to.
    pub broker: EmbeddedBroker,
    /// Stops the simulated sensors.
    pub sensors: CancellationToken,
}

/// Creates (first run) and starts the six nodes under `root`, HTTP on `http` and the five
/// following ports, then waits until every federated catalogue holds all six catalogues.
pub async fn start(root: &Path, http: SocketAddr) -> anyhow::Result<DemoConsortium> {
    let started = Instant::now();
    let broker = EmbeddedBroker::start(0)?;
    let mut dirs = Vec::new();
    let mut document = MembershipDocument::new(CONSORTIUM_ID, "SCIFI demo consortium", 1);
    for (index, member) in MEMBERS.iter().enumerate() {
        let dir = NodeDir::new(root.join(member.name));
        let address = SocketAddr::new(http.ip(), http.port() + index as u16);
        if !dir.config_path().exists() {
            dir.init(InitOptions {
                name: member.name.into(),
                role: member.role,
                http_listen: address,
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
        config.http.listen = SocketAddr::new(http.ip(), http.port() + index as u16);
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
        converged_in,
        broker,
        sensors,
    })
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
