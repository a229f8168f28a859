//! Aggregation-only access: a query over an aggregation-only dataset must return aggregates,
//! and groups smaller than the policy's minimum are suppressed.
//!
//! [`guard`] accepts a SELECT whose projection holds only `GROUP BY` keys and aggregates (or
//! expressions over them), and adds one hidden `COUNT(*)` per group; [`suppress_small_groups`]
//! drops the rows whose count is under the minimum and removes the hidden column. The group
//! size is the number of solutions a group aggregates.

use serde_json::Value;
use spargebra::Query;
use spargebra::algebra::{AggregateExpression, GraphPattern};
use spargebra::term::Variable;
use std::collections::HashSet;

/// Name of the hidden group-size column.
pub const GROUP_SIZE_VARIABLE: &str = "hanse_group_size";

/// Rewrites an aggregate query to also return each group's size; refuses anything else.
pub fn guard(query: Query) -> Result<Query, String> {
    let Query::Select {
        dataset,
        pattern,
        base_iri,
    } = query
    else {
        return Err("this dataset is aggregation-only: use SELECT with aggregates".into());
    };
    let hidden = Variable::new_unchecked(GROUP_SIZE_VARIABLE);
    let pattern = rewrite(pattern, &hidden)?;
    Ok(Query::Select {
        dataset,
        pattern,
        base_iri,
    })
}

fn refused(what: &str) -> String {
    format!("this dataset is aggregation-only: {what}")
}

/// Walks the solution modifiers down to the `Group`, checking the projection on the way.
fn rewrite(pattern: GraphPattern, hidden: &Variable) -> Result<GraphPattern, String> {
    match pattern {
        GraphPattern::Project { inner, variables } => {
            let allowed = group_level_variables(&inner)
                .ok_or_else(|| refused("the query has no GROUP BY or aggregate"))?;
            if let Some(v) = variables.iter().find(|v| !allowed.contains(*v)) {
                return Err(refused(&format!(
                    "?{} is neither a GROUP BY key nor an aggregate",
                    v.as_str()
                )));
            }
            let mut variables = variables;
            variables.push(hidden.clone());
            Ok(GraphPattern::Project {
                inner: Box::new(rewrite(*inner, hidden)?),
                variables,
            })
        }
        GraphPattern::Distinct { inner } => Ok(GraphPattern::Distinct {
            inner: Box::new(rewrite(*inner, hidden)?),
        }),
        GraphPattern::Reduced { inner } => Ok(GraphPattern::Reduced {
            inner: Box::new(rewrite(*inner, hidden)?),
        }),
        GraphPattern::Slice {
            inner,
            start,
            length,
        } => Ok(GraphPattern::Slice {
            inner: Box::new(rewrite(*inner, hidden)?),
            start,
            length,
        }),
        GraphPattern::OrderBy { inner, expression } => Ok(GraphPattern::OrderBy {
            inner: Box::new(rewrite(*inner, hidden)?),
            expression,
        }),
        // HAVING and expressions over aggregates sit between the projection and the group.
        GraphPattern::Filter { expr, inner } => Ok(GraphPattern::Filter {
            expr,
            inner: Box::new(rewrite(*inner, hidden)?),
        }),
        GraphPattern::Extend {
            inner,
            variable,
            expression,
        } => Ok(GraphPattern::Extend {
            inner: Box::new(rewrite(*inner, hidden)?),
            variable,
            expression,
        }),
        GraphPattern::Group {
            inner,
            variables,
            mut aggregates,
        } => {
            aggregates.push((
                hidden.clone(),
                AggregateExpression::CountSolutions { distinct: false },
            ));
            Ok(GraphPattern::Group {
                inner,
                variables,
                aggregates,
            })
        }
        _ => Err(refused("the query has no GROUP BY or aggregate")),
    }
}

/// Variables visible above the group: keys, aggregates and what `Extend` computes from them.
fn group_level_variables(pattern: &GraphPattern) -> Option<HashSet<Variable>> {
    match pattern {
        GraphPattern::Group {
            variables,
            aggregates,
            ..
        } => Some(
            variables
                .iter()
                .cloned()
                .chain(aggregates.iter().map(|(v, _)| v.clone()))
                .collect(),
        ),
        GraphPattern::Extend {
            inner, variable, ..
        } => {
            let mut below = group_level_variables(inner)?;
            below.insert(variable.clone());
            Some(below)
        }
        GraphPattern::Filter { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => group_level_variables(inner),
        _ => None,
    }
}

/// Removes groups smaller than `minimum` and the hidden column from SPARQL JSON results.
/// Returns the new body and the rows kept.
pub fn suppress_small_groups(body: &[u8], minimum: u64) -> Result<(Vec<u8>, u64), String> {
    let mut results: Value =
        serde_json::from_slice(body).map_err(|e| format!("internal: results are not JSON: {e}"))?;
    if let Some(vars) = results["head"]["vars"].as_array_mut() {
        vars.retain(|v| v != GROUP_SIZE_VARIABLE);
    }
    let mut kept = 0;
    if let Some(bindings) = results["results"]["bindings"].as_array_mut() {
        bindings.retain_mut(|row| {
            let size = row[GROUP_SIZE_VARIABLE]["value"]
                .as_str()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            if let Some(row) = row.as_object_mut() {
                row.remove(GROUP_SIZE_VARIABLE);
            }
            size >= minimum
        });
        kept = bindings.len() as u64;
    }
    let body = serde_json::to_vec(&results).map_err(|e| e.to_string())?;
    Ok((body, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::SparqlParser;

    fn parse(text: &str) -> Query {
        SparqlParser::new().parse_query(text).unwrap()
    }

    #[test]
    fn aggregate_queries_pass_and_gain_a_group_size() {
        for text in [
            "SELECT ?d (AVG(?v) AS ?mean) { ?s <urn:district> ?d ; <urn:v> ?v } GROUP BY ?d",
            "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
            "SELECT ?d (SUM(?v) * 2 AS ?x) { ?s <urn:district> ?d ; <urn:v> ?v } GROUP BY ?d HAVING (SUM(?v) > 3) ORDER BY ?d LIMIT 5",
        ] {
            let rewritten = guard(parse(text)).unwrap().to_string();
            assert!(rewritten.contains(GROUP_SIZE_VARIABLE), "{rewritten}");
        }
    }

    #[test]
    fn non_aggregate_queries_are_refused() {
        for text in [
            "SELECT * { ?s ?p ?o }",
            "SELECT ?s { ?s ?p ?o }",
            "SELECT ?s ?n { ?s ?p ?o { SELECT (COUNT(*) AS ?n) { ?a ?b ?c } } }",
            "ASK { ?s ?p ?o }",
            "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }",
            "DESCRIBE <urn:household:1>",
            "SELECT ?x { { SELECT (COUNT(*) AS ?n) { ?s ?p ?o } } ?x ?p ?o }",
        ] {
            match guard(parse(text)) {
                Ok(q) => panic!("{text} passed as {q:?}"),
                Err(error) => assert!(error.contains("aggregation-only"), "{text}: {error}"),
            }
        }
    }

    #[test]
    fn small_groups_are_suppressed() {
        let body = br#"{"head":{"vars":["d","n","hanse_group_size"]},"results":{"bindings":[
            {"d":{"type":"literal","value":"north"},"hanse_group_size":{"type":"literal","value":"12"}},
            {"d":{"type":"literal","value":"south"},"hanse_group_size":{"type":"literal","value":"3"}}]}}"#;
        let (body, kept) = suppress_small_groups(body, 10).unwrap();
        assert_eq!(kept, 1);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("north") && !text.contains("south"));
        assert!(!text.contains(GROUP_SIZE_VARIABLE));
    }
}
