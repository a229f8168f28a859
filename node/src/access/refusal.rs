//! [`Refusal`]: why a dataset may not be used for a question, as a type the front ends can
//! act on (the console's "after an agreement", a federated answer's skipped list) instead
//! of text to parse.

use std::fmt;

/// Why a dataset may not be used (for a purpose, by a caller) now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The publisher describes it but shares it with nobody.
    NotShared,
    /// The catalogue carries no usage policy for it.
    NoPolicy,
    /// Restricted, and this node holds no finalized agreement for the purpose.
    NeedsAgreement {
        /// The purpose asked for (a DPV IRI), if any.
        purpose: Option<String>,
    },
    /// Its policy says no; the policy engine's reason.
    PolicyDenies(String),
    /// Its policy cannot be applied (unknown or malformed privacy terms): refused.
    PolicyUnusable(String),
    /// Aggregation-only: answered only to a whole aggregate query one member can answer.
    AggregationOnly,
    /// This node's own dataset, which the caller's roles do not let it read.
    NotReadable {
        /// Who asked.
        who: String,
    },
}

impl Refusal {
    /// A stable code for programs: `not_shared`, `no_policy`, `needs_agreement`,
    /// `policy_denies`, `policy_unusable`, `aggregation_only`, `not_readable`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotShared => "not_shared",
            Refusal::NoPolicy => "no_policy",
            Refusal::NeedsAgreement { .. } => "needs_agreement",
            Refusal::PolicyDenies(_) => "policy_denies",
            Refusal::PolicyUnusable(_) => "policy_unusable",
            Refusal::AggregationOnly => "aggregation_only",
            Refusal::NotReadable { .. } => "not_readable",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotShared => f.write_str("not shared (non-public)"),
            Refusal::NoPolicy => f.write_str("no usage policy in the catalogue"),
            Refusal::NeedsAgreement { purpose } => write!(
                f,
                "restricted: no finalized agreement for purpose {} (request one with `hanse access request`)",
                purpose.as_deref().unwrap_or("(none)")
            ),
            Refusal::PolicyDenies(reason) => f.write_str(reason),
            Refusal::PolicyUnusable(reason) => write!(f, "its policy cannot be applied: {reason}"),
            Refusal::AggregationOnly => f.write_str(
                "aggregation-only: asked only with a whole aggregate query (GROUP BY with COUNT, SUM or AVG) that this member alone can answer",
            ),
            Refusal::NotReadable { who } => write!(
                f,
                "this node's own dataset, which {who} may not read (a `reader` role would allow it)"
            ),
        }
    }
}
