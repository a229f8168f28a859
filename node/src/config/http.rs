//! `[http]`: the HTTP API's address and request bounds.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[http]`: the HTTP API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// Socket address to bind; localhost by default so nothing is exposed by accident.
    pub listen: SocketAddr,
    /// Largest request body accepted (SPARQL text, uploaded RDF), in bytes.
    pub max_body_bytes: usize,
    /// SPARQL queries evaluated at once; further requests wait for a free slot.
    pub max_concurrent_queries: usize,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            max_body_bytes: 128 * 1024 * 1024,
            max_concurrent_queries: 8,
        }
    }
}
