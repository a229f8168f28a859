//! The admin token check for write endpoints.

use super::ApiError;
use crate::admin_token::AdminToken;
use axum::http::{HeaderMap, StatusCode, header};

/// Accepts the request only if it carries `Authorization: Bearer <admin token>`.
///
/// A missing header is 401 (with `WWW-Authenticate`), a wrong token 403.
pub fn require_admin(headers: &HeaderMap, token: &AdminToken) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this endpoint writes data: send `Authorization: Bearer <token>` with the token from the node's admin.token file",
        ));
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(candidate) if token.matches(candidate) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the bearer token is not this node's admin token",
        )),
    }
}
