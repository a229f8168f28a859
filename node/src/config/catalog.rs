//! `[catalog]`: the signed catalogue and the federated catalogue.

use serde::{Deserialize, Serialize};

/// `[catalog]`: the node's signed DCAT-AP catalogue and the federated catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSection {
    /// The publishing organisation's name (`foaf:name`); the node's organisation in the
    /// consortium document when absent, else `node.name`.
    pub organisation: Option<String>,
    /// Largest catalogue accepted from a member (and published), in bytes.
    pub max_bytes: usize,
    /// Quiet time after a dataset definition changes before the catalogue is re-signed and
    /// published, in milliseconds (several edits become one version).
    pub publish_debounce_ms: u64,
    /// After data changes, statistics are recomputed at most this often, in seconds: each
    /// recomputation scans the datasets' graphs.
    pub refresh_interval_secs: u64,
    /// How often the node compares catalogue versions with a connected member and fetches
    /// what it missed, in seconds.
    pub sync_interval_secs: u64,
    /// Time each peer may make this node spend verifying the catalogues it hands over, in
    /// milliseconds; it refills over 50 s (the default: 10% of a core). A peer past it has
    /// its catalogues refused unverified until it refills (anti-entropy fetches them later).
    pub verify_budget_ms: u64,
    /// The e-mail address of the catalogue's contact point (datasets without their own).
    pub contact_email: Option<String>,
    /// The licence of the catalogue's metadata (not of the data): CC0 1.0 by default.
    pub metadata_licence: String,
}

impl Default for CatalogSection {
    fn default() -> Self {
        Self {
            organisation: None,
            // About 1,000 datasets with offers and VoID partitions (~18 KB each).
            max_bytes: 24 * 1024 * 1024,
            publish_debounce_ms: 500,
            refresh_interval_secs: 10,
            // A digest request is small; a short interval bounds how long a missed announcement
            // stays missed.
            sync_interval_secs: 5,
            // Five of the costliest catalogues the canonicaliser accepts (about 1 s each);
            // honest ones take milliseconds.
            verify_budget_ms: 5_000,
            contact_email: None,
            metadata_licence: hanse_vocab::eu::CC0.to_owned(),
        }
    }
}
