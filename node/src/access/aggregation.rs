//! Aggregation-only access: a query over an aggregation-only dataset must return aggregates,
//! and groups smaller than the policy's minimum are suppressed.
//!
//! [`guard`] accepts a SELECT whose projection holds only `GROUP BY` keys and aggregates (or
//! expressions over them), and adds hidden counts per group; [`suppress_small_groups`] drops
//! the rows whose group is under the minimum and removes the hidden columns.
//!
//! The size of a group is the smallest number of distinct values that any variable of the
//! aggregated pattern (other than the keys) takes in it: a mean over 42 readings of 6
//! households has size 6, because `?household` takes 6 values. This errs on the side of
//! suppression: a variable that is constant within a group (bind it to a constant instead)
//! makes the group size 1.

use crate::store::solutions::{Row, SolutionTable};
use oxigraph::model::Term;
use spargebra::Query;
use spargebra::algebra::{AggregateExpression, GraphPattern};
use spargebra::term::{TermPattern, Variable};
use std::collections::HashSet;

/// Prefix of the hidden group-size columns.
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
            let inner = rewrite(*inner, hidden)?;
            let mut variables = variables;
            variables.extend(hidden_columns(&inner));
            Ok(GraphPattern::Project {
                inner: Box::new(inner),
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
            let mut counted = Vec::new();
            resource_variables(&inner, &mut counted);
            counted.retain(|v| !variables.contains(v));
            for (i, variable) in counted.into_iter().enumerate() {
                aggregates.push((
                    Variable::new_unchecked(format!("{GROUP_SIZE_VARIABLE}_{i}")),
                    AggregateExpression::FunctionCall {
                        name: spargebra::algebra::AggregateFunction::Count,
                        expr: spargebra::algebra::Expression::Variable(variable),
                        distinct: true,
                    },
                ));
            }
            Ok(GraphPattern::Group {
                inner,
                variables,
                aggregates,
            })
        }
        _ => Err(refused("the query has no GROUP BY or aggregate")),
    }
}

/// Variables in subject or object position of the pattern's triples and paths, in order of
/// appearance: the resources a group aggregates over (graph names and predicates are not).
fn resource_variables(pattern: &GraphPattern, found: &mut Vec<Variable>) {
    let mut add = |term: &TermPattern| {
        if let TermPattern::Variable(v) = term
            && !found.contains(v)
        {
            found.push(v.clone());
        }
    };
    match pattern {
        GraphPattern::Bgp { patterns } => {
            for triple in patterns {
                add(&triple.subject);
                add(&triple.object);
            }
        }
        GraphPattern::Path {
            subject, object, ..
        } => {
            add(subject);
            add(object);
        }
        // The workspace enables spargebra's `sep-0006` (LATERAL).
        GraphPattern::Join { left, right }
        | GraphPattern::LeftJoin { left, right, .. }
        | GraphPattern::Union { left, right }
        | GraphPattern::Lateral { left, right } => {
            resource_variables(left, found);
            resource_variables(right, found);
        }
        GraphPattern::Minus { left, .. } => resource_variables(left, found),
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Service { inner, .. } => resource_variables(inner, found),
        GraphPattern::Values { .. } => {}
    }
}

/// The hidden columns the rewritten group computes.
fn hidden_columns(pattern: &GraphPattern) -> Vec<Variable> {
    match pattern {
        GraphPattern::Group { aggregates, .. } => aggregates
            .iter()
            .map(|(v, _)| v.clone())
            .filter(|v| v.as_str().starts_with(GROUP_SIZE_VARIABLE))
            .collect(),
        GraphPattern::Extend { inner, .. }
        | GraphPattern::Filter { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. } => hidden_columns(inner),
        _ => Vec::new(),
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

/// Removes the groups smaller than `minimum` and the hidden group-size columns.
pub fn suppress_small_groups(table: SolutionTable, minimum: u64) -> SolutionTable {
    let hidden: Vec<usize> = table
        .variables
        .iter()
        .enumerate()
        .filter(|(_, v)| v.as_str().starts_with(GROUP_SIZE_VARIABLE))
        .map(|(i, _)| i)
        .collect();
    let size = |row: &Row| -> u64 {
        // The smallest of the hidden counts; a missing count (unbound) is 0.
        hidden
            .iter()
            .map(|&i| match &row[i] {
                Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
                _ => 0,
            })
            .min()
            .unwrap_or(0)
    };
    let keep = |i: &usize| !hidden.contains(i);
    SolutionTable {
        variables: (0..table.variables.len())
            .filter(keep)
            .map(|i| table.variables[i].clone())
            .collect(),
        rows: table
            .rows
            .iter()
            .filter(|row| size(row) >= minimum)
            .map(|row| {
                (0..row.len())
                    .filter(keep)
                    .map(|i| row[i].clone())
                    .collect()
            })
            .collect(),
    }
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
    fn group_size_counts_distinct_resources() {
        let rewritten = guard(parse(
            "SELECT ?d (AVG(?l) AS ?mean) { GRAPH ?g { ?obs <urn:foi> ?h ; <urn:v> ?l . ?h <urn:district> ?d } } GROUP BY ?d",
        ))
        .unwrap()
        .to_string();
        for counted in [
            "COUNT(DISTINCT ?obs)",
            "COUNT(DISTINCT ?h)",
            "COUNT(DISTINCT ?l)",
        ] {
            assert!(rewritten.contains(counted), "{counted} in {rewritten}");
        }
        // Graph names and the group key are not individuals.
        assert!(
            !rewritten.contains("COUNT(DISTINCT ?g)") && !rewritten.contains("COUNT(DISTINCT ?d)")
        );
    }

    #[test]
    fn small_groups_are_suppressed() {
        use oxigraph::model::Literal;
        let text = |v: &str| Some(Term::from(Literal::new_simple_literal(v)));
        let table = SolutionTable {
            variables: ["d", "hanse_group_size", "hanse_group_size_0"]
                .into_iter()
                .map(Variable::new_unchecked)
                .collect(),
            rows: vec![
                vec![text("north"), text("40"), text("12")],
                vec![text("south"), text("30"), text("3")],
                vec![text("west"), text("30"), None],
            ],
        };
        let kept = suppress_small_groups(table, 10);
        assert_eq!(kept.variables, vec![Variable::new_unchecked("d")]);
        assert_eq!(kept.rows, vec![vec![text("north")]]);
    }
}
