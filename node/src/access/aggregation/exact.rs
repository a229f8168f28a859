//! Aggregates without noise: each group is computed as asked, with the number of distinct
//! individuals it holds, and groups under the policy's minimum are withheld.

use super::shape::AggregateQuery;
use crate::store::solutions::SolutionTable;
use oxigraph::model::Term;
use spargebra::Query;
use spargebra::algebra::{AggregateExpression, AggregateFunction, Expression, GraphPattern};
use spargebra::term::{GroundTerm, Variable};

/// The hidden column counting a group's distinct individuals.
const INDIVIDUALS: &str = "hanse_individuals";

/// The query computing every group's keys, aggregates and distinct individuals.
pub fn group_query(query: &AggregateQuery) -> Query {
    let hidden = Variable::new_unchecked(INDIVIDUALS);
    let mut aggregates: Vec<(Variable, AggregateExpression)> = query
        .aggregates
        .iter()
        .map(|a| (a.variable.clone(), a.expression.clone()))
        .collect();
    aggregates.push((
        hidden,
        AggregateExpression::FunctionCall {
            name: AggregateFunction::Count,
            expr: Expression::Variable(query.individual.clone()),
            distinct: true,
        },
    ));
    let mut variables = query.keys.clone();
    variables.extend(aggregates.iter().map(|(v, _)| v.clone()));
    Query::Select {
        dataset: None,
        pattern: GraphPattern::Project {
            inner: Box::new(GraphPattern::Group {
                inner: Box::new(query.pattern.clone()),
                variables: query.keys.clone(),
                aggregates,
            }),
            variables,
        },
        base_iri: None,
    }
}

/// A term that may travel in a VALUES table (blank nodes cannot).
pub fn ground(term: Option<&Term>) -> Option<GroundTerm> {
    match term? {
        Term::NamedNode(n) => Some(GroundTerm::NamedNode(n.clone())),
        Term::Literal(l) => Some(GroundTerm::Literal(l.clone())),
        _ => None,
    }
}

/// The groups of `table` (from [`group_query`]) that hold at least `minimum` individuals, as
/// rows of keys then aggregates, and how many groups were withheld. A group keyed by a blank
/// node is withheld too: its label means nothing outside this node.
pub fn release(
    table: &SolutionTable,
    query: &AggregateQuery,
    minimum: u64,
) -> (Vec<Vec<Option<GroundTerm>>>, u64) {
    let keys = query.keys.len();
    let width = keys + query.aggregates.len();
    let mut released = Vec::new();
    let mut withheld = 0;
    for row in &table.rows {
        let individuals = match row.get(width) {
            Some(Some(Term::Literal(l))) => l.value().parse::<u64>().unwrap_or(0),
            _ => 0,
        };
        let key: Vec<Option<GroundTerm>> = row[..keys].iter().map(|t| ground(t.as_ref())).collect();
        let keyed = row[..keys]
            .iter()
            .zip(&key)
            .all(|(term, ground)| term.is_none() || ground.is_some());
        if individuals < minimum || !keyed {
            withheld += 1;
            continue;
        }
        let mut values = key;
        values.extend(row[keys..width].iter().map(|t| ground(t.as_ref())));
        released.push(values);
    }
    (released, withheld)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::aggregation::shape::{Rules, analyse};
    use oxigraph::model::{BlankNode, Literal};

    #[test]
    fn groups_under_the_minimum_and_blank_keys_are_withheld() {
        let query = analyse(
            spargebra::SparqlParser::new()
                .parse_query("SELECT ?d (SUM(?v) AS ?s) WHERE { ?o <urn:unit> ?h ; <urn:v> ?v . ?h <urn:d> ?d } GROUP BY ?d")
                .unwrap(),
            &Rules {
                unit: "urn:unit",
                noised: false,
                permitted: &[],
            },
        )
        .unwrap();
        let text = group_query(&query).to_string();
        assert!(text.contains("COUNT(DISTINCT ?h)"), "{text}");
        let n = |v: i64| Some(Term::from(Literal::from(v)));
        let table = SolutionTable {
            variables: Vec::new(),
            rows: vec![
                vec![
                    Some(Literal::new_simple_literal("north").into()),
                    n(4000),
                    n(12),
                ],
                vec![
                    Some(Literal::new_simple_literal("east").into()),
                    n(400),
                    n(4),
                ],
                vec![Some(BlankNode::default().into()), n(4000), n(30)],
            ],
        };
        let (rows, withheld) = release(&table, &query, 10);
        assert_eq!(withheld, 2);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), 2, "the hidden count is dropped");
    }
}
