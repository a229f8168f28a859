//! Errors of SPARQL evaluation, and how oxigraph's errors map onto them.

use super::limits::ShapeError;
use oxigraph::sparql::{QueryEvaluationError, UpdateEvaluationError};
use std::time::Duration;

/// Errors of SPARQL evaluation, each naming what the client can change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SparqlError {
    /// The query or update text does not parse.
    #[error("SPARQL syntax error: {0}")]
    Syntax(#[from] spargebra::SparqlSyntaxError),
    /// The query or update is longer, deeper or larger than the node's shape limits.
    #[error("{0}")]
    Shape(#[from] ShapeError),
    /// An update text with no operations: almost always a body that did not arrive.
    #[error("the update holds no operations: nothing to do (was the body sent?)")]
    EmptyUpdate,
    /// A graph IRI given as a protocol parameter is not an absolute IRI.
    #[error("invalid graph IRI `{iri}` in parameter `{parameter}`: {reason}")]
    InvalidGraphIri {
        /// The protocol parameter, e.g. `default-graph-uri`.
        parameter: &'static str,
        /// The value given.
        iri: String,
        /// Why it is not an IRI.
        reason: String,
    },
    /// Evaluation ran longer than `sparql.query_timeout_secs`.
    #[error("the query did not finish within {}s (sparql.query_timeout_secs); narrow it or raise the limit", .limit.as_secs())]
    Timeout {
        /// The limit that was hit.
        limit: Duration,
    },
    /// The result has more solutions or triples than `sparql.max_result_rows`.
    #[error(
        "the result has more than {limit} rows (sparql.max_result_rows); add a LIMIT or raise the limit"
    )]
    TooManyResults {
        /// The limit that was hit.
        limit: usize,
    },
    /// The query needs something the node refuses to do, e.g. a `SERVICE` call.
    #[error("unsupported in this query: {0}")]
    Unsupported(String),
    /// The query is well-formed but cannot be evaluated as written, e.g. a function called
    /// with the wrong number of arguments.
    #[error("invalid query: {0}")]
    Invalid(String),
    /// The query failed during evaluation.
    #[error("query evaluation failed: {0}")]
    Evaluation(QueryEvaluationError),
    /// The update failed (e.g. `CREATE` of an existing graph).
    #[error("update failed: {0}")]
    Update(UpdateEvaluationError),
    /// Writing the result failed.
    #[error("cannot serialise the result: {0}")]
    Serialize(#[from] std::io::Error),
    /// The evaluation thread stopped unexpectedly.
    #[error("internal error while evaluating: {0}")]
    Internal(String),
}

impl SparqlError {
    /// Whether the client caused the error (bad text, bad parameters, refused features).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Syntax(_)
                | Self::Shape(_)
                | Self::EmptyUpdate
                | Self::InvalidGraphIri { .. }
                | Self::Unsupported(_)
                | Self::Invalid(_)
                | Self::TooManyResults { .. }
        ) || matches!(
            self,
            Self::Update(
                UpdateEvaluationError::GraphAlreadyExists(_)
                    | UpdateEvaluationError::GraphDoesNotExist(_)
            )
        )
    }
}

pub(crate) fn from_evaluation(error: QueryEvaluationError, timeout: Duration) -> SparqlError {
    match error {
        QueryEvaluationError::Cancelled => SparqlError::Timeout { limit: timeout },
        QueryEvaluationError::UnsupportedService(_)
        | QueryEvaluationError::Service(_)
        | QueryEvaluationError::UnboundService
        | QueryEvaluationError::InvalidServiceName(_)
        | QueryEvaluationError::UnsupportedCustomFunction(_) => {
            SparqlError::Unsupported(error.to_string())
        }
        QueryEvaluationError::UnsupportedCustomFunctionArity { .. } => {
            SparqlError::Invalid(error.to_string())
        }
        other => SparqlError::Evaluation(other),
    }
}

pub(crate) fn from_update(error: UpdateEvaluationError) -> SparqlError {
    match error {
        UpdateEvaluationError::UnsupportedService(_)
        | UpdateEvaluationError::Service(_)
        | UpdateEvaluationError::UnboundService
        | UpdateEvaluationError::InvalidServiceName(_)
        | UpdateEvaluationError::UnsupportedContentType(_) => {
            SparqlError::Unsupported(error.to_string())
        }
        // oxigraph passes the query errors of an update's WHERE on as `Unexpected`.
        UpdateEvaluationError::Unexpected(inner) => {
            match inner.downcast_ref::<QueryEvaluationError>() {
                Some(QueryEvaluationError::UnsupportedCustomFunctionArity { .. }) => {
                    SparqlError::Invalid(inner.to_string())
                }
                Some(QueryEvaluationError::UnsupportedCustomFunction(_)) => {
                    SparqlError::Unsupported(inner.to_string())
                }
                _ => SparqlError::Update(UpdateEvaluationError::Unexpected(inner)),
            }
        }
        // A cancelled update never reaches here: the token is only cancelled after
        // `run_blocking` has already answered with `SparqlError::Timeout`.
        other => SparqlError::Update(other),
    }
}
