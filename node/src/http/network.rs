//! `/api/peers` and `/api/consortium`.

use super::error::body_error;
use super::{ApiError, AppState};
use crate::access::Action;
use crate::p2p::{NetworkError, PeerSummary};
use crate::trust::caller::Caller;
use crate::trust::consortium::SignedMembership;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::json;

fn not_in_consortium() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "this node is not in a consortium: install a membership document with `hanse consortium install`",
    )
}

impl From<NetworkError> for ApiError {
    fn from(error: NetworkError) -> Self {
        let status = match &error {
            NetworkError::Membership(_) => StatusCode::BAD_REQUEST,
            NetworkError::Busy | NetworkError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

/// `GET /api/peers` (signed in): connected members with their addresses (empty when the
/// node is not in a consortium).
#[tracing::instrument(skip_all)]
pub async fn peers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PeerSummary>>, ApiError> {
    state.access.permit(&caller, Action::Observe)?;
    match &state.network {
        Some(network) => Ok(Json(network.peers().await?)),
        None => Ok(Json(Vec::new())),
    }
}

/// `GET /api/consortium`: the current document and how it was verified.
#[tracing::instrument(skip_all)]
pub async fn consortium(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let membership = state.membership.as_ref().ok_or_else(not_in_consortium)?;
    let signed = membership.get();
    let (status, detail) = match signed.verify_genesis() {
        Ok(()) => (
            "verified",
            format!(
                "signed by at least {} of its {} stewards",
                signed.document.threshold,
                signed.document.stewards.len()
            ),
        ),
        // A later version is signed by the stewards of the version before it, which this
        // document alone cannot show; it was verified against that version when adopted.
        Err(e) => (
            "adopted-update",
            format!("verified against the previous version when adopted; on its own: {e}"),
        ),
    };
    let local_member = state
        .info
        .peer_id
        .parse()
        .is_ok_and(|peer| signed.document.is_member(&peer));
    Ok(Json(json!({
        "document": signed,
        "verification": { "status": status, "detail": detail },
        "local_member": local_member,
    })))
}

/// `POST /api/consortium` (admin token): submit a signed update; it is verified against the
/// current document, adopted and gossiped to the consortium.
#[tracing::instrument(skip_all)]
pub async fn submit_membership(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let body = body.map_err(|e| body_error(e, state.max_body_bytes))?;
    let network = state.network.as_ref().ok_or_else(not_in_consortium)?;
    let update =
        SignedMembership::from_json(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let version = network.submit_membership(update).await?;
    Ok(Json(json!({ "version": version })))
}

/// Body of `POST /api/network/block`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockBody {
    /// PeerIds of members.
    peers: Vec<String>,
    /// `true` to block, `false` to unblock.
    blocked: bool,
}

/// `POST /api/network/block` (admin token): disconnect and refuse (or re-admit) members at
/// the connection gate, for fault drills such as network partitions. Answers the blocked set.
#[tracing::instrument(skip_all)]
pub async fn block(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BlockBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let network = state.network.as_ref().ok_or_else(not_in_consortium)?;
    let peers = body
        .peers
        .iter()
        .map(|p| super::parse_peer(p))
        .collect::<Result<Vec<_>, _>>()?;
    let blocked = network.block(peers, body.blocked).await?;
    Ok(Json(json!({
        "blocked": blocked.iter().map(ToString::to_string).collect::<Vec<_>>()
    })))
}
