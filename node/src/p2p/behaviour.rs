//! The composed libp2p behaviour: one field per protocol.

use super::protocol::{AGENT_PROTOCOL, PROTOCOL, Request, Response};
use crate::config::P2pSection;
use libp2p::identity::Keypair;
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    StreamProtocol, allow_block_list, connection_limits, gossipsub, identify, kad, mdns, ping,
};
use std::time::Duration;

/// Every protocol a hanse node speaks, plus the gates in front of them.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Only consortium members may hold a connection (both directions).
    pub members_only: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    /// Bounds connections per peer and in total.
    pub limits: connection_limits::Behaviour,
    /// Exchanges listen addresses and protocol versions.
    pub identify: identify::Behaviour,
    /// Liveness and round-trip time.
    pub ping: ping::Behaviour,
    /// Peer routing: finds members' addresses from the ones we know.
    pub kademlia: kad::Behaviour<kad::store::MemoryStore>,
    /// Consortium-wide broadcast (membership updates, catalogues), validated before forwarding.
    pub gossipsub: gossipsub::Behaviour,
    /// Node-to-node requests.
    pub requests: request_response::cbor::Behaviour<Request, Response>,
    /// Zero-configuration discovery on the local network (optional).
    pub mdns: Toggle<mdns::tokio::Behaviour>,
}

/// Errors building the behaviour.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the {part} protocol: {message}")]
pub struct BehaviourError {
    part: &'static str,
    message: String,
}

fn setup_error(part: &'static str, error: impl std::fmt::Display) -> BehaviourError {
    BehaviourError {
        part,
        message: error.to_string(),
    }
}

impl Behaviour {
    /// Builds the behaviour for `keypair` with the limits from `config`.
    pub fn new(keypair: &Keypair, config: &P2pSection) -> Result<Self, BehaviourError> {
        let peer_id = keypair.public().to_peer_id();
        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(gossipsub::ValidationMode::Strict)
            // The application accepts each message (member source, valid content) before it
            // is forwarded to anyone else.
            .validate_messages()
            .max_transmit_size(config.max_gossip_bytes)
            .heartbeat_interval(Duration::from_millis(500))
            .build()
            .map_err(|e| setup_error("gossipsub", e))?;
        let gossipsub = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(keypair.clone()),
            gossip_config,
        )
        .map_err(|e| setup_error("gossipsub", e))?;

        let mut kademlia = kad::Behaviour::with_config(
            peer_id,
            kad::store::MemoryStore::new(peer_id),
            kad::Config::new(StreamProtocol::new("/hanse/kad/1")),
        );
        kademlia.set_mode(Some(kad::Mode::Server));

        let codec = request_response::cbor::codec::Codec::default()
            .set_request_size_maximum(config.max_message_bytes)
            .set_response_size_maximum(config.max_message_bytes);
        let requests = request_response::Behaviour::with_codec(
            codec,
            [(StreamProtocol::new(PROTOCOL), ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(Duration::from_secs(config.request_timeout_secs))
                .with_max_concurrent_streams(64),
        );

        let mdns = if config.mdns {
            Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)
                    .map_err(|e| setup_error("mdns", e))?,
            )
        } else {
            None
        };

        Ok(Self {
            members_only: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(
                connection_limits::ConnectionLimits::default()
                    .with_max_established_per_peer(Some(config.max_connections_per_peer))
                    .with_max_established(Some(config.max_connections))
                    .with_max_pending_incoming(Some(128)),
            ),
            identify: identify::Behaviour::new(
                identify::Config::new(AGENT_PROTOCOL.to_owned(), keypair.public())
                    .with_push_listen_addr_updates(true),
            ),
            // A member that stops answering pings is disconnected (see the event loop), so
            // a silent partition is noticed within interval + timeout, not TCP's minutes.
            ping: ping::Behaviour::new(
                ping::Config::new()
                    .with_interval(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(10)),
            ),
            kademlia,
            gossipsub,
            requests,
            mdns: mdns.into(),
        })
    }
}
