//! hanse-node: the node of the hanse peer-to-peer data space, and the `hanse` binary.
//!
//! A node holds a city's, utility's or research group's RDF data in an oxigraph store,
//! keeps its own state in sled, answers SPARQL over HTTP, and joins its consortium over
//! libp2p, publishes a signed catalogue, enforces usage policies, ingests sensors and answers
//! federated SPARQL across the consortium.
//!
//! # Layout
//!
//! Each folder is one concern; the top level is the node's skeleton.
//!
//! | module | concern |
//! |---|---|
//! | [`store`] | the RDF store: SPARQL evaluation, Graph Store Protocol, loading, formats, solution tables, sled state |
//! | [`trust`] | who the node is and whom it trusts: identity, admin token, signed consortium membership |
//! | [`catalog`] | datasets, VoID statistics, the signed DCAT-AP catalogue, the federated catalogue |
//! | [`p2p`] | the libp2p swarm: members-only connections, gossip, node-to-node protocols |
//! | [`requests`] | answering node-to-node requests with the service that owns them |
//! | [`access`] | agreements, and policy enforcement on remote queries |
//! | [`audit`] | the signed, hash-chained log of remote access decisions |
//! | [`federation`] | federated SPARQL: source selection, planning, bound joins, explicit SERVICE |
//! | [`ingest`] | sensor sources wired to the store: batching writer, dead letters, retention |
//! | [`demo`] | the six-member demo consortium, its data and live sensors |
//! | [`console`] | the web console at `/`: open-data portal and operator's dashboard |
//! | [`ogc_features`] | OGC API – Features Part 1 Core over the same entities and spatial index |
//! | [`ngsi_ld`] | the NGSI-LD API over the store: entities, queries, geo, discovery, @contexts |
//! | [`http`] | the axum router: `/sparql`, `/store`, `/health`, `/api/…` |
//! | [`cli`] | the `hanse` command line |
//! | [`config`] | `hanse.toml`: one documented settings type per concern, with defaults |
//! | [`node`] | starting a node and shutting it down in order |
//! | [`node_dir`] | the node directory: `hanse init`, file layout, the run lock |
//! | [`client`] | HTTP client of a running node, for the CLI |
//! | [`telemetry`] | tracing setup |
//! | `atomic_file` | atomic file writes; 0600 for secrets |
//! | `test_utils` | test nodes and in-process consortia (feature `test-utils`) |

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod access;
mod atomic_file;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod config;
pub mod console;
#[cfg(feature = "demo")]
pub mod demo;
pub mod federation;
pub mod http;
pub mod ingest;
pub mod ngsi_ld;
pub mod node;
pub mod node_dir;
pub mod ogc_features;
pub mod p2p;
pub mod requests;
pub mod store;
pub mod telemetry;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod trust;

pub use config::{Config, Role};
pub use node::{Node, NodeError, NodeHandle};
pub use node_dir::NodeDir;
pub use trust::identity::NodeIdentity;
