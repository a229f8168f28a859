//! Planning: which parts of a query go to which members.
//!
//! The planner walks the query algebra and replaces every part that reads data with a
//! placeholder `SERVICE <urn:hanse:federation:leaf:N>` whose table the executor computes:
//! - a basic graph pattern becomes groups of triple patterns, each sent whole to every source
//!   that can answer it and joined with the others by bound joins. Patterns that only one
//!   source can answer form one group (FedX's exclusive groups); patterns about the same
//!   subject form one group when the candidate sources' subject authorities are disjoint, since
//!   then every triple about a subject lives at one member;
//! - a property path or a `GRAPH` block is shipped whole to each source that can match it
//!   (a named graph lives at one member), and the answers are unioned.
//!
//! Everything else (FILTER, OPTIONAL, UNION, MINUS, BIND, aggregates, ORDER BY, LIMIT) stays
//! in the query and oxigraph evaluates it over the placeholders' tables, so the answer has the
//! SPARQL semantics of the same query over the union of the permitted data.

use super::error::FederationError;
use super::sources::Sources;
use crate::store::sparql::expression::children;
use spargebra::Query;
use spargebra::algebra::{
    AggregateExpression, Expression, GraphPattern, OrderExpression, PropertyPathExpression,
};
use spargebra::term::{NamedNode, NamedNodePattern, TermPattern, TriplePattern, Variable};
use std::collections::BTreeSet;

/// IRI prefix of the placeholders.
pub const LEAF_PREFIX: &str = "urn:hanse:federation:leaf:";

/// Prefix of the variables that stand for a pattern's blank nodes (the parser writes path
/// sequences as blank-node chains); the executor drops them from the leaf's table.
pub const BLANK_NODE_VARIABLE: &str = "hanse_bnode_";

/// Blank nodes of a basic graph pattern act as variables that are not returned: they become
/// real variables, so they join across groups and travel in sub-query answers.
fn blank_nodes_as_variables(patterns: &[TriplePattern]) -> Vec<TriplePattern> {
    let mut labels: Vec<String> = Vec::new();
    let mut variable = |term: &TermPattern| -> TermPattern {
        match term {
            TermPattern::BlankNode(b) => {
                let index = match labels.iter().position(|l| l == b.as_str()) {
                    Some(i) => i,
                    None => {
                        labels.push(b.as_str().to_owned());
                        labels.len() - 1
                    }
                };
                TermPattern::Variable(Variable::new_unchecked(format!(
                    "{BLANK_NODE_VARIABLE}{index}"
                )))
            }
            other => other.clone(),
        }
    };
    patterns
        .iter()
        .map(|p| TriplePattern {
            subject: variable(&p.subject),
            predicate: p.predicate.clone(),
            object: variable(&p.object),
        })
        .collect()
}

/// Triple patterns sent together to each of their sources.
#[derive(Debug, Clone)]
pub struct Group {
    /// The patterns.
    pub patterns: Vec<TriplePattern>,
    /// Indexes into [`Sources::list`].
    pub sources: Vec<usize>,
    /// Filters over the group's variables only, sent along.
    pub filters: Vec<Expression>,
}

impl Group {
    /// The variables of the group, in order of appearance.
    pub fn variables(&self) -> Vec<Variable> {
        let mut variables = Vec::new();
        for pattern in &self.patterns {
            for term in [&pattern.subject, &pattern.object] {
                if let TermPattern::Variable(v) = term
                    && !variables.contains(v)
                {
                    variables.push(v.clone());
                }
            }
            if let NamedNodePattern::Variable(v) = &pattern.predicate
                && !variables.contains(v)
            {
                variables.push(v.clone());
            }
        }
        variables
    }

    /// Constants in the patterns: a rough selectivity (more is more selective).
    pub fn constants(&self) -> usize {
        self.patterns
            .iter()
            .map(|p| {
                usize::from(!matches!(p.subject, TermPattern::Variable(_)))
                    + usize::from(!matches!(p.object, TermPattern::Variable(_)))
            })
            .sum()
    }
}

/// A part of the query the executor computes.
#[derive(Debug, Clone)]
pub enum Leaf {
    /// A basic graph pattern: groups joined by bound joins.
    Bgp {
        /// The groups.
        groups: Vec<Group>,
    },
    /// A pattern shipped whole to each source, answers unioned.
    Shipped {
        /// The pattern.
        pattern: GraphPattern,
        /// Indexes into [`Sources::list`].
        sources: Vec<usize>,
    },
}

/// The plan of a federated query.
#[derive(Debug)]
pub struct Plan {
    /// The query with placeholders.
    pub query: Query,
    /// The placeholders' parts, by number.
    pub leaves: Vec<Leaf>,
    /// Set when one source can answer every part: the original query goes there whole.
    pub single_source: Option<usize>,
}

/// Plans `query` over `sources`.
pub fn plan(query: Query, sources: &Sources) -> Result<Plan, FederationError> {
    let original = query.clone();
    let mut planner = Planner {
        sources,
        leaves: Vec::new(),
        used: BTreeSet::new(),
    };
    let query = match query {
        Query::Select {
            dataset,
            pattern,
            base_iri,
        } => {
            refuse_dataset(dataset.is_some())?;
            Query::Select {
                dataset: None,
                pattern: planner.pattern(pattern)?,
                base_iri,
            }
        }
        Query::Ask {
            dataset,
            pattern,
            base_iri,
        } => {
            refuse_dataset(dataset.is_some())?;
            Query::Ask {
                dataset: None,
                pattern: planner.pattern(pattern)?,
                base_iri,
            }
        }
        Query::Construct {
            template,
            dataset,
            pattern,
            base_iri,
        } => {
            refuse_dataset(dataset.is_some())?;
            Query::Construct {
                template,
                dataset: None,
                pattern: planner.pattern(pattern)?,
                base_iri,
            }
        }
        Query::Describe { .. } => {
            return Err(FederationError::Unsupported(
                "DESCRIBE cannot be federated: use CONSTRUCT with the properties you need".into(),
            ));
        }
    };
    let shippable = matches!(original, Query::Select { .. } | Query::Ask { .. })
        && !crate::store::sparql::uses_service(&original);
    let single_source = (shippable && planner.used.len() == 1)
        .then(|| planner.used.first().copied())
        .flatten();
    Ok(Plan {
        query,
        leaves: planner.leaves,
        single_source,
    })
}

fn refuse_dataset(has_dataset: bool) -> Result<(), FederationError> {
    if has_dataset {
        return Err(FederationError::Unsupported(
            "FROM and FROM NAMED cannot be federated: name graphs with GRAPH <…> { … } instead"
                .into(),
        ));
    }
    Ok(())
}

struct Planner<'a> {
    sources: &'a Sources,
    leaves: Vec<Leaf>,
    used: BTreeSet<usize>,
}

impl Planner<'_> {
    fn pattern(&mut self, pattern: GraphPattern) -> Result<GraphPattern, FederationError> {
        use GraphPattern as P;
        let boxed = |p: GraphPattern| Box::new(p);
        Ok(match pattern {
            P::Bgp { patterns } => self.bgp(patterns, None),
            P::Filter { expr, inner } => match *inner {
                P::Bgp { patterns } => {
                    let leaf = self.bgp(patterns, Some(&expr));
                    P::Filter {
                        expr: self.expression(expr)?,
                        inner: boxed(leaf),
                    }
                }
                inner => P::Filter {
                    expr: self.expression(expr)?,
                    inner: boxed(self.pattern(inner)?),
                },
            },
            original @ (P::Path { .. } | P::Graph { .. }) => {
                let sources = self.shipped_sources(&original)?;
                self.used.extend(&sources);
                self.leaf(
                    Leaf::Shipped {
                        pattern: original.clone(),
                        sources,
                    },
                    original,
                )
            }
            P::Join { left, right } => P::Join {
                left: boxed(self.pattern(*left)?),
                right: boxed(self.pattern(*right)?),
            },
            P::LeftJoin {
                left,
                right,
                expression,
            } => P::LeftJoin {
                left: boxed(self.pattern(*left)?),
                right: boxed(self.pattern(*right)?),
                expression: expression.map(|e| self.expression(e)).transpose()?,
            },
            P::Lateral { left, right } => P::Lateral {
                left: boxed(self.pattern(*left)?),
                right: boxed(self.pattern(*right)?),
            },
            P::Union { left, right } => P::Union {
                left: boxed(self.pattern(*left)?),
                right: boxed(self.pattern(*right)?),
            },
            P::Minus { left, right } => P::Minus {
                left: boxed(self.pattern(*left)?),
                right: boxed(self.pattern(*right)?),
            },
            P::Extend {
                inner,
                variable,
                expression,
            } => P::Extend {
                inner: boxed(self.pattern(*inner)?),
                variable,
                expression: self.expression(expression)?,
            },
            P::OrderBy { inner, expression } => P::OrderBy {
                inner: boxed(self.pattern(*inner)?),
                expression: expression
                    .into_iter()
                    .map(|o| {
                        Ok(match o {
                            OrderExpression::Asc(e) => OrderExpression::Asc(self.expression(e)?),
                            OrderExpression::Desc(e) => OrderExpression::Desc(self.expression(e)?),
                        })
                    })
                    .collect::<Result<_, FederationError>>()?,
            },
            P::Project { inner, variables } => P::Project {
                inner: boxed(self.pattern(*inner)?),
                variables,
            },
            P::Distinct { inner } => P::Distinct {
                inner: boxed(self.pattern(*inner)?),
            },
            P::Reduced { inner } => P::Reduced {
                inner: boxed(self.pattern(*inner)?),
            },
            P::Slice {
                inner,
                start,
                length,
            } => P::Slice {
                inner: boxed(self.pattern(*inner)?),
                start,
                length,
            },
            P::Group {
                inner,
                variables,
                aggregates,
            } => P::Group {
                inner: boxed(self.pattern(*inner)?),
                variables,
                aggregates: aggregates
                    .into_iter()
                    .map(|(v, a)| {
                        Ok((
                            v,
                            match a {
                                AggregateExpression::FunctionCall {
                                    name,
                                    expr,
                                    distinct,
                                } => AggregateExpression::FunctionCall {
                                    name,
                                    expr: self.expression(expr)?,
                                    distinct,
                                },
                                count @ AggregateExpression::CountSolutions { .. } => count,
                            },
                        ))
                    })
                    .collect::<Result<_, FederationError>>()?,
            },
            // Explicit SERVICE calls and inline data stay as they are.
            other @ (P::Service { .. } | P::Values { .. }) => other,
        })
    }

    /// Rewrites the patterns inside `EXISTS`.
    fn expression(&mut self, expression: Expression) -> Result<Expression, FederationError> {
        use Expression as E;
        let mut one =
            |e: Box<E>| -> Result<Box<E>, FederationError> { Ok(Box::new(self.expression(*e)?)) };
        Ok(match expression {
            E::Exists(pattern) => E::Exists(Box::new(self.pattern(*pattern)?)),
            E::Or(a, b) => E::Or(one(a)?, one(b)?),
            E::And(a, b) => E::And(one(a)?, one(b)?),
            E::Equal(a, b) => E::Equal(one(a)?, one(b)?),
            E::SameTerm(a, b) => E::SameTerm(one(a)?, one(b)?),
            E::Greater(a, b) => E::Greater(one(a)?, one(b)?),
            E::GreaterOrEqual(a, b) => E::GreaterOrEqual(one(a)?, one(b)?),
            E::Less(a, b) => E::Less(one(a)?, one(b)?),
            E::LessOrEqual(a, b) => E::LessOrEqual(one(a)?, one(b)?),
            E::Add(a, b) => E::Add(one(a)?, one(b)?),
            E::Subtract(a, b) => E::Subtract(one(a)?, one(b)?),
            E::Multiply(a, b) => E::Multiply(one(a)?, one(b)?),
            E::Divide(a, b) => E::Divide(one(a)?, one(b)?),
            E::UnaryPlus(a) => E::UnaryPlus(one(a)?),
            E::UnaryMinus(a) => E::UnaryMinus(one(a)?),
            E::Not(a) => E::Not(one(a)?),
            E::If(a, b, c) => E::If(one(a)?, one(b)?, one(c)?),
            E::In(a, list) => E::In(one(a)?, self.expressions(list)?),
            E::Coalesce(list) => E::Coalesce(self.expressions(list)?),
            E::FunctionCall(f, args) => E::FunctionCall(f, self.expressions(args)?),
            leaf @ (E::NamedNode(_) | E::Literal(_) | E::Variable(_) | E::Bound(_)) => leaf,
        })
    }

    fn expressions(&mut self, list: Vec<Expression>) -> Result<Vec<Expression>, FederationError> {
        list.into_iter().map(|e| self.expression(e)).collect()
    }

    /// Registers a leaf and returns its placeholder, which keeps the original pattern so
    /// that oxigraph knows its variables.
    fn leaf(&mut self, leaf: Leaf, original: GraphPattern) -> GraphPattern {
        let index = self.leaves.len();
        self.leaves.push(leaf);
        GraphPattern::Service {
            name: NamedNode::new_unchecked(format!("{LEAF_PREFIX}{index}")).into(),
            inner: Box::new(original),
            silent: false,
        }
    }

    /// Groups the patterns of a basic graph pattern and registers it as a leaf.
    fn bgp(&mut self, original: Vec<TriplePattern>, filter: Option<&Expression>) -> GraphPattern {
        let patterns = blank_nodes_as_variables(&original);
        let candidates: Vec<Vec<usize>> = patterns
            .iter()
            .map(|p| {
                (0..self.sources.list.len())
                    .filter(|&s| self.sources.list[s].may_match(p))
                    .collect()
            })
            .collect();
        let mut groups = self.star_groups(&patterns, &candidates);
        merge_exclusive_groups(&mut groups);
        if let Some(filter) = filter {
            for conjunct in conjuncts(filter) {
                let mut needed = BTreeSet::new();
                if !expression_variables(conjunct, &mut needed) {
                    continue;
                }
                for group in &mut groups {
                    let variables = group.variables();
                    if needed.iter().all(|v| variables.contains(v)) {
                        group.filters.push(conjunct.clone());
                    }
                }
            }
        }
        for group in &groups {
            self.used.extend(&group.sources);
        }
        self.leaf(
            Leaf::Bgp { groups },
            GraphPattern::Bgp { patterns: original },
        )
    }

    /// One group per subject where the candidates' subject authorities are disjoint, else one
    /// group per pattern.
    fn star_groups(&self, patterns: &[TriplePattern], candidates: &[Vec<usize>]) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        let mut subjects: Vec<&TermPattern> = Vec::new();
        for pattern in patterns {
            if !subjects.contains(&&pattern.subject) {
                subjects.push(&pattern.subject);
            }
        }
        for subject in subjects {
            let members: Vec<usize> = (0..patterns.len())
                .filter(|&i| &patterns[i].subject == subject)
                .collect();
            let involved: BTreeSet<usize> = members
                .iter()
                .flat_map(|&i| candidates[i].iter().copied())
                .collect();
            if members.len() > 1 && self.authorities_disjoint(&involved) {
                let sources = involved
                    .into_iter()
                    .filter(|s| members.iter().all(|&i| candidates[i].contains(s)))
                    .collect();
                groups.push(Group {
                    patterns: members.iter().map(|&i| patterns[i].clone()).collect(),
                    sources,
                    filters: Vec::new(),
                });
            } else {
                groups.extend(members.into_iter().map(|i| Group {
                    patterns: vec![patterns[i].clone()],
                    sources: candidates[i].clone(),
                    filters: Vec::new(),
                }));
            }
        }
        groups
    }

    /// Whether no subject authority is shared by two of `sources` (all must list theirs).
    fn authorities_disjoint(&self, sources: &BTreeSet<usize>) -> bool {
        let mut seen = BTreeSet::new();
        for &s in sources {
            let Some(authorities) = self.sources.list[s].authorities() else {
                return false;
            };
            for authority in authorities {
                if !seen.insert(authority) {
                    return false;
                }
            }
        }
        true
    }

    /// The sources a path or GRAPH block is shipped to.
    fn shipped_sources(&self, pattern: &GraphPattern) -> Result<Vec<usize>, FederationError> {
        let mut needs = Needs::default();
        needs.collect(pattern)?;
        Ok((0..self.sources.list.len())
            .filter(|&s| {
                let source = &self.sources.list[s];
                needs.graphs.iter().all(|g| source.holds_graph(g))
                    && needs.patterns.iter().all(|p| source.may_match(p))
            })
            .collect())
    }
}

/// What a shipped pattern needs of a source: graphs it names, and triple patterns (path
/// steps count as patterns with their predicate).
#[derive(Default)]
struct Needs {
    graphs: Vec<String>,
    patterns: Vec<TriplePattern>,
}

impl Needs {
    fn collect(&mut self, pattern: &GraphPattern) -> Result<(), FederationError> {
        use GraphPattern as P;
        match pattern {
            P::Bgp { patterns } => self.patterns.extend(patterns.iter().cloned()),
            P::Path {
                subject,
                path,
                object,
            } => {
                let mut predicates = Vec::new();
                if path_predicates(path, &mut predicates) {
                    // Any one step may match; a source must hold at least one of them, so
                    // this only prunes single-predicate sequences exactly. Keep it simple:
                    // a source needs every predicate of the path.
                    for predicate in predicates {
                        self.patterns.push(TriplePattern {
                            subject: subject.clone(),
                            predicate: predicate.into(),
                            object: object.clone(),
                        });
                    }
                }
            }
            P::Graph { name, inner } => {
                if let NamedNodePattern::NamedNode(graph) = name {
                    self.graphs.push(graph.as_str().to_owned());
                }
                self.collect(inner)?;
            }
            P::Service { .. } => {
                return Err(FederationError::Unsupported(
                    "SERVICE inside GRAPH cannot be federated".into(),
                ));
            }
            P::Join { left, right }
            | P::LeftJoin { left, right, .. }
            | P::Lateral { left, right }
            | P::Minus { left, right } => {
                self.collect(left)?;
                if !matches!(pattern, P::LeftJoin { .. } | P::Minus { .. }) {
                    self.collect(right)?;
                }
            }
            P::Union { .. } | P::Values { .. } => {}
            P::Filter { inner, .. }
            | P::Extend { inner, .. }
            | P::OrderBy { inner, .. }
            | P::Project { inner, .. }
            | P::Distinct { inner }
            | P::Reduced { inner }
            | P::Slice { inner, .. }
            | P::Group { inner, .. } => self.collect(inner)?,
        }
        Ok(())
    }
}

/// The predicates a path uses; false for negated property sets (any predicate).
fn path_predicates(path: &PropertyPathExpression, out: &mut Vec<NamedNode>) -> bool {
    use PropertyPathExpression as E;
    match path {
        E::NamedNode(n) => {
            out.push(n.clone());
            true
        }
        E::Reverse(p) | E::ZeroOrMore(p) | E::OneOrMore(p) | E::ZeroOrOne(p) => {
            let mut inner = Vec::new();
            // Zero-length paths match without any triple, so they need nothing.
            let exact = path_predicates(p, &mut inner);
            if matches!(path, E::Reverse(_) | E::OneOrMore(_)) {
                out.extend(inner);
            }
            exact
        }
        E::Sequence(a, b) => path_predicates(a, out) & path_predicates(b, out),
        // Either branch may match: a source needs only one, which `Needs` cannot say.
        E::Alternative(_, _) => false,
        E::NegatedPropertySet(_) => false,
    }
}

/// The conjuncts of a filter.
fn conjuncts(expression: &Expression) -> Vec<&Expression> {
    match expression {
        Expression::And(a, b) => {
            let mut all = conjuncts(a);
            all.extend(conjuncts(b));
            all
        }
        other => vec![other],
    }
}

/// Collects the variables of `expression`; false if it cannot be sent to a member (EXISTS,
/// `BOUND`, which depend on the whole pattern).
fn expression_variables(expression: &Expression, out: &mut BTreeSet<Variable>) -> bool {
    match expression {
        Expression::Variable(v) => {
            out.insert(v.clone());
            true
        }
        Expression::Exists(_) | Expression::Bound(_) => false,
        // Every operand is visited (no short cut), so `out` holds all variables either way.
        other => children(other).into_iter().fold(true, |sendable, child| {
            expression_variables(child, out) & sendable
        }),
    }
}

/// Merges groups that only one and the same source can answer and that share a variable.
fn merge_exclusive_groups(groups: &mut Vec<Group>) {
    loop {
        let mut merged = false;
        'outer: for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let (a, b) = (&groups[i], &groups[j]);
                if a.sources.len() == 1 && a.sources == b.sources {
                    let shared = a.variables().iter().any(|v| b.variables().contains(v));
                    if shared {
                        let b = groups.remove(j);
                        groups[i].patterns.extend(b.patterns);
                        merged = true;
                        break 'outer;
                    }
                }
            }
        }
        if !merged {
            break;
        }
    }
}
