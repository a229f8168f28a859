//! The parts of a query the shape check names: the variables an expression reads, an
//! aggregate function's name, and the construct a pattern is, as a query writer knows them.

use crate::store::sparql::expression::children;
use spargebra::algebra::{AggregateExpression, AggregateFunction, Expression, GraphPattern};
use spargebra::term::Variable;

/// Calls `f` on `expression` and every expression inside it.
fn visit<'a>(expression: &'a Expression, f: &mut impl FnMut(&'a Expression)) {
    f(expression);
    for child in children(expression) {
        visit(child, f);
    }
}

/// The variables an expression reads; an error (naming it) if it holds EXISTS.
pub fn expression_variables(expression: &Expression) -> Result<Vec<&Variable>, String> {
    let mut variables = Vec::new();
    let mut exists = false;
    visit(expression, &mut |e| match e {
        Expression::Variable(v) | Expression::Bound(v) => variables.push(v),
        Expression::Exists(_) => exists = true,
        _ => {}
    });
    if exists {
        return Err(format!(
            "EXISTS and NOT EXISTS are refused: they test patterns outside the groups (in `{expression}`)"
        ));
    }
    Ok(variables)
}

/// The function's name as a query writes it.
pub fn function_name(aggregate: &AggregateExpression) -> String {
    match aggregate {
        AggregateExpression::CountSolutions { .. } => "COUNT".into(),
        AggregateExpression::FunctionCall { name, .. } => match name {
            AggregateFunction::Count => "COUNT".into(),
            AggregateFunction::Sum => "SUM".into(),
            AggregateFunction::Avg => "AVG".into(),
            AggregateFunction::Min => "MIN".into(),
            AggregateFunction::Max => "MAX".into(),
            AggregateFunction::GroupConcat { .. } => "GROUP_CONCAT".into(),
            AggregateFunction::Sample => "SAMPLE".into(),
            AggregateFunction::Custom(iri) => format!("the custom aggregate {iri}"),
        },
    }
}

/// A construct of a pattern that has no place in an aggregation-only query, by name.
pub fn construct(pattern: &GraphPattern) -> &'static str {
    use GraphPattern as P;
    match pattern {
        P::LeftJoin { .. } => "OPTIONAL",
        P::Union { .. } => "UNION",
        P::Minus { .. } => "MINUS",
        P::Values { .. } => "VALUES",
        P::Service { .. } => "SERVICE",
        P::Path { .. } => "property paths (`*`, `+`, `?`, `|`, `!`)",
        P::Extend { .. } => "BIND (and GROUP BY with an expression)",
        P::Lateral { .. } => "LATERAL",
        P::Project { .. }
        | P::Group { .. }
        | P::Distinct { .. }
        | P::Reduced { .. }
        | P::Slice { .. }
        | P::OrderBy { .. } => "sub-queries (a nested SELECT)",
        P::Join { left, right } => [left, right]
            .into_iter()
            .map(|p| construct(p))
            .find(|c| !c.is_empty())
            .unwrap_or("nested group patterns `{ … }` (write the triples in one block)"),
        P::Bgp { .. } | P::Filter { .. } | P::Graph { .. } => "",
    }
}
