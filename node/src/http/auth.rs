//! The admin token check for write endpoints.

use super::ApiError;
use crate::admin_token::AdminToken;
use axum::http::{HeaderMap, StatusCode, header};

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
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this endpoint writes data: send `Authorization: Bearer <token>` with the token from the node's admin.token file",
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
