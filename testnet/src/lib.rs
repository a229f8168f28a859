//! hanse-testnet: launch local hanse nodes, generate demo data, run scenarios and benchmarks.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | [`sparql_bench`] | `/sparql` over HTTP against oxigraph evaluated in-process |
//! | [`network_bench`] | consortium formation time and gossip propagation |
//! | [`catalog_bench`] | catalogue propagation, and the cost of building and signing one |
//! | [`federation_bench`] | federated SPARQL against ideal SERVICE clauses and Comunica |
//! | [`ingest_bench`] | sensor ingest over HTTP and MQTT against oxigraph's bulk loader |
//! | [`ngsi_ld_bench`] | the NGSI-LD API against oxigraph answering the same queries in SPARQL |
//! | [`mqtt_load`] | a QoS 1 MQTT publisher of meter readings |
//! | [`local_consortium`] | N in-process nodes in a fresh consortium |
//! | [`processes`] | `up` / `down`: consortia of node processes |
//! | [`netns`] | network namespaces: each node on its own host, partitions that cut links |
//! | [`scenario`] | scripted fault scenarios (`crash-restart`, `partition-heal`) |

pub mod catalog_bench;
pub mod federation_bench;
pub mod ingest_bench;
pub mod local_consortium;
pub mod mqtt_load;
pub mod netns;
pub mod network_bench;
pub mod ngsi_ld_bench;
pub mod oxigraph_server;
pub mod processes;
pub mod scenario;
pub mod sparql_bench;
