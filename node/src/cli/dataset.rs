//! `hanse dataset create|update|delete|list|show` and `hanse catalog verify|show`.
//!
//! Dataset commands work on a stopped node (directly in its state database; the catalogue is
//! re-signed when it starts) or through a running node's API (published within
//! `catalog.publish_debounce_ms`).

use super::DirArg;
use super::api::StateAccess;
use crate::catalog::{AccessRights, DatasetDefinition, DatasetRegistry, NodeIris, Text, signing};
use crate::node_dir::NodeLock;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use reqwest::Method;
use std::path::PathBuf;

/// The `hanse dataset` subcommands.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Describe a new dataset (from a TOML file, or from flags).
    Create(DefinitionArgs),
    /// Replace a dataset's description (same forms as create).
    Update(DefinitionArgs),
    /// Remove a dataset's description (its graphs stay in the store).
    Delete {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The dataset id.
        id: String,
    },
    /// List the node's datasets.
    List {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
    },
    /// Print one dataset's definition (and statistics, if the node is running) as JSON.
    Show {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The dataset id.
        id: String,
    },
}

/// A dataset definition: `--file` or flags.
#[derive(Debug, Args)]
pub struct DefinitionArgs {
    /// The node directory.
    #[command(flatten)]
    pub dir: DirArg,
    /// A TOML definition (see docs/catalogue.md); flags below are then not allowed.
    #[arg(long, conflicts_with_all = ["id", "title", "graph"])]
    pub file: Option<PathBuf>,
    /// Dataset id (lowercase letters, digits, `-`, `_`).
    #[arg(required_unless_present = "file")]
    pub id: Option<String>,
    /// Title (English).
    #[arg(long, required_unless_present = "file")]
    pub title: Option<String>,
    /// Description (English); the title when absent.
    #[arg(long)]
    pub description: Option<String>,
    /// A named graph of the dataset (repeatable).
    #[arg(long, required_unless_present = "file")]
    pub graph: Vec<String>,
    /// A keyword (repeatable).
    #[arg(long)]
    pub keyword: Vec<String>,
    /// An EU data theme code, e.g. ENVI (repeatable).
    #[arg(long)]
    pub theme: Vec<String>,
    /// Licence IRI.
    #[arg(long)]
    pub licence: Option<String>,
    /// public, restricted or non-public.
    #[arg(long, value_parser = parse_access_rights)]
    pub access_rights: Option<AccessRights>,
    /// EU frequency code, e.g. HOURLY.
    #[arg(long)]
    pub update_frequency: Option<String>,
    /// An ODRL offer in Turtle (`<>` is the dataset).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

fn parse_access_rights(text: &str) -> Result<AccessRights, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}`: use public, restricted or non-public"))
}

impl DefinitionArgs {
    fn definition(&self) -> anyhow::Result<DatasetDefinition> {
        if let Some(file) = &self.file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            return DatasetDefinition::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()));
        }
        let (Some(id), Some(title)) = (&self.id, &self.title) else {
            bail!("give --file, or an id with --title and --graph");
        };
        let mut definition = DatasetDefinition::new(id, title, "urn:placeholder");
        definition.graphs = self.graph.clone();
        if let Some(description) = &self.description {
            definition.description = Text::english(description);
        }
        definition.keywords = self.keyword.clone();
        definition.themes = self.theme.clone();
        definition.licence = self.licence.clone();
        definition.access_rights = self.access_rights.unwrap_or_default();
        definition.update_frequency = self.update_frequency.clone();
        if let Some(path) = &self.policy {
            definition.policy = Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            );
        }
        Ok(definition)
    }
}

/// Where datasets are read and written.
enum Target {
    Offline(DatasetRegistry, NodeLock),
    Api(crate::client::NodeClient),
}

impl Target {
    fn of(dir: &DirArg) -> anyhow::Result<Self> {
        Ok(match StateAccess::of(dir)? {
            StateAccess::Offline { dir, state, lock } => {
                let iris = NodeIris::new(&dir.load_identity()?.peer_id());
                Target::Offline(DatasetRegistry::open(&state, iris)?, lock)
            }
            StateAccess::Running(api) => Target::Api(api),
        })
    }
}

/// Runs a dataset subcommand.
pub async fn run(command: DatasetCommand) -> anyhow::Result<()> {
    match command {
        DatasetCommand::Create(args) => write(&args, false).await?,
        DatasetCommand::Update(args) => write(&args, true).await?,
        DatasetCommand::Delete { dir, id } => {
            match Target::of(&dir)? {
                Target::Offline(registry, _lock) => registry.delete(&id)?,
                Target::Api(api) => {
                    api.send(Method::DELETE, &format!("/api/datasets/{id}"), None)
                        .await?;
                }
            }
            println!("dataset `{id}` deleted (its graphs stay in the store)");
        }
        DatasetCommand::List { dir } => {
            let datasets: Vec<serde_json::Value> = match Target::of(&dir)? {
                Target::Offline(registry, _lock) => registry
                    .list()?
                    .into_iter()
                    .map(|d| serde_json::to_value(d).unwrap_or_default())
                    .collect(),
                Target::Api(api) => serde_json::from_slice(&api.get("/api/datasets").await?)?,
            };
            println!("{:<24} {:<12} {:>10}  title", "id", "access", "triples");
            for d in &datasets {
                println!(
                    "{:<24} {:<12} {:>10}  {}",
                    d["id"].as_str().unwrap_or(""),
                    d["access_rights"].as_str().unwrap_or(""),
                    d["statistics"]["triples"]
                        .as_u64()
                        .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                    d["title"]["en"]
                        .as_str()
                        .or_else(|| d["title"].as_object()?.values().next()?.as_str())
                        .unwrap_or("")
                );
            }
            println!("({} datasets)", datasets.len());
        }
        DatasetCommand::Show { dir, id } => {
            let value: serde_json::Value = match Target::of(&dir)? {
                Target::Offline(registry, _lock) => serde_json::to_value(registry.get(&id)?)?,
                Target::Api(api) => {
                    serde_json::from_slice(&api.get(&format!("/api/datasets/{id}")).await?)?
                }
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
    }
    Ok(())
}

async fn write(args: &DefinitionArgs, update: bool) -> anyhow::Result<()> {
    let definition = args.definition()?;
    let id = definition.id.clone();
    match Target::of(&args.dir)? {
        Target::Offline(registry, _lock) => {
            if update {
                registry.update(definition)?;
            } else {
                registry.create(definition)?;
            }
            println!(
                "dataset `{id}` {}; the catalogue is re-signed when the node starts",
                if update { "updated" } else { "created" }
            );
        }
        Target::Api(api) => {
            let body = serde_json::to_vec(&definition)?;
            let (method, path) = if update {
                (Method::PUT, format!("/api/datasets/{id}"))
            } else {
                (Method::POST, "/api/datasets".to_owned())
            };
            api.send(method, &path, Some(("application/json", body)))
                .await?;
            println!(
                "dataset `{id}` {}; the node publishes the new catalogue shortly",
                if update { "updated" } else { "created" }
            );
        }
    }
    Ok(())
}

/// The `hanse catalog` subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check a signed catalogue (N-Quads, as `GET /api/catalog` with Accept:
    /// application/n-quads returns it) offline: RDFC-1.0 canonical form and Ed25519 proof.
    Verify {
        /// The signed catalogue file.
        file: PathBuf,
    },
}

/// Runs a catalogue subcommand.
pub fn run_catalog(command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Verify { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let signed = signing::verify(&bytes, usize::MAX)
                .with_context(|| format!("{} does not verify", file.display()))?;
            println!(
                "valid: catalogue version {} of {} (consortium `{}`), signed {}, {} triples, content hash {}",
                signed.version,
                signed.publisher,
                signed.consortium,
                signed.created,
                signed.document.len(),
                signed.hash
            );
            Ok(())
        }
    }
}
