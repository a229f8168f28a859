//! `/api/audit`: the access decision log (admin token).

use super::{ApiError, AppState};
use crate::access::Action;
use crate::audit::{AuditEntry, AuditError};
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// Most entries one request returns.
const MAX_PAGE: usize = 1000;

/// Paging of `GET /api/audit`.
#[derive(Debug, Deserialize)]
pub struct Page {
    /// First sequence number (default 0).
    #[serde(default)]
    from: u64,
    /// Entries to return (default and maximum 1000).
    limit: Option<usize>,
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        let status = match error {
            AuditError::Broken { .. } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

/// `GET /api/audit?from=N&limit=M`
#[tracing::instrument(skip_all)]
pub async fn entries(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let limit = page.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    let audit = state.audit.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || audit.entries(page.from, limit)).await??,
    ))
}

/// `GET /api/audit/verify`: 200 with the entry count, or 409 naming the first bad entry.
#[tracing::instrument(skip_all)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let audit = state.audit.clone();
    let count = tokio::task::spawn_blocking(move || audit.verify()).await??;
    Ok(Json(
        serde_json::json!({ "verified": true, "entries": count }),
    ))
}
