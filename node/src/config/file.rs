//! The whole `hanse.toml`: its sections, loading, environment overrides and the checks
//! that span sections.

use super::{
    AccessSection, CatalogSection, ConfigError, EgressSection, FederationSection, HttpSection,
    IngestSection, LogSection, NgsiLdSection, NodeSection, OidcSection, P2pSection, SparqlSection,
    StorageSection,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Name of the configuration file inside a node directory.
pub const CONFIG_FILE: &str = "hanse.toml";

/// How far `sparql.max_nesting` must exceed `sparql.max_algebra_depth`: a federated
/// sub-query's text nests about one bracket per algebra level, plus its wrapper's few.
const NESTING_OVER_DEPTH: usize = 32;

/// Deepest `ngsi_ld.max_json_depth`: serde_json stops parsing at 128 levels of nesting,
/// which also keeps every recursive walk over a parsed body shallow.
const MAX_JSON_DEPTH: usize = 128;

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
    /// The NGSI-LD API.
    pub ngsi_ld: NgsiLdSection,
    /// Single sign-on through an OpenID Connect issuer.
    pub oidc: OidcSection,
    /// Where the node may call out on a caller's behalf.
    pub egress: EgressSection,
    /// Logging.
    pub log: LogSection,
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
        config.apply_replaced_keys();
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text; the error is the parser's message (with line and column).
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Keys kept for old files whose meaning moved: `ngsi_ld.open_loopback` sets
    /// `http.loopback_operator`, `federation.allowed_services` join `egress.allow`.
    fn apply_replaced_keys(&mut self) {
        if self.ngsi_ld.open_loopback {
            tracing::warn!(
                "ngsi_ld.open_loopback is replaced by http.loopback_operator (every front end): set that instead"
            );
            self.http.loopback_operator = true;
        }
        for service in std::mem::take(&mut self.federation.allowed_services) {
            if !self.egress.allow.contains(&service) {
                self.egress.allow.push(service);
            }
        }
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
        let sparql = &self.sparql;
        if sparql.max_query_bytes < 1024
            || sparql.max_nesting == 0
            || sparql.max_algebra_depth == 0
            || sparql.max_algebra_size == 0
        {
            return Err(ConfigError::Invalid {
                key: "sparql.max_query_bytes / max_nesting / max_algebra_depth / max_algebra_size",
                message: "max_query_bytes must be at least 1024 and the others at least 1".into(),
            });
        }
        if sparql.max_query_bytes > 4 * 1024 * 1024
            || sparql.max_nesting > 10_000
            || sparql.max_algebra_depth > 100_000
        {
            return Err(ConfigError::Invalid {
                key: "sparql.max_query_bytes / max_nesting / max_algebra_depth",
                message: "at most 4 MiB, 10,000 and 100,000: query threads get a stack sized for these limits".into(),
            });
        }
        if sparql.max_nesting < sparql.max_algebra_depth.saturating_add(NESTING_OVER_DEPTH) {
            return Err(ConfigError::Invalid {
                key: "sparql.max_nesting",
                message: format!(
                    "must be at least sparql.max_algebra_depth + {NESTING_OVER_DEPTH} ({}): federated sub-queries are written with about one bracket per algebra level",
                    sparql.max_algebra_depth.saturating_add(NESTING_OVER_DEPTH)
                ),
            });
        }
        if self.storage.max_rdf_nesting == 0 {
            return Err(ConfigError::Invalid {
                key: "storage.max_rdf_nesting",
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
        for (key, url) in [
            ("http.public_base_url", &self.http.public_base_url),
            ("http.map_tile_url", &self.http.map_tile_url),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("`{url}` is not an http:// or https:// URL"),
                });
            }
        }
        if oxiri::Iri::parse(self.catalog.metadata_licence.as_str()).is_err() {
            return Err(ConfigError::Invalid {
                key: "catalog.metadata_licence",
                message: format!("`{}` is not an IRI", self.catalog.metadata_licence),
            });
        }
        let catalog = &self.catalog;
        if catalog.max_bytes < 4096
            || catalog.refresh_interval_secs == 0
            || catalog.sync_interval_secs == 0
            || catalog.verify_budget_ms == 0
        {
            return Err(ConfigError::Invalid {
                key: "catalog.max_bytes / catalog.refresh_interval_secs / catalog.sync_interval_secs / catalog.verify_budget_ms",
                message: "max_bytes must be at least 4096, the intervals and the budget at least 1"
                    .into(),
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
        let ngsi = &self.ngsi_ld;
        if ngsi.max_batch_entities == 0
            || ngsi.max_page_size == 0
            || ngsi.max_temporal_instances == 0
            || ngsi.max_query_bytes == 0
            || ngsi.max_json_depth == 0
            || ngsi.context_timeout_secs == 0
        {
            return Err(ConfigError::Invalid {
                key: "ngsi_ld.max_batch_entities / max_page_size / max_temporal_instances / max_query_bytes / max_json_depth / context_timeout_secs",
                message: "must be at least 1".into(),
            });
        }
        if ngsi.max_json_depth > MAX_JSON_DEPTH {
            return Err(ConfigError::Invalid {
                key: "ngsi_ld.max_json_depth",
                message: format!(
                    "at most {MAX_JSON_DEPTH}: the JSON parser refuses deeper documents whatever the setting"
                ),
            });
        }
        if self.http.max_concurrent_queries == 0 {
            return Err(ConfigError::Invalid {
                key: "http.max_concurrent_queries",
                message: "must be at least 1".into(),
            });
        }
        if self.http.loopback_operator && !self.http.listen.ip().is_loopback() {
            return Err(ConfigError::Invalid {
                key: "http.loopback_operator",
                message: format!(
                    "only for a node listening on loopback (the demo, test suites), not on {}: remove it and give people tokens (`hanse user add`)",
                    self.http.listen
                ),
            });
        }
        self.oidc.check()?;
        self.egress.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Role;
    use std::net::SocketAddr;

    #[test]
    fn empty_file_is_the_default() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.http.listen, SocketAddr::from(([127, 0, 0, 1], 7878)));
        assert_eq!(config.node.role, Role::City);
    }

    #[test]
    fn template_parses_back_to_its_values() {
        let text = Config::template(
            "delft",
            Role::Research,
            "127.0.0.1:9000".parse().unwrap(),
            "127.0.0.1:9100".parse().unwrap(),
            false,
        );
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.node.name, "delft");
        assert_eq!(config.node.role, Role::Research);
        assert_eq!(config.http.listen.port(), 9000);
        assert_eq!(
            config.p2p.listen,
            ["/ip4/127.0.0.1/tcp/9100", "/ip4/127.0.0.1/udp/9100/quic-v1"]
        );
        assert!(!config.p2p.mdns);
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

    #[test]
    fn json_depth_beyond_the_parser_bound_is_rejected() {
        let config = Config::parse("[ngsi_ld]\nmax_json_depth = 129\n").unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("ngsi_ld.max_json_depth"), "{err}");
        let config = Config::parse("[ngsi_ld]\nmax_json_depth = 128\n").unwrap();
        config.validate().unwrap();
    }
}
