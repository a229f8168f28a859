//! `[storage]`: where the RDF store and the state database live.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[storage]`: data paths, relative to the node directory unless absolute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// The oxigraph (RocksDB) store holding the node's RDF data.
    pub store: PathBuf,
    /// The sled database holding node state (agreements, audit log, cursors).
    pub state: PathBuf,
    /// Deepest nesting of blank nodes, collections (Turtle family), objects (JSON-LD) or
    /// elements (RDF/XML) in an RDF document sent to the store; parsing time grows with
    /// its square.
    pub max_rdf_nesting: usize,
}

impl Default for StorageSection {
    fn default() -> Self {
        Self {
            store: PathBuf::from("data/store"),
            state: PathBuf::from("data/state"),
            max_rdf_nesting: 64,
        }
    }
}
