//! `/entityOperations/{create,upsert,update,delete,query}`: batches of at most
//! `ngsi_ld.max_batch_entities` entities (larger ones are refused, never truncated).

use super::entities::{Answer, body, options, run_query};
use super::request::{Call, params, write_call};
use crate::http::AppState;
use crate::ngsi_ld::model::{Shape, parse_entity};
use crate::ngsi_ld::query::EntityQuery;
use crate::ngsi_ld::{BatchOp, BatchOutcome, NgsiLdError, georel, q, selectors};
use crate::trust::caller::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn items(value: Value, max: usize) -> Result<Vec<Value>, NgsiLdError> {
    let Value::Array(items) = value else {
        return Err(NgsiLdError::BadRequestData(
            "a batch is a JSON array".into(),
        ));
    };
    if items.is_empty() {
        return Err(NgsiLdError::BadRequestData("the batch is empty".into()));
    }
    if items.len() > max {
        return Err(NgsiLdError::BadRequestData(format!(
            "the batch holds {} entities; at most {max} are accepted (ngsi_ld.max_batch_entities): split it",
            items.len()
        )));
    }
    Ok(items)
}

fn outcome_answer(outcome: BatchOutcome, op: &str) -> Response {
    if !outcome.errors.is_empty() {
        let body = serde_json::to_string(&outcome).unwrap_or_default();
        let mut response = (StatusCode::MULTI_STATUS, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return response;
    }
    let created = match op {
        "create" => outcome.success,
        "upsert" => outcome.created,
        _ => Vec::new(),
    };
    if created.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut response = (StatusCode::CREATED, json!(created).to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `POST /entityOperations/{op}`
pub async fn operation(
    State(state): State<AppState>,
    caller: Caller,
    Path(op): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    raw_body: Result<Bytes, BytesRejection>,
) -> Answer {
    if op != "query" {
        super::request::writer(&state, &caller)?;
    }
    let raw_body = body(raw_body)?;
    let params = params(raw.as_deref());
    let option = |name: &str| {
        params
            .get("options")
            .is_some_and(|o| o.split(',').any(|x| x == name))
    };
    let op_kind = match op.as_str() {
        "create" => BatchOp::Create,
        "upsert" => BatchOp::Upsert {
            update: option("update"),
        },
        "update" => BatchOp::Update {
            no_overwrite: option("noOverwrite"),
        },
        "delete" => return delete(state, caller, headers, raw_body).await,
        "query" => return query(state, caller, headers, raw_body, params).await,
        other => {
            return Err(NgsiLdError::ResourceNotFound(format!(
                "no entity operation `{other}` (create, upsert, update, delete, query)"
            ))
            .into());
        }
    };
    let (call, value) = write_call(&state, &caller, &headers, &raw_body, false).await?;
    let max = state.ngsi_ld.config().max_batch_entities;
    let shape = if matches!(op_kind, BatchOp::Update { .. }) {
        Shape::Update
    } else {
        Shape::Entity
    };
    let mut parsed = Vec::new();
    for item in items(value, max)? {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        parsed.push(
            parse_item(&state, &call, &headers, item, shape)
                .await
                .map_err(|e| (id, e)),
        );
    }
    let outcome = state.ngsi_ld.batch(&call.rights, op_kind, parsed).await?;
    Ok(outcome_answer(outcome, &op))
}

async fn parse_item(
    state: &AppState,
    call: &Call,
    headers: &HeaderMap,
    item: Value,
    shape: Shape,
) -> Result<crate::ngsi_ld::model::Entity, NgsiLdError> {
    let Value::Object(object) = item else {
        return Err(NgsiLdError::BadRequestData(
            "each batch item must be an entity object".into(),
        ));
    };
    let ld = super::request::content_is_ld(headers, false)?;
    if !ld && object.contains_key("@context") {
        return Err(NgsiLdError::BadRequestData(
            "an application/json entity must not hold an @context".into(),
        ));
    }
    if ld {
        let context = super::request::body_context(headers, true, &object)?;
        let active = state.ngsi_ld.contexts().active(context.as_ref()).await?;
        parse_entity(&object, &active, shape)
    } else {
        parse_entity(&object, &call.context, shape)
    }
}

async fn delete(state: AppState, caller: Caller, headers: HeaderMap, raw_body: Bytes) -> Answer {
    super::request::content_is_ld(&headers, false)?;
    let rights = state.access.rights(&caller);
    let value = super::request::json_body(&state, &raw_body)?;
    let mut ids = Vec::new();
    for item in items(value, state.ngsi_ld.config().max_batch_entities)? {
        match item {
            Value::String(id) => ids.push(id),
            _ => {
                return Err(NgsiLdError::BadRequestData(
                    "a batch delete is an array of entity ids".into(),
                )
                .into());
            }
        }
    }
    let outcome = state.ngsi_ld.delete(&rights, ids).await?;
    Ok(outcome_answer(outcome, "delete"))
}

/// `POST /entityOperations/query`: the query as a JSON body.
async fn query(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    raw_body: Bytes,
    params: std::collections::HashMap<String, String>,
) -> Answer {
    let (call, value) = write_call(&state, &caller, &headers, &raw_body, true).await?;
    let Value::Object(body) = value else {
        return Err(NgsiLdError::BadRequestData("the query must be a JSON object".into()).into());
    };
    let query = query_from_body(&state, &call, &body)?;
    let mut params = params;
    if let Some(property) = body.get("geometryProperty").and_then(Value::as_str) {
        params.insert("geometryProperty".into(), property.to_owned());
    }
    let options = options(&call, &params)?;
    run_query(&state, &call, query, &options).await
}

/// The entities a query body (`entities`, `attrs`, `q`, `geoQ`) selects.
pub fn query_from_body(
    state: &AppState,
    call: &Call,
    body: &serde_json::Map<String, Value>,
) -> Result<EntityQuery, NgsiLdError> {
    let mut query = EntityQuery {
        limit: 20,
        ..EntityQuery::default()
    };
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    if let Some(entities) = body.get("entities").and_then(Value::as_array) {
        let mut types = Vec::new();
        for selector in entities {
            if let Some(id) = selector.get("id").and_then(Value::as_str) {
                query.ids.push(id.to_owned());
            }
            if let Some(t) = selector.get("type").and_then(Value::as_str) {
                types.push(t.to_owned());
            }
            if let Some(pattern) = selector.get("idPattern").and_then(Value::as_str) {
                query.id_pattern = Some(super::entities::id_pattern(pattern)?);
            }
        }
        if !types.is_empty() {
            query.types = Some(selectors::parse_types(&types.join(","), &call.context)?);
        }
    }
    if let Some(attrs) = body.get("attrs").and_then(Value::as_array) {
        query.attrs = attrs
            .iter()
            .filter_map(Value::as_str)
            .map(|a| call.context.expand(a))
            .collect();
    }
    if let Some(text) = text("q") {
        query.q = Some(q::parse(
            text,
            &call.context,
            state.ngsi_ld.config().max_query_bytes,
        )?);
    }
    if let Some(geo) = body.get("geoQ") {
        let coordinates = geo.get("coordinates").map(Value::to_string);
        query.geo = georel::parse(
            geo.get("georel").and_then(Value::as_str),
            geo.get("geometry").and_then(Value::as_str),
            coordinates.as_deref(),
            geo.get("geoproperty").and_then(Value::as_str),
            &call.context,
        )?;
    }
    if !query.has_selector() {
        return Err(NgsiLdError::BadRequestData(
            "the query selects nothing".into(),
        ));
    }
    Ok(query)
}
