//! `hanse-testnet`: local test networks, scenarios and benchmarks for hanse.
//!
//! `up` / `down` run a consortium of node processes on loopback, `scenario` runs scripted
//! fault checks, `bench` the benchmarks. The hidden `node` subcommand is one node process
//! (`hanse serve`), which `up` and the scenarios start.

use clap::{Parser, Subcommand};
use hanse_testnet::catalog_bench::{self, CatalogBenchOptions};
use hanse_testnet::federation_bench::{self, FederationBenchOptions};
use hanse_testnet::ingest_bench::{self, IngestBenchOptions};
use hanse_testnet::mqtt_load::BrokerKind;
use hanse_testnet::network_bench::{self, NetworkBenchOptions};
use hanse_testnet::ngsi_ld_bench::{self, NgsiLdBenchOptions};
use hanse_testnet::processes;
use hanse_testnet::scenario::{self, MqttChoice, PartitionBy, ScenarioName};
use hanse_testnet::sparql_bench::{self, SparqlBenchOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// The same allocator as `hanse`, so the benchmarks measure what a node runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Local test networks, scenarios and benchmarks for hanse.
#[derive(Debug, Parser)]
#[command(name = "hanse-testnet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start N node processes with a fresh consortium and generated data; print their URLs
    /// and idle memory. They keep running until `down`.
    Up {
        /// Number of nodes.
        #[arg(long, default_value_t = 6)]
        nodes: usize,
        /// Directory for the node directories and the state file.
        #[arg(long, default_value = "hanse-testnet")]
        dir: PathBuf,
    },
    /// Stop the testnet started by `up` in this directory.
    Down {
        /// The directory given to `up`.
        #[arg(long, default_value = "hanse-testnet")]
        dir: PathBuf,
    },
    /// Run a scripted fault scenario on fresh node processes.
    Scenario {
        /// Which scenario.
        #[arg(value_enum)]
        name: ScenarioName,
        /// Directory for the nodes (a temporary one by default).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// How long a partition lasts, in seconds (partition-heal).
        #[arg(long, default_value_t = 30)]
        partition_secs: u64,
        /// How partition-heal splits the network: network namespaces where possible (auto),
        /// only namespaces (netns), or the nodes' connection gate (gate).
        #[arg(long, value_enum, default_value_t = PartitionBy::Auto)]
        partition_by: PartitionBy,
        /// The MQTT broker of crash-restart.
        #[arg(long, value_enum, default_value_t = BrokerKind::Embedded)]
        broker: BrokerKind,
        /// Parallel MQTT sessions of crash-restart's source (shared subscription above 1;
        /// not with the embedded broker, whose shared subscriptions fail on reconnection).
        #[arg(long, default_value_t = 1)]
        mqtt_sessions: usize,
    },
    /// Run one node (what `up` starts; the same as `hanse serve`).
    #[command(hide = true)]
    Node {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
    },
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
    /// Catalogue propagation (dataset change to last member) and build/sign cost.
    Catalog(CatalogBenchOptions),
    /// Sensor ingest over HTTP and MQTT against oxigraph's bulk loader on the same triples.
    Ingest(IngestBenchOptions),
    /// Federated SPARQL: automatic federation against ideal SERVICE clauses and Comunica.
    Federation(FederationBenchOptions),
    /// The NGSI-LD API against oxigraph answering the equivalent SPARQL on the same data.
    #[command(name = "ngsi-ld")]
    NgsiLd(NgsiLdBenchOptions),
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
            Command::Up { nodes, dir } => processes::up(&dir, nodes).await,
            Command::Down { dir } => processes::down(&dir).await,
            Command::Scenario {
                name,
                dir,
                partition_secs,
                partition_by,
                broker,
                mqtt_sessions,
            } => {
                let temp = tempfile::Builder::new()
                    .prefix("hanse-scenario-")
                    .tempdir()?;
                let root = dir.unwrap_or_else(|| temp.path().to_owned());
                let partition = std::time::Duration::from_secs(partition_secs);
                // Interrupted, the scenario's future is dropped, which stops its node
                // processes and deletes its network namespaces.
                tokio::select! {
                    result = scenario::run(name, &root, partition, partition_by, MqttChoice {
                        broker,
                        sessions: mqtt_sessions,
                    }) => result,
                    () = hanse_node::cli::shutdown_signal() => {
                        anyhow::bail!("scenario interrupted (Ctrl-C or SIGTERM)")
                    }
                }
            }
            Command::Node { dir } => {
                let serve = hanse_node::cli::Cli::try_parse_from([
                    "hanse".as_ref(),
                    "serve".as_ref(),
                    "--dir".as_ref(),
                    dir.as_os_str(),
                ])?;
                hanse_node::cli::run(serve).await
            }
            Command::Bench {
                bench: Bench::Sparql(options),
            } => sparql_bench::run(options).await,
            Command::Bench {
                bench: Bench::Network(options),
            } => network_bench::run(options).await,
            Command::Bench {
                bench: Bench::Catalog(options),
            } => catalog_bench::run(options).await,
            Command::Bench {
                bench: Bench::Ingest(options),
            } => ingest_bench::run(options).await,
            Command::Bench {
                bench: Bench::Federation(options),
            } => federation_bench::run(options).await,
            Command::Bench {
                bench: Bench::NgsiLd(options),
            } => ngsi_ld_bench::run(options).await,
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
