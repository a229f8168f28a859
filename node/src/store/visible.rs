//! [`Visible`]: which named graphs of the store a reader may see. The access service decides
//! it for each caller; the store's readers (SPARQL, Graph Store, NGSI-LD) only apply it.

use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef};
use std::collections::HashSet;

/// Graphs a caller may read.
#[derive(Debug, Clone)]
pub enum Visible {
    /// Every graph, the default graph included (the operator, readers of everything).
    All,
    /// Only these named graphs.
    Graphs(HashSet<NamedNode>),
}

impl Visible {
    /// Whether quads in `graph` may be shown.
    pub fn sees(&self, graph: GraphNameRef<'_>) -> bool {
        match (self, graph) {
            (Visible::All, _) => true,
            (Visible::Graphs(graphs), GraphNameRef::NamedNode(g)) => {
                graphs.contains(&g.into_owned())
            }
            (Visible::Graphs(_), _) => false,
        }
    }

    /// Whether nothing at all may be read.
    pub fn is_empty(&self) -> bool {
        matches!(self, Visible::Graphs(g) if g.is_empty())
    }
}

/// Which graphs a reader sees, remembered per graph IRI: [`Visible::sees`] copies the IRI to
/// look it up, and a reader of many entries (a history) meets few graphs.
pub(crate) struct GraphFilter<'a> {
    visible: &'a Visible,
    seen: Vec<(String, bool)>,
}

impl<'a> GraphFilter<'a> {
    /// A filter for `visible`, nothing remembered yet.
    pub(crate) fn new(visible: &'a Visible) -> Self {
        Self {
            visible,
            seen: Vec::new(),
        }
    }

    /// Whether the graph with IRI `graph` (empty: the default graph) may be shown.
    pub(crate) fn sees(&mut self, graph: &str) -> bool {
        if let Some((_, sees)) = self.seen.iter().find(|(g, _)| g == graph) {
            return *sees;
        }
        let sees = if graph.is_empty() {
            self.visible.sees(GraphNameRef::DefaultGraph)
        } else {
            self.visible
                .sees(GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(graph)))
        };
        self.seen.push((graph.to_owned(), sees));
        sees
    }
}
