//! Who is calling, decided once per request: [`identify_caller`] runs before every route
//! (API and console alike) and puts the [`Caller`] into the request; every handler takes it
//! through the extractor below. Nothing else makes a `Caller` from an HTTP request.
//!
//! No `Authorization` header: a visitor (or, where `http.loopback_operator` is set and the
//! client connects over loopback, the operator — demo and test suites only). A bearer token:
//! the operator's `admin.token`, a local user's personal token, a JWT of the OIDC issuer, or
//! a sensor source's token. Anything else — a token none of these know, an expired or
//! forged one, another scheme — is refused with 401: a bad credential never falls back to
//! being a visitor.

use super::AppState;
use crate::ngsi_ld::NgsiLdError;
use crate::trust::caller::{Caller, Credential, Person};
use crate::trust::people::NotSignedIn;
use crate::trust::roles::Roles;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// A request whose credentials name nobody: answered 401, as ProblemDetails on NGSI-LD
/// routes and as text elsewhere.
#[derive(Debug)]
pub struct CallerRejection {
    message: String,
    ngsi_ld: bool,
}

impl IntoResponse for CallerRejection {
    fn into_response(self) -> Response {
        tracing::info!(status = 401, "{}", self.message);
        let mut response = if self.ngsi_ld {
            super::ngsi_ld::problem(NgsiLdError::Unauthorized(self.message))
        } else {
            super::ApiError::new(StatusCode::UNAUTHORIZED, self.message).into_response()
        };
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"hanse\", error=\"invalid_token\""),
        );
        response
    }
}

/// The middleware every request passes: identifies the caller once and refuses credentials
/// that name nobody (401); the extractor records the caller in the request's span.
pub async fn identify_caller(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    match identify(&state, request.headers(), client).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(message) => CallerRejection {
            message,
            ngsi_ld: request.uri().path().starts_with("/ngsi-ld/"),
        }
        .into_response(),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = CallerRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            // The handler runs inside the request's span (the middleware ran before it).
            tracing::Span::current().record("caller", tracing::field::display(caller));
            return Ok(caller.clone());
        }
        // A router driven without the middleware (a test): the same decision, made here.
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        identify(state, &parts.headers, client)
            .await
            .map_err(|message| CallerRejection {
                message,
                ngsi_ld: parts.uri.path().starts_with("/ngsi-ld/"),
            })
    }
}

/// The span of one request: method, path and (filled in by [`identify_caller`]) the caller.
pub fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        caller = tracing::field::Empty,
    )
}

/// The bearer token of an `Authorization` header: `Ok(None)` without the header, an error
/// naming the problem when it is not `Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, String> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| "the Authorization header is not ASCII".to_owned())?;
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(format!(
            "the Authorization header uses `{scheme}`: send `Authorization: Bearer <token>`"
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err("the Authorization header holds no token after `Bearer`".into());
    }
    Ok(Some(token))
}

/// Who sent a request with these headers from `client`; the error says why its credentials
/// are refused.
pub async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<SocketAddr>,
) -> Result<Caller, String> {
    let Some(token) = bearer(headers)? else {
        let loopback = client.is_some_and(|c| c.ip().is_loopback());
        return Ok(if state.loopback_operator && loopback {
            Caller::Person(Person {
                name: "operator".into(),
                credential: Credential::Loopback,
                roles: Roles::operator(),
            })
        } else {
            Caller::Visitor
        });
    };
    match state.people.person(token).await {
        Ok(Some(person)) => return Ok(Caller::Person(person)),
        Ok(None) => {}
        Err(NotSignedIn::Storage(e)) => {
            tracing::error!("cannot check a token: {e}");
            return Err(format!("the token cannot be checked now: {e}"));
        }
        Err(refused) => return Err(refused.to_string()),
    }
    match state.ingest.source_for_token(token) {
        Some((name, graph)) => Ok(Caller::Source { name, graph }),
        None => Err(
            "the bearer token is not known to this node (not its admin.token, a user's personal token, an OIDC token of its issuer or a sensor source's token)"
                .into(),
        ),
    }
}
