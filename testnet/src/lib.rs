//! hanse-testnet: launch local hanse nodes, generate demo data, run scenarios and benchmarks.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | [`sparql_bench`] | `/sparql` over HTTP against oxigraph evaluated in-process |
//! | [`network_bench`] | consortium formation time and gossip propagation |
//! | [`policy_bench`] | latency of one ODRL policy evaluation |

pub mod network_bench;
pub mod policy_bench;
pub mod sparql_bench;
