//! `hanse audit show|verify`: read and check the access-decision log.

use super::DirArg;
use super::api::StateAccess;
use crate::audit::{AuditEntry, AuditLog};
use anyhow::Context;
use clap::Subcommand;

/// The `hanse audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print entries (oldest first).
    Show {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// First sequence number.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Entries to print.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check every entry's hash, link and signature; exits non-zero naming the first bad one.
    Verify {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
    },
}

/// Runs an audit subcommand, through the API when the node is running.
pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Show {
            dir,
            from,
            limit,
            json,
        } => {
            let entries = match Source::of(&dir)? {
                Source::Offline(log, _lock) => log.entries(from, limit)?,
                Source::Api(api) => serde_json::from_slice(
                    &api.get(&format!("/api/audit?from={from}&limit={limit}"))
                        .await?,
                )
                .context("the node returned malformed audit entries")?,
            };
            print_entries(&entries, json)?;
        }
        AuditCommand::Verify { dir } => {
            let count = match Source::of(&dir)? {
                Source::Offline(log, _lock) => log.verify()?,
                Source::Api(api) => {
                    let answer: serde_json::Value =
                        serde_json::from_slice(&api.get("/api/audit/verify").await?)?;
                    answer["entries"].as_u64().unwrap_or(0)
                }
            };
            println!("audit log verified: {count} entries, hash chain and signatures intact");
        }
    }
    Ok(())
}

/// Where the log is read from.
enum Source {
    /// The node is stopped: open its state database directly (holding the node lock).
    Offline(AuditLog, crate::node_dir::NodeLock),
    /// The node is running: ask its API.
    Api(crate::client::NodeClient),
}

impl Source {
    fn of(dir: &DirArg) -> anyhow::Result<Self> {
        Ok(match StateAccess::of(dir)? {
            StateAccess::Offline { dir, state, lock } => {
                Source::Offline(AuditLog::open(&state, dir.load_identity()?)?, lock)
            }
            StateAccess::Running(api) => Source::Api(api),
        })
    }
}

fn print_entries(entries: &[AuditEntry], json: bool) -> anyhow::Result<()> {
    if json {
        for entry in entries {
            println!("{}", serde_json::to_string(entry)?);
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let decision = match e.record.decision {
                crate::audit::AuditDecision::Allow => "allow",
                crate::audit::AuditDecision::Deny => "deny",
            };
            vec![
                e.seq.to_string(),
                e.time.clone(),
                decision.to_owned(),
                e.record.requester.clone(),
                e.record.dataset.clone(),
                e.record.reason.clone(),
            ]
        })
        .collect();
    let header = ["seq", "time", "decision", "requester", "dataset", "reason"];
    print!("{}", super::table::aligned(&header, &rows));
    println!(
        "({})",
        super::table::count(entries.len(), "entry", "entries")
    );
    Ok(())
}
