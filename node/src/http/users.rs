//! `/api/users` (operator): local users, their roles and personal tokens. A token is shown
//! once, in the answer that issues it; the node keeps only its hash.

use super::{ApiError, AppState};
use crate::access::Action;
use crate::trust::caller::Caller;
use crate::trust::roles::{Role, Roles};
use crate::trust::users::{DEFAULT_VALIDITY, User, UserError, unix_now};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest validity a token may be issued with.
const MAX_VALID_DAYS: u64 = 3650;

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        let status = match &error {
            UserError::BadName(_) | UserError::NoRole(_) => StatusCode::BAD_REQUEST,
            UserError::Exists(_) => StatusCode::CONFLICT,
            UserError::Unknown(_) => StatusCode::NOT_FOUND,
            UserError::Storage(_) | UserError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

/// A user as the API shows it (never the token or its hash).
#[derive(Debug, Serialize, Deserialize)]
pub struct UserView {
    /// The user's name.
    pub name: String,
    /// Their roles.
    pub roles: Vec<String>,
    /// When they were added (Unix seconds).
    pub created: u64,
    /// When their token stops working (Unix seconds).
    pub expires: u64,
    /// When they were revoked, if they were.
    pub revoked: Option<u64>,
    /// Whether their token works now.
    pub active: bool,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            active: user.active(unix_now()),
            roles: user.roles.iter().map(ToString::to_string).collect(),
            name: user.name,
            created: user.created,
            expires: user.expires,
            revoked: user.revoked,
        }
    }
}

/// A user with the token just issued.
#[derive(Debug, Serialize, Deserialize)]
pub struct Issued {
    /// The user.
    pub user: UserView,
    /// The personal token: shown this once.
    pub token: String,
}

/// Body of `POST /api/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The user's name.
    name: String,
    /// Their roles (`reader`, `researcher:dpv:ScientificResearch`, …).
    roles: Vec<String>,
    /// Days the token works (default 90).
    valid_days: Option<u64>,
}

/// Body of `POST /api/users/{name}/token`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Days the token works (default 90).
    valid_days: Option<u64>,
}

fn validity(days: Option<u64>) -> Result<Duration, ApiError> {
    match days {
        None => Ok(DEFAULT_VALIDITY),
        Some(days) if (1..=MAX_VALID_DAYS).contains(&days) => {
            Ok(Duration::from_secs(days * 24 * 3600))
        }
        Some(days) => Err(ApiError::bad_request(format!(
            "valid_days {days}: give 1 to {MAX_VALID_DAYS}"
        ))),
    }
}

/// `GET /api/users`
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserView>>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let users = state.people.users().list()?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

/// `POST /api/users`: adds a user and issues their first token (201).
#[tracing::instrument(skip_all)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewUser>,
) -> Result<Response, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let roles = body
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Roles, _>>()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let validity = validity(body.valid_days)?;
    let (user, token) = state.people.users().add(&body.name, roles, validity)?;
    tracing::info!(user = %user.name, roles = %user.roles, by = %caller, "user added");
    let issued = Issued {
        user: user.into(),
        token: token.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

/// `POST /api/users/{name}/token`: a new token; the old one stops working.
#[tracing::instrument(skip_all, fields(%name))]
pub async fn reissue(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Option<Json<NewToken>>,
) -> Result<Json<Issued>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let days = body.and_then(|Json(b)| b.valid_days);
    let (user, token) = state.people.users().reissue(&name, validity(days)?)?;
    tracing::info!(user = %user.name, by = %caller, "token issued");
    Ok(Json(Issued {
        user: user.into(),
        token: token.as_str().to_owned(),
    }))
}

/// `DELETE /api/users/{name}`: revokes the user (the record stays, for the audit trail).
#[tracing::instrument(skip_all, fields(%name))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let user = state.people.users().revoke(&name)?;
    tracing::info!(user = %user.name, by = %caller, "user revoked");
    Ok(Json(user.into()))
}
