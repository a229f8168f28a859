//! SPARQL 1.1 Protocol handlers for `/sparql`: a query runs over the graphs its caller may
//! read (a visitor's over the public datasets, whatever `sparql.union_default_graph` says);
//! federated queries and `SERVICE` act with the node's agreements and need the
//! `researcher` role for the purpose; updates need `editor`.

use super::error::body_error;
use super::negotiate::{negotiate, offered_list};
use super::{ApiError, AppState};
use crate::access::Action;
use crate::federation::FederatedQueryOptions;
use crate::federation::report::FederationReport;
use crate::store::rdf_format::{rdf_formats, result_format_aliases, result_formats};
use crate::store::sparql::{
    DatasetParams, QueryForm, ResultFormat, TextAnswer, query_form, uses_service,
};
use crate::trust::caller::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Protocol parameters gathered from the URL and (for forms) the body.
#[derive(Debug, Default)]
struct ProtocolParams {
    query: Option<String>,
    update: Option<String>,
    dataset: DatasetParams,
    using: DatasetParams,
    federation: FederationParams,
}

/// hanse's own parameters: `federated=true`, `purpose=<DPV IRI>`, `strict=true`.
#[derive(Debug, Default)]
struct FederationParams {
    federated: bool,
    strict: bool,
    purpose: Option<String>,
}

fn flag(name: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" | "" => Ok(false),
        other => Err(ApiError::bad_request(format!(
            "`{name}` must be true or false, not `{other}`"
        ))),
    }
}

impl ProtocolParams {
    fn absorb(&mut self, encoded: &[u8]) -> Result<(), ApiError> {
        for (key, value) in form_urlencoded::parse(encoded) {
            let value = value.into_owned();
            match key.as_ref() {
                "query" => set_once(&mut self.query, "query", value)?,
                "update" => set_once(&mut self.update, "update", value)?,
                "default-graph-uri" => self.dataset.default_graphs.push(value),
                "named-graph-uri" => self.dataset.named_graphs.push(value),
                "using-graph-uri" => self.using.default_graphs.push(value),
                "using-named-graph-uri" => self.using.named_graphs.push(value),
                "federated" => self.federation.federated = flag("federated", &value)?,
                "strict" => self.federation.strict = flag("strict", &value)?,
                "purpose" => set_once(&mut self.federation.purpose, "purpose", value)?,
                // Unknown parameters (e.g. cache busters) are ignored, as other endpoints do.
                _ => {}
            }
        }
        Ok(())
    }
}

fn set_once(slot: &mut Option<String>, name: &str, value: String) -> Result<(), ApiError> {
    if slot.replace(value).is_some() {
        return Err(ApiError::bad_request(format!(
            "the `{name}` parameter is given more than once"
        )));
    }
    Ok(())
}

/// `GET /sparql?query=…`
#[tracing::instrument(skip_all)]
pub async fn query_by_get(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut params = ProtocolParams::default();
    params.absorb(raw.unwrap_or_default().as_bytes())?;
    if params.update.is_some() {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "SPARQL updates must be sent with POST",
        ));
    }
    let Some(query) = params.query.take() else {
        return Err(ApiError::bad_request(
            "missing `query` parameter: GET /sparql?query=<url-encoded SPARQL>",
        ));
    };
    run_query(&state, &caller, &headers, &query, &params).await
}

/// `POST /sparql` with `application/sparql-query`, `application/sparql-update` or a form.
#[tracing::instrument(skip_all)]
pub async fn query_or_update_by_post(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| body_error(e, state.max_body_bytes))?;
    let mut params = ProtocolParams::default();
    params.absorb(raw.unwrap_or_default().as_bytes())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "application/sparql-query" => {
            let query = utf8(&body)?;
            run_query(&state, &caller, &headers, query, &params).await
        }
        "application/sparql-update" => {
            let update = utf8(&body)?.to_owned();
            run_update(&state, &caller, &update, &params.using).await
        }
        "application/x-www-form-urlencoded" => {
            params.absorb(&body)?;
            match (params.query.take(), params.update.take()) {
                (Some(query), None) => run_query(&state, &caller, &headers, &query, &params).await,
                (None, Some(update)) => run_update(&state, &caller, &update, &params.using).await,
                (Some(_), Some(_)) => Err(ApiError::bad_request(
                    "send either `query` or `update`, not both",
                )),
                (None, None) => Err(ApiError::bad_request(
                    "the form has neither a `query` nor an `update` field",
                )),
            }
        }
        "" => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "missing Content-Type: use application/sparql-query, application/sparql-update or application/x-www-form-urlencoded",
        )),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported Content-Type `{other}`: use application/sparql-query, application/sparql-update or application/x-www-form-urlencoded"
            ),
        )),
    }
}

async fn run_query(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    text: &str,
    params: &ProtocolParams,
) -> Result<Response, ApiError> {
    let federation = &params.federation;
    let query = if federation.federated {
        state.sparql.parse_query(text).await?
    } else {
        // A plain query is parsed and answered on one query thread; what comes back parsed
        // calls SERVICE, or has no acceptable format (refused just below).
        let visible = state.access.rights(caller).read;
        let accept = headers.clone();
        let format_for = move |form| choose_format(&accept, form).ok();
        match (state.sparql)
            .answer_visible(text, &params.dataset, visible, format_for)
            .await?
        {
            TextAnswer::Written { body, format } => return Ok(results(body, format, None)),
            TextAnswer::Parsed(query) => *query,
        }
    };
    let format = choose_format(headers, query_form(&query))?;
    let service = uses_service(&query);
    // Federated queries and SERVICE calls act with this node's membership and agreements
    // for the purpose the query states (or the node's default purpose).
    let options = if federation.federated || service {
        let purpose = state.federation.purpose_of(federation.purpose.as_deref());
        state
            .access
            .permit(caller, Action::UseAgreements(purpose.as_deref()))?;
        FederatedQueryOptions {
            purpose,
            strict: federation.strict,
            local: super::local_view(state, caller),
        }
    } else {
        FederatedQueryOptions::default()
    };
    let (body, report) = if federation.federated {
        if !params.dataset.default_graphs.is_empty() || !params.dataset.named_graphs.is_empty() {
            return Err(ApiError::bad_request(
                "default-graph-uri and named-graph-uri cannot be combined with federated=true",
            ));
        }
        let answer = state.federation.query(query, &options, format).await?;
        (answer.body, Some(answer.report))
    } else if service {
        let answer = state
            .federation
            .query_with_services(query, &options, format)
            .await?;
        (answer.body, Some(answer.report))
    } else {
        let rights = state.access.rights(caller);
        let body = state
            .sparql
            .query_visible(query, &params.dataset, &rights.read, format)
            .await?;
        (body, None)
    };
    let body = match &report {
        Some(report) => with_report(body, format, report)?,
        None => body,
    };
    Ok(results(body, format, report))
}

/// A query's answer: `body` in `format`, with the federation's status when it has a report.
fn results(body: Vec<u8>, format: ResultFormat, report: Option<FederationReport>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Some(report) = report {
        headers.insert(
            "hanse-federation-status",
            HeaderValue::from_static(report.status),
        );
    }
    response
}

/// Adds the federation report to SPARQL JSON results as a top-level `federation` member
/// (clients ignore members they do not know); other formats carry only the status header.
fn with_report(
    body: Vec<u8>,
    format: ResultFormat,
    report: &FederationReport,
) -> Result<Vec<u8>, ApiError> {
    if format != ResultFormat::Results(oxigraph::sparql::results::QueryResultsFormat::Json) {
        return Ok(body);
    }
    let internal = |reason: String| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot add the federation report: {reason}"),
        )
    };
    // The body is one JSON object: the report goes in as its first member, so large
    // results are not parsed and written a second time. First, because streaming parsers
    // (oxigraph's among them) refuse anything after the bindings.
    let start = body
        .iter()
        .position(|b| *b == b'{')
        .ok_or_else(|| internal("the results are not a JSON object".into()))?;
    let report = serde_json::to_vec(report).map_err(|e| internal(e.to_string()))?;
    let mut spliced = Vec::with_capacity(body.len() + report.len() + 16);
    spliced.extend_from_slice(&body[..=start]);
    spliced.extend_from_slice(b"\"federation\":");
    spliced.extend_from_slice(&report);
    spliced.push(b',');
    spliced.extend_from_slice(&body[start + 1..]);
    Ok(spliced)
}

async fn run_update(
    state: &AppState,
    caller: &Caller,
    text: &str,
    using: &DatasetParams,
) -> Result<Response, ApiError> {
    state.access.permit(caller, Action::Write)?;
    let update = state.sparql.parse_update(text).await?;
    // The filter of stored entities cannot tell what an update writes.
    let opaque = state.subjects.opaque_write();
    state.sparql.update(update, using).await?;
    drop(opaque);
    state.catalog.data_changed();
    state.ngsi_ld.data_changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The negotiated format for a query form, or 406 listing what is available.
fn choose_format(headers: &HeaderMap, form: QueryForm) -> Result<ResultFormat, ApiError> {
    let offered: Vec<(&str, ResultFormat)> = match form {
        QueryForm::Solutions | QueryForm::Boolean => result_formats()
            .into_iter()
            .map(|f| (f.media_type(), ResultFormat::Results(f)))
            .chain(
                result_format_aliases()
                    .into_iter()
                    .map(|(m, f)| (m, ResultFormat::Results(f))),
            )
            // CSV and TSV have no boolean form.
            .filter(|(_, f)| {
                form == QueryForm::Solutions
                    || !matches!(
                        f,
                        ResultFormat::Results(
                            oxigraph::sparql::results::QueryResultsFormat::Csv
                                | oxigraph::sparql::results::QueryResultsFormat::Tsv
                        )
                    )
            })
            .collect(),
        QueryForm::Graph => rdf_formats()
            .into_iter()
            .map(|f| (f.media_type(), ResultFormat::Rdf(f)))
            .collect(),
    };
    negotiate(headers, &offered).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "no acceptable format for this query's results; available: {}",
                offered_list(&offered)
            ),
        )
    })
}

fn utf8(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not UTF-8: {e}")))
}
