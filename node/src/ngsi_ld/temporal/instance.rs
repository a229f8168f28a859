//! [`TemporalInstance`]: one value in a history, what every part of the temporal API passes
//! around (kept apart so that folding and rendering need nothing else of the reader).

use oxigraph::model::{NamedNode, Term};
use oxsdatatypes::DateTime;

/// One recorded value of an attribute: one SOSA observation.
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalInstance {
    /// `sosa:hasSimpleResult`.
    pub value: Term,
    /// Its time (the query's time property).
    pub at: DateTime,
    /// The observation's IRI: the instance's `instanceId`.
    pub instance_id: NamedNode,
    /// `qudt:unit`, if any.
    pub unit: Option<NamedNode>,
}
