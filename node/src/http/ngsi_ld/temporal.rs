//! `GET /temporal/entities/{id}` and `GET /temporal/entities`: entities' histories, read
//! from their SOSA observations through the caller's rights (see
//! [`crate::ngsi_ld::temporal`]). A temporal query selects its entities as `GET /entities`
//! does (type, id, idPattern, attrs, q, scopeQ, geo, limit/offset, count), or as
//! `POST /temporal/entityOperations/query` with the selection in its body.

use super::batch::query_from_body;
use super::entities::{Answer, body, entity_query};
use super::request::{Call, answer, params, read_call, write_call};
use crate::http::AppState;
use crate::ngsi_ld::NgsiLdError;
use crate::ngsi_ld::model::check_name;
use crate::ngsi_ld::query::EntityQuery;
use crate::ngsi_ld::temporal::aggregate::{Aggregation, Method};
use crate::ngsi_ld::temporal::render::{Representation, temporal_entity};
use crate::ngsi_ld::temporal::{History, TemporalQuery, TimeProperty, TimeRel};
use crate::trust::caller::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;

/// `GET /temporal/entities/{id}`
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let params = params(raw.as_deref());
    let (query, representation) = temporal_request(&state, &call, &params)?;
    let shown = Shown::of(&query, representation);
    let history = state.ngsi_ld.history(&call.rights, &id, query).await?;
    let histories = std::slice::from_ref(&history);
    let body = shown.render(&call, histories).remove(0);
    Ok(temporal_answer(&call, body, histories))
}

/// `GET /temporal/entities`
#[tracing::instrument(skip_all)]
pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let params = params(raw.as_deref());
    let selection = entity_query(&state, &call, &params)?;
    histories(&state, &call, &params, selection).await
}

/// `POST /temporal/entityOperations/query`: the query as a JSON body (`entities`, `attrs`,
/// `q`, `geoQ`, and `temporalQ` with `timerel`, `timeAt`, `endTimeAt`, `timeproperty`,
/// `lastN`); paging and the representation stay URL parameters.
#[tracing::instrument(skip_all)]
pub async fn query_by_body(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    raw_body: Result<Bytes, BytesRejection>,
) -> Answer {
    let raw_body = body(raw_body)?;
    let (call, value) = write_call(&state, &caller, &headers, &raw_body, true).await?;
    let Value::Object(body) = value else {
        return Err(NgsiLdError::BadRequestData("the query must be a JSON object".into()).into());
    };
    let mut params = params(raw.as_deref());
    if let Some(attrs) = body.get("attrs").and_then(Value::as_array) {
        let names: Vec<&str> = attrs.iter().filter_map(Value::as_str).collect();
        params.insert("attrs".into(), names.join(","));
    }
    match body.get("temporalQ") {
        Some(Value::Object(temporal)) => {
            for name in ["timerel", "timeAt", "endTimeAt", "timeproperty", "lastN"] {
                match temporal.get(name) {
                    Some(Value::String(text)) => {
                        params.insert(name.into(), text.clone());
                    }
                    Some(Value::Number(n)) => {
                        params.insert(name.into(), n.to_string());
                    }
                    Some(other) => {
                        return Err(NgsiLdError::BadRequestData(format!(
                            "temporalQ.{name} must be a string, not {other}"
                        ))
                        .into());
                    }
                    None => {}
                }
            }
        }
        Some(_) => {
            return Err(
                NgsiLdError::BadRequestData("temporalQ must be a JSON object".into()).into(),
            );
        }
        None => {}
    }
    let selection = query_from_body(&state, &call, &body)?;
    histories(&state, &call, &params, selection).await
}

/// The histories of the entities `selection` finds, as a temporal query's answer.
async fn histories(
    state: &AppState,
    call: &Call,
    params: &HashMap<String, String>,
    selection: EntityQuery,
) -> Answer {
    let (query, representation) = temporal_request(state, call, params)?;
    let shown = Shown::of(&query, representation);
    let page = state.ngsi_ld.query(&call.rights, selection).await?;
    let histories = state
        .ngsi_ld
        .histories(&call.rights, page.entities, query)
        .await?;
    let entities = shown.render(call, &histories);
    let mut response = temporal_answer(call, Value::Array(entities), &histories);
    if let Some(count) = page.count
        && let Ok(value) = HeaderValue::from_str(&count.to_string())
    {
        response.headers_mut().insert("NGSILD-Results-Count", value);
    }
    Ok(response)
}

/// How histories are shown: the representation, and what of the query it needs.
struct Shown {
    representation: Representation,
    time_property: TimeProperty,
}

impl Shown {
    fn of(query: &TemporalQuery, representation: Representation) -> Self {
        Self {
            representation,
            time_property: query.time_property,
        }
    }

    /// Each history as a temporal entity, compacted with the call's context.
    fn render(&self, call: &Call, histories: &[History]) -> Vec<Value> {
        histories
            .iter()
            .map(|history| {
                Value::Object(temporal_entity(
                    history,
                    &call.context,
                    &self.representation,
                    self.time_property,
                ))
            })
            .collect()
    }
}

/// `body` as the answer: 200, or 206 with `Content-Range` when a history was cut.
fn temporal_answer(call: &Call, body: Value, histories: &[History]) -> Response {
    if !histories.iter().any(|h| h.truncated) {
        return answer(call, StatusCode::OK, body);
    }
    let mut response = answer(call, StatusCode::PARTIAL_CONTENT, body);
    if let Some(range) = content_range(histories) {
        response.headers_mut().insert(header::CONTENT_RANGE, range);
    }
    response
}

/// The temporal parameters of a request: what to read and how to show it.
fn temporal_request(
    state: &AppState,
    call: &Call,
    params: &HashMap<String, String>,
) -> Result<(TemporalQuery, Representation), NgsiLdError> {
    let mut query = TemporalQuery {
        max_instances: state.ngsi_ld.config().max_temporal_instances,
        ..TemporalQuery::default()
    };
    if let Some(attrs) = params.get("attrs").or_else(|| params.get("pick")) {
        for name in attrs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            check_name(name)?;
            query.attrs.push(call.context.expand(name));
        }
    }
    query.timerel = TimeRel::parse(
        params.get("timerel").map(String::as_str),
        params.get("timeAt").map(String::as_str),
        params.get("endTimeAt").map(String::as_str),
    )?;
    if let Some(property) = params.get("timeproperty") {
        query.time_property = TimeProperty::parse(property)?;
    }
    if let Some(last_n) = params.get("lastN") {
        query.last_n = Some(
            last_n
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    NgsiLdError::BadRequestData(format!(
                        "lastN `{last_n}` is not a positive integer"
                    ))
                })?,
        );
    }
    let mut asked = Vec::new();
    for list in [params.get("options"), params.get("format")]
        .into_iter()
        .flatten()
    {
        asked.extend(list.split(',').map(str::trim).filter(|o| !o.is_empty()));
    }
    let (mut values, mut aggregated) = (false, false);
    for option in asked {
        match option {
            "temporalValues" | "keyValues" | "simplified" | "concise" => values = true,
            "aggregatedValues" => aggregated = true,
            "normalized" | "sysAttrs" => {}
            other => {
                return Err(NgsiLdError::BadRequestData(format!(
                    "unknown option `{other}` (temporalValues, aggregatedValues, normalized)"
                )));
            }
        }
    }
    let methods = params.get("aggrMethods");
    let representation = if aggregated || methods.is_some() {
        let methods = methods.ok_or_else(|| {
            NgsiLdError::BadRequestData("aggregatedValues needs aggrMethods".into())
        })?;
        query.aggregation = Some(Aggregation {
            methods: Method::parse_list(methods)?,
            period: params
                .get("aggrPeriodDuration")
                .map(|p| Aggregation::parse_period(p))
                .transpose()?,
        });
        Representation::Aggregated
    } else if values {
        Representation::TemporalValues
    } else {
        Representation::Normalized
    };
    Ok((query, representation))
}

/// `date-time <first>-<last>/*`: the times a cut answer covers (the spec's temporal paging).
fn content_range(histories: &[History]) -> Option<HeaderValue> {
    // Each attribute's instances are in time order.
    let attributes = || histories.iter().flat_map(|h| h.attributes.values());
    let firsts = attributes().filter_map(|i| i.first());
    let lasts = attributes().filter_map(|i| i.last());
    let first = firsts
        .map(|i| i.at)
        .reduce(|a, b| if b < a { b } else { a })?;
    let last = lasts
        .map(|i| i.at)
        .reduce(|a, b| if b > a { b } else { a })?;
    HeaderValue::from_str(&format!("date-time {first}-{last}/*")).ok()
}
