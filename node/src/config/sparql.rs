//! `[sparql]`: limits of the SPARQL endpoint.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[sparql]`: limits of the SPARQL endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SparqlSection {
    /// Wall-clock limit of one query or update, in seconds.
    pub query_timeout_secs: u64,
    /// Most solutions (or triples) one query may return; larger results are refused.
    pub max_result_rows: usize,
    /// Whether the default graph of a query is the union of all graphs (convenient for
    /// exploration) rather than the store's default graph (what the standard says).
    pub union_default_graph: bool,
}

impl Default for SparqlSection {
    fn default() -> Self {
        Self {
            query_timeout_secs: 30,
            max_result_rows: 100_000,
            union_default_graph: false,
        }
    }
}

impl SparqlSection {
    /// The query timeout as a [`Duration`].
    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_secs)
    }
}
