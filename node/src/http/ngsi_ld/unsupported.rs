//! Endpoints of the NGSI-LD API this node does not implement yet (subscriptions, context
//! source registrations, the temporal API): the checks common to every endpoint (406 for
//! an unacceptable `Accept`, 415 for an unsupported body, 503 for an @context that cannot
//! be loaded) still apply, then 501 `OperationNotSupported`.

use super::entities::{Answer, body};
use super::request::{content_is_ld, format};
use crate::http::AppState;
use crate::ngsi_ld::NgsiLdError;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::Value;

/// The fallback under `/ngsi-ld/v1`.
pub async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    // GeoJSON is only offered by Retrieve Entity and Query Entities.
    format(&headers, false)?;
    if matches!(method, Method::POST | Method::PATCH | Method::PUT) {
        content_is_ld(&headers, true)?;
        let raw = body(raw)?;
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&raw)
            && let Some(context) = map.get("@context")
        {
            state.ngsi_ld.contexts().active(Some(context)).await?;
        }
    }
    Err(NgsiLdError::OperationNotSupported(format!(
        "{method} {} is not implemented by this node: it serves entities, batch operations, queries and discovery (subscriptions, context sources and the temporal API are not available yet)",
        uri.path()
    ))
    .into())
}
