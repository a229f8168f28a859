//! Graph Store HTTP Protocol handlers for `/store`: reads show the graphs the caller may
//! read (others are absent), writes need the `editor` role.

use super::error::body_error;
use super::negotiate::{negotiate, offered_list};
use super::{ApiError, AppState};
use crate::access::Action;
use crate::store::graph_store::{self, GraphTarget};
use crate::store::rdf_format::rdf_formats;
use crate::store::subject_filter::typed_subjects;
use crate::trust::caller::Caller;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfFormat;

/// Reads `?graph=IRI` / `?default` from the query string.
fn target(raw: Option<&str>) -> Result<GraphTarget, ApiError> {
    let mut graph = None;
    let mut default = false;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "graph" => {
                let previous = graph.replace(value.into_owned());
                if previous.is_some() {
                    return Err(ApiError::bad_request("`graph` is given more than once"));
                }
            }
            "default" => default = true,
            _ => {}
        }
    }
    match (graph, default) {
        (Some(_), true) => Err(ApiError::bad_request(
            "use either ?graph=IRI or ?default, not both",
        )),
        (Some(iri), false) => Ok(GraphTarget::named(&iri)?),
        (None, true) => Ok(GraphTarget::Default),
        (None, false) => Ok(GraphTarget::Dataset),
    }
}

/// The RDF format of the request body from `Content-Type`, or 415.
fn body_format(headers: &HeaderMap) -> Result<RdfFormat, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    RdfFormat::from_media_type(media_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported Content-Type `{media_type}`: send text/turtle, application/n-triples, application/rdf+xml, application/ld+json, application/n-quads or application/trig"
            ),
        )
    })
}

/// `GET /store?graph=IRI|default`: the graph (or, without a parameter, every graph the
/// caller may read).
#[tracing::instrument(skip_all)]
pub async fn get_graph(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let target = target(raw.as_deref())?;
    let offered: Vec<(&str, RdfFormat)> = rdf_formats()
        .into_iter()
        .filter(|f| target != GraphTarget::Dataset || f.supports_datasets())
        .map(|f| (f.media_type(), f))
        .collect();
    let format = negotiate(&headers, &offered).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "no acceptable RDF format; available: {}",
                offered_list(&offered)
            ),
        )
    })?;
    let store = state.sparql.store().clone();
    let visible = state.access.rights(&caller).read;
    let body =
        tokio::task::spawn_blocking(move || graph_store::read(&store, &target, format, &visible))
            .await??;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    Ok(response)
}

/// `PUT /store?graph=IRI|default`: replaces the graph with the body (editor).
#[tracing::instrument(skip_all)]
pub async fn put_graph(
    state: State<AppState>,
    caller: Caller,
    raw: RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    write_graph(state, caller, raw, headers, body, true).await
}

/// `POST /store[?graph=IRI|default]`: adds the body to the graph (editor).
#[tracing::instrument(skip_all)]
pub async fn post_graph(
    state: State<AppState>,
    caller: Caller,
    raw: RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    write_graph(state, caller, raw, headers, body, false).await
}

async fn write_graph(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    replace: bool,
) -> Result<Response, ApiError> {
    state.access.permit(&caller, Action::Write)?;
    let body = body.map_err(|e| body_error(e, state.max_body_bytes))?;
    let target = target(raw.as_deref())?;
    if replace && target == GraphTarget::Dataset {
        return Err(ApiError::bad_request(
            "PUT replaces one graph: add ?graph=IRI or ?default",
        ));
    }
    let format = body_format(&headers)?;
    // An empty PUT would silently empty the graph; a lost body is the likelier cause.
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad_request(
            "the request body is empty: send the graph's RDF (to remove a graph, DELETE it)",
        ));
    }
    let store = state.sparql.store().clone();
    let subjects = state.subjects.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let quads = graph_store::parse_body(&target, format, &body, state.max_rdf_nesting)?;
        let _announced = subjects.announce(typed_subjects(&quads));
        if replace {
            graph_store::replace(&store, &target, quads)
        } else {
            graph_store::add(&store, &target, quads)
        }
    })
    .await??;
    tracing::info!(
        quads = outcome.quads,
        created = outcome.created,
        "graph written"
    );
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    state.catalog.data_changed();
    state.ngsi_ld.data_changed();
    Ok((status, Json(serde_json::json!({ "quads": outcome.quads }))).into_response())
}

/// `DELETE /store?graph=IRI|default` (editor).
#[tracing::instrument(skip_all)]
pub async fn delete_graph(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    state.access.permit(&caller, Action::Write)?;
    let target = target(raw.as_deref())?;
    if target == GraphTarget::Dataset {
        return Err(ApiError::bad_request(
            "DELETE removes one graph: add ?graph=IRI or ?default",
        ));
    }
    let store = state.sparql.store().clone();
    tokio::task::spawn_blocking(move || graph_store::delete(&store, &target)).await??;
    state.catalog.data_changed();
    state.ngsi_ld.data_changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}
