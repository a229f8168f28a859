//! `[access]`: agreements and remote queries.

use serde::{Deserialize, Serialize};

/// `[access]`: agreements and remote queries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessSection {
    /// Longest an agreement this node grants stays valid, in days.
    pub max_agreement_days: u64,
    /// Longest remote query text accepted, in bytes.
    pub max_query_bytes: usize,
    /// Size of one chunk of a remote query's answer, in bytes of N-Triples text; larger
    /// answers travel in several messages.
    pub answer_chunk_bytes: usize,
}

impl Default for AccessSection {
    fn default() -> Self {
        Self {
            max_agreement_days: 365,
            max_query_bytes: 64 * 1024,
            answer_chunk_bytes: 256 * 1024,
        }
    }
}
