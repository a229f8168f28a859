//! `/api/datasets` and `/api/catalog`: dataset definitions, the node's signed catalogue and
//! the federated catalogue.

use super::error::body_error;
use super::negotiate::{negotiate, offered_list};
use super::{ApiError, AppState};
use crate::access::Action;
use crate::catalog::federated::RejectionRecord;
use crate::catalog::{
    DatasetDefinition, DatasetError, DatasetFilter, DatasetStatistics, FederatedDataset,
};
use crate::trust::caller::Caller;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{RdfFormat, RdfSerializer};
use serde::Serialize;

impl From<DatasetError> for ApiError {
    fn from(error: DatasetError) -> Self {
        let status = match &error {
            DatasetError::Invalid { .. } | DatasetError::TooMany => StatusCode::BAD_REQUEST,
            DatasetError::Exists(_) => StatusCode::CONFLICT,
            DatasetError::NotFound(_) => StatusCode::NOT_FOUND,
            DatasetError::Storage(_) | DatasetError::Corrupt { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, error.to_string())
    }
}

/// A dataset with its current statistics.
#[derive(Serialize)]
pub struct DatasetView {
    /// The IRI in the catalogue.
    iri: String,
    #[serde(flatten)]
    definition: DatasetDefinition,
    /// Last computed statistics (absent until the first refresh).
    statistics: Option<DatasetStatistics>,
}

fn view(state: &AppState, definition: DatasetDefinition) -> DatasetView {
    DatasetView {
        iri: state.catalog.iris().dataset(&definition.id),
        statistics: state.catalog.statistics(&definition.id),
        definition,
    }
}

/// Reads a definition from JSON or TOML (by `Content-Type`).
fn definition_from(headers: &HeaderMap, body: &[u8]) -> Result<DatasetDefinition, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the dataset definition is not UTF-8"))?;
    if content_type.starts_with("application/toml") {
        DatasetDefinition::from_toml(text)
            .map_err(|e| ApiError::bad_request(format!("invalid dataset TOML: {e}")))
    } else if content_type.starts_with("application/json") {
        serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("invalid dataset JSON: {e}")))
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send application/json or application/toml, not {content_type}"),
        ))
    }
}

/// `GET /api/datasets`: the definitions the caller may see (non-public ones only for
/// people who read them).
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DatasetView>>, ApiError> {
    let definitions = state.catalog.datasets().list()?;
    Ok(Json(
        definitions
            .into_iter()
            .filter(|d| state.access.sees_definition(&caller, d))
            .map(|d| view(&state, d))
            .collect(),
    ))
}

/// `GET /api/datasets/{id}` (404 for a non-public one the caller may not see).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Json<DatasetView>, ApiError> {
    let definition = state.catalog.datasets().get(&id)?;
    if !state.access.sees_definition(&caller, &definition) {
        return Err(DatasetError::NotFound(id).into());
    }
    Ok(Json(view(&state, definition)))
}

/// `POST /api/datasets` (operator): 201 with the stored definition.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let body = body.map_err(|r| body_error(r, state.max_body_bytes))?;
    let definition = definition_from(&headers, &body)?;
    let stored = state.catalog.datasets().create(definition)?;
    tracing::info!(dataset = %stored.id, "dataset created");
    state.catalog.definitions_changed();
    Ok((StatusCode::CREATED, Json(view(&state, stored))).into_response())
}

/// `PUT /api/datasets/{id}` (operator): replaces the definition.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DatasetView>, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    let body = body.map_err(|r| body_error(r, state.max_body_bytes))?;
    let definition = definition_from(&headers, &body)?;
    if definition.id != id {
        return Err(ApiError::bad_request(format!(
            "the body describes `{}`, the URL names `{id}`",
            definition.id
        )));
    }
    let stored = state.catalog.datasets().update(definition)?;
    tracing::info!(dataset = %stored.id, "dataset updated");
    state.catalog.definitions_changed();
    Ok(Json(view(&state, stored)))
}

/// `DELETE /api/datasets/{id}` (operator): the description goes, the graphs stay.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.access.permit(&caller, Action::Operate)?;
    state.catalog.datasets().delete(&id)?;
    tracing::info!(dataset = %id, "dataset deleted");
    state.catalog.definitions_changed();
    Ok(StatusCode::NO_CONTENT)
}

const CATALOG_FORMATS: &[(&str, RdfFormat)] = &[
    ("text/turtle", RdfFormat::Turtle),
    (
        "application/ld+json",
        RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
    ),
    ("application/n-quads", RdfFormat::NQuads),
    ("application/n-triples", RdfFormat::NTriples),
];

/// `GET /api/catalog`: the node's catalogue. Turtle, JSON-LD and N-Triples carry the
/// catalogue; N-Quads is the signed form (catalogue plus Data Integrity proof) that
/// `hanse catalog verify` checks.
#[tracing::instrument(skip_all)]
pub async fn own(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let format = negotiate(&headers, CATALOG_FORMATS).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "the catalogue is available as {}",
                offered_list(CATALOG_FORMATS)
            ),
        )
    })?;
    let Some(signed) = state.catalog.own() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the catalogue is being built; try again in a moment",
        ));
    };
    let body = if format == RdfFormat::NQuads {
        signed.nquads.into_bytes()
    } else {
        let mut serializer = RdfSerializer::from_format(format);
        for (prefix, iri) in [
            ("dcat", hanse_vocab::dcat::NS),
            ("dct", hanse_vocab::dct::NS),
            ("foaf", hanse_vocab::foaf::NS),
            ("void", hanse_vocab::void::NS),
            ("odrl", hanse_vocab::odrl::NS),
            ("hanse", hanse_vocab::hanse::NS),
            ("xsd", hanse_vocab::xsd::NS),
        ] {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for triple in signed.document.iter() {
            writer
                .serialize_triple(triple)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        }
        writer
            .finish()
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    Ok(response)
}

/// `GET /api/catalog/federated?keyword=&theme=&publisher=&class=&predicate=&bbox=&from=&to=`
#[tracing::instrument(skip_all)]
pub async fn federated(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<DatasetFilter>,
) -> Result<Json<Vec<FederatedDataset>>, ApiError> {
    let filter = filter.compile().map_err(ApiError::bad_request)?;
    let mut datasets = state.catalog.federated().datasets(&filter);
    datasets.retain(|d| state.access.sees_entry(&caller, d));
    Ok(Json(datasets))
}

/// Versions held per member, as `/api/catalog/status` shows them.
#[derive(Serialize)]
pub struct CatalogStatus {
    /// This node's catalogue version and hash.
    own_version: Option<u64>,
    own_hash: Option<String>,
    /// `(PeerId, version)` of every catalogue in the federated catalogue.
    members: Vec<(String, u64)>,
    /// Latest rejections.
    rejections: Vec<RejectionRecord>,
}

/// `GET /api/catalog/status`: own version, every member's version held, latest rejections.
#[tracing::instrument(skip_all)]
pub async fn status(State(state): State<AppState>) -> Json<CatalogStatus> {
    let own = state.catalog.own();
    Json(CatalogStatus {
        own_version: own.as_ref().map(|o| o.version),
        own_hash: own.map(|o| o.hash),
        members: state
            .catalog
            .federated()
            .versions()
            .into_iter()
            .map(|(p, v)| (p.to_string(), v))
            .collect(),
        rejections: state.catalog.federated().rejections(),
    })
}
