//! The node's configuration: `hanse.toml` in the node directory.
//!
//! Every field has a default that suits a local development node, so an empty file is a
//! valid configuration. [`Config::template`] is the commented file `hanse init` writes.
//! Environment variables override a few fields for containers and tests:
//! `HANSE_HTTP_LISTEN` (`http.listen`) and `HANSE_LOG` (`log.level`, an `EnvFilter`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Name of the configuration file inside a node directory.
pub const CONFIG_FILE: &str = "hanse.toml";

/// Errors while reading or checking a configuration file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a field of the wrong type.
    #[error("invalid configuration in {path}: {message}")]
    Parse {
        /// The configuration file.
        path: PathBuf,
        /// What the TOML parser reported, with line and column.
        message: String,
    },
    /// A value is syntactically fine but not usable.
    #[error("invalid configuration value `{key}`: {message}")]
    Invalid {
        /// The dotted key, e.g. `sparql.max_result_rows`.
        key: &'static str,
        /// Why it is not usable.
        message: String,
    },
}

/// What kind of organisation runs the node; it decides what peers may ask of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A city or municipality.
    City,
    /// A water, energy or other utility.
    Utility,
    /// A university or research group.
    Research,
    /// A consortium steward, who admits and removes members.
    Steward,
}

impl Role {
    /// The lowercase name used in configuration and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::Utility => "utility",
            Role::Research => "research",
            Role::Steward => "steward",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "city" => Ok(Role::City),
            "utility" => Ok(Role::Utility),
            "research" => Ok(Role::Research),
            "steward" => Ok(Role::Steward),
            other => Err(format!(
                "unknown role `{other}`: expected city, utility, research or steward"
            )),
        }
    }
}

/// The whole `hanse.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Who this node is.
    pub node: NodeSection,
    /// The HTTP API.
    pub http: HttpSection,
    /// The libp2p network.
    pub p2p: P2pSection,
    /// Where data lives on disk.
    pub storage: StorageSection,
    /// Limits of the SPARQL endpoint.
    pub sparql: SparqlSection,
    /// The signed catalogue and the federated catalogue.
    pub catalog: CatalogSection,
    /// Agreements and remote access.
    pub access: AccessSection,
    /// Sensor ingest.
    pub ingest: IngestSection,
    /// Federated SPARQL.
    pub federation: FederationSection,
    /// Logging.
    pub log: LogSection,
}

/// `[node]`: the node's name and role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSection {
    /// Display name shown to peers and in the catalogue, e.g. `mechelen`.
    pub name: String,
    /// city | utility | research | steward.
    pub role: Role,
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            name: "hanse-node".into(),
            role: Role::City,
        }
    }
}

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

/// `[p2p]`: the libp2p network, started when the node has a consortium document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct P2pSection {
    /// Multiaddresses to listen on.
    pub listen: Vec<String>,
    /// Multiaddresses of members to dial at start (with or without a `/p2p/<PeerId>` suffix);
    /// the consortium document's member addresses are dialled too.
    pub bootstrap: Vec<String>,
    /// Discover members on the local network with mDNS.
    pub mdns: bool,
    /// Most simultaneous connections to one peer.
    pub max_connections_per_peer: u32,
    /// Most established connections in total.
    pub max_connections: u32,
    /// Time limit for a node-to-node request, in seconds.
    pub request_timeout_secs: u64,
    /// Largest gossip message, in bytes.
    pub max_gossip_bytes: usize,
    /// Largest request-response message, in bytes.
    pub max_message_bytes: u64,
}

impl Default for P2pSection {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/7979".into(),
                "/ip4/0.0.0.0/udp/7979/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            mdns: true,
            max_connections_per_peer: 2,
            max_connections: 1024,
            request_timeout_secs: 10,
            max_gossip_bytes: 2 * 1024 * 1024,
            // Room for the largest catalogue (catalog.max_bytes) in one response.
            max_message_bytes: 32 * 1024 * 1024,
        }
    }
}

/// `[storage]`: data paths, relative to the node directory unless absolute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// The oxigraph (RocksDB) store holding the node's RDF data.
    pub store: PathBuf,
    /// The sled database holding node state (agreements, audit log, cursors).
    pub state: PathBuf,
}

impl Default for StorageSection {
    fn default() -> Self {
        Self {
            store: PathBuf::from("data/store"),
            state: PathBuf::from("data/state"),
        }
    }
}

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
        }
    }
}

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

/// `[log]`: what is logged and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// An `EnvFilter` directive such as `info` or `hanse_node=debug,info`.
    pub level: String,
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Reads `hanse.toml` from `path`, then applies environment overrides and checks values.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        config.apply_env()?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text; the error is the parser's message (with line and column).
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Ok(listen) = std::env::var("HANSE_HTTP_LISTEN") {
            self.http.listen = listen.parse().map_err(|e| ConfigError::Invalid {
                key: "http.listen (from HANSE_HTTP_LISTEN)",
                message: format!("`{listen}` is not a socket address: {e}"),
            })?;
        }
        if let Ok(level) = std::env::var("HANSE_LOG") {
            self.log.level = level;
        }
        Ok(())
    }

    /// Checks values that TOML types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.node.name.trim().is_empty() {
            return Err(ConfigError::Invalid {
                key: "node.name",
                message: "must not be empty".into(),
            });
        }
        if self.sparql.query_timeout_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "sparql.query_timeout_secs",
                message: "must be at least 1".into(),
            });
        }
        if self.sparql.max_result_rows == 0 {
            return Err(ConfigError::Invalid {
                key: "sparql.max_result_rows",
                message: "must be at least 1".into(),
            });
        }
        if self.p2p.max_connections_per_peer == 0 || self.p2p.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "p2p.max_connections_per_peer / p2p.request_timeout_secs",
                message: "must be at least 1".into(),
            });
        }
        let catalog = &self.catalog;
        if catalog.max_bytes < 4096
            || catalog.refresh_interval_secs == 0
            || catalog.sync_interval_secs == 0
        {
            return Err(ConfigError::Invalid {
                key: "catalog.max_bytes / catalog.refresh_interval_secs / catalog.sync_interval_secs",
                message: "max_bytes must be at least 4096 and the intervals at least 1".into(),
            });
        }
        if catalog.max_bytes as u64 + 65_536 > self.p2p.max_message_bytes {
            return Err(ConfigError::Invalid {
                key: "catalog.max_bytes",
                message: format!(
                    "{} bytes does not fit in one response: raise p2p.max_message_bytes ({}) to at least 64 KiB more",
                    catalog.max_bytes, self.p2p.max_message_bytes
                ),
            });
        }
        let ingest = &self.ingest;
        if ingest.max_batch_observations == 0
            || ingest.queue_capacity == 0
            || ingest.write_timeout_secs == 0
            || ingest.retention_interval_secs == 0
        {
            return Err(ConfigError::Invalid {
                key: "ingest.max_batch_observations / queue_capacity / write_timeout_secs / retention_interval_secs",
                message: "must be at least 1".into(),
            });
        }
        let federation = &self.federation;
        if federation.timeout_secs == 0
            || federation.source_timeout_secs == 0
            || federation.max_in_flight == 0
            || federation.max_intermediate_rows == 0
            || federation.bound_join_block == 0
        {
            return Err(ConfigError::Invalid {
                key: "federation.timeout_secs / source_timeout_secs / max_in_flight / max_intermediate_rows / bound_join_block",
                message: "must be at least 1".into(),
            });
        }
        if self.access.answer_chunk_bytes < 1024
            || self.access.answer_chunk_bytes as u64 + 65_536 > self.p2p.max_message_bytes
        {
            return Err(ConfigError::Invalid {
                key: "access.answer_chunk_bytes",
                message: "must be at least 1024 and 64 KiB under p2p.max_message_bytes".into(),
            });
        }
        if self.http.max_concurrent_queries == 0 {
            return Err(ConfigError::Invalid {
                key: "http.max_concurrent_queries",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The commented `hanse.toml` written by `hanse init`.
    pub fn template(name: &str, role: Role, http_listen: SocketAddr) -> String {
        let d = Config::default();
        format!(
            r#"# hanse node configuration. Every key is optional; the values shown are the defaults
# unless `hanse init` set them. Paths are relative to this file's directory.

[node]
# Display name shown to peers and in the catalogue.
name = "{name}"
# city | utility | research | steward
role = "{role}"

[http]
# Address of the HTTP API (SPARQL endpoint, graph store, node API). Keep it on localhost
# unless a reverse proxy with TLS sits in front; writes need the token in `admin.token`.
listen = "{http_listen}"
# Largest request body accepted, in bytes (SPARQL text, uploaded RDF).
max_body_bytes = {max_body}
# SPARQL queries evaluated at once; more requests wait for a free slot.
max_concurrent_queries = {max_queries}

[p2p]
# libp2p multiaddresses to listen on. The network starts once consortium.json is installed
# (`hanse consortium install`); only members of that document may connect.
listen = [{p2p_listen}]
# Members to dial at start, e.g. "/ip4/192.0.2.10/tcp/7979/p2p/12D3KooW...".
bootstrap = []
# Find members on the local network with mDNS.
mdns = true
# Most simultaneous connections to one peer, and in total.
max_connections_per_peer = {per_peer}
max_connections = {max_conn}
# Time limit of a node-to-node request, in seconds.
request_timeout_secs = {req_timeout}
# Largest gossip message and largest request/response message, in bytes.
max_gossip_bytes = {max_gossip}
max_message_bytes = {max_message}

[storage]
# oxigraph (RocksDB) store with the node's RDF data.
store = "{store}"
# sled database with node state (agreements, audit log, ingest cursors).
state = "{state}"

[sparql]
# Wall-clock limit of one query or update, in seconds.
query_timeout_secs = {timeout}
# Most solutions (or triples) one query may return; larger results are refused with an error.
max_result_rows = {max_rows}
# true: a query's default graph is the union of all graphs; false: the store's default graph.
union_default_graph = {union}

[catalog]
# Publisher name in the catalogue (foaf:name); default: the organisation in the consortium
# document, else node.name.
# organisation = "City of Mechelen"
# Largest catalogue published or accepted from a member, in bytes.
max_bytes = {cat_max}
# Quiet time after a dataset edit before the catalogue is re-signed and published, in ms.
publish_debounce_ms = {cat_debounce}
# After data changes, dataset statistics are recomputed at most this often, in seconds.
refresh_interval_secs = {cat_refresh}
# How often catalogue versions are compared with a connected member, in seconds.
sync_interval_secs = {cat_sync}

[access]
# Longest an agreement this node grants stays valid, in days.
max_agreement_days = {acc_days}
# Longest remote query accepted, in bytes.
max_query_bytes = {acc_query}
# Size of one chunk of a remote query's answer, in bytes; larger answers take several messages.
answer_chunk_bytes = {acc_chunk}

[ingest]
# Source mapping files, one per source (see docs/ingest.md and docs/sources/).
sources_dir = "{ing_dir}"
# Most observations written in one transaction; messages are acknowledged after it commits.
max_batch_observations = {ing_batch}
# Messages waiting for the writer before sources are slowed down (backpressure).
queue_capacity = {ing_queue}
# Largest POST /api/ingest/{{source}} body, in bytes.
max_http_bytes = {ing_http}
# How long an HTTP push waits for its batch to be durable before answering 503, in seconds.
write_timeout_secs = {ing_timeout}
# How often hourly aggregates are computed and expired raw observations deleted, in seconds.
retention_interval_secs = {ing_retention}

[federation]
# Wall-clock limit of one federated query (`/sparql?federated=true`), in seconds.
timeout_secs = {fed_timeout}
# How long one member may take to answer one sub-query, in seconds; a member that takes
# longer is marked failed and the answer partial.
source_timeout_secs = {fed_source_timeout}
# Sub-queries in flight at once, over all members.
max_in_flight = {fed_in_flight}
# Most rows a member's answer or an intermediate join may hold.
max_intermediate_rows = {fed_rows}
# Bindings sent per bound-join sub-query (VALUES block size).
bound_join_block = {fed_block}
# Purpose stated when a query names none, e.g. "https://w3id.org/dpv#AcademicResearch".
# default_purpose = "https://w3id.org/dpv#ServiceProvision"
# HTTP SPARQL endpoints SERVICE may call besides members; others are refused.
allowed_services = []

[log]
# EnvFilter directive, e.g. "info" or "hanse_node=debug,info". HANSE_LOG overrides it.
level = "{level}"
# text | json
format = "text"
"#,
            max_body = d.http.max_body_bytes,
            max_queries = d.http.max_concurrent_queries,
            p2p_listen = d
                .p2p
                .listen
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", "),
            per_peer = d.p2p.max_connections_per_peer,
            max_conn = d.p2p.max_connections,
            req_timeout = d.p2p.request_timeout_secs,
            max_gossip = d.p2p.max_gossip_bytes,
            max_message = d.p2p.max_message_bytes,
            store = d.storage.store.display(),
            state = d.storage.state.display(),
            timeout = d.sparql.query_timeout_secs,
            max_rows = d.sparql.max_result_rows,
            union = d.sparql.union_default_graph,
            level = d.log.level,
            cat_max = d.catalog.max_bytes,
            cat_debounce = d.catalog.publish_debounce_ms,
            cat_refresh = d.catalog.refresh_interval_secs,
            cat_sync = d.catalog.sync_interval_secs,
            acc_days = d.access.max_agreement_days,
            acc_query = d.access.max_query_bytes,
            acc_chunk = d.access.answer_chunk_bytes,
            ing_dir = d.ingest.sources_dir.display(),
            ing_batch = d.ingest.max_batch_observations,
            ing_queue = d.ingest.queue_capacity,
            ing_http = d.ingest.max_http_bytes,
            ing_timeout = d.ingest.write_timeout_secs,
            ing_retention = d.ingest.retention_interval_secs,
            fed_timeout = d.federation.timeout_secs,
            fed_source_timeout = d.federation.source_timeout_secs,
            fed_in_flight = d.federation.max_in_flight,
            fed_rows = d.federation.max_intermediate_rows,
            fed_block = d.federation.bound_join_block,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.http.listen, SocketAddr::from(([127, 0, 0, 1], 7878)));
        assert_eq!(config.node.role, Role::City);
    }

    #[test]
    fn template_parses_back_to_its_values() {
        let text = Config::template("delft", Role::Research, "127.0.0.1:9000".parse().unwrap());
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.node.name, "delft");
        assert_eq!(config.node.role, Role::Research);
        assert_eq!(config.http.listen.port(), 9000);
        assert_eq!(config.sparql.max_result_rows, 100_000);
        config.validate().unwrap();
    }

    #[test]
    fn unknown_keys_and_roles_are_named() {
        let err = Config::parse("[node]\nnmae = \"x\"\n").unwrap_err();
        assert!(err.contains("nmae"), "{err}");
        let err = Config::parse("[node]\nrole = \"king\"\n").unwrap_err();
        assert!(err.contains("king"), "{err}");
    }

    #[test]
    fn zero_limits_are_rejected() {
        let config = Config::parse("[sparql]\nmax_result_rows = 0\n").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("sparql.max_result_rows"), "{err}");
    }
}
