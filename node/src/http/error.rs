//! One error type for every handler, mapped to a status and a plain-text message.

use crate::store::graph_store::GraphStoreError;
use crate::store::sparql::SparqlError;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Longest error message answered, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// An error answered to an HTTP client: a status and a message saying what to change.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error with an explicit status. Messages past [`MAX_MESSAGE_CHARS`] are cut: parser
    /// errors quote the offending line, which in hostile input can be megabytes long.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
            let dropped = message.len() - cut;
            message.truncate(cut);
            message.push_str(&format!(
                "… ({dropped} more bytes of this message left out)"
            ));
        }
        Self { status, message }
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
            // The caller may not use the dataset for what it asked: not a server fault.
            E::DatasetSkipped { .. } => Self::new(StatusCode::FORBIDDEN, error.to_string()),
            E::TooManyRows { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
            e if e.is_client_error() => Self::new(StatusCode::BAD_REQUEST, e.to_string()),
            e => Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

impl From<crate::access::Denial> for ApiError {
    fn from(denial: crate::access::Denial) -> Self {
        use crate::access::Denial;
        let status = match &denial {
            Denial::SignIn { .. } => StatusCode::UNAUTHORIZED,
            Denial::Role { .. } => StatusCode::FORBIDDEN,
            Denial::Hidden(_) => StatusCode::NOT_FOUND,
        };
        Self::new(status, denial.to_string())
    }
}

impl From<GraphStoreError> for ApiError {
    fn from(error: GraphStoreError) -> Self {
        let status = match &error {
            GraphStoreError::Parse { .. }
            | GraphStoreError::Nesting(_)
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

/// The answer for a path no route serves.
pub async fn no_such_route(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no such resource: {} (docs/api.md lists the routes)",
            uri.path()
        ),
    )
}

/// The answer for a route asked with a method it does not serve.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not answer {method}", uri.path()),
    )
}
