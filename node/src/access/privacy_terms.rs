//! The hanse privacy profile of an ODRL policy: the terms that make a dataset
//! aggregation-only (`hanse:minimumGroupSize`, `hanse:privacyUnit`,
//! `hanse:permittedAggregate`) and differentially private (`hanse:epsilon`,
//! `hanse:privacyBudget`, `hanse:budgetPeriod`, `hanse:lowerBound`, `hanse:upperBound`,
//! `hanse:maxContributions`, `hanse:maxGroups`), read once from the offer or agreement so the node applies exactly
//! what the policy says. A term the node cannot apply (a wrong operator, a value out of
//! range, epsilon without a budget) makes the policy unusable: it fails closed.

use hanse_policy::{ConstraintNode, Policy, PrivacyFacts, Value, WorldState};
use hanse_vocab::{hanse, odrl, sosa};

/// Millionths: ε and budgets are kept as integers so that sums of charges are exact.
pub const MICRO: u64 = 1_000_000;

/// An aggregate function that reveals one individual's value, answered only when the offer
/// permits it (`hanse:permittedAggregate`) and never under differential privacy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `SAMPLE`.
    Sample,
    /// `GROUP_CONCAT`.
    GroupConcat,
}

impl Extra {
    /// The IRI an offer names it with.
    pub fn iri(self) -> &'static str {
        match self {
            Extra::Min => hanse::MIN_AGGREGATE,
            Extra::Max => hanse::MAX_AGGREGATE,
            Extra::Sample => hanse::SAMPLE_AGGREGATE,
            Extra::GroupConcat => hanse::GROUP_CONCAT_AGGREGATE,
        }
    }

    fn from_iri(iri: &str) -> Option<Self> {
        [Extra::Min, Extra::Max, Extra::Sample, Extra::GroupConcat]
            .into_iter()
            .find(|e| e.iri() == iri)
    }
}

/// What an aggregation-only policy demands.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivacyTerms {
    /// Distinct individuals a released group must hold (`hanse:minimumGroupSize`).
    pub minimum_group: u64,
    /// The property whose objects are the individuals (`hanse:privacyUnit`).
    pub unit: String,
    /// Functions answered beyond COUNT, SUM and AVG, without noise only.
    pub permitted: Vec<Extra>,
    /// Differential privacy, when the policy sets `hanse:epsilon`.
    pub noise: Option<NoiseTerms>,
}

/// The differential-privacy terms.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseTerms {
    /// ε one new answer costs, in millionths.
    pub epsilon: u64,
    /// ε an agreement may spend in all, in millionths.
    pub budget: u64,
    /// Values a SUM or AVG adds are clamped to `[lower, upper]`; without them only counts
    /// are answered.
    pub bounds: Option<(f64, f64)>,
    /// Records of one individual counted in one group.
    pub max_contributions: u64,
    /// Groups of one answer an individual counts in.
    pub max_groups: u64,
    /// Days after which the budget renews (`hanse:budgetPeriod`); `None`: it never does.
    pub period_days: Option<u64>,
}

/// Millionths as a number (for reports and the policy engine).
pub fn from_micro(micro: u64) -> f64 {
    micro as f64 / MICRO as f64
}

/// Every atomic constraint of the policy's permissions and prohibitions.
fn atomic_constraints(policy: &Policy) -> Vec<&hanse_policy::Constraint> {
    fn walk<'a>(node: &'a ConstraintNode, found: &mut Vec<&'a hanse_policy::Constraint>) {
        match node {
            ConstraintNode::Atomic(c) => found.push(c),
            ConstraintNode::Logical(l) => l.operands.iter().for_each(|o| walk(o, found)),
            ConstraintNode::Malformed { .. } => {}
        }
    }
    let mut found = Vec::new();
    for rule in policy.permissions.iter().chain(&policy.prohibitions) {
        rule.constraints.iter().for_each(|c| walk(c, &mut found));
    }
    found
}

/// The local name of a profile term, for messages.
fn name(iri: &str) -> String {
    format!("hanse:{}", iri.strip_prefix(hanse::NS).unwrap_or(iri))
}

/// One number-valued term: its single literal, with one of `operators`.
fn number<'a>(
    constraint: &'a hanse_policy::Constraint,
    operators: &[&str],
) -> Result<&'a str, String> {
    let term = name(&constraint.left_operand);
    let operator = constraint
        .operator
        .strip_prefix(odrl::NS)
        .unwrap_or(&constraint.operator);
    if !operators.contains(&operator) {
        return Err(format!(
            "{term} takes the operator {} (not {operator})",
            operators.join(" or ")
        ));
    }
    match constraint.right_operand.as_slice() {
        [Value::Literal { lexical, .. }] => Ok(lexical.trim()),
        _ => Err(format!("{term} needs one number as right operand")),
    }
}

/// A decimal with at most six decimals, in millionths.
fn micro(term: &str, lexical: &str) -> Result<u64, String> {
    let bad = || format!("{term} `{lexical}` must be a positive decimal with at most 6 decimals");
    let (whole, fraction) = lexical.split_once('.').unwrap_or((lexical, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 6
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fraction: u64 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
    let value = whole
        .checked_mul(MICRO)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)?;
    if value == 0 { Err(bad()) } else { Ok(value) }
}

fn whole_number(term: &str, lexical: &str) -> Result<u64, String> {
    lexical
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{term} `{lexical}` must be a whole number of at least 1"))
}

fn finite(term: &str, lexical: &str) -> Result<f64, String> {
    lexical
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{term} `{lexical}` is not a number"))
}

/// Sets `slot` once; a second, different value is an error.
fn once<T: PartialEq + std::fmt::Debug>(
    slot: &mut Option<T>,
    value: T,
    term: &str,
) -> Result<(), String> {
    match slot {
        Some(old) if *old != value => Err(format!(
            "{term} is given twice ({old:?} and {value:?}): give it once"
        )),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// The privacy terms of `policy`, `None` when it sets none (the dataset is not
/// aggregation-only), or why the node cannot apply them.
pub fn read(policy: &Policy) -> Result<Option<PrivacyTerms>, String> {
    let mut minimum: Option<u64> = None;
    let mut unit = None;
    let mut permitted = Vec::new();
    let (mut epsilon, mut budget, mut lower, mut upper) = (None, None, None, None);
    let (mut contributions, mut groups, mut period) = (None, None, None);
    let mut any = false;
    for constraint in atomic_constraints(policy) {
        let iri = constraint.left_operand.as_str();
        let term = name(iri);
        any |= iri.starts_with(hanse::NS) && iri != hanse::TEMPORAL_RESOLUTION;
        match iri {
            hanse::MINIMUM_GROUP_SIZE => {
                // Several minimums (say in both branches of an `or`): the largest holds.
                let n = whole_number(&term, number(constraint, &["gteq", "eq"])?)?;
                minimum = Some(minimum.map_or(n, |m| m.max(n)));
            }
            hanse::PRIVACY_UNIT => match constraint.right_operand.as_slice() {
                [Value::Iri(p)] if constraint.operator.strip_prefix(odrl::NS) == Some("eq") => {
                    once(&mut unit, p.clone(), &term)?;
                }
                _ => return Err(format!("{term} takes `eq` and one property IRI")),
            },
            hanse::PERMITTED_AGGREGATE => {
                for value in &constraint.right_operand {
                    let extra = match value {
                        Value::Iri(i) => Extra::from_iri(i),
                        Value::Literal { .. } => None,
                    }
                    .ok_or_else(|| {
                        format!(
                            "{term} accepts hanse:Min, hanse:Max, hanse:Sample and hanse:GroupConcat, not {value:?}"
                        )
                    })?;
                    if !permitted.contains(&extra) {
                        permitted.push(extra);
                    }
                }
            }
            hanse::EPSILON => {
                let value = micro(&term, number(constraint, &["lteq", "eq"])?)?;
                once(&mut epsilon, value, &term)?;
            }
            hanse::PRIVACY_BUDGET => {
                let value = micro(&term, number(constraint, &["lteq", "eq"])?)?;
                once(&mut budget, value, &term)?;
            }
            hanse::LOWER_BOUND => {
                let value = finite(&term, number(constraint, &["gteq", "eq"])?)?;
                once(&mut lower, value, &term)?;
            }
            hanse::UPPER_BOUND => {
                let value = finite(&term, number(constraint, &["lteq", "eq"])?)?;
                once(&mut upper, value, &term)?;
            }
            hanse::MAX_CONTRIBUTIONS => {
                let value = whole_number(&term, number(constraint, &["lteq", "eq"])?)?;
                once(&mut contributions, value, &term)?;
            }
            hanse::MAX_GROUPS => {
                let value = whole_number(&term, number(constraint, &["lteq", "eq"])?)?;
                once(&mut groups, value, &term)?;
            }
            hanse::BUDGET_PERIOD => {
                let value = whole_number(&term, number(constraint, &["eq"])?)?;
                once(&mut period, value, &term)?;
            }
            _ => {}
        }
    }
    if !any {
        return Ok(None);
    }
    let minimum_group = minimum.ok_or(
        "the policy uses the hanse privacy profile without hanse:minimumGroupSize: the node needs the smallest group it may release",
    )?;
    let noise = match (epsilon, budget) {
        (None, None) => {
            if lower.is_some()
                || upper.is_some()
                || contributions.is_some()
                || groups.is_some()
                || period.is_some()
            {
                return Err(
                    "hanse:lowerBound, hanse:upperBound, hanse:maxContributions, hanse:maxGroups and hanse:budgetPeriod apply only with hanse:epsilon".into(),
                );
            }
            None
        }
        (Some(_), None) => {
            return Err(
                "hanse:epsilon needs hanse:privacyBudget (the ε an agreement may spend in all)"
                    .into(),
            );
        }
        (None, Some(_)) => {
            return Err("hanse:privacyBudget needs hanse:epsilon (the ε one answer costs)".into());
        }
        (Some(epsilon), Some(budget)) => {
            if epsilon > budget {
                return Err(format!(
                    "hanse:epsilon ({}) exceeds hanse:privacyBudget ({}): no answer could be given",
                    from_micro(epsilon),
                    from_micro(budget)
                ));
            }
            let bounds = match (lower, upper) {
                (None, None) => None,
                (Some(l), Some(u)) if l < u => Some((l, u)),
                (Some(_), Some(_)) => {
                    return Err("hanse:lowerBound must be below hanse:upperBound".into());
                }
                _ => {
                    return Err(
                        "give both hanse:lowerBound and hanse:upperBound, or neither".into(),
                    );
                }
            };
            Some(NoiseTerms {
                epsilon,
                budget,
                bounds,
                max_contributions: contributions.unwrap_or(1),
                max_groups: groups.unwrap_or(1),
                period_days: period,
            })
        }
    };
    Ok(Some(PrivacyTerms {
        minimum_group,
        unit: unit.unwrap_or_else(|| sosa::HAS_FEATURE_OF_INTEREST.to_owned()),
        permitted,
        noise,
    }))
}

impl PrivacyTerms {
    /// Tells the policy engine what an answer under these terms guarantees, with `spent`
    /// millionths of ε already spent under the agreement.
    pub fn apply(&self, world: &mut WorldState, spent: u64) {
        world.group_size = Some(self.minimum_group);
        let noise = self.noise.as_ref();
        world.privacy = Some(PrivacyFacts {
            unit: self.unit.clone(),
            permitted_aggregates: self.permitted.iter().map(|e| e.iri().to_owned()).collect(),
            epsilon: noise.map(|n| from_micro(n.epsilon)),
            spent: noise.map(|_| from_micro(spent)),
            bounds: noise.and_then(|n| n.bounds),
            max_contributions: noise.map(|n| n.max_contributions),
            max_groups: noise.map(|n| n.max_groups),
            budget_period_days: noise.and_then(|n| n.period_days),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(constraints: &str) -> Result<Option<PrivacyTerms>, String> {
        let text = format!(
            "@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix hanse: <https://w3id.org/hanse#> .\n\
             <urn:p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <urn:d> ;\n\
               odrl:constraint [ odrl:and ( {constraints} ) ] ] ."
        );
        read(&hanse_policy::parse_turtle(&text).unwrap()[0])
    }

    fn c(left: &str, operator: &str, right: &str) -> String {
        format!(
            "[ odrl:leftOperand hanse:{left} ; odrl:operator odrl:{operator} ; odrl:rightOperand {right} ]"
        )
    }

    #[test]
    fn the_profile_is_read_with_its_defaults() {
        let error = terms(&c("maxGroups", "lteq", "1")).unwrap_err();
        assert!(error.contains("minimumGroupSize"), "{error}");
        let exact = terms(&c("minimumGroupSize", "gteq", "10"))
            .unwrap()
            .unwrap();
        assert_eq!(exact.minimum_group, 10);
        assert_eq!(exact.unit, sosa::HAS_FEATURE_OF_INTEREST);
        assert!(exact.noise.is_none() && exact.permitted.is_empty());
        let noised = terms(
            &[
                c("minimumGroupSize", "gteq", "10"),
                c("epsilon", "lteq", "0.5"),
                c("privacyBudget", "lteq", "10"),
                c("lowerBound", "gteq", "0"),
                c("upperBound", "lteq", "500"),
                c("budgetPeriod", "eq", "365"),
                c("permittedAggregate", "isAnyOf", "hanse:Max, hanse:Min"),
            ]
            .join(" "),
        )
        .unwrap()
        .unwrap();
        let noise = noised.noise.unwrap();
        assert_eq!(noise.period_days, Some(365));
        assert_eq!((noise.epsilon, noise.budget), (500_000, 10_000_000));
        assert_eq!(noise.bounds, Some((0.0, 500.0)));
        assert_eq!((noise.max_contributions, noise.max_groups), (1, 1));
        assert_eq!(noised.permitted, [Extra::Max, Extra::Min]);
    }

    #[test]
    fn terms_the_node_cannot_apply_fail_closed() {
        let min = c("minimumGroupSize", "gteq", "10");
        for (extra, needle) in [
            (c("epsilon", "lteq", "1"), "needs hanse:privacyBudget"),
            (c("privacyBudget", "lteq", "1"), "needs hanse:epsilon"),
            (c("epsilon", "gteq", "1"), "takes the operator"),
            (
                format!(
                    "{} {}",
                    c("epsilon", "lteq", "0"),
                    c("privacyBudget", "lteq", "1")
                ),
                "positive",
            ),
            (
                format!(
                    "{} {}",
                    c("epsilon", "lteq", "0.0000001"),
                    c("privacyBudget", "lteq", "1")
                ),
                "6 decimals",
            ),
            (
                format!(
                    "{} {}",
                    c("epsilon", "lteq", "2"),
                    c("privacyBudget", "lteq", "1")
                ),
                "exceeds",
            ),
            (c("lowerBound", "gteq", "0"), "only with hanse:epsilon"),
            (
                format!(
                    "{} {} {}",
                    c("epsilon", "lteq", "1"),
                    c("privacyBudget", "lteq", "5"),
                    c("upperBound", "lteq", "9")
                ),
                "both",
            ),
            (
                c("permittedAggregate", "isAnyOf", "hanse:Median"),
                "accepts",
            ),
            (c("privacyUnit", "eq", "\"x\""), "property IRI"),
        ] {
            let error = terms(&format!("{min} {extra}")).unwrap_err();
            assert!(error.contains(needle), "{extra}: {error}");
        }
    }
}
