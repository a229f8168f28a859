//! Turning query results into bytes or tables, within the node's row limit.

use super::error::{SparqlError, from_evaluation};
use super::request::ResultFormat;
use crate::store::solutions::SolutionTable;
use oxigraph::io::RdfSerializer;
use oxigraph::sparql::QueryResults;
use oxigraph::sparql::results::QueryResultsSerializer;
use std::time::Duration;

/// Collects solutions into a table, cutting at `max_rows` (the flag says whether it cut).
pub(crate) fn collect_table(
    results: QueryResults<'_>,
    max_rows: usize,
    timeout: Duration,
) -> Result<(SolutionTable, bool), SparqlError> {
    match results {
        QueryResults::Solutions(solutions) => {
            let mut table = SolutionTable::empty(solutions.variables().to_vec());
            for solution in solutions {
                if table.rows.len() >= max_rows {
                    return Ok((table, true));
                }
                let solution = solution.map_err(|e| from_evaluation(e, timeout))?;
                let row = table
                    .variables
                    .iter()
                    .map(|v| solution.get(v).cloned())
                    .collect();
                table.rows.push(row);
            }
            Ok((table, false))
        }
        QueryResults::Boolean(value) => {
            let mut table = SolutionTable::empty(Vec::new());
            if value {
                table.rows.push(Vec::new());
            }
            Ok((table, false))
        }
        QueryResults::Graph(_) => Err(SparqlError::Unsupported(
            "remote queries must be SELECT or ASK".into(),
        )),
    }
}

/// Serialises results into memory, refusing more than `max_rows` rows.
pub(crate) fn write_results(
    results: QueryResults<'_>,
    format: ResultFormat,
    max_rows: usize,
    timeout: Duration,
) -> Result<Vec<u8>, SparqlError> {
    let mismatch =
        || SparqlError::Internal("result format does not match the query form".to_owned());
    match results {
        QueryResults::Solutions(solutions) => {
            let ResultFormat::Results(format) = format else {
                return Err(mismatch());
            };
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())?;
            for (count, solution) in solutions.enumerate() {
                if count >= max_rows {
                    return Err(SparqlError::TooManyResults { limit: max_rows });
                }
                writer.serialize(&solution.map_err(|e| from_evaluation(e, timeout))?)?;
            }
            Ok(writer.finish()?)
        }
        QueryResults::Boolean(value) => {
            let ResultFormat::Results(format) = format else {
                return Err(mismatch());
            };
            Ok(QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)?)
        }
        QueryResults::Graph(triples) => {
            let ResultFormat::Rdf(format) = format else {
                return Err(mismatch());
            };
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for (count, triple) in triples.enumerate() {
                if count >= max_rows {
                    return Err(SparqlError::TooManyResults { limit: max_rows });
                }
                writer.serialize_triple(&triple.map_err(|e| from_evaluation(e, timeout))?)?;
            }
            Ok(writer.finish()?)
        }
    }
}
