//! Which named graphs a request may read and write, as decided by the access service (see
//! [`super::AccessService::rights`]); front ends only ever see local data through a
//! [`Rights`] value.

pub use crate::store::visible::Visible;
use oxigraph::model::NamedNode;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

/// What a caller may do.
#[derive(Debug, Clone)]
pub struct Rights {
    /// Graphs it reads.
    pub read: Visible,
    /// Graphs it writes (`All` for the operator).
    pub write: Visible,
    /// Who the caller is, for logs and messages (see `Caller`'s `Display`).
    pub who: String,
    /// Whether the caller showed no credentials (a refusal is then "sign in", not "no").
    pub anonymous: bool,
}

impl Rights {
    /// The operator: everything.
    pub fn operator() -> Self {
        Self {
            read: Visible::All,
            write: Visible::All,
            who: "operator".into(),
            anonymous: false,
        }
    }

    /// Whether the caller may write into `graph`.
    pub fn may_write(&self, graph: &NamedNode) -> bool {
        self.write.sees(graph.as_ref().into())
    }
}

/// The public graphs as computed: for which generation of the definitions, and when.
pub(super) struct Computed {
    pub(super) generation: u64,
    pub(super) at: Instant,
    pub(super) graphs: Arc<HashSet<NamedNode>>,
}

/// The graphs of public datasets anyone may read, computed at most every second (by
/// [`super::AccessService::rights`]).
#[derive(Default)]
pub(super) struct PublicGraphs {
    pub(super) cached: std::sync::Mutex<Option<Computed>>,
}
