//! `hanse-testnet`: local test networks, scenarios and benchmarks for hanse.
//!
//! Today it runs benchmarks (`bench sparql`); launching consortia (`up`, `down`) and fault
//! scenarios (`scenario`) arrive with the network.

use clap::{Parser, Subcommand};
use hanse_testnet::catalog_bench::{self, CatalogBenchOptions};
use hanse_testnet::network_bench::{self, NetworkBenchOptions};
use hanse_testnet::policy_bench::{self, PolicyBenchOptions};
use hanse_testnet::sparql_bench::{self, SparqlBenchOptions};
use std::process::ExitCode;

/// Local test networks, scenarios and benchmarks for hanse.
#[derive(Debug, Parser)]
#[command(name = "hanse-testnet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a benchmark and print its figures side by side with the anchor.
    Bench {
        #[command(subcommand)]
        bench: Bench,
    },
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// The node's /sparql endpoint against the same queries on oxigraph directly.
    Sparql(SparqlBenchOptions),
    /// Consortium formation time and gossip propagation for in-process consortia.
    Network(NetworkBenchOptions),
    /// Latency of one ODRL policy evaluation (typical 10-constraint policy).
    Policy(PolicyBenchOptions),
    /// Catalogue propagation (dataset change to last member) and build/sign cost.
    Catalog(CatalogBenchOptions),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Bench {
                bench: Bench::Sparql(options),
            } => sparql_bench::run(options).await,
            Command::Bench {
                bench: Bench::Network(options),
            } => network_bench::run(options).await,
            Command::Bench {
                bench: Bench::Policy(options),
            } => policy_bench::run(options),
            Command::Bench {
                bench: Bench::Catalog(options),
            } => catalog_bench::run(options).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
