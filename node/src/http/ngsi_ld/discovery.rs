//! `/types`, `/types/{type}`, `/attributes`, `/attributes/{attr}`.

use super::entities::Answer;
use super::request::{answer, params, read_call};
use crate::http::AppState;
use crate::ngsi_ld::{NgsiLdError, attributes};
use crate::trust::caller::Caller;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

fn random_id(kind: &str) -> String {
    format!("urn:ngsi-ld:{kind}:{:016x}", rand::random::<u64>())
}

/// `GET /types`
pub async fn types(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let details = params(raw.as_deref())
        .get("details")
        .is_some_and(|d| d == "true");
    let catalogue = state.ngsi_ld.discover(&call.rights, None).await?;
    let c = &call.context;
    let body = if details {
        Value::Array(
            catalogue
                .iter()
                .map(|(t, info)| {
                    json!({
                        "id": t,
                        "type": "EntityType",
                        "typeName": c.compact(t),
                        "attributeNames": info.attributes.keys().map(|a| c.compact(a)).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    } else {
        json!({
            "id": random_id("EntityTypeList"),
            "type": "EntityTypeList",
            "typeList": catalogue.keys().map(|t| c.compact(t)).collect::<Vec<_>>(),
        })
    };
    Ok(answer(&call, StatusCode::OK, body))
}

/// `GET /types/{type}`
pub async fn type_info(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let c = &call.context;
    let iri = crate::ngsi_ld::model::expand_type(&name, c)?;
    let catalogue = state
        .ngsi_ld
        .discover(&call.rights, Some(iri.clone()))
        .await?;
    let info = catalogue
        .get(&iri)
        .ok_or_else(|| NgsiLdError::ResourceNotFound(format!("no entity of type `{name}` here")))?;
    let body = json!({
        "id": iri,
        "type": "EntityTypeInfo",
        "typeName": c.compact(&iri),
        "entityCount": info.count,
        "attributeDetails": info.attributes.iter().map(|(a, kinds)| json!({
            "id": a,
            "type": "Attribute",
            "attributeName": c.compact(a),
            "attributeTypes": kinds.iter().collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    Ok(answer(&call, StatusCode::OK, body))
}

/// `GET /attributes`
pub async fn attribute_list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let details = params(raw.as_deref())
        .get("details")
        .is_some_and(|d| d == "true");
    let catalogue = state.ngsi_ld.discover(&call.rights, None).await?;
    let all = attributes(&catalogue);
    let c = &call.context;
    let body = if details {
        Value::Array(
            all.iter()
                .map(|(a, (_, _, types))| {
                    json!({
                        "id": a,
                        "type": "Attribute",
                        "attributeName": c.compact(a),
                        "typeNames": types.iter().map(|t| c.compact(t)).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        )
    } else {
        json!({
            "id": random_id("AttributeList"),
            "type": "AttributeList",
            "attributeList": all.keys().map(|a| c.compact(a)).collect::<Vec<_>>(),
        })
    };
    Ok(answer(&call, StatusCode::OK, body))
}

/// `GET /attributes/{attr}`
pub async fn attribute(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let call = read_call(&state, &caller, &headers, false).await?;
    let c = &call.context;
    let iri = c.expand(&name);
    let catalogue = state.ngsi_ld.discover(&call.rights, None).await?;
    let all = attributes(&catalogue);
    let (count, kinds, types) = all
        .get(&iri)
        .ok_or_else(|| NgsiLdError::ResourceNotFound(format!("no attribute `{name}` here")))?;
    let body = json!({
        "id": iri,
        "type": "Attribute",
        "attributeName": c.compact(&iri),
        "attributeCount": count,
        "attributeTypes": kinds.iter().collect::<Vec<_>>(),
        "typeNames": types.iter().map(|t| c.compact(t)).collect::<Vec<_>>(),
    });
    Ok(answer(&call, StatusCode::OK, body))
}
