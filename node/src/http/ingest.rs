//! `/api/ingest`: HTTP push of sensor messages, ingest status, dead letters and retention.

use super::error::body_error_for;
use super::{ApiError, AppState};
use crate::access::Action;
use crate::ingest::dead_letters::DeadLetter;
use crate::ingest::retention::RetentionReport;
use crate::ingest::status::SourceStatus;
use crate::ingest::writer::WriteError;
use crate::ingest::{IngestError, PushOutcome, ReplayOutcome};
use crate::trust::caller::Caller;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        let status = match &error {
            IngestError::UnknownSource(_) => StatusCode::NOT_FOUND,
            IngestError::Csv(_) => StatusCode::BAD_REQUEST,
            IngestError::Timeout(_) | IngestError::Write(WriteError::Stopped) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            IngestError::Source(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, error.to_string())
    }
}

/// Where a pushed message would have been published.
#[derive(Deserialize)]
pub struct PushParams {
    /// The MQTT topic the message stands for (IoT Agent formats need one).
    topic: Option<String>,
    /// IoT Agent HTTP style: API key…
    k: Option<String>,
    /// …and device id; together they make the topic `/{k}/{i}/attrs`.
    i: Option<String>,
}

/// `POST /api/ingest/{source}` (the source's token, or `ingest[:source]`): one message in the
/// source's format, or CSV rows with `Content-Type: text/csv`. Answers once stored: 200 with
/// counts, or 422 if every message was refused (each is kept as a dead letter).
#[tracing::instrument(skip_all, fields(%source))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(source): Path<String>,
    Query(params): Query<PushParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|r| {
        body_error_for(
            r,
            state.ingest_max_bytes,
            "the body exceeds {} bytes (ingest.max_http_bytes); send smaller batches",
        )
    })?;
    state.access.permit(&caller, Action::Ingest(&source))?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let topic = match (params.topic, params.k, params.i) {
        (Some(topic), _, _) => topic,
        (None, Some(k), Some(i)) => format!("/{k}/{i}/attrs"),
        _ => "http".to_owned(),
    };
    let outcome: PushOutcome = state
        .ingest
        .push(&source, &topic, csv, body.to_vec())
        .await?;
    let status = if outcome.messages > 0 && outcome.dead_lettered as u64 == outcome.messages {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome)).into_response())
}

/// `GET /api/ingest/status`: per source messages received, stored, dead-lettered, lag and
/// last error, for the sources whose graph the caller may read.
pub async fn status(State(state): State<AppState>, caller: Caller) -> Json<Vec<SourceStatus>> {
    let visible = state.access.rights(&caller).read;
    let mut sources = state.ingest.status();
    sources.retain(|s| {
        oxigraph::model::NamedNode::new(s.graph.as_str())
            .is_ok_and(|g| visible.sees(g.as_ref().into()))
    });
    Json(sources)
}

/// Filters of the dead-letter list.
#[derive(Deserialize)]
pub struct LetterParams {
    /// Only this source.
    source: Option<String>,
    /// At most this many (default and maximum 1000).
    limit: Option<usize>,
}

/// `GET /api/ingest/dead-letters` (operator): refused messages with source, payload,
/// reason and time, oldest first.
pub async fn dead_letters(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LetterParams>,
) -> Result<Json<Vec<DeadLetter>>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let limit = params
        .limit
        .unwrap_or(crate::ingest::dead_letters::MAX_LISTED);
    Ok(Json(
        state.ingest.dead_letters(params.source.as_deref(), limit)?,
    ))
}

/// `POST /api/ingest/dead-letters/replay` (operator): re-reads the mapping files and
/// tries every dead letter (of `?source=`) again.
#[tracing::instrument(skip_all)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<LetterParams>,
) -> Result<Json<ReplayOutcome>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    Ok(Json(state.ingest.replay(params.source.as_deref()).await?))
}

/// `DELETE /api/ingest/dead-letters/{id}` (operator).
pub async fn delete_dead_letter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    if state.ingest.delete_dead_letter(id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no dead letter {id}"),
        ))
    }
}

/// `POST /api/ingest/retention` (operator): runs retention now.
pub async fn retention(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RetentionReport>>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    Ok(Json(state.ingest.run_retention().await?))
}
