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
use futures::future::BoxFuture;
use libp2p::{Multiaddr, SwarmBuilder, noise, tcp, yamux};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
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

/// The network, listening and dialling: the client, requests for the application to answer,
/// and the event loop for the caller to run as a task it owns.
pub struct Network {
    /// Handle to the network task.
    pub client: NetworkClient,
    /// Requests from members that the application answers (see [`InboundRequest`]).
    pub inbound: mpsc::Receiver<InboundRequest>,
    /// The event loop that owns the swarm; it ends when the cancellation token fires.
    pub event_loop: BoxFuture<'static, ()>,
}

/// Builds the network for `identity` in the consortium `membership`: listens, dials the
/// bootstrap addresses, and returns the event loop to run.
pub async fn start(
    identity: &NodeIdentity,
    config: &P2pSection,
    membership: CurrentMembership,
    cancel: CancellationToken,
) -> Result<Network, NetworkError> {
    let listen = parse_addresses("p2p.listen", &config.listen)?;
    let bootstrap = parse_addresses("p2p.bootstrap", &config.bootstrap)?;
    let mut swarm = build_swarm(identity, config)?;

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
        .map_err(|e| NetworkError::Setup(e.to_string()))?;
    for address in listen {
        ensure_free(&address)?;
        swarm.listen_on(address.clone()).map_err(|e| {
            // The transport's error says little ("Other"); the OS error under it says what
            // happened, e.g. "Address already in use".
            NetworkError::Setup(format!(
                "cannot listen on {address} (p2p.listen): {}",
                error_chain(&e)
            ))
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
    Ok(Network {
        client,
        inbound,
        event_loop: Box::pin(event_loop.run(cancel)),
    })
}

/// The swarm: TCP and QUIC, noise and yamux, the composed behaviour.
fn build_swarm(
    identity: &NodeIdentity,
    config: &P2pSection,
) -> Result<libp2p::Swarm<Behaviour>, NetworkError> {
    let behaviour = Behaviour::new(identity.keypair(), config)
        .map_err(|e| NetworkError::Setup(e.to_string()))?;
    let setup = |e: &dyn std::fmt::Display| NetworkError::Setup(e.to_string());
    let swarm = SwarmBuilder::with_existing_identity(identity.keypair().clone())
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
    Ok(swarm)
}

/// `error` and its sources, joined with ": ", each said once.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.retain(|p| !p.is_empty());
    parts.join(": ")
}

/// Fails when another process holds `address`'s port. libp2p binds TCP with `SO_REUSEPORT`,
/// so a second node on the same port would start and silently share the first one's
/// connections; a plain bind first says "Address already in use" instead.
fn ensure_free(address: &Multiaddr) -> Result<(), NetworkError> {
    use libp2p::multiaddr::Protocol;
    let mut parts = address.iter();
    let ip: std::net::IpAddr = match parts.next() {
        Some(Protocol::Ip4(ip)) => ip.into(),
        Some(Protocol::Ip6(ip)) => ip.into(),
        _ => return Ok(()),
    };
    let bound = match parts.next() {
        Some(Protocol::Tcp(port)) if port != 0 => std::net::TcpListener::bind((ip, port)).map(drop),
        Some(Protocol::Udp(port)) if port != 0 => std::net::UdpSocket::bind((ip, port)).map(drop),
        _ => return Ok(()),
    };
    bound.map_err(|e| NetworkError::Setup(format!("cannot listen on {address} (p2p.listen): {e}")))
}
