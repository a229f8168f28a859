//! hanse-testnet: launch local hanse nodes, generate demo data, run scenarios and benchmarks.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | [`sparql_bench`] | `/sparql` over HTTP against oxigraph evaluated in-process |

pub mod sparql_bench;
