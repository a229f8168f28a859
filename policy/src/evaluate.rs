//! Evaluating a policy for a request in a state of the world, with a report.
//!
//! Semantics follow the W3C ODRL Formal Semantics draft as the SolidLab test suite encodes
//! it: a rule is **active** when every premise it states holds (the request's party, action
//! and target match the rule's, directly, through `odrl:partOf` collections or the action
//! hierarchy) and every constraint is satisfied. A request is permitted when an active
//! permission exists (with no violated duty) and no prohibition applies.
//!
//! Fail closed: an unknown left operand, operator or a malformed constraint is never
//! satisfied (so a permission cannot activate through it), and a prohibition whose premises
//! hold is treated as applying unless all its constraints are positively *unsatisfied*.

use crate::model::{Constraint, ConstraintNode, LogicalOperator, Policy, Rule, RuleKind, Value};
use crate::operand::{compare_in, left_operand};
use crate::request::{Request, WorldState};
use crate::taxonomy::action_included_in;

/// Whether a constraint holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It holds.
    Satisfied,
    /// It does not hold.
    Unsatisfied,
    /// It could not be evaluated (unknown term, type mismatch, missing fact): never satisfied.
    Error(String),
}

impl Outcome {
    fn holds(&self) -> bool {
        matches!(self, Outcome::Satisfied)
    }
}

/// Which part of the request a premise checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Premise {
    /// The assignee.
    Party,
    /// The action.
    Action,
    /// The target.
    Target,
}

/// One premise and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PremiseReport {
    /// Which premise.
    pub premise: Premise,
    /// Whether it holds.
    pub satisfied: bool,
}

/// One constraint (atomic or logical) and its outcome, with nested operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintReport {
    /// The constraint's IRI or blank node label.
    pub constraint: String,
    /// What it says, for people: `purpose isA dpv#ResearchAndDevelopment`, `and`, ….
    pub summary: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Reports of a logical constraint's operands.
    pub operands: Vec<ConstraintReport>,
}

/// One rule's evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    /// The rule's id.
    pub rule: String,
    /// Permission, prohibition or duty.
    pub kind: RuleKind,
    /// Whether all premises and constraints hold.
    pub active: bool,
    /// The premises the rule states.
    pub premises: Vec<PremiseReport>,
    /// Its constraints.
    pub constraints: Vec<ConstraintReport>,
}

/// The outcome of evaluating a policy for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is permitted.
    pub permitted: bool,
    /// Why, in one sentence.
    pub reason: String,
    /// Per rule: premises and constraints.
    pub rules: Vec<RuleReport>,
}

impl ConstraintReport {
    /// This report and all nested ones, depth first.
    pub fn flatten(&self) -> Vec<&ConstraintReport> {
        let mut all = vec![self];
        for operand in &self.operands {
            all.extend(operand.flatten());
        }
        all
    }
}

/// How a reason names a rule: its IRI, or for a rule without one (a blank node, whose label
/// means nothing to a reader and changes with every parse) its place in the policy.
fn rule_name(id: &str, kind: &str, index: usize) -> String {
    if id.starts_with("_:") {
        format!("the policy's {kind} {}", index + 1)
    } else {
        id.to_owned()
    }
}

/// Evaluates `policy` for `request` in `world`.
pub fn evaluate(policy: &Policy, request: &Request, world: &WorldState) -> Decision {
    let mut rules = Vec::new();
    let mut granted_by = None;
    let mut denied_by = None;
    for (index, rule) in policy.permissions.iter().enumerate() {
        let report = evaluate_rule(rule, request, world);
        if report.active && granted_by.is_none() {
            granted_by = Some(rule_name(&rule.id, "permission", index));
        }
        rules.push(report);
    }
    for (index, rule) in policy.prohibitions.iter().enumerate() {
        let report = evaluate_rule(rule, request, world);
        // Fail closed: a prohibition applies unless a premise fails or a constraint is
        // positively unsatisfied; an unevaluable constraint keeps it applying.
        let applies = report.premises.iter().all(|p| p.satisfied)
            && report
                .constraints
                .iter()
                .all(|c| !matches!(c.outcome, Outcome::Unsatisfied));
        if applies && denied_by.is_none() {
            denied_by = Some(rule_name(&rule.id, "prohibition", index));
        }
        rules.push(report);
    }
    let (permitted, reason) = match (granted_by, denied_by) {
        (_, Some(prohibition)) => (false, format!("prohibited by {prohibition}")),
        (Some(permission), None) => (true, format!("permitted by {permission}")),
        (None, None) => (false, no_permission_reason(&rules)),
    };
    Decision {
        permitted,
        reason,
        rules,
    }
}

fn no_permission_reason(rules: &[RuleReport]) -> String {
    for rule in rules.iter().filter(|r| r.kind == RuleKind::Permission) {
        for premise in &rule.premises {
            if !premise.satisfied {
                return format!(
                    "no permission applies: {} of {} does not match",
                    premise_name(premise.premise),
                    rule.rule
                );
            }
        }
        for constraint in rule.constraints.iter().flat_map(ConstraintReport::flatten) {
            match &constraint.outcome {
                Outcome::Error(e) => {
                    return format!(
                        "no permission applies: `{}` cannot be evaluated: {e}",
                        constraint.summary
                    );
                }
                Outcome::Unsatisfied if constraint.operands.is_empty() => {
                    return format!(
                        "no permission applies: `{}` is not satisfied",
                        constraint.summary
                    );
                }
                _ => {}
            }
        }
    }
    "no permission applies".to_owned()
}

fn premise_name(premise: Premise) -> &'static str {
    match premise {
        Premise::Party => "the party",
        Premise::Action => "the action",
        Premise::Target => "the target",
    }
}

fn evaluate_rule(rule: &Rule, request: &Request, world: &WorldState) -> RuleReport {
    // A party or asset premise holds when the request names it or a member of its collection.
    let member_of = |requested: &Option<String>, stated: &str| {
        requested
            .as_deref()
            .is_some_and(|named| world.is_part_of(named, stated))
    };
    let premises: Vec<PremiseReport> = [
        rule.assignee
            .as_deref()
            .map(|party| (Premise::Party, member_of(&request.assignee, party))),
        rule.action
            .as_deref()
            .map(|action| (Premise::Action, action_included_in(&request.action, action))),
        rule.target
            .as_deref()
            .map(|asset| (Premise::Target, member_of(&request.target, asset))),
    ]
    .into_iter()
    .flatten()
    .map(|(premise, satisfied)| PremiseReport { premise, satisfied })
    .collect();
    let constraints: Vec<ConstraintReport> = rule
        .constraints
        .iter()
        .map(|c| evaluate_constraint(c, request, world))
        .collect();
    // A permission whose duty is known to be violated no longer applies.
    let duty_violated = rule
        .duties
        .iter()
        .any(|duty| world.violated_duties.contains(&duty.id));
    let active = premises.iter().all(|p| p.satisfied)
        && constraints.iter().all(|c| c.outcome.holds())
        && !duty_violated;
    RuleReport {
        rule: rule.id.clone(),
        kind: rule.kind,
        active,
        premises,
        constraints,
    }
}

fn evaluate_constraint(
    node: &ConstraintNode,
    request: &Request,
    world: &WorldState,
) -> ConstraintReport {
    match node {
        ConstraintNode::Malformed { id, reason } => ConstraintReport {
            constraint: id.clone(),
            summary: format!("malformed constraint ({reason})"),
            outcome: Outcome::Error(reason.clone()),
            operands: Vec::new(),
        },
        ConstraintNode::Atomic(constraint) => ConstraintReport {
            constraint: constraint.id.clone(),
            summary: summarise(constraint),
            outcome: evaluate_atomic(constraint, request, world),
            operands: Vec::new(),
        },
        ConstraintNode::Logical(logical) => {
            let mut operands = Vec::new();
            let outcome = match logical.operator {
                LogicalOperator::AndSequence => {
                    let mut outcome = Outcome::Satisfied;
                    for operand in &logical.operands {
                        let report = evaluate_constraint(operand, request, world);
                        let holds = report.outcome.holds();
                        operands.push(report);
                        if !holds {
                            outcome = Outcome::Unsatisfied;
                            break;
                        }
                    }
                    outcome
                }
                operator => {
                    operands = logical
                        .operands
                        .iter()
                        .map(|o| evaluate_constraint(o, request, world))
                        .collect();
                    let held = operands.iter().filter(|r| r.outcome.holds()).count();
                    let satisfied = match operator {
                        LogicalOperator::And => held == operands.len(),
                        LogicalOperator::Or => held >= 1,
                        LogicalOperator::Xone => held == 1,
                        LogicalOperator::AndSequence => unreachable!("handled above"),
                    };
                    if satisfied {
                        Outcome::Satisfied
                    } else {
                        Outcome::Unsatisfied
                    }
                }
            };
            ConstraintReport {
                constraint: logical.id.clone(),
                summary: format!("{:?}", logical.operator).to_lowercase(),
                outcome,
                operands,
            }
        }
    }
}

/// The last segment of an IRI (`odrl:purpose` -> `purpose`, DPV terms keep `dpv#`).
fn short(iri: &str) -> &str {
    match iri.rfind(['#', '/']) {
        Some(i) if iri[..i].ends_with("dpv") => &iri[iri[..i].rfind('/').map_or(0, |j| j + 1)..],
        Some(i) => &iri[i + 1..],
        None => iri,
    }
}

fn summarise(constraint: &Constraint) -> String {
    let right: Vec<&str> = constraint
        .right_operand
        .iter()
        .map(|v| match v {
            Value::Iri(i) => short(i),
            Value::Literal { lexical, .. } => lexical.as_str(),
        })
        .collect();
    format!(
        "{} {} {}",
        short(&constraint.left_operand),
        short(&constraint.operator),
        right.join(", ")
    )
}

fn evaluate_atomic(constraint: &Constraint, request: &Request, world: &WorldState) -> Outcome {
    let left = match left_operand(&constraint.left_operand, request, world) {
        Ok(left) => left,
        Err(reason) => return Outcome::Error(reason),
    };
    let right: Vec<&Value> = constraint.right_operand.iter().collect();
    match compare_in(&constraint.operator, &left, &right, world) {
        Ok(true) => Outcome::Satisfied,
        Ok(false) => Outcome::Unsatisfied,
        Err(reason) => Outcome::Error(reason),
    }
}

/// For callers: the left operand kinds this engine understands.
pub fn is_known_left_operand(iri: &str) -> bool {
    crate::operand::KNOWN_LEFT_OPERANDS.contains(&iri)
}
