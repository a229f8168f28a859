//! The libp2p network: members-only connections, gossip, and node-to-node requests.
//!
//! One task ([`event_loop`]) owns the swarm; the rest of the node talks to it through a
//! [`NetworkClient`]. The swarm speaks TCP and QUIC with noise and yamux, and composes
//! identify, ping, Kademlia (server mode), gossipsub (signed, strictly validated, accepted by
//! the application before forwarding), request-response and optional mDNS behind two gates:
//! an allow list holding exactly the current consortium members, and connection limits.
//!
//! Membership changes arrive by gossip (or from the local API), are verified against the
//! current document, persisted, and then open or close the gate: removed members are
//! disconnected at once.

mod behaviour;
mod client;
mod error;
mod event_loop;
mod protocol;

pub use client::{InboundRequest, NetworkClient, NetworkEvent, PeerSummary};
pub use error::NetworkError;
pub use protocol::{
    ChunkStatus, ColumnNoise, Disclosure, NoiseDisclosure, QueryLimits, Request, Response,
    SolutionChunk,
};

use crate::config::P2pSection;
use crate::trust::identity::NodeIdentity;
use crate::trust::membership::CurrentMembership;
use behaviour::Behaviour;
use event_loop::{EventLoop, MEMBERSHIP_TOPIC, topic};
use libp2p::{Multiaddr, SwarmBuilder, noise, tcp, yamux};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn parse_addresses(key: &'static str, values: &[String]) -> Result<Vec<Multiaddr>, NetworkError> {
    values
        .iter()
        .map(|address| {
            address
                .parse()
                .map_err(|e: libp2p::multiaddr::Error| NetworkError::Address {
                    key,
                    address: address.clone(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// Application requests waiting for an answer, at most; more are refused as busy.
const INBOUND_QUEUE: usize = 256;

/// The running network: the client, requests for the application to answer, and the task.
pub struct Network {
    /// Handle to the network task.
    pub client: NetworkClient,
    /// Requests from members that the application answers (see [`InboundRequest`]).
    pub inbound: mpsc::Receiver<InboundRequest>,
    /// The network task; it ends when the cancellation token fires.
    pub task: JoinHandle<()>,
}

/// Starts the network task for `identity` in the consortium `membership`.
pub async fn spawn(
    identity: &NodeIdentity,
    config: &P2pSection,
    membership: CurrentMembership,
    cancel: CancellationToken,
) -> Result<Network, NetworkError> {
    let listen = parse_addresses("p2p.listen", &config.listen)?;
    let bootstrap = parse_addresses("p2p.bootstrap", &config.bootstrap)?;
    let behaviour = Behaviour::new(identity.keypair(), config)
        .map_err(|e| NetworkError::Setup(e.to_string()))?;
    let setup = |e: &dyn std::fmt::Display| NetworkError::Setup(e.to_string());
    let mut swarm = SwarmBuilder::with_existing_identity(identity.keypair().clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_quic()
        .with_behaviour(|_| behaviour)
        .map_err(|e| setup(&e))?
        // Members keep their connections; the maintenance loop redials the ones that drop.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(300)))
        .build();

    let document = membership.get().document;
    let local = identity.peer_id();
    if !document.is_member(&local) {
        tracing::warn!(
            "this node ({local}) is not a member of consortium `{}`: members will refuse it",
            document.consortium_id
        );
    }
    for peer in document.member_peer_ids() {
        swarm.behaviour_mut().members_only.allow_peer(peer);
    }
    swarm
        .behaviour_mut()
        .gossipsub
        .subscribe(&topic(&document.consortium_id, MEMBERSHIP_TOPIC))
        .map_err(|e| setup(&e))?;
    for address in listen {
        swarm.listen_on(address.clone()).map_err(|e| {
            NetworkError::Setup(format!("cannot listen on {address} (p2p.listen): {e}"))
        })?;
    }
    for address in &bootstrap {
        if let Err(e) = swarm.dial(address.clone()) {
            tracing::warn!(%address, "cannot dial bootstrap address: {e}");
        }
    }

    let (command_tx, command_rx) = mpsc::channel(256);
    let (event_tx, _) = broadcast::channel(1024);
    let client = NetworkClient {
        commands: command_tx,
        events: event_tx.clone(),
        local_peer_id: local,
        max_gossip_bytes: config.max_gossip_bytes,
    };
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_QUEUE);
    let event_loop = EventLoop::new(
        swarm, command_rx, event_tx, inbound_tx, membership, bootstrap,
    );
    let task = tokio::spawn(event_loop.run(cancel));
    Ok(Network {
        client,
        inbound,
        task,
    })
}
