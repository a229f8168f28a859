//! [`Visible`]: which named graphs of the store a reader may see. The access service decides
//! it for each caller; the store's readers (SPARQL, Graph Store, NGSI-LD) only apply it.

use oxigraph::model::{GraphNameRef, NamedNode};
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
