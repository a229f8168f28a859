//! [`NgsiLdError`]: what an NGSI-LD request can fail with, each mapped to the NGSI-LD error
//! type (ETSI GS CIM 009, clause 5.5.2) and HTTP status of its ProblemDetails answer.

use hanse_vocab::ngsi_ld::ERRORS;

impl From<crate::access::Denial> for NgsiLdError {
    fn from(denial: crate::access::Denial) -> Self {
        use crate::access::Denial;
        match denial {
            Denial::SignIn { .. } => Self::Unauthorized(denial.to_string()),
            Denial::Hidden(what) => Self::ResourceNotFound(what),
            other => Self::Forbidden(other.to_string()),
        }
    }
}

/// An NGSI-LD error: its type decides the status and the ProblemDetails `type`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum NgsiLdError {
    /// The request is malformed (parameters, headers).
    #[error("{0}")]
    InvalidRequest(String),
    /// The payload is not acceptable NGSI-LD.
    #[error("{0}")]
    BadRequestData(String),
    /// The entity or attribute exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The entity, attribute or type is not known (or not visible to the caller).
    #[error("{0}")]
    ResourceNotFound(String),
    /// An @context could not be retrieved or processed.
    #[error("{0}")]
    LdContextNotAvailable(String),
    /// A feature hanse does not implement.
    #[error("{0}")]
    OperationNotSupported(String),
    /// The answer would be too large (count or page bound).
    #[error("{0}")]
    TooManyResults(String),
    /// The caller lacks the right (no token, wrong token, dataset not writable).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The request took longer than the node's limit.
    #[error("{0}")]
    Timeout(String),
    /// The body exceeds the configured size.
    #[error("{0}")]
    TooLarge(String),
    /// No representation the client accepts (406).
    #[error("{0}")]
    NotAcceptable(String),
    /// A body media type the endpoint does not take (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Storage or another internal failure.
    #[error("{0}")]
    Internal(String),
}

impl NgsiLdError {
    /// The NGSI-LD error type's short name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::NotAcceptable(_) | Self::UnsupportedMediaType(_) => {
                "InvalidRequest"
            }
            Self::BadRequestData(_) => "BadRequestData",
            Self::AlreadyExists(_) => "AlreadyExists",
            Self::ResourceNotFound(_) => "ResourceNotFound",
            Self::LdContextNotAvailable(_) => "LdContextNotAvailable",
            Self::OperationNotSupported(_) => "OperationNotSupported",
            Self::TooManyResults(_) => "TooManyResults",
            Self::Unauthorized(_) | Self::Forbidden(_) => "NoRight",
            Self::Timeout(_) | Self::Internal(_) => "InternalError",
            Self::TooLarge(_) => "RequestEntityTooLarge",
        }
    }

    /// The ProblemDetails `type` IRI.
    pub fn type_iri(&self) -> String {
        format!("{ERRORS}{}", self.kind())
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_) | Self::BadRequestData(_) => 400,
            Self::AlreadyExists(_) => 409,
            Self::ResourceNotFound(_) => 404,
            Self::LdContextNotAvailable(_) => 503,
            Self::OperationNotSupported(_) => 501,
            Self::TooManyResults(_) => 403,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::Timeout(_) => 504,
            Self::TooLarge(_) => 413,
            Self::NotAcceptable(_) => 406,
            Self::UnsupportedMediaType(_) => 415,
            Self::Internal(_) => 500,
        }
    }

    /// The ProblemDetails body (RFC 7807), as NGSI-LD answers errors.
    pub fn problem(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.type_iri(),
            "title": self.kind(),
            "status": self.status(),
            "detail": self.to_string(),
        })
    }

    /// A short form for batch results and logs.
    pub fn short(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.type_iri(),
            "title": self.kind(),
            "status": self.status(),
            "detail": self.to_string(),
        })
    }
}

impl From<oxigraph::store::StorageError> for NgsiLdError {
    fn from(error: oxigraph::store::StorageError) -> Self {
        Self::Internal(format!("the RDF store failed: {error}"))
    }
}
