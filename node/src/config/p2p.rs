//! `[p2p]`: the libp2p network's addresses, connection bounds and message sizes.

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

impl Default for P2pSection {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/7979".into(),
                "/ip4/0.0.0.0/udp/7979/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            mdns: true,
            max_connections_per_peer: 2,
            max_connections: 1024,
            request_timeout_secs: 10,
            max_gossip_bytes: 2 * 1024 * 1024,
            // Room for the largest catalogue (catalog.max_bytes) in one response.
            max_message_bytes: 32 * 1024 * 1024,
        }
    }
}
