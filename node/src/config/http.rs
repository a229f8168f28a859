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
    /// The URL under which browsers and harvesters reach this node (e.g.
    /// `https://data.mechelen.be/`): dataset, catalogue and member IRIs are minted under
    /// it. Default: `http://<listen>/`.
    pub public_base_url: Option<String>,
    /// A map tile URL template for the console (`https://tiles.example/{z}/{x}/{y}.png`);
    /// without one, maps are drawn from GeoJSON over a plain background.
    pub map_tile_url: Option<String>,
    /// Treat every client connecting over loopback as the operator, without a token. For the
    /// demo and test suites only: refused unless `listen` is a loopback address, and wrong
    /// behind a reverse proxy on the same host (every visitor would arrive from loopback).
    pub loopback_operator: bool,
}

impl HttpSection {
    /// The public base URL, ending in `/`; `bound` (the address actually bound) when none
    /// is configured.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        let base = self
            .public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}/"));
        if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        }
    }
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            max_body_bytes: 128 * 1024 * 1024,
            max_concurrent_queries: 8,
            public_base_url: None,
            map_tile_url: None,
            loopback_operator: false,
        }
    }
}
