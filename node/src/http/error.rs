//! One error type for every handler, mapped to a status and a plain-text message.

use crate::store::graph_store::GraphStoreError;
use crate::store::sparql::SparqlError;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answered to an HTTP client: a status and a message saying what to change.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, "{}", self.message);
        } else {
            tracing::info!(status = %self.status, "{}", self.message);
        }
        let mut response = (self.status, format!("{}\n", self.message)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hanse\""),
            );
        }
        response
    }
}

impl From<SparqlError> for ApiError {
    fn from(error: SparqlError) -> Self {
        let status = match &error {
            SparqlError::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            SparqlError::TooManyResults { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, error.to_string())
    }
}

impl From<crate::federation::FederationError> for ApiError {
    fn from(error: crate::federation::FederationError) -> Self {
        use crate::federation::FederationError as E;
        match error {
            E::Sparql(e) => e.into(),
            E::Timeout { .. } => Self::new(StatusCode::GATEWAY_TIMEOUT, error.to_string()),
            E::SourceFailed { .. } => Self::new(StatusCode::BAD_GATEWAY, error.to_string()),
            E::TooManyRows { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
            e if e.is_client_error() => Self::new(StatusCode::BAD_REQUEST, e.to_string()),
            e => Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

impl From<GraphStoreError> for ApiError {
    fn from(error: GraphStoreError) -> Self {
        let status = match &error {
            GraphStoreError::Parse { .. }
            | GraphStoreError::InvalidGraphIri { .. }
            | GraphStoreError::QuadsIntoGraph(_) => StatusCode::BAD_REQUEST,
            GraphStoreError::NotFound(_) => StatusCode::NOT_FOUND,
            GraphStoreError::Storage(_) | GraphStoreError::Serialize(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, error.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {error}"),
        )
    }
}

/// Maps a body-reading failure, naming the configured size limit when that was the cause.
pub fn body_error(rejection: BytesRejection, max_body_bytes: usize) -> ApiError {
    body_error_for(
        rejection,
        max_body_bytes,
        "the request body exceeds {} bytes (http.max_body_bytes)",
    )
}

/// [`body_error`] for a route with its own limit; `{}` in `message` stands for the limit.
pub fn body_error_for(rejection: BytesRejection, limit: usize, message: &str) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            message.replace("{}", &limit.to_string()),
        )
    } else {
        ApiError::new(rejection.status(), rejection.body_text())
    }
}
