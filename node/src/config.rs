//! The node's configuration: `hanse.toml` in the node directory.
//!
//! Every field has a default that suits a local development node, so an empty file is a
//! valid configuration. [`Config::template`] is the commented file `hanse init` writes.
//! Environment variables override a few fields for containers and tests:
//! `HANSE_HTTP_LISTEN` (`http.listen`) and `HANSE_LOG` (`log.level`, an `EnvFilter`).
//!
//! One file per section, each with its defaults; [`Config`] joins them and checks what spans
//! sections.

mod access;
mod catalog;
mod egress;
mod error;
mod federation;
mod file;
mod http;
mod ingest;
mod log;
mod ngsi_ld;
mod node;
mod oidc;
mod p2p;
mod sparql;
mod storage;
mod template;

pub use access::AccessSection;
pub use catalog::CatalogSection;
pub use egress::EgressSection;
pub use error::ConfigError;
pub use federation::FederationSection;
pub use file::{CONFIG_FILE, Config};
pub use http::HttpSection;
pub use ingest::IngestSection;
pub use log::{LogFormat, LogSection};
pub use ngsi_ld::NgsiLdSection;
pub use node::{NodeSection, Role};
pub use oidc::OidcSection;
pub use p2p::P2pSection;
pub use sparql::SparqlSection;
pub use storage::StorageSection;
