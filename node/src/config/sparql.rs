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
    /// Longest query text, in bytes; for updates, the text outside `INSERT DATA` and
    /// `DELETE DATA` blocks (whose size only `http.max_body_bytes` bounds).
    pub max_query_bytes: usize,
    /// Deepest nesting of `{ ( [` brackets in a query or update. At least
    /// `max_algebra_depth` + 32: a federated sub-query is written back as text with about
    /// one bracket per algebra level, and members must accept what their peers' planners send.
    pub max_nesting: usize,
    /// Deepest path through a parsed query's algebra (chains of UNION, OPTIONAL, MINUS,
    /// `||`, `&&`, `/` each add a level).
    pub max_algebra_depth: usize,
    /// Most parts (patterns, expressions, paths, triple patterns) in a parsed query.
    pub max_algebra_size: usize,
    /// Joins wider than this many patterns, or algebra deeper than this, are evaluated in
    /// the order written, without the query optimiser (whose planning time grows steeply
    /// with them and cannot be interrupted by the timeout).
    pub max_optimized_width: usize,
}

impl Default for SparqlSection {
    fn default() -> Self {
        Self {
            query_timeout_secs: 30,
            max_result_rows: 100_000,
            union_default_graph: false,
            max_query_bytes: 64 * 1024,
            max_nesting: 160,
            max_algebra_depth: 128,
            max_algebra_size: 10_000,
            max_optimized_width: 64,
        }
    }
}

impl SparqlSection {
    /// The query timeout as a [`Duration`].
    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_secs)
    }
}
