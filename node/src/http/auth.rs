//! The admin token check for write endpoints.

use super::ApiError;
use crate::trust::admin_token::AdminToken;
use axum::http::{HeaderMap, StatusCode, header};
use std::net::SocketAddr;

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Accepts the request only if it carries `Authorization: Bearer <admin token>`.
///
/// A missing header is 401 (with `WWW-Authenticate`), a wrong token 403.
pub fn require_admin(headers: &HeaderMap, token: &AdminToken) -> Result<(), ApiError> {
    require_admin_because(headers, token, "this endpoint writes data")
}

/// Accepts a client connecting over loopback as it is, any other only with the admin token;
/// `reason` says why in the 401 answer.
pub fn require_admin_unless_local(
    client: SocketAddr,
    headers: &HeaderMap,
    token: &AdminToken,
    reason: &str,
) -> Result<(), ApiError> {
    if client.ip().is_loopback() {
        return Ok(());
    }
    let reason = format!(
        "{reason}, so a client connecting from {client} (not a loopback address) needs the admin token"
    );
    require_admin_because(headers, token, &reason)
}

/// [`require_admin`] with the reason the request needs the token, for the 401 answer.
fn require_admin_because(
    headers: &HeaderMap,
    token: &AdminToken,
    reason: &str,
) -> Result<(), ApiError> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "{reason}: send `Authorization: Bearer <token>` with the token from the node's admin.token file"
            ),
        ));
    }
    match bearer_token(headers) {
        Some(candidate) if token.matches(candidate) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the bearer token is not this node's admin token",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_loopback_clients_go_without_the_token() {
        let token = AdminToken::generate();
        let right = format!("Bearer {}", token.as_str());
        let check = |client: &str, authorization: Option<&str>| {
            require_admin_unless_local(
                client.parse().unwrap(),
                &headers(authorization),
                &token,
                "why",
            )
            .map_err(|e| (e.status(), e.to_string()))
        };
        for local in ["127.0.0.1:5000", "127.9.0.1:5000", "[::1]:5000"] {
            assert!(check(local, None).is_ok(), "{local}");
        }
        for remote in ["10.0.0.2:5000", "192.0.2.7:5000", "[2001:db8::1]:5000"] {
            let (status, message) = check(remote, None).unwrap_err();
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(
                message.contains("why, so a client connecting from"),
                "{message}"
            );
            assert!(message.contains(remote), "{message}");
            let (status, _) = check(remote, Some("Bearer wrong")).unwrap_err();
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert!(check(remote, Some(&right)).is_ok(), "{remote}");
        }
    }
}
