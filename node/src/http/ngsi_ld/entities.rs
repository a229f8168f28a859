//! `/entities`, `/entities/{id}` and its attributes.

use super::request::{Call, Format, Problem, answer, params, read_call, write_call};
use crate::http::AppState;
use crate::ngsi_ld::model::{Shape, check_name, parse_entity, parse_partial};
use crate::ngsi_ld::query::EntityQuery;
use crate::ngsi_ld::render::{self, Options};
use crate::ngsi_ld::{NgsiLdError, UpdateOutcome, georel, q, selectors};
use crate::trust::caller::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A handler's result.
pub type Answer = Result<Response, Problem>;

/// Maps a body-reading failure (size limit) to an NGSI-LD error.
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, NgsiLdError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            NgsiLdError::TooLarge("the body exceeds http.max_body_bytes".into())
        } else {
            NgsiLdError::InvalidRequest(e.body_text())
        }
    })
}

/// Render options from `options`, `attrs`, `geometryProperty`.
pub fn options(call: &Call, params: &HashMap<String, String>) -> Result<Options, NgsiLdError> {
    let mut options = Options::default();
    if let Some(list) = params.get("options") {
        for option in list.split(',') {
            match option.trim() {
                "keyValues" | "simplified" | "concise" => options.key_values = true,
                "sysAttrs" => options.sys_attrs = true,
                "normalized" | "" => {}
                other => {
                    return Err(NgsiLdError::BadRequestData(format!(
                        "unknown option `{other}`"
                    )));
                }
            }
        }
    }
    if let Some(format) = params.get("format") {
        match format.as_str() {
            "keyValues" | "simplified" | "concise" => options.key_values = true,
            "normalized" => {}
            other => {
                return Err(NgsiLdError::BadRequestData(format!(
                    "unknown format `{other}`"
                )));
            }
        }
    }
    if let Some(attrs) = params.get("attrs").or_else(|| params.get("pick")) {
        for name in attrs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            check_name(name)?;
            options.attrs.push(call.context.expand(name));
        }
    }
    if let Some(property) = params.get("geometryProperty") {
        options.geometry_property = Some(call.context.expand(property));
    }
    if let Some(lang) = params.get("lang") {
        options.lang = Some(render::languages(lang));
    }
    Ok(options)
}

/// `POST /entities`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    super::request::writer(&state, &caller)?;
    let raw = body(raw)?;
    if raw.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(NgsiLdError::InvalidRequest(
            "POST /entities takes one entity (a JSON object); batches go to /entityOperations"
                .into(),
        )
        .into());
    }
    let (call, value) = write_call(&state, &caller, &headers, &raw, false).await?;
    let Value::Object(object) = &value else {
        return Err(NgsiLdError::BadRequestData("an entity must be a JSON object".into()).into());
    };
    if object.is_empty() {
        return Err(NgsiLdError::InvalidRequest("the entity is empty".into()).into());
    }
    let entity = parse_entity(object, &call.context, Shape::Entity)?;
    let id = entity.id.clone();
    state.ngsi_ld.create(&call.rights, entity).await?;
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/ngsi-ld/v1/entities/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /entities/{id}`
pub async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, true).await?;
    let params = params(raw.as_deref());
    let options = options(&call, &params)?;
    let entity = state.ngsi_ld.retrieve(&call.rights, &id).await?;
    if !options.attrs.is_empty() && !options.attrs.iter().any(|a| entity.attrs.contains_key(a)) {
        return Err(NgsiLdError::ResourceNotFound(format!(
            "`{id}` has none of the attributes asked for"
        ))
        .into());
    }
    let body = if call.format == Format::GeoJson {
        render::feature(&entity, &call.context, &options)
    } else {
        Value::Object(render::entity(&entity, &call.context, &options))
    };
    Ok(answer(&call, StatusCode::OK, body))
}

/// An `idPattern` (a POSIX-like regular expression, bounded in size); stacked quantifiers
/// such as `a**`, which POSIX and most engines refuse, are refused too.
pub fn id_pattern(pattern: &str) -> Result<regex::Regex, NgsiLdError> {
    let stacked = ["**", "++", "*+", "+*", "?*", "?+", "}*", "}+"];
    if pattern.len() > 4096 || stacked.iter().any(|s| pattern.contains(s)) {
        return Err(NgsiLdError::BadRequestData(format!(
            "idPattern `{pattern}` is not a valid regular expression"
        )));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| NgsiLdError::BadRequestData(format!("idPattern `{pattern}`: {e}")))
}

/// Parses the query parameters of `GET /entities`.
pub fn entity_query(
    state: &AppState,
    call: &Call,
    params: &HashMap<String, String>,
) -> Result<EntityQuery, NgsiLdError> {
    let config = state.ngsi_ld.config();
    let mut query = EntityQuery {
        limit: 20,
        ..EntityQuery::default()
    };
    if let Some(ids) = params.get("id") {
        for id in ids.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if !crate::ngsi_ld::model::is_uri(id) {
                return Err(NgsiLdError::BadRequestData(format!(
                    "id `{id}` is not a URI"
                )));
            }
            query.ids.push(id.to_owned());
        }
    }
    if let Some(types) = params.get("type") {
        query.types = Some(selectors::parse_types(types, &call.context)?);
    }
    if let Some(pattern) = params.get("idPattern") {
        query.id_pattern = Some(id_pattern(pattern)?);
    }
    if let Some(attrs) = params.get("attrs") {
        for name in attrs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            check_name(name)?;
            if matches!(name, "id" | "type" | "@id" | "@type") {
                return Err(NgsiLdError::BadRequestData(format!(
                    "`{name}` is not an attribute name"
                )));
            }
            query.attrs.push(call.context.expand(name));
        }
    }
    query.local = params.get("local").is_some_and(|l| l == "true");
    if let Some(text) = params.get("q") {
        query.q = Some(q::parse(text, &call.context, config.max_query_bytes)?);
    }
    if let Some(text) = params.get("scopeQ") {
        if text.len() > config.max_query_bytes {
            return Err(NgsiLdError::InvalidRequest(
                "scopeQ is too long (ngsi_ld.max_query_bytes)".into(),
            ));
        }
        query.scope_q = Some(selectors::parse_scopes(text)?);
    }
    query.geo = georel::parse(
        params.get("georel").map(String::as_str),
        params.get("geometry").map(String::as_str),
        params.get("coordinates").map(String::as_str),
        params.get("geoproperty").map(String::as_str),
        &call.context,
    )?;
    let number = |name: &str| -> Result<Option<usize>, NgsiLdError> {
        params
            .get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    NgsiLdError::BadRequestData(format!(
                        "`{name}` must be a non-negative integer, not `{v}`"
                    ))
                })
            })
            .transpose()
    };
    if let Some(limit) = number("limit")? {
        if limit > config.max_page_size {
            return Err(NgsiLdError::TooManyResults(format!(
                "limit {limit} is above the largest page, {} (ngsi_ld.max_page_size)",
                config.max_page_size
            )));
        }
        query.limit = limit;
    }
    query.offset = number("offset")?.unwrap_or(0);
    query.count = matches!(params.get("count").map(String::as_str), Some("true"));
    if query.limit == 0 && !query.count {
        return Err(NgsiLdError::BadRequestData(
            "limit=0 needs count=true".into(),
        ));
    }
    if !query.has_selector() {
        return Err(NgsiLdError::BadRequestData(
            "a query needs at least one of id, type, idPattern, attrs, q, scopeQ or georel".into(),
        ));
    }
    Ok(query)
}

/// Answers a query in the call's format, with `NGSILD-Results-Count` when counted.
pub async fn run_query(
    state: &AppState,
    call: &Call,
    query: EntityQuery,
    options: &Options,
) -> Answer {
    let page = state.ngsi_ld.query(&call.rights, query).await?;
    let body = if call.format == Format::GeoJson {
        let features: Vec<Value> = page
            .entities
            .iter()
            .map(|e| render::feature(e, &call.context, options))
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    } else {
        Value::Array(
            page.entities
                .iter()
                .map(|e| Value::Object(render::entity(e, &call.context, options)))
                .collect(),
        )
    };
    let mut response = answer(call, StatusCode::OK, body);
    if let Some(count) = page.count
        && let Ok(value) = HeaderValue::from_str(&count.to_string())
    {
        response.headers_mut().insert("NGSILD-Results-Count", value);
    }
    Ok(response)
}

/// `GET /entities`
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, true).await?;
    let params = params(raw.as_deref());
    let options = options(&call, &params)?;
    let query = entity_query(&state, &call, &params)?;
    run_query(&state, &call, query, &options).await
}

/// `DELETE /entities/{id}`
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Answer {
    super::request::writer(&state, &caller)?;
    let rights = state.access.rights(&caller);
    crate::ngsi_ld::service::check_id(&id)?;
    let outcome = state.ngsi_ld.delete(&rights, vec![id]).await?;
    if let Some(error) = outcome.errors.into_iter().next() {
        return Err(crate::ngsi_ld::service::error_from(&error.error).into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn update_answer(outcome: UpdateOutcome) -> Response {
    if outcome.not_updated.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let body = json!({
        "updated": outcome.updated,
        "notUpdated": outcome.not_updated.iter().map(|(a, reason)| json!({
            "attributeName": a,
            "reason": reason,
        })).collect::<Vec<_>>(),
    });
    let mut response = (StatusCode::MULTI_STATUS, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn attributes_update(
    state: AppState,
    caller: Caller,
    id: String,
    raw: Option<String>,
    headers: HeaderMap,
    body_bytes: Result<Bytes, BytesRejection>,
    append: bool,
) -> Answer {
    super::request::writer(&state, &caller)?;
    let raw_body = body(body_bytes)?;
    crate::ngsi_ld::service::check_id(&id)?;
    let (call, value) = write_call(&state, &caller, &headers, &raw_body, false).await?;
    let Value::Object(object) = &value else {
        return Err(
            NgsiLdError::BadRequestData("the fragment must be a JSON object".into()).into(),
        );
    };
    let fragment = parse_entity(
        object,
        &call.context,
        crate::ngsi_ld::model::Shape::Fragment,
    )?;
    if fragment.attrs.is_empty() && fragment.types.is_empty() && fragment.scope.is_none() {
        return Err(NgsiLdError::BadRequestData("the fragment holds no attribute".into()).into());
    }
    let params = params(raw.as_deref());
    let no_overwrite = params
        .get("options")
        .is_some_and(|o| o.split(',').any(|x| x == "noOverwrite"));
    let outcome = state
        .ngsi_ld
        .update_attributes(&call.rights, &id, fragment, !no_overwrite, !append)
        .await?;
    Ok(update_answer(outcome))
}

/// `POST /entities/{id}/attrs`
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body_bytes: Result<Bytes, BytesRejection>,
) -> Answer {
    attributes_update(state, caller, id, raw, headers, body_bytes, true).await
}

/// `PATCH /entities/{id}/attrs`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body_bytes: Result<Bytes, BytesRejection>,
) -> Answer {
    attributes_update(state, caller, id, raw, headers, body_bytes, false).await
}

/// `PATCH /entities/{id}/attrs/{attr}`
pub async fn patch_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attr)): Path<(String, String)>,
    headers: HeaderMap,
    body_bytes: Result<Bytes, BytesRejection>,
) -> Answer {
    super::request::writer(&state, &caller)?;
    let raw_body = body(body_bytes)?;
    crate::ngsi_ld::service::check_id(&id)?;
    check_name(&attr)?;
    let (call, value) = write_call(&state, &caller, &headers, &raw_body, true).await?;
    let Value::Object(mut object) = value else {
        return Err(
            NgsiLdError::BadRequestData("the fragment must be a JSON object".into()).into(),
        );
    };
    object.remove("@context");
    if object.is_empty() {
        return Err(NgsiLdError::BadRequestData("the fragment is empty".into()).into());
    }
    let attr_iri = call.context.expand(&attr);
    let instance = parse_partial(&attr, &attr_iri, &Value::Object(object), &call.context)?;
    state
        .ngsi_ld
        .patch_attribute(&call.rights, &id, attr_iri, instance)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /entities/{id}/attrs/{attr}`
pub async fn delete_attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attr)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    super::request::writer(&state, &caller)?;
    crate::ngsi_ld::service::check_id(&id)?;
    check_name(&attr)?;
    let call = read_call(&state, &caller, &headers, false).await?;
    let params = params(raw.as_deref());
    let dataset = params.get("datasetId").cloned();
    let delete_all = params.get("deleteAll").is_some_and(|v| v == "true");
    let attr_iri = call.context.expand(&attr);
    state
        .ngsi_ld
        .delete_attribute(&call.rights, &id, attr_iri, dataset, delete_all)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
