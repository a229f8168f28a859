//! What a SPARQL request is made of: the parsed query or update, its form, the dataset the
//! protocol parameters name, and the format its result is written in.

use super::error::SparqlError;
use oxigraph::io::RdfFormat;
use oxigraph::model::NamedNode;
use oxigraph::sparql::results::QueryResultsFormat;
use spargebra::Query;
use spargebra::algebra::GraphPattern;

/// What a query returns, which decides the formats it can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryForm {
    /// SELECT: a table of solutions.
    Solutions,
    /// ASK: one boolean.
    Boolean,
    /// CONSTRUCT or DESCRIBE: an RDF graph.
    Graph,
}

/// The format a query result is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// A SPARQL results format (for SELECT and ASK).
    Results(QueryResultsFormat),
    /// An RDF format (for CONSTRUCT and DESCRIBE).
    Rdf(RdfFormat),
}

impl ResultFormat {
    /// The media type to put in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            ResultFormat::Results(f) => f.media_type(),
            ResultFormat::Rdf(f) => f.media_type(),
        }
    }
}

/// The dataset a request names through protocol parameters.
#[derive(Debug, Clone, Default)]
pub struct DatasetParams {
    /// `default-graph-uri` (query) or `using-graph-uri` (update).
    pub default_graphs: Vec<String>,
    /// `named-graph-uri` (query) or `using-named-graph-uri` (update).
    pub named_graphs: Vec<String>,
}

impl DatasetParams {
    /// The restricted dataset of `permitted` graphs: their union is the default graph and
    /// they are the only named graphs.
    pub(crate) fn restricted(permitted: &[NamedNode]) -> Self {
        let iris: Vec<String> = permitted.iter().map(|g| g.as_str().to_owned()).collect();
        Self {
            default_graphs: iris.clone(),
            named_graphs: iris,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.default_graphs.is_empty() && self.named_graphs.is_empty()
    }

    pub(crate) fn parse(
        &self,
        default_param: &'static str,
        named_param: &'static str,
    ) -> Result<(Vec<NamedNode>, Vec<NamedNode>), SparqlError> {
        let parse = |parameter: &'static str, iris: &[String]| {
            iris.iter()
                .map(|iri| {
                    NamedNode::new(iri).map_err(|e| SparqlError::InvalidGraphIri {
                        parameter,
                        iri: iri.clone(),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((
            parse(default_param, &self.default_graphs)?,
            parse(named_param, &self.named_graphs)?,
        ))
    }
}

/// The form of a parsed query.
pub fn query_form(query: &Query) -> QueryForm {
    match query {
        Query::Select { .. } => QueryForm::Solutions,
        Query::Ask { .. } => QueryForm::Boolean,
        Query::Construct { .. } | Query::Describe { .. } => QueryForm::Graph,
    }
}

/// Whether a graph pattern contains a `SERVICE` call anywhere.
pub(crate) fn has_service(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Service { .. } => true,
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => false,
        GraphPattern::Join { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right }
        | GraphPattern::LeftJoin { left, right, .. } => has_service(left) || has_service(right),
        GraphPattern::Lateral { left, right } => has_service(left) || has_service(right),
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. } => has_service(inner),
    }
}

/// Whether a graph pattern contains a `SERVICE` call anywhere.
pub fn uses_service(query: &Query) -> bool {
    has_service(query_pattern(query))
}

/// The pattern of a query.
pub fn query_pattern(query: &Query) -> &GraphPattern {
    match query {
        Query::Select { pattern, .. }
        | Query::Ask { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. } => pattern,
    }
}
