//! `[ingest]`: sensor sources and how their observations are written.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[ingest]`: sensor sources and how their observations are written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSection {
    /// Directory of source mapping files (`*.toml`, one per source).
    pub sources_dir: PathBuf,
    /// Most observations written in one transaction.
    pub max_batch_observations: usize,
    /// Messages waiting for the writer before sources are slowed down.
    pub queue_capacity: usize,
    /// Largest `POST /api/ingest/{source}` body, in bytes.
    pub max_http_bytes: usize,
    /// How long an HTTP push waits for its batch to be durable before answering 503, in s.
    pub write_timeout_secs: u64,
    /// How often retention (hourly aggregates, deleting old raw observations) runs, in s.
    pub retention_interval_secs: u64,
}

impl Default for IngestSection {
    fn default() -> Self {
        Self {
            sources_dir: PathBuf::from("sources"),
            max_batch_observations: 50_000,
            queue_capacity: 2048,
            max_http_bytes: 32 * 1024 * 1024,
            write_timeout_secs: 30,
            retention_interval_secs: 3600,
        }
    }
}
