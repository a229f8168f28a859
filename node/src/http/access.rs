//! `/api/agreements` and `/api/remote/sparql`: agreements and queries to other members
//! (they act with the node's identity: researchers see and use agreements, operators
//! negotiate and revoke them).

use super::{ApiError, AppState};
use crate::access::{AccessError, Action, Agreement, AgreementError, BudgetView, Question};
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

impl From<AgreementError> for ApiError {
    fn from(error: AgreementError) -> Self {
        let status = match &error {
            AgreementError::NotFound(_) => StatusCode::NOT_FOUND,
            AgreementError::Invalid { .. } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        let status = match &error {
            AccessError::Denied(_) => StatusCode::FORBIDDEN,
            AccessError::Network(_) => StatusCode::BAD_GATEWAY,
            AccessError::NoNetwork => StatusCode::CONFLICT,
            AccessError::Agreement(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

/// An agreement with the state an operator sees (`EXPIRED` once past its validity).
#[derive(Serialize)]
pub struct AgreementView {
    #[serde(flatten)]
    agreement: Agreement,
    /// REQUESTED … FINALIZED, TERMINATED or EXPIRED.
    status: String,
    /// Whether this node is the provider.
    provider_side: bool,
    /// For a differentially private agreement: ε per answer, budget, spent and left.
    #[serde(skip_serializing_if = "Option::is_none")]
    privacy_budget: Option<BudgetView>,
}

fn view(state: &AppState, agreement: Agreement) -> AgreementView {
    AgreementView {
        status: agreement.display_state(&oxsdatatypes::DateTime::now()),
        provider_side: agreement.terms.provider == state.info.peer_id,
        privacy_budget: state.access.budget(&agreement),
        agreement,
    }
}

/// `GET /api/agreements`
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    state.access.permit(&caller, Action::SeeAgreements)?;
    let agreements = state.access.agreements().list()?;
    Ok(Json(
        agreements.into_iter().map(|a| view(&state, a)).collect(),
    ))
}

/// `GET /api/agreements/{id}`
#[tracing::instrument(skip_all, fields(%id))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<AgreementView>, ApiError> {
    state.access.permit(&caller, Action::SeeAgreements)?;
    let agreement = state.access.agreements().get(&id)?;
    Ok(Json(view(&state, agreement)))
}

/// Body of `POST /api/agreements`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRequestBody {
    /// The provider's PeerId.
    provider: String,
    /// The dataset id on the provider.
    dataset: String,
    /// A DPV purpose IRI.
    purpose: String,
    /// Requested validity in seconds (the provider caps it).
    valid_for_secs: Option<u64>,
}

/// `POST /api/agreements`: negotiates an agreement with a provider (201, or 403 with the
/// provider's reason).
#[tracing::instrument(skip_all)]
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<AccessRequestBody>,
) -> Result<Response, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let network = state.network.as_ref().ok_or(AccessError::NoNetwork)?;
    let provider = super::parse_peer(&body.provider)?;
    let agreement = state
        .access
        .request_access(
            network,
            provider,
            &body.dataset,
            &body.purpose,
            body.valid_for_secs,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view(&state, agreement))).into_response())
}

/// Body of `POST /api/agreements/{id}/revoke`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Why (recorded and sent to the consumer).
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/agreements/{id}/revoke`: the provider stops honouring it at once.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    body: Option<Json<RevokeBody>>,
) -> Result<Json<AgreementView>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let reason = body
        .and_then(|Json(b)| b.reason)
        .unwrap_or_else(|| "revoked by the provider".into());
    let agreement = state
        .access
        .revoke(state.network.as_ref(), &id, &reason)
        .await?;
    Ok(Json(view(&state, agreement)))
}

/// Body of `POST /api/remote/sparql`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteQueryBody {
    /// The provider's PeerId.
    provider: String,
    /// SPARQL query text.
    query: String,
    /// A DPV purpose IRI.
    purpose: Option<String>,
    /// Agreement ids to rely on.
    #[serde(default)]
    agreements: Vec<String>,
    /// Dataset ids to query (default: all the node may use).
    #[serde(default)]
    datasets: Vec<String>,
}

/// The answer to `POST /api/remote/sparql`.
#[derive(Debug, Serialize)]
pub struct RemoteQueryReply {
    /// The provider's answer.
    #[serde(flatten)]
    answer: crate::access::RemoteAnswer,
    /// With no `datasets` named: the provider's datasets this node may not use for the
    /// purpose that could have answered part of the query (then `status` is `partial`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_out: Vec<crate::federation::Skipped>,
}

/// `POST /api/remote/sparql`: asks one member; the answer says `complete`, `partial` (a
/// dataset that could have answered was left out, listed in `left_out`) or `denied` with the
/// provider's reason, and for an aggregation-only dataset what was withheld, the noise added
/// and the budget left (`privacy`).
#[tracing::instrument(skip_all)]
pub async fn remote_query(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<RemoteQueryBody>,
) -> Result<Json<RemoteQueryReply>, ApiError> {
    state
        .access
        .permit(&caller, Action::UseAgreements(body.purpose.as_deref()))?;
    let network = state.network.as_ref().ok_or(AccessError::NoNetwork)?;
    let provider = super::parse_peer(&body.provider)?;
    // Without named datasets the provider uses whatever this node may: say what that leaves out.
    let left_out = match (
        body.datasets.is_empty(),
        state.sparql.parse_query(&body.query).await,
    ) {
        (true, Ok(query)) => {
            let (federation, purpose) = (state.federation.clone(), body.purpose.clone());
            let provider = provider.to_string();
            tokio::task::spawn_blocking(move || {
                federation.left_out(&provider, &query, purpose.as_deref())
            })
            .await
            .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut answer = state
        .access
        .remote_query(
            network,
            provider,
            Question {
                query: body.query,
                purpose: body.purpose,
                agreements: body.agreements,
                datasets: body.datasets,
                on_behalf_of: caller.person_label(),
            },
        )
        .await?;
    if !left_out.is_empty() && answer.status == "complete" {
        answer.status = "partial";
    }
    Ok(Json(RemoteQueryReply { answer, left_out }))
}
