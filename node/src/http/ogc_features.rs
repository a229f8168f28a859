//! OGC API – Features Part 1 Core at `/ogc`: landing page, `/conformance`, `/collections`,
//! `/collections/{id}`, `/collections/{id}/items` (`bbox`, `datetime`, `limit`, `offset`,
//! `next` links), `/collections/{id}/items/{featureId}`; GeoJSON in CRS84. Thin adapters
//! over [`crate::ngsi_ld::NgsiLdService`] with the caller's rights.

use super::AppState;
use super::ngsi_ld::caller_rights;
use crate::ngsi_ld::NgsiLdError;
use crate::ngsi_ld::georel::{GeoQuery, Rel};
use crate::ngsi_ld::query::EntityQuery;
use crate::ngsi_ld::selectors::Selector;
use crate::ogc_features::collections::{collection_ids, extent, feature};
use crate::ogc_features::params;
use crate::trust::caller::Caller;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// An OGC API exception: status and description.
pub struct Exception(StatusCode, String);

impl IntoResponse for Exception {
    fn into_response(self) -> Response {
        let code = if self.0 == StatusCode::NOT_FOUND {
            "NotFound"
        } else {
            "InvalidParameterValue"
        };
        let mut response = (
            self.0,
            json!({"code": code, "description": self.1}).to_string(),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<NgsiLdError> for Exception {
    fn from(error: NgsiLdError) -> Self {
        Self(
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error.to_string(),
        )
    }
}

/// A handler's result.
pub type Answer = Result<Response, Exception>;

fn bad(message: impl Into<String>) -> Exception {
    Exception(StatusCode::BAD_REQUEST, message.into())
}

fn json_answer(body: Value, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The API's base URL as the client addressed it.
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}/ogc")
}

/// `GET /ogc`: the landing page.
pub async fn landing(headers: HeaderMap) -> Answer {
    let base = base(&headers);
    Ok(json_answer(
        json!({
            "title": "hanse node: OGC API – Features",
            "description": "The node's NGSI-LD entities with a location, one collection per entity type.",
            "links": [
                {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
                {"href": format!("{base}/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
                {"href": format!("{base}/collections"), "rel": "data", "type": "application/json", "title": "collections"},
            ],
        }),
        "application/json",
    ))
}

async fn conformance() -> Answer {
    Ok(json_answer(
        json!({"conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        ]}),
        "application/json",
    ))
}

fn collection(base: &str, id: &str, iri: &str) -> Value {
    json!({
        "id": id,
        "title": id,
        "description": format!("Entities of type {iri}"),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": format!("{base}/collections/{id}"), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
        ],
    })
}

async fn collections(State(state): State<AppState>, caller: Caller, headers: HeaderMap) -> Answer {
    let rights = caller_rights(&state, &caller);
    let base = base(&headers);
    let types = state.ngsi_ld.type_names(&rights).await?;
    let list: Vec<Value> = collection_ids(&types)
        .iter()
        .map(|(id, iri)| collection(&base, id, iri))
        .collect();
    Ok(json_answer(
        json!({
            "links": [{"href": format!("{base}/collections"), "rel": "self", "type": "application/json"}],
            "collections": list,
        }),
        "application/json",
    ))
}

async fn type_of(
    state: &AppState,
    rights: &crate::access::Rights,
    id: &str,
) -> Result<String, Exception> {
    let types = state.ngsi_ld.type_names(rights).await?;
    collection_ids(&types)
        .remove(id)
        .ok_or_else(|| Exception(StatusCode::NOT_FOUND, format!("no collection `{id}`")))
}

async fn one_collection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let rights = caller_rights(&state, &caller);
    let iri = type_of(&state, &rights, &id).await?;
    let mut body = collection(&base(&headers), &id, &iri);
    let sample = EntityQuery {
        types: Some(Selector {
            any: vec![vec![iri]],
        }),
        limit: params::MAX_LIMIT,
        ..EntityQuery::default()
    };
    let page = state.ngsi_ld.query(&rights, sample).await?;
    if let Some(bbox) = extent(&page.entities) {
        body["extent"] = json!({"spatial": {"bbox": [bbox], "crs": CRS84}});
    }
    Ok(json_answer(body, "application/json"))
}

async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let rights = caller_rights(&state, &caller);
    let query_params: HashMap<String, String> =
        form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let limit = params::limit(query_params.get("limit").map(String::as_str)).map_err(bad)?;
    let offset = match query_params.get("offset") {
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| bad(format!("offset `{o}` is not a number")))?,
        None => 0,
    };
    let iri = type_of(&state, &rights, &id).await?;
    let mut query = EntityQuery {
        types: Some(Selector {
            any: vec![vec![iri]],
        }),
        limit,
        offset,
        count: true,
        ..EntityQuery::default()
    };
    if let Some(text) = query_params.get("bbox") {
        let [minx, miny, maxx, maxy] = params::bbox(text).map_err(bad)?;
        let polygon = geo::Polygon::new(
            geo::LineString::from(vec![
                (minx, miny),
                (maxx, miny),
                (maxx, maxy),
                (minx, maxy),
                (minx, miny),
            ]),
            vec![],
        );
        query.geo = Some(GeoQuery {
            rel: Rel::Intersects,
            geometry: geo::Geometry::Polygon(polygon),
            property: hanse_vocab::ngsi_ld::LOCATION.to_owned(),
        });
    }
    if let Some(text) = query_params.get("datetime") {
        query.time = Some(params::datetime(text).map_err(bad)?);
    }
    let page = state.ngsi_ld.query(&rights, query).await?;
    let base = base(&headers);
    let features: Vec<Value> = page
        .entities
        .iter()
        .map(|e| feature(e, &base, &id))
        .collect();
    let matched = page.count.unwrap_or(features.len());
    let mut own: Vec<(String, String)> = query_params
        .into_iter()
        .filter(|(k, _)| k != "offset")
        .collect();
    own.sort();
    let with_offset = |offset: usize| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &own {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("offset", &offset.to_string());
        format!("{base}/collections/{id}/items?{}", pairs.finish())
    };
    let mut links =
        vec![json!({"href": with_offset(offset), "rel": "self", "type": "application/geo+json"})];
    if offset + features.len() < matched {
        links.push(json!({"href": with_offset(offset + features.len()), "rel": "next", "type": "application/geo+json"}));
    }
    Ok(json_answer(
        json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": page.entities.len(),
            "timeStamp": hanse_sensors::format_time(time::OffsetDateTime::now_utc()),
            "links": links,
        }),
        "application/geo+json",
    ))
}

async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    let rights = caller_rights(&state, &caller);
    let iri = type_of(&state, &rights, &id).await?;
    let entity = state
        .ngsi_ld
        .retrieve(&rights, &feature_id)
        .await
        .map_err(|e| match e {
            NgsiLdError::BadRequestData(m) => Exception(StatusCode::NOT_FOUND, m),
            other => other.into(),
        })?;
    if !entity.types.contains(&iri) {
        return Err(Exception(
            StatusCode::NOT_FOUND,
            format!("`{feature_id}` is not in collection `{id}`"),
        ));
    }
    Ok(json_answer(
        feature(&entity, &base(&headers), &id),
        "application/geo+json",
    ))
}

/// The routes, to be nested under `/ogc`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conformance", get(conformance))
        .route("/collections", get(collections))
        .route("/collections/{id}", get(one_collection))
        .route("/collections/{id}/items", get(items))
        .route("/collections/{id}/items/{feature}", get(item))
}
