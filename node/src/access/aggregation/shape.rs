//! The one query shape an aggregation-only dataset answers, checked on the parsed query
//! before anything is evaluated:
//!
//! ```text
//! SELECT ?key … (COUNT|SUM|AVG(?x) AS ?a) … [(expression over keys and aggregates AS ?e)]
//! WHERE { [GRAPH ?g] { ?record <unit> ?individual . ?record|?individual <p> ?o … }
//!         [FILTER(over GROUP BY keys only)] }
//! GROUP BY ?key … [ORDER BY keys]
//! ```
//!
//! Every triple starts from the individual (the object of the privacy unit property,
//! `sosa:hasFeatureOfInterest` by default) or from one of its records (a subject of that
//! property), so each solution is about one individual and every group can be counted in
//! distinct individuals. A FILTER may only test GROUP BY keys, so it chooses whole groups
//! and never which individuals a group holds. Anything else is refused by name: sub-queries,
//! UNION, OPTIONAL, MINUS, VALUES, BIND, SERVICE, property paths, EXISTS, HAVING, LIMIT,
//! ORDER BY on values, grouping by the individual or a record, expressions inside aggregates
//! (only under differential privacy, where every individual's contribution is clamped and
//! noised), and MIN, MAX, SAMPLE, GROUP_CONCAT (unless the offer permits them, and never
//! under differential privacy).

use super::syntax::{construct, expression_variables, function_name};
use crate::access::privacy_terms::Extra;
use spargebra::Query;
use spargebra::algebra::{
    AggregateExpression, AggregateFunction, Expression, GraphPattern, OrderExpression,
};
use spargebra::term::{GroundTerm, NamedNodePattern, TermPattern, TriplePattern, Variable};
use std::collections::HashSet;

/// Prefix of the variables the node adds; queries may not use it.
pub const RESERVED: &str = "hanse_";

/// Whether `query` is an aggregate SELECT (a projection over a GROUP BY or aggregate), the
/// only kind an aggregation-only dataset considers.
pub fn is_aggregate(query: &Query) -> bool {
    fn walk(pattern: &GraphPattern) -> bool {
        use GraphPattern as P;
        match pattern {
            P::Group { .. } => true,
            P::Project { inner, .. }
            | P::Distinct { inner }
            | P::Reduced { inner }
            | P::Slice { inner, .. }
            | P::OrderBy { inner, .. }
            | P::Extend { inner, .. }
            | P::Filter { inner, .. } => walk(inner),
            _ => false,
        }
    }
    matches!(query, Query::Select { pattern, .. } if walk(pattern))
}

/// What the offer allows.
pub struct Rules<'a> {
    /// The privacy unit property.
    pub unit: &'a str,
    /// Whether answers are differentially private.
    pub noised: bool,
    /// Extra functions the offer permits.
    pub permitted: &'a [Extra],
}

/// One aggregate of the query.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// The variable the group computes it into.
    pub variable: Variable,
    /// The aggregate.
    pub expression: AggregateExpression,
    /// The projected column that shows it.
    pub column: String,
}

/// An aggregate query that has the shape.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    /// The query as checked, its pattern's blank nodes turned into variables.
    query: Query,
    /// The query's text with generated names made stable: equal for the same question.
    pub normalised: String,
    /// The individual's variable.
    pub individual: Variable,
    /// The GROUP BY keys.
    pub keys: Vec<Variable>,
    /// The aggregates, in the order the group computes them.
    pub aggregates: Vec<Aggregate>,
    /// The pattern under the GROUP BY (triples, filters, GRAPH).
    pub pattern: GraphPattern,
}

impl AggregateQuery {
    /// The query with its GROUP BY replaced by `pattern` (a table of released groups, or a
    /// group the node rewrote): ORDER BY, projection and expressions over aggregates then
    /// run over it.
    pub fn with_group(&self, pattern: GraphPattern) -> Query {
        let Query::Select {
            dataset,
            pattern: top,
            base_iri,
        } = &self.query
        else {
            unreachable!("only SELECT queries are analysed")
        };
        Query::Select {
            dataset: dataset.clone(),
            pattern: replace_group(top, &pattern),
            base_iri: base_iri.clone(),
        }
    }

    /// The query over released groups: `rows` of keys then aggregates, in that order.
    pub fn over_groups(&self, rows: Vec<Vec<Option<GroundTerm>>>) -> Query {
        let mut variables = self.keys.clone();
        variables.extend(self.aggregates.iter().map(|a| a.variable.clone()));
        self.with_group(GraphPattern::Values {
            variables,
            bindings: rows,
        })
    }
}

fn replace_group(pattern: &GraphPattern, with: &GraphPattern) -> GraphPattern {
    use GraphPattern as P;
    let inner = |p: &GraphPattern| Box::new(replace_group(p, with));
    match pattern {
        P::Project {
            inner: i,
            variables,
        } => P::Project {
            inner: inner(i),
            variables: variables.clone(),
        },
        P::Distinct { inner: i } => P::Distinct { inner: inner(i) },
        P::Reduced { inner: i } => P::Reduced { inner: inner(i) },
        P::OrderBy {
            inner: i,
            expression,
        } => P::OrderBy {
            inner: inner(i),
            expression: expression.clone(),
        },
        P::Extend {
            inner: i,
            variable,
            expression,
        } => P::Extend {
            inner: inner(i),
            variable: variable.clone(),
            expression: expression.clone(),
        },
        P::Group { .. } => with.clone(),
        other => other.clone(),
    }
}

/// The WHERE clause as found: filters, at most one GRAPH, one block of triples.
#[derive(Default)]
struct Where {
    filters: Vec<Expression>,
    graph: Option<NamedNodePattern>,
    triples: Option<Vec<TriplePattern>>,
}

fn where_clause(pattern: &GraphPattern, found: &mut Where) -> Result<(), String> {
    match pattern {
        GraphPattern::Filter { expr, inner } => {
            found.filters.push(expr.clone());
            where_clause(inner, found)
        }
        GraphPattern::Graph { name, inner } if found.graph.is_none() => {
            found.graph = Some(name.clone());
            where_clause(inner, found)
        }
        GraphPattern::Bgp { patterns } if found.triples.is_none() => {
            found.triples = Some(patterns.clone());
            Ok(())
        }
        GraphPattern::Graph { .. } => Err("use one GRAPH block at most".into()),
        other => Err(format!("{} is refused", construct(other))),
    }
}

/// Blank nodes become variables (`hanse_bnode_N`), so that they can be counted and checked.
fn with_variables(triples: &[TriplePattern]) -> Result<Vec<TriplePattern>, String> {
    let mut labels: Vec<String> = Vec::new();
    let mut term = |t: &TermPattern| -> Result<TermPattern, String> {
        Ok(match t {
            TermPattern::BlankNode(b) => {
                let index = labels
                    .iter()
                    .position(|l| l == b.as_str())
                    .unwrap_or_else(|| {
                        labels.push(b.as_str().to_owned());
                        labels.len() - 1
                    });
                TermPattern::Variable(Variable::new_unchecked(format!("{RESERVED}bnode_{index}")))
            }
            TermPattern::Variable(v) if v.as_str().starts_with(RESERVED) => {
                return Err(reserved(v));
            }
            TermPattern::NamedNode(_) | TermPattern::Literal(_) | TermPattern::Variable(_) => {
                t.clone()
            }
            #[allow(unreachable_patterns)]
            _ => return Err("quoted triples are refused".into()),
        })
    };
    triples
        .iter()
        .map(|p| {
            Ok(TriplePattern {
                subject: term(&p.subject)?,
                predicate: p.predicate.clone(),
                object: term(&p.object)?,
            })
        })
        .collect()
}

fn reserved(v: &Variable) -> String {
    format!(
        "variable names starting with `{RESERVED}` are the node's own (?{})",
        v.as_str()
    )
}

/// The individual and its records, checked: every triple starts from one of them.
fn star(triples: &[TriplePattern], unit: &str) -> Result<(Variable, Vec<Variable>), String> {
    let mut individual: Option<Variable> = None;
    let mut records = Vec::new();
    for triple in triples {
        if !matches!(&triple.predicate, NamedNodePattern::NamedNode(p) if p.as_str() == unit) {
            continue;
        }
        let TermPattern::Variable(object) = &triple.object else {
            return Err(format!(
                "the query names the individual {} (object of <{unit}>): aggregation-only data is never asked about one individual",
                triple.object
            ));
        };
        match &individual {
            Some(i) if i != object => {
                return Err(format!(
                    "the query joins several individuals (?{} and ?{}): aggregate over one",
                    i.as_str(),
                    object.as_str()
                ));
            }
            _ => individual = Some(object.clone()),
        }
        match &triple.subject {
            TermPattern::Variable(r) => records.push(r.clone()),
            other => {
                return Err(format!(
                    "the query names the record {other}: aggregation-only data is never asked about one record"
                ));
            }
        }
    }
    let individual = individual.ok_or_else(|| {
        format!(
            "the query must say whose data it aggregates: include `?record <{unit}> ?individual` (the individual is what groups are counted in)"
        )
    })?;
    for triple in triples {
        let about = matches!(&triple.subject,
            TermPattern::Variable(s) if *s == individual || records.contains(s));
        if !about {
            return Err(format!(
                "the triple `{triple}` does not start from the individual ?{} or one of its records (?{}): every triple must, so that each solution is about one individual",
                individual.as_str(),
                records
                    .iter()
                    .map(Variable::as_str)
                    .collect::<Vec<_>>()
                    .join(", ?")
            ));
        }
    }
    Ok((individual, records))
}

/// Checks one aggregate against the rules.
fn check_aggregate(
    aggregate: &AggregateExpression,
    rules: &Rules<'_>,
    individual: &Variable,
) -> Result<(), String> {
    let name = function_name(aggregate);
    let (function, expression, distinct) = match aggregate {
        AggregateExpression::CountSolutions { distinct } => {
            if *distinct && rules.noised {
                return Err(format!(
                    "COUNT(DISTINCT *) is refused under differential privacy: count individuals with COUNT(DISTINCT ?{})",
                    individual.as_str()
                ));
            }
            return Ok(());
        }
        AggregateExpression::FunctionCall {
            name: function,
            expr,
            distinct,
        } => (function, expr, *distinct),
    };
    expression_variables(expression)?;
    let extra = match function {
        AggregateFunction::Min => Some(Extra::Min),
        AggregateFunction::Max => Some(Extra::Max),
        AggregateFunction::Sample => Some(Extra::Sample),
        AggregateFunction::GroupConcat { .. } => Some(Extra::GroupConcat),
        AggregateFunction::Custom(_) => return Err(format!("{name} is refused")),
        AggregateFunction::Count | AggregateFunction::Sum | AggregateFunction::Avg => None,
    };
    if let Some(extra) = extra {
        if rules.noised {
            return Err(format!(
                "{name} is refused: it returns one individual's value, which noise cannot hide; this dataset answers COUNT, SUM and AVG with differential privacy"
            ));
        }
        if !rules.permitted.contains(&extra) {
            return Err(format!(
                "{name} is refused: it returns one individual's value (an offer may permit it with hanse:permittedAggregate <{}>)",
                extra.iri()
            ));
        }
    }
    let plain = matches!(expression, Expression::Variable(_));
    if !rules.noised && !plain {
        return Err(format!(
            "{name} takes a plain variable here, not `{expression}`: an expression inside an aggregate can single out one individual (only differentially private datasets accept it)"
        ));
    }
    if rules.noised && distinct {
        let counts_individuals = matches!(function, AggregateFunction::Count)
            && matches!(expression, Expression::Variable(v) if v == individual);
        if !counts_individuals {
            return Err(format!(
                "{name}(DISTINCT {expression}) is refused under differential privacy: DISTINCT counts only individuals, COUNT(DISTINCT ?{})",
                individual.as_str()
            ));
        }
    }
    Ok(())
}

/// Checks `query` against `rules`; the reason names the construct or function refused.
pub fn analyse(query: Query, rules: &Rules<'_>) -> Result<AggregateQuery, String> {
    let Query::Select {
        dataset,
        pattern,
        base_iri,
    } = query
    else {
        return Err(
            "only SELECT with aggregates is answered (ASK, CONSTRUCT and DESCRIBE are refused)"
                .into(),
        );
    };
    // From the top: [DISTINCT] PROJECT [ORDER BY] EXTEND* GROUP. A sub-query that only
    // wraps the aggregate (PROJECT EXTEND* again, as `Query::to_string` writes every
    // aggregate query, so federated queries arrive so) is the same question.
    let mut current = &pattern;
    let mut projected: Option<&Vec<Variable>> = None;
    let mut projections: Vec<&Vec<Variable>> = Vec::new();
    let mut order: Vec<&OrderExpression> = Vec::new();
    let mut extends: Vec<(&Variable, &Expression)> = Vec::new();
    let group = loop {
        current = match current {
            GraphPattern::Slice { .. } => {
                return Err("LIMIT and OFFSET are refused: the cut would be taken before small groups are withheld; take the rows you need from the answer".into());
            }
            GraphPattern::Distinct { inner } | GraphPattern::Reduced { inner } => inner,
            GraphPattern::Project { inner, variables } => {
                projected.get_or_insert(variables);
                projections.push(variables);
                inner
            }
            GraphPattern::OrderBy { inner, expression } if projected.is_some() => {
                order.extend(expression);
                inner
            }
            GraphPattern::Extend {
                inner,
                variable,
                expression,
            } if projected.is_some() => {
                extends.push((variable, expression));
                inner
            }
            GraphPattern::Filter { .. } if projected.is_some() => {
                return Err("HAVING is refused: it would pick groups by their exact values before they are withheld or noised; filter the answer's rows yourself".into());
            }
            GraphPattern::Group {
                inner,
                variables,
                aggregates,
            } if projected.is_some() => break (inner, variables, aggregates),
            _ => {
                return Err("the query has no GROUP BY or aggregate: this dataset answers only COUNT, SUM and AVG over groups".into());
            }
        };
    };
    let (inner, keys, aggregates) = group;
    let mut found = Where::default();
    where_clause(inner, &mut found)?;
    let triples = with_variables(&found.triples.unwrap_or_default())?;
    let (individual, records) = star(&triples, rules.unit)?;
    for key in keys {
        if key.as_str().starts_with(RESERVED) {
            return Err(reserved(key));
        }
        if *key == individual || records.contains(key) {
            return Err(format!(
                "GROUP BY ?{} groups by the individual or one of its records: each group would be about one individual",
                key.as_str()
            ));
        }
    }
    for filter in &found.filters {
        if let Some(v) = expression_variables(filter)?
            .into_iter()
            .find(|v| !keys.contains(v))
        {
            return Err(format!(
                "a FILTER may only test GROUP BY keys, so that it picks whole groups and never single individuals: `{filter}` tests ?{}",
                v.as_str()
            ));
        }
    }
    for (_, aggregate) in aggregates {
        check_aggregate(aggregate, rules, &individual)?;
    }
    // Above the group: expressions over keys and aggregates, projection, order by keys.
    let mut visible: HashSet<&Variable> = keys.iter().collect();
    visible.extend(aggregates.iter().map(|(v, _)| v));
    for (variable, expression) in extends.iter().rev() {
        if variable.as_str().starts_with(RESERVED) {
            return Err(reserved(variable));
        }
        if let Some(v) = expression_variables(expression)?
            .into_iter()
            .find(|v| !visible.contains(v))
        {
            return Err(format!(
                "?{} is neither a GROUP BY key nor an aggregate (in `{expression}`)",
                v.as_str()
            ));
        }
        visible.insert(variable);
    }
    for v in projections.into_iter().flatten() {
        if !visible.contains(v) {
            return Err(format!(
                "?{} is neither a GROUP BY key nor an aggregate",
                v.as_str()
            ));
        }
    }
    for expression in order {
        let (OrderExpression::Asc(e) | OrderExpression::Desc(e)) = expression;
        if !matches!(e, Expression::Variable(v) if keys.contains(v)) {
            return Err(format!(
                "ORDER BY may only use GROUP BY keys (not `{e}`): an order of values would follow their exact, un-noised size"
            ));
        }
    }
    // The checked query, rebuilt with the pattern's blank nodes as variables.
    let mut rebuilt = GraphPattern::Bgp { patterns: triples };
    if let Some(name) = found.graph {
        rebuilt = GraphPattern::Graph {
            name,
            inner: Box::new(rebuilt),
        };
    }
    for expr in found.filters.into_iter().rev() {
        rebuilt = GraphPattern::Filter {
            expr,
            inner: Box::new(rebuilt),
        };
    }
    // The column showing an aggregate: follow `(?agg AS ?a)`, `(?a AS ?mean)` … upwards.
    let column = |aggregate: &Variable| {
        let mut name = aggregate;
        for _ in 0..extends.len() {
            let shown = extends
                .iter()
                .find(|(_, e)| matches!(e, Expression::Variable(v) if v == name))
                .or_else(|| {
                    extends
                        .iter()
                        .find(|(_, e)| expression_variables(e).is_ok_and(|vs| vs.contains(&name)))
                });
            match shown {
                Some((v, _)) if *v != name => name = v,
                _ => break,
            }
        }
        name.as_str().to_owned()
    };
    let aggregates: Vec<Aggregate> = aggregates
        .iter()
        .map(|(variable, expression)| Aggregate {
            variable: variable.clone(),
            expression: expression.clone(),
            column: column(variable),
        })
        .collect();
    let keys = keys.clone();
    let group = GraphPattern::Group {
        inner: Box::new(rebuilt.clone()),
        variables: keys.clone(),
        aggregates: aggregates
            .iter()
            .map(|a| (a.variable.clone(), a.expression.clone()))
            .collect(),
    };
    let query = Query::Select {
        dataset,
        pattern: replace_group(&pattern, &group),
        base_iri,
    };
    // Aggregate variables get random names from the parser: stable ones for the key.
    let mut normalised = query.to_string();
    for (i, aggregate) in aggregates.iter().enumerate() {
        normalised = normalised.replace(
            &format!("?{}", aggregate.variable.as_str()),
            &format!("?{RESERVED}aggregate_{i}"),
        );
    }
    Ok(AggregateQuery {
        query,
        normalised,
        individual,
        keys,
        aggregates,
        pattern: rebuilt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::SparqlParser;

    const PREFIXES: &str =
        "PREFIX sosa: <http://www.w3.org/ns/sosa/> PREFIX h: <https://w3id.org/hanse#> ";
    const UNIT: &str = "http://www.w3.org/ns/sosa/hasFeatureOfInterest";

    fn analysed(text: &str, noised: bool, permitted: &[Extra]) -> Result<AggregateQuery, String> {
        let query = SparqlParser::new()
            .parse_query(&format!("{PREFIXES}{text}"))
            .unwrap();
        let rules = Rules {
            unit: UNIT,
            noised,
            permitted,
        };
        analyse(query, &rules)
    }

    const MEAN: &str = "SELECT ?d (ROUND(AVG(?l)) AS ?mean) WHERE { ?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?l . ?h h:district ?d } GROUP BY ?d ORDER BY ?d";

    #[test]
    fn the_shape_is_found_and_normalised() {
        let a = analysed(MEAN, false, &[]).unwrap();
        assert_eq!(a.individual.as_str(), "h");
        assert_eq!(a.keys, [Variable::new_unchecked("d")]);
        assert_eq!(a.aggregates[0].column, "mean");
        // The parser names aggregates at random; the normalised text does not.
        assert_eq!(a.normalised, analysed(MEAN, false, &[]).unwrap().normalised);
        assert!(
            a.normalised.contains("?hanse_aggregate_0"),
            "{}",
            a.normalised
        );
        // Blank nodes (and path sequences) become variables that start from the star.
        let b = analysed(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?o sosa:hasFeatureOfInterest [ h:district ?d ] } }",
            false,
            &[],
        )
        .unwrap();
        assert_eq!(b.individual.as_str(), "hanse_bnode_0");
        assert!(b.keys.is_empty());
    }

    #[test]
    fn every_other_shape_is_refused_by_name() {
        let star = "?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v . ?h h:district ?d";
        for (text, needle) in [
            (format!("SELECT ?o WHERE {{ {star} }}"), "no GROUP BY"),
            (format!("ASK {{ {star} }}"), "only SELECT"),
            (format!("SELECT (SUM(?v) AS ?s) WHERE {{ {star} }} LIMIT 1"), "LIMIT"),
            (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {star} }} GROUP BY ?d HAVING (SUM(?v) > 10)"), "HAVING"),
            (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {star} }} GROUP BY ?d ORDER BY DESC(?s)"), "ORDER BY"),
            (format!("SELECT (MAX(?v) AS ?m) WHERE {{ {star} }}"), "MAX is refused"),
            (format!("SELECT (SAMPLE(?o) AS ?m) WHERE {{ {star} }}"), "SAMPLE is refused"),
            (format!("SELECT (GROUP_CONCAT(STR(?v); separator=\"|\") AS ?m) WHERE {{ {star} }}"), "GROUP_CONCAT is refused"),
            (format!("SELECT (SUM(IF(?o = <urn:o:1>, ?v, 0)) AS ?m) WHERE {{ {star} }}"), "plain variable"),
            (format!("SELECT (SUM(COALESCE(?v, 0)) AS ?m) WHERE {{ {star} }}"), "plain variable"),
            (format!("SELECT ?h (SUM(?v) AS ?m) WHERE {{ {star} }} GROUP BY ?h"), "GROUP BY ?h"),
            (format!("SELECT ?o (COUNT(*) AS ?m) WHERE {{ {star} }} GROUP BY ?o"), "GROUP BY ?o"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} FILTER(?h != <urn:h:1>) }}"), "FILTER may only test"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} FILTER(STRSTARTS(STR(?o), \"urn:o:1\")) }}"), "FILTER may only test"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} FILTER(LANG(?d) = \"\" && DATATYPE(?v) = <urn:x>) }}"), "FILTER may only test"),
            (format!("SELECT ?d (SUM(?v) AS ?m) WHERE {{ {star} FILTER NOT EXISTS {{ ?h h:x ?y }} }} GROUP BY ?d"), "EXISTS"),
            (format!("SELECT ?k (SUM(?v) AS ?m) WHERE {{ {star} BIND(STR(?h) AS ?k) }} GROUP BY ?k"), "BIND"),
            (format!("SELECT ?k (SUM(?v) AS ?m) WHERE {{ {star} }} GROUP BY (STR(?h) AS ?k)"), "BIND"),
            (format!("SELECT ?d (SUM(?v) AS ?m) WHERE {{ VALUES ?h {{ <urn:h:1> }} {star} }} GROUP BY ?d"), "VALUES"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {{ {star} FILTER(?d = \"a\") }} UNION {{ {star} FILTER(?d = \"b\") }} }}"), "UNION"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} OPTIONAL {{ ?h h:x ?y }} }}"), "OPTIONAL"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} MINUS {{ ?h h:x ?y }} }}"), "MINUS"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} SERVICE <hanse://x/sparql> {{ ?h h:x ?y }} }}"), "SERVICE"),
            (format!("SELECT (SUM(?s) AS ?m) WHERE {{ {{ SELECT ?h (SUM(?v) AS ?s) WHERE {{ {star} }} GROUP BY ?h }} }}"), "sub-queries"),
            (format!("SELECT (SUM(?v) AS ?m) WHERE {{ {star} . ?h h:next* ?x }}"), "property paths"),
            ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }".into(), "whose data"),
            ("SELECT (SUM(?v) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest <urn:h:1> ; sosa:hasSimpleResult ?v }".into(), "names the individual"),
            ("SELECT (SUM(?v) AS ?n) WHERE { <urn:o:1> sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v }".into(), "names the record"),
            ("SELECT (SUM(?v) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h . ?p sosa:hasFeatureOfInterest ?g ; sosa:hasSimpleResult ?v }".into(), "several individuals"),
            // A shared resource (the property) must not lead to other individuals' values.
            ("SELECT (SUM(?v) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h ; sosa:observedProperty ?p . ?x sosa:observedProperty ?p ; sosa:hasSimpleResult ?v }".into(), "does not start from"),
            ("SELECT (SUM(?hanse_x) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?hanse_x }".into(), "node's own"),
            // Above the groups, EXISTS would look into the store again, past every rule.
            (format!("SELECT ?d (SUM(?v) AS ?s) (IF(EXISTS {{ <urn:h:1> h:district ?d }}, 1, 0) AS ?e) WHERE {{ {star} }} GROUP BY ?d"), "EXISTS"),
            (format!("SELECT ?d (COUNT(*) AS ?n) WHERE {{ {star} }} GROUP BY ?d ORDER BY ?d LIMIT 1"), "LIMIT"),
            (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {star} }} GROUP BY ?d ORDER BY (IF(?d = \"noord\", SUM(?v), 0))"), "ORDER BY may only use"),
            (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {star} }} GROUP BY ?d HAVING (MAX(?v) > 340)"), "HAVING"),
        ] {
            match analysed(&text, false, &[]) {
                Ok(_) => panic!("{text} passed"),
                Err(reason) => assert!(reason.contains(needle), "{text}: {reason}"),
            }
        }
    }

    #[test]
    fn a_sub_query_that_only_wraps_the_aggregate_is_the_same_question() {
        let written = SparqlParser::new()
            .parse_query(&format!("{PREFIXES}{MEAN}"))
            .unwrap()
            .to_string();
        let a = analysed(&written, false, &[]).unwrap();
        assert_eq!(a.aggregates[0].column, "mean");
        assert_eq!(a.keys, [Variable::new_unchecked("d")]);
        assert!(
            analysed(
                &format!(
                    "SELECT ?n WHERE {{ {{ SELECT (COUNT(*) AS ?n) WHERE {{ {} }} }} }}",
                    "?o sosa:hasFeatureOfInterest ?h"
                ),
                false,
                &[]
            )
            .is_ok()
        );
    }

    #[test]
    fn offers_and_noise_change_what_passes() {
        let star = "?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v";
        let max = format!("SELECT (MAX(?v) AS ?m) WHERE {{ {star} }}");
        assert!(analysed(&max, false, &[Extra::Max]).is_ok());
        let error = analysed(&max, true, &[Extra::Max]).unwrap_err();
        assert!(error.contains("noise cannot hide"), "{error}");
        // Under noise an expression inside SUM is clamped and noised like any value.
        let trick = format!("SELECT (SUM(IF(?o = <urn:o:1>, ?v, 0)) AS ?m) WHERE {{ {star} }}");
        assert!(analysed(&trick, true, &[]).is_ok());
        let distinct = format!("SELECT (COUNT(DISTINCT ?v) AS ?m) WHERE {{ {star} }}");
        assert!(analysed(&distinct, false, &[]).is_ok());
        let error = analysed(&distinct, true, &[]).unwrap_err();
        assert!(
            error.contains("DISTINCT counts only individuals"),
            "{error}"
        );
        let households = format!("SELECT (COUNT(DISTINCT ?h) AS ?m) WHERE {{ {star} }}");
        assert!(analysed(&households, true, &[]).is_ok());
    }
}
