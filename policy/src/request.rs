//! What an evaluation is asked about: the request (who, what action, which asset, what
//! purpose) and the state of the world the caller supplies (the clock, collections, duties,
//! counters, the answer's group size).

use oxsdatatypes::DateTime;
use std::collections::{BTreeMap, BTreeSet};

/// Who asks to do what with which asset, for which purpose.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// The requesting party's IRI (for hanse: the requester's `did:key`).
    pub assignee: Option<String>,
    /// The action IRI (`odrl:read`, `odrl:use`…).
    pub action: String,
    /// The target asset IRI.
    pub target: Option<String>,
    /// The purpose IRI (a DPV purpose).
    pub purpose: Option<String>,
    /// Extra facts about the recipient (`odrl:recipient`): PeerId, `role:<role>`,
    /// organisation — any of them matches a right operand.
    pub recipient: BTreeSet<String>,
    /// The spatial region IRI the data is used in (`odrl:spatial`).
    pub spatial: Option<String>,
}

/// Facts the evaluation needs from outside the policy; the caller supplies "now".
#[derive(Debug, Clone, PartialEq)]
pub struct WorldState {
    /// The current time.
    pub now: DateTime,
    /// `member -> collections` (`odrl:partOf`) for parties, assets and regions.
    pub part_of: BTreeMap<String, BTreeSet<String>>,
    /// Duties (rule ids) known to be fulfilled.
    pub fulfilled_duties: BTreeSet<String>,
    /// Duties (rule ids) known to be violated.
    pub violated_duties: BTreeSet<String>,
    /// When the agreement under evaluation started (for `odrl:elapsedTime`).
    pub agreement_start: Option<DateTime>,
    /// Uses so far in the current period (for `odrl:count`).
    pub use_count: Option<u64>,
    /// Smallest group an answer aggregates over (for `hanse:minimumGroupSize`).
    pub group_size: Option<u64>,
    /// Finest time interval an answer's values aggregate over (for
    /// `hanse:temporalResolution`).
    pub temporal_resolution: Option<oxsdatatypes::DayTimeDuration>,
    /// What the answer's aggregation applies (the hanse privacy profile), if aggregation-only.
    pub privacy: Option<PrivacyFacts>,
}

/// What an aggregation-only answer guarantees, for the hanse privacy profile's left operands
/// (`hanse:privacyUnit`, `hanse:permittedAggregate`, `hanse:epsilon`, `hanse:privacyBudget`,
/// `hanse:lowerBound`, `hanse:upperBound`, `hanse:maxContributions`, `hanse:maxGroups`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrivacyFacts {
    /// The property whose objects are the individuals counted in a group.
    pub unit: String,
    /// Aggregate functions answered beyond COUNT, SUM and AVG (hanse IRIs).
    pub permitted_aggregates: Vec<String>,
    /// The ε one answer costs, when answers are noised.
    pub epsilon: Option<f64>,
    /// The ε the agreement has spent so far, when answers are noised.
    pub spent: Option<f64>,
    /// The clamping bounds of noised sums and means.
    pub bounds: Option<(f64, f64)>,
    /// Records of one individual counted per group, when answers are noised.
    pub max_contributions: Option<u64>,
    /// Groups one individual counts in, when answers are noised.
    pub max_groups: Option<u64>,
    /// Days of one budget period, when answers are noised and the budget renews.
    pub budget_period_days: Option<u64>,
}

impl WorldState {
    /// A world with only a clock.
    pub fn at(now: DateTime) -> Self {
        Self {
            now,
            part_of: BTreeMap::new(),
            fulfilled_duties: BTreeSet::new(),
            violated_duties: BTreeSet::new(),
            agreement_start: None,
            use_count: None,
            group_size: None,
            temporal_resolution: None,
            privacy: None,
        }
    }

    /// Whether `member` is `collection` or (transitively) part of it.
    pub fn is_part_of(&self, member: &str, collection: &str) -> bool {
        let mut frontier = vec![member.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(current) = frontier.pop() {
            if current == collection {
                return true;
            }
            if seen.insert(current.clone())
                && let Some(parents) = self.part_of.get(&current)
            {
                frontier.extend(parents.iter().cloned());
            }
        }
        false
    }
}
