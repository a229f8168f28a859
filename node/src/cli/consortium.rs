//! `hanse consortium …`: create, edit, sign, inspect, verify and install membership documents.

use super::{DirArg, api_url};
use crate::config::Role;
use crate::node_dir::NodeDir;
use crate::trust::consortium::{Member, MembershipDocument, SignedMembership};
use crate::trust::membership::CONSORTIUM_FILE;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// The `hanse consortium` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConsortiumCommand {
    /// Create a new, empty membership document (version 1, unsigned).
    Create(CreateArgs),
    /// Add a member (or replace one with the same PeerId).
    ///
    /// Editing a signed document starts its next version and drops the old signatures.
    AddMember(AddMemberArgs),
    /// Remove a member (and its steward seat). Starts the next version if the document was signed.
    RemoveMember(RemoveMemberArgs),
    /// Sign the document with a node's key (the node must be a steward to count).
    Sign(SignArgs),
    /// Print the document: members, stewards, threshold and signatures.
    Show(FileArg),
    /// Check a document: as a first version, or as the successor of --current.
    Verify(VerifyArgs),
    /// Install a verified document on a node (through its API when it is running).
    Install(InstallArgs),
}

/// A membership document file.
#[derive(Debug, Args)]
pub struct FileArg {
    /// The membership document (JSON).
    pub file: PathBuf,
}

/// Arguments of `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Where to write the document.
    pub file: PathBuf,
    /// Stable consortium identifier, e.g. `scifi-region`.
    #[arg(long)]
    pub id: String,
    /// Human-readable name.
    #[arg(long)]
    pub name: String,
    /// Steward signatures required for every change (m of n).
    #[arg(long, default_value_t = 1)]
    pub threshold: u32,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `add-member`.
#[derive(Debug, Args)]
pub struct AddMemberArgs {
    /// The membership document.
    pub file: PathBuf,
    /// Take PeerId, name and role from this node directory.
    #[arg(long, conflicts_with = "peer_id")]
    pub node_dir: Option<PathBuf>,
    /// The member's PeerId (when not using --node-dir).
    #[arg(long, required_unless_present = "node_dir")]
    pub peer_id: Option<String>,
    /// Display name (default: the node's configured name).
    #[arg(long)]
    pub name: Option<String>,
    /// Organisation running the node (default: the name).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Role: city, utility, research or steward (default: the node's configured role).
    #[arg(long)]
    pub role: Option<Role>,
    /// A multiaddress where the member can be reached (repeatable).
    #[arg(long = "address")]
    pub addresses: Vec<String>,
    /// Also give the member a steward seat.
    #[arg(long)]
    pub steward: bool,
}

/// Arguments of `remove-member`.
#[derive(Debug, Args)]
pub struct RemoveMemberArgs {
    /// The membership document.
    pub file: PathBuf,
    /// PeerId of the member to remove.
    #[arg(long)]
    pub peer_id: String,
}

/// Arguments of `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The membership document.
    pub file: PathBuf,
    /// The steward's node directory (its key signs).
    #[command(flatten)]
    pub dir: DirArg,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The document to check.
    pub file: PathBuf,
    /// The document it replaces; without it the file is checked as a first version.
    #[arg(long)]
    pub current: Option<PathBuf>,
}

/// Arguments of `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The signed document.
    pub file: PathBuf,
    /// The node directory to install it in.
    #[command(flatten)]
    pub dir: DirArg,
}

fn read(path: &Path) -> anyhow::Result<SignedMembership> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    SignedMembership::from_json(&bytes).with_context(|| format!("{} is not usable", path.display()))
}

fn write(path: &Path, signed: &SignedMembership) -> anyhow::Result<()> {
    std::fs::write(path, signed.to_json())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Applies `change`; a signed document first moves to its next version.
fn edit(
    path: &Path,
    change: impl FnOnce(&mut MembershipDocument) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut signed = read(path)?;
    if !signed.signatures.is_empty() {
        signed.document.version += 1;
        signed.clear_signatures();
        println!(
            "the document was signed: this change starts version {}, which needs new steward signatures",
            signed.document.version
        );
    }
    change(&mut signed.document)?;
    write(path, &signed)
}

/// Runs a consortium subcommand.
pub async fn run(command: ConsortiumCommand) -> anyhow::Result<()> {
    match command {
        ConsortiumCommand::Create(args) => {
            if args.file.exists() && !args.force {
                bail!(
                    "{} exists; pass --force to overwrite it",
                    args.file.display()
                );
            }
            let document = MembershipDocument::new(&args.id, &args.name, args.threshold);
            write(&args.file, &SignedMembership::unsigned(document))?;
            println!(
                "created consortium `{}` (version 1) in {}",
                args.id,
                args.file.display()
            );
            println!(
                "next: hanse consortium add-member {} --node-dir <node> [--steward]",
                args.file.display()
            );
        }
        ConsortiumCommand::AddMember(args) => add_member(args)?,
        ConsortiumCommand::RemoveMember(args) => {
            edit(&args.file, |doc| {
                let before = doc.members.len();
                doc.members.retain(|m| m.peer_id != args.peer_id);
                doc.stewards.retain(|s| s != &args.peer_id);
                if doc.members.len() == before {
                    bail!("{} is not a member", args.peer_id);
                }
                Ok(())
            })?;
            println!("removed {}", args.peer_id);
        }
        ConsortiumCommand::Sign(args) => {
            let dir = NodeDir::new(&args.dir.dir);
            let identity = dir.load_identity()?;
            let mut signed = read(&args.file)?;
            let peer = identity.peer_id();
            if !signed.document.stewards.contains(&peer.to_string()) {
                println!(
                    "note: {peer} is not a steward of this version; its signature only counts if it is a steward of the version this one replaces"
                );
            }
            signed.sign(&identity)?;
            write(&args.file, &signed)?;
            println!(
                "signed version {} as {peer} ({} now)",
                signed.document.version,
                super::table::count(signed.signatures.len(), "signature", "signatures")
            );
        }
        ConsortiumCommand::Show(args) => show(&read(&args.file)?),
        ConsortiumCommand::Verify(args) => {
            let signed = read(&args.file)?;
            match &args.current {
                Some(current) => {
                    let current = read(current)?;
                    signed.verify_update(&current.document)?;
                    println!(
                        "valid: version {} follows version {} with enough signatures of its stewards",
                        signed.document.version, current.document.version
                    );
                }
                None => {
                    signed.verify_genesis()?;
                    println!(
                        "valid: version {} is signed by at least {} of its {} stewards",
                        signed.document.version,
                        signed.document.threshold,
                        signed.document.stewards.len()
                    );
                }
            }
        }
        ConsortiumCommand::Install(args) => install(args).await?,
    }
    Ok(())
}

fn add_member(args: AddMemberArgs) -> anyhow::Result<()> {
    let (peer_id, default_name, default_role) = match &args.node_dir {
        Some(dir) => {
            let dir = NodeDir::new(dir);
            let config = dir.load_config()?;
            (
                dir.load_identity()?.peer_id().to_string(),
                Some(config.node.name),
                Some(config.node.role),
            )
        }
        None => (args.peer_id.clone().unwrap_or_default(), None, None),
    };
    let name = args
        .name
        .clone()
        .or(default_name)
        .context("give --name (or --node-dir to take it from the node)")?;
    let role = args
        .role
        .or(default_role)
        .context("give --role (or --node-dir to take it from the node)")?;
    let member = Member {
        peer_id: peer_id.clone(),
        organisation: args.organisation.clone().unwrap_or_else(|| name.clone()),
        name: name.clone(),
        role,
        addresses: args.addresses.clone(),
    };
    peer_id
        .parse::<libp2p::PeerId>()
        .with_context(|| format!("`{peer_id}` is not a PeerId"))?;
    edit(&args.file, |doc| {
        doc.members.retain(|m| m.peer_id != peer_id);
        doc.members.push(member);
        if args.steward && !doc.stewards.contains(&peer_id) {
            doc.stewards.push(peer_id.clone());
        }
        Ok(())
    })?;
    println!(
        "added {name} ({role}) {peer_id}{}",
        if args.steward { " as steward" } else { "" }
    );
    Ok(())
}

fn show(signed: &SignedMembership) {
    let doc = &signed.document;
    println!("consortium  {} ({})", doc.consortium_id, doc.name);
    println!("version     {}", doc.version);
    println!(
        "threshold   {} of {} steward(s)",
        doc.threshold,
        doc.stewards.len()
    );
    println!("members     {}", doc.members.len());
    for member in &doc.members {
        let steward = if doc.stewards.contains(&member.peer_id) {
            " steward"
        } else {
            ""
        };
        println!(
            "  {:<16} {:<9} {:<24} {}{steward}",
            member.name, member.role, member.organisation, member.peer_id
        );
        if let Some(key) = member
            .peer_id
            .parse()
            .ok()
            .as_ref()
            .and_then(crate::trust::identity::did_key_of)
        {
            println!("  {:<16} {}", "", key);
        }
        for address in &member.addresses {
            println!("  {:<16} {}", "", address);
        }
    }
    println!("signatures  {}", signed.signatures.len());
    for signature in &signed.signatures {
        println!("  {}", signature.steward);
    }
    match signed.verify_genesis() {
        Ok(()) => println!("status      signed by enough of its own stewards"),
        Err(e) => println!("status      not valid on its own: {e}"),
    }
}

async fn install(args: InstallArgs) -> anyhow::Result<()> {
    let dir = NodeDir::new(&args.dir.dir);
    let config = dir.load_config()?;
    let signed = read(&args.file)?;
    let target = dir.root().join(CONSORTIUM_FILE);
    let existing = if target.exists() {
        Some(read(&target)?)
    } else {
        None
    };
    match &existing {
        Some(current) => signed
            .verify_update(&current.document)
            .context("refused as an update of the installed document")?,
        None => signed
            .verify_genesis()
            .context("refused as a first membership document")?,
    }
    if existing.is_some() && dir.is_running() {
        let client = crate::client::NodeClient::new(
            api_url(config.http.listen),
            Some(dir.load_admin_token()?),
        );
        let body = signed.to_json();
        client
            .send(
                reqwest::Method::POST,
                "/api/consortium",
                Some(("application/json", body)),
            )
            .await
            .context("the running node refused the update")?;
        println!(
            "installed version {} on the running node; it is gossiped to the consortium",
            signed.document.version
        );
    } else {
        crate::atomic_file::write(&target, &signed.to_json())
            .with_context(|| format!("cannot write {}", target.display()))?;
        println!(
            "installed version {} in {}",
            signed.document.version,
            target.display()
        );
        if dir.is_running() {
            println!("restart the node to join the consortium network");
        }
    }
    Ok(())
}
