//! Whole-graph operations of the SPARQL 1.1 Graph Store HTTP Protocol, on the oxigraph store.
//!
//! Writes are all-or-nothing: the request body is parsed completely before the store is
//! touched, and the change is committed in one transaction. A syntax error on the last line
//! leaves the store exactly as it was.

use super::nesting::{RdfNestingError, check_rdf_nesting};
use super::visible::Visible;
use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::{GraphNameRef, NamedNode, Quad};
use oxigraph::store::{StorageError, Store};

/// Errors of graph store operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphStoreError {
    /// The uploaded RDF does not parse; the message names line and column.
    #[error("invalid {format} in request body: {message}")]
    Parse {
        /// The declared format.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// The body nests deeper than `storage.max_rdf_nesting`.
    #[error(transparent)]
    Nesting(#[from] RdfNestingError),
    /// The target named graph does not exist.
    #[error("graph <{0}> does not exist")]
    NotFound(String),
    /// The graph parameter is not an absolute IRI.
    #[error("invalid graph IRI `{iri}`: {reason}")]
    InvalidGraphIri {
        /// The value given.
        iri: String,
        /// Why it is not an IRI.
        reason: String,
    },
    /// A triple format is needed because the target is a single graph.
    #[error(
        "{0} holds quads; to write a single graph send Turtle, N-Triples, RDF/XML or JSON-LD (or omit ?graph to load quads into their own graphs)"
    )]
    QuadsIntoGraph(&'static str),
    /// The store failed.
    #[error("store error: {0}")]
    Storage(#[from] StorageError),
    /// Serialisation failed.
    #[error("cannot serialise the graph: {0}")]
    Serialize(#[from] std::io::Error),
}

/// Which graph a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphTarget {
    /// `?default`: the default graph.
    Default,
    /// `?graph=IRI`: a named graph.
    Named(NamedNode),
    /// Neither parameter: the whole dataset (read and add only).
    Dataset,
}

impl GraphTarget {
    /// A named-graph target from an IRI string.
    pub fn named(iri: &str) -> Result<Self, GraphStoreError> {
        NamedNode::new(iri)
            .map(GraphTarget::Named)
            .map_err(|e| GraphStoreError::InvalidGraphIri {
                iri: iri.to_owned(),
                reason: e.to_string(),
            })
    }

    fn graph_name(&self) -> Option<GraphNameRef<'_>> {
        match self {
            GraphTarget::Default => Some(GraphNameRef::DefaultGraph),
            GraphTarget::Named(n) => Some(n.as_ref().into()),
            GraphTarget::Dataset => None,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Whether the named graph did not exist before.
    pub created: bool,
    /// Quads parsed from the body and written.
    pub quads: usize,
}

/// Parses an RDF body completely, placing triples in `target`, before anything is written;
/// a body nesting deeper than `max_nesting` is refused unparsed.
pub fn parse_body(
    target: &GraphTarget,
    format: RdfFormat,
    body: &[u8],
    max_nesting: usize,
) -> Result<Vec<Quad>, GraphStoreError> {
    check_rdf_nesting(format, body, max_nesting)?;
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    if let Some(graph) = target.graph_name() {
        if format.supports_datasets() {
            // TriG / N-Quads whose content only sits in the default graph are fine.
            parser = parser.without_named_graphs();
        }
        parser = parser.with_default_graph(graph.into_owned());
        if let GraphTarget::Named(iri) = target {
            // Relative IRIs in an uploaded graph resolve against the graph's own IRI.
            parser = parser.with_base_iri(iri.as_str()).map_err(|e| {
                GraphStoreError::InvalidGraphIri {
                    iri: iri.to_string(),
                    reason: e.to_string(),
                }
            })?;
        }
    }
    parser
        .for_slice(body)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            let message = e.to_string();
            if target.graph_name().is_some()
                && message
                    .to_ascii_lowercase()
                    .contains("named graphs are not allowed")
            {
                GraphStoreError::QuadsIntoGraph(format.name())
            } else {
                GraphStoreError::Parse {
                    format: format.name(),
                    message,
                }
            }
        })
}

/// Replaces the content of `target` with `quads` (PUT), in one transaction.
pub fn replace(
    store: &Store,
    target: &GraphTarget,
    quads: Vec<Quad>,
) -> Result<WriteOutcome, GraphStoreError> {
    write(store, target, quads, true)
}

/// Adds `quads` to `target` (POST), in one transaction.
pub fn add(
    store: &Store,
    target: &GraphTarget,
    quads: Vec<Quad>,
) -> Result<WriteOutcome, GraphStoreError> {
    write(store, target, quads, false)
}

fn write(
    store: &Store,
    target: &GraphTarget,
    quads: Vec<Quad>,
    clear_first: bool,
) -> Result<WriteOutcome, GraphStoreError> {
    let count = quads.len();
    let mut transaction = store.start_transaction()?;
    let mut created = false;
    match target {
        GraphTarget::Named(graph) => {
            created = !transaction.contains_named_graph(graph)?;
            if clear_first {
                transaction.clear_graph(graph)?;
            }
            // An empty PUT still creates the graph.
            transaction.insert_named_graph(graph);
        }
        GraphTarget::Default if clear_first => {
            transaction.clear_graph(GraphNameRef::DefaultGraph)?
        }
        GraphTarget::Default | GraphTarget::Dataset => {}
    }
    transaction.extend(&quads);
    transaction.commit()?;
    Ok(WriteOutcome {
        created,
        quads: count,
    })
}

/// Removes `target` (DELETE). The default graph is emptied; a named graph is dropped.
pub fn delete(store: &Store, target: &GraphTarget) -> Result<(), GraphStoreError> {
    match target {
        GraphTarget::Named(graph) => {
            let mut transaction = store.start_transaction()?;
            if !transaction.contains_named_graph(graph)? {
                return Err(GraphStoreError::NotFound(graph.as_str().to_owned()));
            }
            transaction.remove_named_graph(graph)?;
            transaction.commit()?;
        }
        GraphTarget::Default | GraphTarget::Dataset => {
            store.clear_graph(GraphNameRef::DefaultGraph)?;
        }
    }
    Ok(())
}

/// Serialises `target` (GET). A missing named graph is [`GraphStoreError::NotFound`].
pub fn read(
    store: &Store,
    target: &GraphTarget,
    format: RdfFormat,
    visible: &Visible,
) -> Result<Vec<u8>, GraphStoreError> {
    match target {
        // A graph the reader may not see is answered as absent, never as forbidden.
        GraphTarget::Named(graph)
            if !visible.sees(graph.as_ref().into()) || !store.contains_named_graph(graph)? =>
        {
            Err(GraphStoreError::NotFound(graph.as_str().to_owned()))
        }
        GraphTarget::Named(graph) => dump_graph(store, graph.as_ref().into(), format),
        GraphTarget::Default if !visible.sees(GraphNameRef::DefaultGraph) => {
            Err(GraphStoreError::NotFound("the default graph".into()))
        }
        GraphTarget::Default => dump_graph(store, GraphNameRef::DefaultGraph, format),
        GraphTarget::Dataset => {
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            match visible {
                Visible::All => {
                    for quad in store.iter() {
                        writer.serialize_quad(&quad?)?;
                    }
                }
                Visible::Graphs(graphs) => {
                    // In IRI order, so the same view always serialises the same way.
                    let mut ordered: Vec<&NamedNode> = graphs.iter().collect();
                    ordered.sort();
                    for graph in ordered {
                        for quad in store.quads_for_pattern(None, None, None, Some(graph.into())) {
                            writer.serialize_quad(&quad?)?;
                        }
                    }
                }
            }
            Ok(writer.finish()?)
        }
    }
}

fn dump_graph(
    store: &Store,
    graph: GraphNameRef<'_>,
    format: RdfFormat,
) -> Result<Vec<u8>, GraphStoreError> {
    let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
    for quad in store.quads_for_pattern(None, None, None, Some(graph)) {
        writer.serialize_triple(quad?.as_ref())?;
    }
    Ok(writer.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> GraphTarget {
        GraphTarget::named("http://example.org/g").unwrap()
    }

    #[test]
    fn put_replaces_and_post_adds() {
        let store = Store::new().unwrap();
        let body = b"<http://e/s> <http://e/p> 1 .";
        let quads = parse_body(&graph(), RdfFormat::Turtle, body, 64).unwrap();
        assert!(replace(&store, &graph(), quads).unwrap().created);
        let more = parse_body(
            &graph(),
            RdfFormat::Turtle,
            b"<http://e/s> <http://e/p> 2 .",
            64,
        )
        .unwrap();
        assert!(!add(&store, &graph(), more).unwrap().created);
        assert_eq!(store.len().unwrap(), 2);
        let only = parse_body(
            &graph(),
            RdfFormat::Turtle,
            b"<http://e/s> <http://e/p> 3 .",
            64,
        )
        .unwrap();
        replace(&store, &graph(), only).unwrap();
        assert_eq!(store.len().unwrap(), 1);
    }

    #[test]
    fn malformed_body_names_the_line_and_writes_nothing() {
        let body = b"<http://e/s> <http://e/p> 1 .\n<http://e/s> <http://e/p> .\n";
        let err = parse_body(&graph(), RdfFormat::Turtle, body, 64)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn quads_cannot_go_into_one_graph() {
        let body = b"<http://e/s> <http://e/p> \"1\" <http://e/other> .";
        let err = parse_body(&graph(), RdfFormat::NQuads, body, 64).unwrap_err();
        assert!(matches!(err, GraphStoreError::QuadsIntoGraph(_)), "{err}");
    }

    #[test]
    fn delete_of_missing_graph_is_not_found() {
        let store = Store::new().unwrap();
        assert!(matches!(
            delete(&store, &graph()),
            Err(GraphStoreError::NotFound(_))
        ));
    }
}
