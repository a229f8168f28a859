//! `[p2p]`: the libp2p network's addresses, connection bounds and message sizes.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// `[p2p]`: the libp2p network, started when the node has a consortium document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct P2pSection {
    /// Multiaddresses to listen on.
    pub listen: Vec<String>,
    /// Multiaddresses of members to dial at start (with or without a `/p2p/<PeerId>` suffix);
    /// the consortium document's member addresses are dialled too.
    pub bootstrap: Vec<String>,
    /// Discover members on the local network with mDNS.
    pub mdns: bool,
    /// Most simultaneous connections to one peer.
    pub max_connections_per_peer: u32,
    /// Most established connections in total.
    pub max_connections: u32,
    /// Time limit for a node-to-node request, in seconds.
    pub request_timeout_secs: u64,
    /// Largest gossip message, in bytes.
    pub max_gossip_bytes: usize,
    /// Largest request-response message, in bytes.
    pub max_message_bytes: u64,
}

impl P2pSection {
    /// The TCP and QUIC multiaddresses of `addr`, as `p2p.listen` lists them.
    pub fn listen_addresses(addr: SocketAddr) -> Vec<String> {
        let (ip, port) = match addr.ip() {
            std::net::IpAddr::V4(ip) => (format!("/ip4/{ip}"), addr.port()),
            std::net::IpAddr::V6(ip) => (format!("/ip6/{ip}"), addr.port()),
        };
        vec![
            format!("{ip}/tcp/{port}"),
            format!("{ip}/udp/{port}/quic-v1"),
        ]
    }

    /// Where `hanse init` has the network listen when not told: on loopback when the HTTP API
    /// is (a node tried on one machine reaches no one else by accident), on every interface
    /// otherwise.
    pub fn default_listen_for(http_listen: SocketAddr) -> SocketAddr {
        let ip: std::net::IpAddr = if http_listen.ip().is_loopback() {
            [127, 0, 0, 1].into()
        } else {
            [0, 0, 0, 0].into()
        };
        SocketAddr::new(ip, DEFAULT_PORT)
    }
}

/// The p2p port `hanse init` picks unless told.
pub const DEFAULT_PORT: u16 = 7979;

impl Default for P2pSection {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/7979".into(),
                "/ip4/0.0.0.0/udp/7979/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            // Off unless asked: announcing a node on the local network is the operator's choice.
            mdns: false,
            max_connections_per_peer: 2,
            max_connections: 1024,
            request_timeout_secs: 10,
            max_gossip_bytes: 2 * 1024 * 1024,
            // Room for the largest catalogue (catalog.max_bytes) in one response.
            max_message_bytes: 32 * 1024 * 1024,
        }
    }
}
