//! `[ngsi_ld]`: the NGSI-LD API at `/ngsi-ld/v1` and OGC API – Features at `/ogc`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[ngsi_ld]`: the NGSI-LD API and its bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NgsiLdSection {
    /// Named graph for entities whose type no dataset claims (`conforms_to`); default
    /// `hanse://<PeerId>/graph/ngsi-ld`.
    pub graph: Option<String>,
    /// Replaced by `http.loopback_operator` (which applies to every front end); `true` here
    /// still sets it, with a warning at start.
    pub open_loopback: bool,
    /// Most entities in one batch operation; larger batches are refused, never truncated.
    pub max_batch_entities: usize,
    /// Largest `limit` of a query.
    pub max_page_size: usize,
    /// Most instances of one attribute in a temporal answer; past it the answer is cut
    /// (206 with `Content-Range`).
    pub max_temporal_instances: usize,
    /// Longest `q` or `scopeQ` expression, in bytes.
    pub max_query_bytes: usize,
    /// Deepest nesting of a JSON payload (objects and arrays).
    pub max_json_depth: usize,
    /// How long fetching a user @context may take, in seconds.
    pub context_timeout_secs: u64,
    /// Largest user @context document, in bytes.
    pub context_max_bytes: usize,
    /// User @context documents kept in memory.
    pub context_cache_entries: usize,
    /// How long a fetched @context is reused before it is fetched again, in seconds.
    pub context_cache_secs: u64,
    /// @context URL -> local file, for sites without Internet access (relative paths
    /// resolve against the node directory). Core contexts are always embedded.
    pub context_files: BTreeMap<String, PathBuf>,
}

impl Default for NgsiLdSection {
    fn default() -> Self {
        Self {
            graph: None,
            open_loopback: false,
            max_batch_entities: 1000,
            max_page_size: 1000,
            max_temporal_instances: 10_000,
            max_query_bytes: 4096,
            max_json_depth: 32,
            context_timeout_secs: 5,
            context_max_bytes: 1024 * 1024,
            context_cache_entries: 256,
            context_cache_secs: 3600,
            context_files: BTreeMap::new(),
        }
    }
}

impl NgsiLdSection {
    /// The @context fetch timeout as a [`Duration`].
    pub fn context_timeout(&self) -> Duration {
        Duration::from_secs(self.context_timeout_secs)
    }
}
