//! `[federation]`: federated SPARQL across the consortium.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[federation]`: federated SPARQL across the consortium.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederationSection {
    /// Wall-clock limit of one federated query, in seconds.
    pub timeout_secs: u64,
    /// How long one member may take to answer one sub-query, in seconds.
    pub source_timeout_secs: u64,
    /// Sub-queries in flight at once, over all members.
    pub max_in_flight: usize,
    /// Most rows a sub-query answer or a join in the middle of a query may hold.
    pub max_intermediate_rows: usize,
    /// Bindings sent per bound-join sub-query (`VALUES` block size).
    pub bound_join_block: usize,
    /// Purpose stated when a query names none (a DPV IRI).
    pub default_purpose: Option<String>,
    /// HTTP SPARQL endpoints that `SERVICE` may call besides members (exact IRIs).
    pub allowed_services: Vec<String>,
}

impl FederationSection {
    /// The federated query limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The per-member limit.
    pub fn source_timeout(&self) -> Duration {
        Duration::from_secs(self.source_timeout_secs)
    }
}

impl Default for FederationSection {
    fn default() -> Self {
        Self {
            timeout_secs: 60,
            source_timeout_secs: 15,
            max_in_flight: 16,
            max_intermediate_rows: 1_000_000,
            bound_join_block: 200,
            default_purpose: None,
            allowed_services: Vec::new(),
        }
    }
}
