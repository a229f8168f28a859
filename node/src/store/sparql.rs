//! SPARQL evaluation with the node's limits: a query timeout, a result-size limit and a
//! bound on concurrent evaluations.
//!
//! The HTTP endpoint, the CLI, remote queries and the federation all go through
//! [`SparqlService`], so a query behaves the same whichever way it arrives.
//!
//! | module | concern |
//! |---|---|
//! | [`limits`] | shape limits checked before anything recursive runs: length, nesting, algebra depth and size |
//! | `parse` | parsing texts from outside the process within those limits |
//! | `query_thread` | threads with a stack sized for those limits |
//! | `request` | query forms, protocol dataset parameters, result formats |
//! | `service` | [`SparqlService`]: evaluation on blocking threads under timeout and permits |
//! | `handlers` | SERVICE handlers: members, precomputed tables |
//! | `results` | writing results within the row limit |
//! | `view` | a query cut down to the graphs its caller may see |
//! | `geosparql` | GeoSPARQL functions (`spargeo`) on every evaluator |
//! | `error` | [`SparqlError`] |
//! | [`expression`] | the sub-expressions of an expression, for walks over one |

mod error;
pub mod expression;
mod geosparql;
mod handlers;
pub mod limits;
mod parse;
mod query_thread;
mod request;
mod results;
mod service;
mod view;

pub use error::SparqlError;
pub use handlers::{ServiceHandlers, TableService};
pub use limits::{QueryShapeLimits, ShapeError};
pub use parse::{parse_query, parse_update};
pub use request::{
    DatasetParams, QueryForm, ResultFormat, query_form, query_pattern, uses_service,
};
pub(crate) use results::write_results;
pub use service::{SparqlService, TextAnswer};
