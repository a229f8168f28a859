//! `hanse access request|list|show|revoke`: agreements with other members, through the
//! running node's API (negotiation needs the node's network).

use super::DirArg;
use super::api::Api;
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

/// The `hanse access` subcommands.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Ask a provider for an agreement to use one of its datasets for a purpose.
    Request {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The provider's PeerId.
        #[arg(long)]
        provider: String,
        /// The dataset id on the provider.
        #[arg(long)]
        dataset: String,
        /// A DPV purpose IRI, e.g. https://w3id.org/dpv#AcademicResearch.
        #[arg(long)]
        purpose: String,
        /// Requested validity in seconds (the provider caps it).
        #[arg(long)]
        valid_for: Option<u64>,
    },
    /// List agreements (as provider and as consumer), with the privacy budget left of
    /// differentially private ones.
    List {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
    },
    /// Print one agreement as JSON, with its signed ODRL policy.
    Show {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The agreement id.
        id: String,
    },
    /// Revoke an agreement this node granted; it stops being honoured at once.
    Revoke {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The agreement id.
        id: String,
        /// Why (sent to the consumer and recorded).
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `left/budget ε`, or `-` for an agreement without a privacy budget.
fn budget(a: &Value) -> String {
    let b = &a["privacy_budget"];
    match (b["remaining"].as_f64(), b["budget"].as_f64()) {
        (Some(left), Some(budget)) => format!("{left}/{budget} ε"),
        _ => "-".into(),
    }
}

fn print_row(a: &Value) {
    println!(
        "{:<32} {:<10} {:<10} {:<20} {:<40} {:<14} {}",
        a["id"].as_str().unwrap_or(""),
        a["status"].as_str().unwrap_or(""),
        if a["provider_side"].as_bool().unwrap_or(false) {
            "provider"
        } else {
            "consumer"
        },
        a["dataset"].as_str().unwrap_or(""),
        a["purpose"].as_str().unwrap_or(""),
        budget(a),
        a["valid_until"].as_str().unwrap_or("")
    );
}

/// Runs an access subcommand.
pub async fn run(command: AccessCommand) -> anyhow::Result<()> {
    match command {
        AccessCommand::Request {
            dir,
            provider,
            dataset,
            purpose,
            valid_for,
        } => {
            let body = json!({ "provider": provider, "dataset": dataset, "purpose": purpose,
                               "valid_for_secs": valid_for });
            let answer = Api::for_dir(&dir)?
                .send(
                    Method::POST,
                    "/api/agreements",
                    Some(("application/json", serde_json::to_vec(&body)?)),
                )
                .await?;
            let agreement: Value = serde_json::from_slice(&answer)?;
            println!(
                "agreement {} {}: {} on {} for {} until {}",
                agreement["id"].as_str().unwrap_or(""),
                agreement["status"].as_str().unwrap_or(""),
                agreement["consumer"].as_str().unwrap_or(""),
                agreement["target"].as_str().unwrap_or(""),
                agreement["purpose"].as_str().unwrap_or(""),
                agreement["valid_until"].as_str().unwrap_or("")
            );
        }
        AccessCommand::List { dir } => {
            let list: Vec<Value> =
                serde_json::from_slice(&Api::for_dir(&dir)?.get("/api/agreements").await?)?;
            println!(
                "{:<32} {:<10} {:<10} {:<20} {:<40} {:<14} valid until",
                "id", "status", "side", "dataset", "purpose", "budget left"
            );
            list.iter().for_each(print_row);
            println!(
                "({})",
                super::table::count(list.len(), "agreement", "agreements")
            );
        }
        AccessCommand::Show { dir, id } => {
            let agreement: Value = serde_json::from_slice(
                &Api::for_dir(&dir)?
                    .get(&format!("/api/agreements/{id}"))
                    .await?,
            )?;
            println!("{}", serde_json::to_string_pretty(&agreement)?);
        }
        AccessCommand::Revoke { dir, id, reason } => {
            let body = json!({ "reason": reason });
            Api::for_dir(&dir)?
                .send(
                    Method::POST,
                    &format!("/api/agreements/{id}/revoke"),
                    Some(("application/json", serde_json::to_vec(&body)?)),
                )
                .await?;
            println!("agreement {id} revoked: no longer honoured");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_column_shows_what_is_left() {
        let noised = json!({ "privacy_budget": { "remaining": 9.0, "budget": 10.0 } });
        assert_eq!(budget(&noised), "9/10 ε");
        assert_eq!(budget(&json!({ "id": "a" })), "-");
    }
}
