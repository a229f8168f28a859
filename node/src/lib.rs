//! hanse-node: the node of the hanse peer-to-peer data space, and the `hanse` binary.
//!
//! A node holds a city's, utility's or research group's RDF data in an oxigraph store,
//! keeps its own state in sled, answers SPARQL over HTTP, and joins its consortium over
//! libp2p, publishes a signed catalogue, enforces usage policies, ingests sensors and answers
//! federated SPARQL across the consortium.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | `hanse.toml`: documented settings and their defaults |
//! | [`node_dir`] | the node directory: `hanse init`, file layout, the run lock |
//! | [`identity`] | the ed25519 key, PeerId and `did:key` |
//! | [`access`] | agreements, and policy enforcement on remote queries |
//! | [`requests`] | answering node-to-node requests |
//! | [`federation`] | federated SPARQL: source selection, planning, bound joins, explicit SERVICE |
//! | [`solutions`] | tables of SPARQL solutions: wire form, joins, unions |
//! | [`ingest`] | sensor sources wired to the store: batching writer, dead letters, retention |
//! | [`admin_token`] | the bearer token write endpoints require |
//! | [`audit`] | the signed, hash-chained log of remote access decisions |
//! | [`catalog`] | datasets, the signed DCAT-AP catalogue, the federated catalogue |
//! | [`consortium`] | the signed membership document and its verification rules |
//! | [`membership`] | the current membership, shared and persisted to `consortium.json` |
//! | [`mqtt_broker`] | the embedded MQTT broker of the demo and tests |
//! | [`p2p`] | the libp2p swarm: members-only connections, gossip, requests |
//! | `atomic_file` | atomic file writes; 0600 for secrets |
//! | [`state`] | the sled state database |
//! | [`sparql`] | SPARQL evaluation with timeout, result limit and concurrency bound |
//! | [`graph_store`] | atomic whole-graph reads and writes (Graph Store Protocol) |
//! | [`loader`] | atomic bulk loading of RDF files |
//! | [`rdf_format`] | format detection from extensions, media types and names |
//! | [`http`] | the axum router: `/sparql`, `/store`, `/health`, `/api/node` |
//! | [`node`] | starting a node and shutting it down in order |
//! | [`client`] | HTTP client of a running node, for the CLI |
//! | [`demo_data`] | deterministic sample data for the demo and benchmarks |
//! | [`demo_sensors`] | the demo's live MQTT sensors and their source mappings |
//! | [`demo_consortium`] | the six-member demo consortium `hanse demo` starts |
//! | [`cli`] | the `hanse` command line |
//! | [`telemetry`] | tracing setup |
//! | `test_utils` | test nodes and in-process consortia (feature `test-utils`) |

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod access;
pub mod admin_token;
mod atomic_file;
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod config;
pub mod consortium;
pub mod demo_consortium;
pub mod demo_data;
pub mod demo_sensors;
pub mod federation;
pub mod graph_store;
pub mod http;
pub mod identity;
pub mod ingest;
pub mod loader;
pub mod membership;
pub mod mqtt_broker;
pub mod node;
pub mod node_dir;
pub mod p2p;
pub mod rdf_format;
pub mod requests;
pub mod solutions;
pub mod sparql;
pub mod state;
pub mod telemetry;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use config::{Config, Role};
pub use identity::NodeIdentity;
pub use node::{Node, NodeError, NodeHandle};
pub use node_dir::NodeDir;
