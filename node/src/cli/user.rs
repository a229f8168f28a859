//! `hanse user add|list|token|revoke`: local users and their personal tokens.
//!
//! Works on a stopped node (directly in its state database) or through a running node's API
//! (as the operator). A token is printed once, when it is issued; the node keeps only its
//! hash, so a lost token is replaced (`hanse user token NAME`), never recovered.

use super::DirArg;
use super::api::StateAccess;
use crate::http::users::{Issued, UserView};
use crate::trust::roles::{Role, Roles};
use crate::trust::users::{DEFAULT_VALIDITY, UserStore};
use anyhow::Context;
use clap::Subcommand;
use reqwest::Method;
use std::time::Duration;

/// The `hanse user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person and print their personal token (once).
    Add {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The user's name: lowercase letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// A role (repeatable): reader[:DATASET], researcher[:PURPOSE], editor,
        /// ingest[:SOURCE] or operator. PURPOSE is a DPV IRI or `dpv:Name`.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Days the token works.
        #[arg(long, default_value_t = DEFAULT_VALIDITY.as_secs() / 86_400)]
        valid_days: u64,
    },
    /// List the users, their roles and whether their token works.
    List {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
    },
    /// Issue a new token for a user (the old one stops working; a revoked user is active
    /// again) and print it once.
    Token {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The user's name.
        name: String,
        /// Days the token works.
        #[arg(long, default_value_t = DEFAULT_VALIDITY.as_secs() / 86_400)]
        valid_days: u64,
    },
    /// Revoke a user: their token stops working at once.
    Revoke {
        /// The node directory.
        #[command(flatten)]
        dir: DirArg,
        /// The user's name.
        name: String,
    },
}

fn days(valid_days: u64) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        (1..=3650).contains(&valid_days),
        "--valid-days {valid_days}: give 1 to 3650"
    );
    Ok(Duration::from_secs(valid_days * 86_400))
}

fn print_issued(issued: &Issued) {
    println!(
        "user `{}` ({}), token valid until {}:",
        issued.user.name,
        issued.user.roles.join(", "),
        when(issued.user.expires)
    );
    println!("{}", issued.token);
    println!("This token is shown once: hand it to the user now (the node keeps only its hash).");
}

fn when(unix: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Runs a user subcommand.
pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            dir,
            name,
            roles,
            valid_days,
        } => {
            let validity = days(valid_days)?;
            let issued = match StateAccess::of(&dir)? {
                StateAccess::Offline { state, .. } => {
                    let roles: Roles = roles.into_iter().collect();
                    let (user, token) = UserStore::open(&state)?.add(&name, roles, validity)?;
                    Issued {
                        user: user.into(),
                        token: token.as_str().to_owned(),
                    }
                }
                StateAccess::Running(api) => {
                    let body = serde_json::json!({
                        "name": name,
                        "roles": roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "valid_days": valid_days,
                    });
                    let answer = api
                        .send(
                            Method::POST,
                            "/api/users",
                            Some(("application/json", serde_json::to_vec(&body)?)),
                        )
                        .await?;
                    serde_json::from_slice(&answer).context("the node's answer")?
                }
            };
            print_issued(&issued);
        }
        UserCommand::Token {
            dir,
            name,
            valid_days,
        } => {
            let validity = days(valid_days)?;
            let issued = match StateAccess::of(&dir)? {
                StateAccess::Offline { state, .. } => {
                    let (user, token) = UserStore::open(&state)?.reissue(&name, validity)?;
                    Issued {
                        user: user.into(),
                        token: token.as_str().to_owned(),
                    }
                }
                StateAccess::Running(api) => {
                    let body = serde_json::json!({ "valid_days": valid_days });
                    let answer = api
                        .send(
                            Method::POST,
                            &format!("/api/users/{name}/token"),
                            Some(("application/json", serde_json::to_vec(&body)?)),
                        )
                        .await?;
                    serde_json::from_slice(&answer).context("the node's answer")?
                }
            };
            print_issued(&issued);
        }
        UserCommand::Revoke { dir, name } => {
            let user: UserView = match StateAccess::of(&dir)? {
                StateAccess::Offline { state, .. } => {
                    UserStore::open(&state)?.revoke(&name)?.into()
                }
                StateAccess::Running(api) => serde_json::from_slice(
                    &api.send(Method::DELETE, &format!("/api/users/{name}"), None)
                        .await?,
                )
                .context("the node's answer")?,
            };
            println!("user `{}` revoked: their token no longer works", user.name);
        }
        UserCommand::List { dir } => {
            let users: Vec<UserView> = match StateAccess::of(&dir)? {
                StateAccess::Offline { state, .. } => UserStore::open(&state)?
                    .list()?
                    .into_iter()
                    .map(UserView::from)
                    .collect(),
                StateAccess::Running(api) => serde_json::from_slice(&api.get("/api/users").await?)
                    .context("the node's answer")?,
            };
            print_users(&users);
        }
    }
    Ok(())
}

/// The users as an aligned table.
fn print_users(users: &[UserView]) {
    let rows: Vec<[String; 4]> = users
        .iter()
        .map(|u| {
            let status = match (u.revoked, u.active) {
                (Some(_), _) => "revoked".to_owned(),
                (None, true) => format!("until {}", when(u.expires)),
                (None, false) => format!("expired {}", when(u.expires)),
            };
            [u.name.clone(), status, u.roles.join(", "), when(u.created)]
        })
        .collect();
    let header = ["name", "token", "roles", "added"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    println!("({} users)", users.len());
}
