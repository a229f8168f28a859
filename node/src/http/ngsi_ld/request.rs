//! What every NGSI-LD handler reads from a request: the caller's rights (from the access
//! service), the @context (Link header or body, by media type), the format asked for, the
//! JSON body within bounds; and how errors and results are answered.

use crate::access::Rights;
use crate::http::AppState;
use crate::ngsi_ld::NgsiLdError;
use crate::ngsi_ld::context::ActiveContext;
use crate::trust::caller::Caller;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hanse_vocab::ngsi_ld::CORE_CONTEXT;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// An NGSI-LD error as an HTTP answer (ProblemDetails).
#[derive(Debug)]
pub struct Problem(pub NgsiLdError);

impl From<NgsiLdError> for Problem {
    fn from(error: NgsiLdError) -> Self {
        Self(error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(status = %status, "{}", self.0);
        } else {
            tracing::info!(status = %status, "{}", self.0);
        }
        let mut response = (status, self.0.problem().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hanse\""),
            );
        }
        response
    }
}

/// The representation asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json` with the context in a Link header.
    Json,
    /// `application/ld+json` with `@context` in the body.
    JsonLd,
    /// `application/geo+json`.
    GeoJson,
}

/// A request's caller, format and @context.
pub struct Call {
    /// What the caller may read and write.
    pub rights: Rights,
    /// The format of the answer.
    pub format: Format,
    /// The @context of the request as given (Link URL or body `@context`), if any.
    pub context_value: Option<Value>,
    /// The active context.
    pub context: Arc<ActiveContext>,
}

fn media_type(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// Refuses a write at once when the caller may write no graph at all (401 without
/// credentials, 403 with them), before anything is parsed or looked up: whether an entity
/// exists is not told to a caller who could not change it anyway.
pub fn writer(state: &AppState, caller: &Caller) -> Result<(), NgsiLdError> {
    let rights = state.access.rights(caller);
    if rights.write.is_empty() {
        return Err(crate::ngsi_ld::service::no_right(
            &rights,
            "this request writes entities".into(),
        ));
    }
    Ok(())
}

/// The rights of a caller (for front ends sharing NGSI-LD's rules).
pub fn caller_rights(state: &AppState, caller: &Caller) -> Rights {
    state.access.rights(caller)
}

/// The answer format from `Accept` (406 when nothing offered fits).
pub fn format(headers: &HeaderMap, geo: bool) -> Result<Format, NgsiLdError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Format::Json);
    };
    let mut best: Option<(f32, Format)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => Format::Json,
            "application/ld+json" => Format::JsonLd,
            "application/geo+json" if geo => Format::GeoJson,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, f)| f).ok_or_else(|| {
        NgsiLdError::NotAcceptable(format!(
            "cannot answer `{accept}`: this endpoint offers application/json, application/ld+json{}",
            if geo { ", application/geo+json" } else { "" }
        ))
    })
}

/// The context URL of a `Link: <…>; rel="http://www.w3.org/ns/json-ld#context"` header.
fn link_context(headers: &HeaderMap) -> Result<Option<String>, NgsiLdError> {
    for value in headers.get_all(header::LINK) {
        let text = value
            .to_str()
            .map_err(|_| NgsiLdError::BadRequestData("the Link header is not text".into()))?;
        for link in text.split(',') {
            if !link.contains("http://www.w3.org/ns/json-ld#context") {
                continue;
            }
            let url = link
                .trim()
                .strip_prefix('<')
                .and_then(|l| l.split_once('>'))
                .map(|(url, _)| url.trim().to_owned())
                .ok_or_else(|| {
                    NgsiLdError::BadRequestData(format!("cannot read the Link header `{link}`"))
                })?;
            return Ok(Some(url));
        }
    }
    Ok(None)
}

/// A request without a body: caller, format and the Link context.
pub async fn read_call(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    geo: bool,
) -> Result<Call, NgsiLdError> {
    let format = format(headers, geo)?;
    let rights = state.access.rights(caller);
    let context_value = link_context(headers)?.map(Value::String);
    let context = state
        .ngsi_ld
        .contexts()
        .active(context_value.as_ref())
        .await?;
    Ok(Call {
        rights,
        format,
        context_value,
        context,
    })
}

/// Parses a JSON body within the node's nesting bound.
pub fn json_body(state: &AppState, body: &Bytes) -> Result<Value, NgsiLdError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(NgsiLdError::InvalidRequest(
            "the request has no body".into(),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| NgsiLdError::InvalidRequest(format!("the body is not JSON: {e}")))?;
    let max = state.ngsi_ld.config().max_json_depth;
    if crate::ngsi_ld::model::depth(&value) > max {
        return Err(NgsiLdError::BadRequestData(format!(
            "the body nests deeper than {max} levels (ngsi_ld.max_json_depth)"
        )));
    }
    Ok(value)
}

/// Which media type a body has: JSON-LD carries its @context inside.
pub fn content_is_ld(headers: &HeaderMap, merge_patch: bool) -> Result<bool, NgsiLdError> {
    match media_type(headers, header::CONTENT_TYPE).as_deref() {
        Some("application/json") => Ok(false),
        Some("application/ld+json") => Ok(true),
        Some("application/merge-patch+json") if merge_patch => Ok(false),
        Some(other) => Err(NgsiLdError::UnsupportedMediaType(format!(
            "Content-Type `{other}` is not accepted: send application/json or application/ld+json"
        ))),
        None => Err(NgsiLdError::UnsupportedMediaType(
            "missing Content-Type: send application/json or application/ld+json".into(),
        )),
    }
}

/// The @context of a body object under the NGSI-LD rules: `application/ld+json` bodies carry
/// it (no Link header then); `application/json` bodies must not (the Link header may).
pub fn body_context(
    headers: &HeaderMap,
    ld: bool,
    object: &Map<String, Value>,
) -> Result<Option<Value>, NgsiLdError> {
    let link = link_context(headers)?;
    match (ld, object.get("@context"), link) {
        (true, Some(_), Some(_)) => Err(NgsiLdError::BadRequestData(
            "application/ld+json carries its @context in the body: send no Link header".into(),
        )),
        (true, Some(context), None) => Ok(Some(context.clone())),
        (true, None, _) => Err(NgsiLdError::BadRequestData(
            "an application/ld+json body needs an @context".into(),
        )),
        (false, Some(_), _) => Err(NgsiLdError::BadRequestData(
            "an application/json body must not hold an @context: use application/ld+json or a Link header".into(),
        )),
        (false, None, link) => Ok(link.map(Value::String)),
    }
}

/// A request with a body: caller, format, the body and its active context.
pub async fn write_call(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &Bytes,
    merge_patch_or_geo: bool,
) -> Result<(Call, Value), NgsiLdError> {
    let ld = content_is_ld(headers, merge_patch_or_geo)?;
    let format = format(headers, merge_patch_or_geo)?;
    let rights = state.access.rights(caller);
    let value = json_body(state, body)?;
    let context_value = match &value {
        Value::Object(map) => body_context(headers, ld, map)?,
        Value::Array(items) => {
            // Batches: each entity carries its own @context (ld+json, then no Link header),
            // or the Link header applies to all (an entity with an @context fails alone).
            let _ = items;
            let link = link_context(headers)?;
            if ld && link.is_some() {
                return Err(NgsiLdError::BadRequestData(
                    "application/ld+json carries its @context in the body: send no Link header"
                        .into(),
                ));
            }
            if ld { None } else { link.map(Value::String) }
        }
        _ => {
            return Err(NgsiLdError::BadRequestData(
                "the body must be a JSON object or array".into(),
            ));
        }
    };
    let context = state
        .ngsi_ld
        .contexts()
        .active(context_value.as_ref())
        .await?;
    Ok((
        Call {
            rights,
            format,
            context_value,
            context,
        },
        value,
    ))
}

/// Query parameters of the URL (a repeated name keeps its last value).
pub fn params(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A JSON answer in the call's format: `@context` in the body for JSON-LD, a Link header
/// for JSON.
pub fn answer(call: &Call, status: StatusCode, mut body: Value) -> Response {
    let context = call
        .context_value
        .clone()
        .unwrap_or_else(|| Value::String(CORE_CONTEXT.to_owned()));
    let (content_type, link) = match call.format {
        Format::JsonLd => {
            match &mut body {
                Value::Object(map) => {
                    map.insert("@context".into(), context);
                }
                Value::Array(items) => {
                    for item in items {
                        if let Value::Object(map) = item {
                            map.insert("@context".into(), context.clone());
                        }
                    }
                }
                _ => {}
            }
            ("application/ld+json", None)
        }
        Format::GeoJson => {
            if let Value::Object(map) = &mut body {
                map.insert("@context".into(), context);
            }
            ("application/geo+json", None)
        }
        Format::Json => {
            let url = match &context {
                Value::String(url) => url.clone(),
                _ => CORE_CONTEXT.to_owned(),
            };
            ("application/json", Some(url))
        }
    };
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(url) = link
        && let Ok(value) = HeaderValue::from_str(&format!(
            "<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""
        ))
    {
        headers.insert(header::LINK, value);
    }
    response
}
