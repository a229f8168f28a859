//! The check on a parsed query's algebra: its depth, size and widest join.

use super::shape::{QueryShape, QueryShapeLimits, ShapeError};
use crate::store::sparql::expression::children;
use spargebra::algebra::{
    AggregateExpression, Expression, GraphPattern, OrderExpression, PropertyPathExpression,
};
use spargebra::{GraphUpdateOperation, Query, Update};

enum Part<'a> {
    Pattern(&'a GraphPattern),
    Expression(&'a Expression),
    Path(&'a PropertyPathExpression),
    Leaf,
}

/// Depth, size and widest join of an algebra, walked with an explicit stack.
struct Walk<'a> {
    /// Parts to visit, their level, and whether their parent is a join.
    stack: Vec<(Part<'a>, usize, bool)>,
    depth: usize,
    size: usize,
    widest_join: usize,
}

impl<'a> Walk<'a> {
    fn new() -> Self {
        Self {
            stack: Vec::new(),
            depth: 0,
            size: 0,
            widest_join: 0,
        }
    }

    fn push_pattern(&mut self, pattern: &'a GraphPattern, level: usize) {
        self.stack.push((Part::Pattern(pattern), level, false));
    }

    fn push_join_operand(&mut self, pattern: &'a GraphPattern, level: usize) {
        self.stack.push((Part::Pattern(pattern), level, true));
    }

    /// Operands of the join rooted at `root`: the optimiser plans a tree of joins and basic
    /// graph patterns as one join of all their triple patterns and other operands.
    fn join_width(root: &GraphPattern) -> usize {
        let (mut width, mut pending) = (0, vec![root]);
        while let Some(pattern) = pending.pop() {
            match pattern {
                GraphPattern::Join { left, right } => {
                    pending.push(left);
                    pending.push(right);
                }
                GraphPattern::Bgp { patterns } => width += patterns.len(),
                _ => width += 1,
            }
        }
        width
    }

    fn push_expression(&mut self, expression: &'a Expression, level: usize) {
        self.stack
            .push((Part::Expression(expression), level, false));
    }

    fn push_path(&mut self, path: &'a PropertyPathExpression, level: usize) {
        self.stack.push((Part::Path(path), level, false));
    }

    fn push_aggregate(&mut self, aggregate: &'a AggregateExpression, level: usize) {
        match aggregate {
            AggregateExpression::CountSolutions { .. } => {
                self.stack.push((Part::Leaf, level, false))
            }
            AggregateExpression::FunctionCall { expr, .. } => self.push_expression(expr, level),
        }
    }

    fn push_order(&mut self, order: &'a OrderExpression, level: usize) {
        match order {
            OrderExpression::Asc(e) | OrderExpression::Desc(e) => self.push_expression(e, level),
        }
    }

    /// Walks everything pushed so far.
    fn run(&mut self) {
        while let Some((part, level, in_join)) = self.stack.pop() {
            self.size += 1;
            self.depth = self.depth.max(level);
            let next = level + 1;
            match part {
                Part::Leaf => {}
                Part::Pattern(pattern) => {
                    if !in_join
                        && matches!(
                            pattern,
                            GraphPattern::Join { .. } | GraphPattern::Bgp { .. }
                        )
                    {
                        self.widest_join = self.widest_join.max(Self::join_width(pattern));
                    }
                    self.pattern(pattern, next)
                }
                Part::Expression(expression) => self.expression(expression, next),
                Part::Path(path) => self.path(path, next),
            }
        }
    }

    fn pattern(&mut self, pattern: &'a GraphPattern, next: usize) {
        match pattern {
            GraphPattern::Bgp { patterns } => {
                // Triple patterns are leaves: counted for size, one level down.
                self.size += patterns.len();
                if !patterns.is_empty() {
                    self.depth = self.depth.max(next);
                }
            }
            GraphPattern::Path { path, .. } => self.push_path(path, next),
            GraphPattern::Join { left, right } => {
                self.push_join_operand(left, next);
                self.push_join_operand(right, next);
            }
            GraphPattern::Union { left, right }
            | GraphPattern::Minus { left, right }
            | GraphPattern::Lateral { left, right } => {
                self.push_pattern(left, next);
                self.push_pattern(right, next);
            }
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => {
                self.push_pattern(left, next);
                self.push_pattern(right, next);
                if let Some(expression) = expression {
                    self.push_expression(expression, next);
                }
            }
            GraphPattern::Filter { expr, inner } => {
                self.push_expression(expr, next);
                self.push_pattern(inner, next);
            }
            GraphPattern::Extend {
                inner, expression, ..
            } => {
                self.push_expression(expression, next);
                self.push_pattern(inner, next);
            }
            GraphPattern::OrderBy { inner, expression } => {
                for order in expression {
                    self.push_order(order, next);
                }
                self.push_pattern(inner, next);
            }
            GraphPattern::Group {
                inner, aggregates, ..
            } => {
                for (_, aggregate) in aggregates {
                    self.push_aggregate(aggregate, next);
                }
                self.push_pattern(inner, next);
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Service { inner, .. } => self.push_pattern(inner, next),
            GraphPattern::Values { bindings, .. } => {
                // Rows are data, bounded by the text's length; one part for the block.
                let _ = bindings;
            }
        }
    }

    fn expression(&mut self, expression: &'a Expression, next: usize) {
        if let Expression::Exists(pattern) = expression {
            self.push_pattern(pattern, next);
        }
        for child in children(expression) {
            self.push_expression(child, next);
        }
    }

    fn path(&mut self, path: &'a PropertyPathExpression, next: usize) {
        match path {
            PropertyPathExpression::NamedNode(_)
            | PropertyPathExpression::NegatedPropertySet(_) => {}
            PropertyPathExpression::Reverse(p)
            | PropertyPathExpression::ZeroOrMore(p)
            | PropertyPathExpression::OneOrMore(p)
            | PropertyPathExpression::ZeroOrOne(p) => self.push_path(p, next),
            PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
                self.push_path(a, next);
                self.push_path(b, next);
            }
        }
    }

    fn shape(&self) -> QueryShape {
        QueryShape {
            depth: self.depth,
            size: self.size,
            widest_join: self.widest_join,
        }
    }

    fn verdict(&self, limits: &QueryShapeLimits) -> Result<QueryShape, ShapeError> {
        if self.depth > limits.max_depth {
            return Err(ShapeError::Depth {
                depth: self.depth,
                limit: limits.max_depth,
            });
        }
        if self.size > limits.max_size {
            return Err(ShapeError::Size {
                size: self.size,
                limit: limits.max_size,
            });
        }
        Ok(self.shape())
    }
}

/// Checks a parsed query's algebra: its depth and size; returns its shape. Iterative, no
/// recursion.
pub fn check_query(query: &Query, limits: &QueryShapeLimits) -> Result<QueryShape, ShapeError> {
    let mut walk = Walk::new();
    match query {
        Query::Select { pattern, .. }
        | Query::Ask { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. } => walk.push_pattern(pattern, 1),
    }
    walk.run();
    walk.verdict(limits)
}

/// Checks a parsed update's algebra: the patterns of its `DELETE`/`INSERT … WHERE`
/// operations. Data quads (`INSERT DATA`) are flat and bounded by the text's length, so they
/// do not count against the size limit.
pub fn check_update(update: &Update, limits: &QueryShapeLimits) -> Result<QueryShape, ShapeError> {
    let mut walk = Walk::new();
    for operation in &update.operations {
        match operation {
            GraphUpdateOperation::DeleteInsert {
                delete,
                insert,
                pattern,
                ..
            } => {
                walk.size += delete.len() + insert.len();
                walk.push_pattern(pattern, 1);
            }
            GraphUpdateOperation::DeleteData { .. }
            | GraphUpdateOperation::InsertData { .. }
            | GraphUpdateOperation::Load { .. }
            | GraphUpdateOperation::Clear { .. }
            | GraphUpdateOperation::Create { .. }
            | GraphUpdateOperation::Drop { .. } => {}
        }
        walk.run();
    }
    walk.verdict(limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sparql::limits::shape::small_limits as limits;
    use crate::store::sparql::limits::text::check_text;
    use spargebra::SparqlParser;

    #[test]
    fn flat_chains_are_measured_as_deep_algebra() {
        let union = format!(
            "SELECT * {{ {} }}",
            vec!["{ ?s ?p ?o }"; 30].join(" UNION ")
        );
        check_text(&union, &limits()).unwrap();
        let query = SparqlParser::new().parse_query(&union).unwrap();
        assert!(matches!(
            check_query(&query, &limits()),
            Err(ShapeError::Depth { limit: 20, .. })
        ));
        let or = format!(
            "SELECT * {{ ?s ?p ?o FILTER({}) }}",
            vec!["?o = 1"; 30].join(" || ")
        );
        let query = SparqlParser::new().parse_query(&or).unwrap();
        assert!(matches!(
            check_query(&query, &limits()),
            Err(ShapeError::Depth { .. })
        ));
        let update = format!(
            "DELETE {{ ?s ?p ?o }} WHERE {{ {} }}",
            vec!["{ ?s ?p ?o }"; 30].join(" UNION ")
        );
        let update = SparqlParser::new().parse_update(&update).unwrap();
        assert!(matches!(
            check_update(&update, &limits()),
            Err(ShapeError::Depth { .. })
        ));
    }

    #[test]
    fn ordinary_queries_pass() {
        let text = "SELECT ?d (AVG(?v) AS ?m) WHERE { ?o <http://e/d> ?d ; <http://e/v> ?v \
                    FILTER(?v > 0 && ?v < 1000) OPTIONAL { ?o <http://e/x> ?x } } \
                    GROUP BY ?d ORDER BY DESC(?m) LIMIT 10";
        check_text(text, &limits()).unwrap();
        let query = SparqlParser::new().parse_query(text).unwrap();
        check_query(&query, &limits()).unwrap();
    }

    #[test]
    fn wide_joins_are_not_planned() {
        let star = |n: usize| {
            format!(
                "SELECT * {{ {} }}",
                (0..n)
                    .map(|i| format!("?s <http://e/p{i}> ?o{i} . "))
                    .collect::<String>()
            )
        };
        let narrow = SparqlParser::new().parse_query(&star(8)).unwrap();
        let shape = check_query(&narrow, &limits()).unwrap();
        assert_eq!(shape.widest_join, 8);
        assert!(shape.optimizable(&limits()));
        let wide = SparqlParser::new().parse_query(&star(9)).unwrap();
        assert!(
            !check_query(&wide, &limits())
                .unwrap()
                .optimizable(&limits())
        );
        let groups = format!(
            "SELECT * {{ {} }}",
            (0..9)
                .map(|i| format!("{{ ?s <http://e/p{i}> ?o{i} }} "))
                .collect::<String>()
        );
        let groups = SparqlParser::new().parse_query(&groups).unwrap();
        assert_eq!(check_query(&groups, &limits()).unwrap().widest_join, 9);
    }

    #[test]
    fn size_counts_every_part() {
        let text = format!(
            "SELECT * {{ {} }}",
            (0..300)
                .map(|i| format!("?s <http://e/p{i}> ?o{i} ."))
                .collect::<String>()
        );
        let query = SparqlParser::new().parse_query(&text).unwrap();
        assert!(matches!(
            check_query(&query, &limits()),
            Err(ShapeError::Size { limit: 200, .. })
        ));
    }
}
