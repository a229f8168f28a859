//! The `hanse` command line: argument definitions and dispatch. Each command lives in its
//! own file under `cli/`.

mod access;
mod api;
pub mod audit;
pub mod consortium;
pub mod dataset;
#[cfg(feature = "demo")]
mod demo;
mod ingest;
mod init;
mod load;
mod query;
mod serve;
mod table;
mod user;

pub use serve::shutdown_signal;

use crate::config::Role;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// hanse: a peer-to-peer data-space node for cities, utilities and researchers.
#[derive(Debug, Parser)]
#[command(
    name = "hanse",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("HANSE_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The node directory, shared by the commands that work on one node.
#[derive(Debug, Clone, Args)]
pub struct DirArg {
    /// Node directory (created by `hanse init`).
    #[arg(long, env = "HANSE_DIR", default_value = "hanse-node")]
    pub dir: PathBuf,
}

/// The `hanse` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a node directory: ed25519 key, admin token and a commented hanse.toml.
    Init(InitArgs),
    /// Run the node: open the store and serve the HTTP API until Ctrl-C / SIGTERM.
    Serve(ServeArgs),
    /// Bulk-load RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD).
    ///
    /// Works whether or not the node is running: through its HTTP API when it is, directly
    /// into the store when it is not. Either way a file that does not parse stops the load
    /// before anything is written.
    Load(LoadArgs),
    /// Run a SPARQL query and print the result as a table (or JSON / CSV / TSV).
    Query(QueryArgs),
    /// Create, sign, verify and install consortium membership documents.
    Consortium {
        /// What to do with the document.
        #[command(subcommand)]
        command: consortium::ConsortiumCommand,
    },
    /// Describe the node's datasets (DCAT-AP metadata and ODRL offer) for its catalogue.
    Dataset {
        /// What to do.
        #[command(subcommand)]
        command: dataset::DatasetCommand,
    },
    /// Work with signed catalogues.
    Catalog {
        /// What to do.
        #[command(subcommand)]
        command: dataset::CatalogCommand,
    },
    /// Agreements with other members: request, list, show, revoke.
    Access {
        /// What to do.
        #[command(subcommand)]
        command: access::AccessCommand,
    },
    /// Show and verify the signed log of remote access decisions.
    Audit {
        /// What to do with the log.
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Sensor ingest: CSV files of past measurements, source status, dead letters.
    Ingest {
        /// What to do.
        #[command(subcommand)]
        command: ingest::IngestCommand,
    },
    /// People who may sign in: add users with roles, list them, issue tokens, revoke.
    User {
        /// What to do.
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Start the six-member demo consortium on loopback (HTTP from 127.0.0.1:7878 up).
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
}

/// Arguments of `hanse init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The node directory.
    #[command(flatten)]
    pub dir: DirArg,
    /// Display name of the node, e.g. `mechelen`.
    #[arg(long, default_value = "hanse-node")]
    pub name: String,
    /// Role in the consortium: city, utility, research or steward.
    #[arg(long, default_value = "city")]
    pub role: Role,
    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub http: SocketAddr,
    /// Address of the p2p network, TCP and QUIC (default: port 7979 on loopback when --http
    /// is on loopback, on every interface otherwise). Other members must reach it.
    #[arg(long, value_name = "ADDR")]
    pub p2p: Option<SocketAddr>,
    /// Find members on the local network with mDNS.
    #[arg(long)]
    pub mdns: bool,
    /// Replace an existing node's key, token and configuration (stored data is kept).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `hanse serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The node directory.
    #[command(flatten)]
    pub dir: DirArg,
    /// Override `http.listen` from hanse.toml.
    #[arg(long)]
    pub http: Option<SocketAddr>,
}

/// Arguments of `hanse load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The node directory.
    #[command(flatten)]
    pub dir: DirArg,
    /// RDF files; the format comes from the extension unless --format is given.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Put the files' default-graph triples into this named graph.
    #[arg(long)]
    pub graph: Option<String>,
    /// Format of all files: turtle, ntriples, nquads, trig, rdfxml or jsonld.
    #[arg(long)]
    pub format: Option<String>,
}

/// Output formats of `hanse query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryOutput {
    /// An aligned text table (graphs are printed as Turtle).
    Table,
    /// SPARQL JSON results (graphs as JSON-LD).
    Json,
    /// CSV (graphs as N-Triples).
    Csv,
    /// TSV (graphs as N-Triples).
    Tsv,
}

/// Arguments of `hanse query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The node directory.
    #[command(flatten)]
    pub dir: DirArg,
    /// The SPARQL query (or use --file).
    #[arg(required_unless_present = "file")]
    pub query: Option<String>,
    /// Read the query from a file.
    #[arg(long, conflicts_with = "query")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: QueryOutput,
    /// Query the node at this URL instead of the one in --dir.
    #[arg(long)]
    pub url: Option<String>,
    /// Send the token in this file: a personal token (`hanse user add`) or an OIDC access
    /// token. Without it, a query to --dir's node sends its admin.token and one to --url
    /// none (you are then a visitor and see the public datasets).
    #[arg(long, env = "HANSE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Ask the whole consortium: every member whose datasets can answer and may be used for
    /// --purpose (needs the node running).
    #[arg(long)]
    pub federated: bool,
    /// The purpose stated to members, a DPV IRI (default: federation.default_purpose).
    #[arg(long, requires = "federated")]
    pub purpose: Option<String>,
    /// Fail instead of answering partially when a member fails.
    #[arg(long, requires = "federated")]
    pub strict: bool,
}

/// Arguments of `hanse demo`.
#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the six node directories here (reused on the next run) instead of a temporary
    /// directory.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// HTTP address of the first node (Mechelen); the others take the next five ports.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub http: SocketAddr,
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => init::run(args),
        Command::Serve(args) => serve::run(args).await,
        Command::Load(args) => load::run(args).await,
        Command::Query(args) => query::run(args).await,
        Command::Consortium { command } => consortium::run(command).await,
        Command::Audit { command } => audit::run(command).await,
        Command::Dataset { command } => dataset::run(command).await,
        Command::Access { command } => access::run(command).await,
        Command::Catalog { command } => dataset::run_catalog(command),
        Command::Ingest { command } => ingest::run(command).await,
        Command::User { command } => user::run(command).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args).await,
    }
}

/// Base URL of a node's API from its listen address (a wildcard address is reached on loopback).
fn api_url(listen: SocketAddr) -> String {
    let host = match listen.ip() {
        ip if ip.is_unspecified() && listen.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", listen.port())
}
