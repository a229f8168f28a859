//! Parsing query and update texts from outside the process, within the shape limits: the
//! text is checked (length, nesting) before the parser sees it, parsed on a query thread, and
//! its algebra checked (depth, size) before it is handed back. Errors name the limit or the
//! syntax error's position.

use super::error::SparqlError;
use super::limits::{
    QueryShape, QueryShapeLimits, check_query, check_text, check_update, check_update_text,
};
use super::query_thread;
use spargebra::{Query, SparqlParser, Update};

/// Parses a query within `limits`.
pub async fn parse_query(text: &str, limits: &QueryShapeLimits) -> Result<Query, SparqlError> {
    check_text(text, limits)?;
    let (text, limits) = (text.to_owned(), *limits);
    query_thread::run(limits.stack_bytes(), move || {
        parse_on_query_thread(&text, &limits).map(|(query, _)| query)
    })
    .await?
}

/// Parses a query whose text passed [`check_text`] and checks its algebra; only on a query
/// thread (a refused query is dropped here, on the thread sized for its depth).
pub(super) fn parse_on_query_thread(
    text: &str,
    limits: &QueryShapeLimits,
) -> Result<(Query, QueryShape), SparqlError> {
    let query = SparqlParser::new().parse_query(text)?;
    let shape = check_query(&query, limits)?;
    Ok((query, shape))
}

/// Parses an update within `limits` (the length limit applies outside `INSERT DATA` /
/// `DELETE DATA` blocks).
pub async fn parse_update(text: &str, limits: &QueryShapeLimits) -> Result<Update, SparqlError> {
    check_update_text(text, limits)?;
    let (text, limits) = (text.to_owned(), *limits);
    query_thread::run(limits.stack_bytes(), move || {
        let update = SparqlParser::new().parse_update(&text)?;
        if update.operations.is_empty() {
            return Err(SparqlError::EmptyUpdate);
        }
        check_update(&update, &limits)?;
        Ok(update)
    })
    .await?
}
