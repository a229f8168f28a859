//! Errors of a federated query, each naming what to change.

use crate::store::solutions::TableError;
use crate::store::sparql::SparqlError;
use std::time::Duration;

/// Errors of a federated query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// The query cannot be federated as written.
    #[error("cannot federate this query: {0}")]
    Unsupported(String),
    /// A source failed and the query asked for `strict` answers.
    #[error("member {member} failed (strict mode): {reason}")]
    SourceFailed {
        /// The member's name.
        member: String,
        /// What went wrong.
        reason: String,
    },
    /// A dataset that could have answered part of the query was left out (purpose, policy,
    /// rights) and the query asked for `strict` answers.
    #[error("{name}'s dataset `{dataset}` was left out (strict mode): {reason}")]
    DatasetSkipped {
        /// The member's name.
        name: String,
        /// The dataset id.
        dataset: String,
        /// Why.
        reason: String,
    },
    /// A sub-query answer or an intermediate join is too large.
    #[error(
        "an intermediate result exceeds {limit} rows (federation.max_intermediate_rows); make the query more selective"
    )]
    TooManyRows {
        /// The limit.
        limit: usize,
    },
    /// The whole query took too long.
    #[error("the federated query did not finish within {}s (federation.timeout_secs)", .limit.as_secs())]
    Timeout {
        /// The limit.
        limit: Duration,
    },
    /// Parsing or evaluating the final query failed.
    #[error(transparent)]
    Sparql(#[from] SparqlError),
    /// Something that should not happen.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<TableError> for FederationError {
    fn from(error: TableError) -> Self {
        match error {
            TableError::TooManyRows { limit } => FederationError::TooManyRows { limit },
            other => FederationError::Internal(other.to_string()),
        }
    }
}

impl FederationError {
    /// Whether the requester can fix it by changing the query.
    pub fn is_client_error(&self) -> bool {
        match self {
            Self::Unsupported(_) | Self::TooManyRows { .. } => true,
            Self::Sparql(e) => e.is_client_error(),
            _ => false,
        }
    }
}
