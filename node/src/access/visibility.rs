//! Which named graphs a request may read and write, as decided by the access service (see
//! [`super::AccessService::http_rights`]); the NGSI-LD and OGC API front ends only ever
//! see data through a [`Rights`] value.

use oxigraph::model::{GraphNameRef, NamedNode};
use std::collections::HashSet;

/// Graphs a caller may read.
#[derive(Debug, Clone)]
pub enum Visible {
    /// Every graph (the operator).
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

/// What a caller may do.
#[derive(Debug, Clone)]
pub struct Rights {
    /// Graphs it reads.
    pub read: Visible,
    /// Graphs it writes (`All` for the operator).
    pub write: Visible,
    /// Who the caller is, for logs and messages (`operator`, `source:<name>`, `anonymous`).
    pub who: String,
}

impl Rights {
    /// The operator: everything.
    pub fn operator() -> Self {
        Self {
            read: Visible::All,
            write: Visible::All,
            who: "operator".into(),
        }
    }

    /// Whether the caller may write into `graph`.
    pub fn may_write(&self, graph: &NamedNode) -> bool {
        self.write.sees(graph.as_ref().into())
    }
}
