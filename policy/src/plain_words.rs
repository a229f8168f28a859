//! A policy in plain words, for people who do not read ODRL.
//!
//! Every sentence is generated from the parsed model and says no more than the evaluator
//! grants: a constraint this crate cannot evaluate (unknown left operand or operator, or a
//! malformed constraint) is described as a condition that is never met, so the permission
//! it guards is said to grant nothing, and a prohibition it guards is said to apply always.
//! Nothing here reads a clock or the network; party and purpose names come from the IRIs.

use crate::model::{ConstraintNode, LogicalOperator, Policy, Rule, Value};
use crate::operand::KNOWN_LEFT_OPERANDS;
use hanse_vocab::{hanse, odrl};
use values::{
    and_list, capitalise, date_name, duration_name, join_with, literal_name, local, names, or_list,
    party_name, purpose_name,
};

/// The operators this crate evaluates (local names in the ODRL namespace).
const KNOWN_OPERATORS: &[&str] = &[
    "eq", "neq", "lt", "lteq", "gt", "gteq", "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf",
    "isNoneOf",
];

/// A policy described in sentences.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlainPolicy {
    /// One sentence per rule, permissions first, then prohibitions and obligations.
    pub sentences: Vec<String>,
    /// Whether some term could not be understood (those rules grant nothing, or always apply).
    pub has_unknown_terms: bool,
}

/// Describes `policy` in plain English; `target` is the asset the reader is looking at (rules
/// about it say "this dataset").
pub fn plain_words(policy: &Policy, target: Option<&str>) -> PlainPolicy {
    let mut words = Words {
        target,
        unknown: false,
    };
    let mut sentences = Vec::new();
    for rule in &policy.permissions {
        sentences.push(words.permission(rule));
    }
    for rule in &policy.prohibitions {
        sentences.push(words.prohibition(rule));
    }
    for rule in &policy.obligations {
        sentences.push(format!("{}.", capitalise(&words.duty(rule, "You must"))));
    }
    if policy.permissions.is_empty() {
        sentences.insert(
            0,
            "This policy permits nothing: it has no permission.".to_owned(),
        );
    }
    PlainPolicy {
        sentences,
        has_unknown_terms: words.unknown,
    }
}

struct Words<'a> {
    target: Option<&'a str>,
    unknown: bool,
}

/// What a condition says, and whether it can ever hold.
struct Condition {
    text: String,
    /// False for conditions the evaluator can never satisfy (unknown terms).
    satisfiable: bool,
}

impl Words<'_> {
    fn permission(&mut self, rule: &Rule) -> String {
        let who = self.assignee(rule);
        let what = self.action_and_target(rule);
        let conditions = self.conditions(&rule.constraints);
        if conditions.iter().any(|c| !c.satisfiable) {
            let why: Vec<&str> = conditions
                .iter()
                .filter(|c| !c.satisfiable)
                .map(|c| c.text.as_str())
                .collect();
            return format!("A permission to {what} grants nothing: {}.", why.join("; "));
        }
        let mut sentence = format!("{who} may {what}");
        if !conditions.is_empty() {
            sentence.push_str(" — ");
            sentence.push_str(&join_conditions(&conditions));
        }
        sentence.push('.');
        for duty in &rule.duties {
            sentence.push(' ');
            sentence.push_str(&capitalise(&self.duty(duty, "In return you must")));
            sentence.push('.');
        }
        sentence
    }

    fn prohibition(&mut self, rule: &Rule) -> String {
        let who = self.assignee(rule);
        let what = self.action_and_target(rule);
        let conditions = self.conditions(&rule.constraints);
        let mut sentence = format!("{who} may not {what}");
        if conditions.iter().any(|c| !c.satisfiable) {
            sentence
                .push_str(" — always, because a condition of this prohibition cannot be checked (");
            let why: Vec<&str> = conditions
                .iter()
                .filter(|c| !c.satisfiable)
                .map(|c| c.text.as_str())
                .collect();
            sentence.push_str(&why.join("; "));
            sentence.push(')');
        } else if !conditions.is_empty() {
            sentence.push_str(" when ");
            sentence.push_str(&join_conditions(&conditions));
        }
        sentence.push('.');
        for remedy in &rule.remedies {
            sentence.push(' ');
            sentence.push_str(&capitalise(&self.duty(remedy, "If you do, you must")));
            sentence.push('.');
        }
        sentence
    }

    fn duty(&mut self, rule: &Rule, lead: &str) -> String {
        let action = rule
            .action
            .as_deref()
            .map_or_else(|| "do what the duty names".to_owned(), |a| self.action(a));
        let object = match (rule.action.as_deref(), rule.assigner.as_deref()) {
            (Some(a), _) if local(a) == "attribute" => " the data's provider".to_owned(),
            (_, Some(party)) => format!(" ({})", party_name(&Value::Iri(party.to_owned()))),
            _ => String::new(),
        };
        let conditions = self.conditions(&rule.constraints);
        let mut text = format!("{lead} {action}{object}");
        if !conditions.is_empty() {
            text.push_str(" — ");
            text.push_str(&join_conditions(&conditions));
        }
        text
    }

    fn assignee(&self, rule: &Rule) -> String {
        match &rule.assignee {
            Some(party) => format!("Only {}", party_name(&Value::Iri(party.clone()))),
            None => "Anyone this offer reaches".to_owned(),
        }
    }

    fn action_and_target(&mut self, rule: &Rule) -> String {
        let action = match &rule.action {
            Some(a) => self.action(a),
            None => "do anything (no action is named)".to_owned(),
        };
        let target = match (&rule.target, self.target) {
            (None, _) => "this dataset".to_owned(),
            (Some(t), Some(here)) if t == here => "this dataset".to_owned(),
            (Some(t), _) => format!("<{t}>"),
        };
        format!("{action} {target}")
    }

    fn action(&mut self, iri: &str) -> String {
        let Some(name) = iri.strip_prefix(odrl::NS) else {
            self.unknown = true;
            return format!("do <{iri}> (an action this node does not know)");
        };
        let known = name == "use"
            || name == "transfer"
            || odrl::ACTION_PARENTS.iter().any(|(a, _)| *a == name)
            || [
                "attribute",
                "compensate",
                "delete",
                "inform",
                "obtainConsent",
            ]
            .contains(&name);
        if !known {
            self.unknown = true;
            return format!("do odrl:{name} (an action this node does not know)");
        }
        match name {
            "use" => "use (query, read, analyse)".to_owned(),
            "concurrentUse" => "use concurrently".to_owned(),
            "textToSpeech" => "turn into speech".to_owned(),
            "obtainConsent" => "obtain consent".to_owned(),
            other => other.to_owned(),
        }
    }

    /// Conditions in reading order: who, why, when, how often, where, how much detail
    /// (their order does not matter to `and`, `or` and `xone`).
    fn conditions(&mut self, constraints: &[ConstraintNode]) -> Vec<Condition> {
        let mut ordered: Vec<&ConstraintNode> = constraints.iter().collect();
        ordered.sort_by_key(|c| rank(c));
        ordered.into_iter().map(|c| self.condition(c)).collect()
    }

    fn in_document_order(&mut self, constraints: &[ConstraintNode]) -> Vec<Condition> {
        constraints.iter().map(|c| self.condition(c)).collect()
    }

    fn condition(&mut self, node: &ConstraintNode) -> Condition {
        match node {
            ConstraintNode::Malformed { reason, .. } => {
                self.unknown = true;
                Condition {
                    text: format!("a condition cannot be read ({reason}), so it is never met"),
                    satisfiable: false,
                }
            }
            ConstraintNode::Logical(logical) => {
                let parts = if logical.operator == LogicalOperator::AndSequence {
                    self.in_document_order(&logical.operands)
                } else {
                    self.conditions(&logical.operands)
                };
                let texts: Vec<String> = parts.iter().map(|c| c.text.clone()).collect();
                let satisfiable = match logical.operator {
                    LogicalOperator::And | LogicalOperator::AndSequence => {
                        parts.iter().all(|c| c.satisfiable)
                    }
                    LogicalOperator::Or | LogicalOperator::Xone => {
                        parts.iter().any(|c| c.satisfiable)
                    }
                };
                let text = match logical.operator {
                    LogicalOperator::And => join_with(&texts, "; and "),
                    LogicalOperator::AndSequence => {
                        format!("{}, checked in this order", join_with(&texts, "; then "))
                    }
                    LogicalOperator::Or => format!("either {}", join_with(&texts, ", or ")),
                    LogicalOperator::Xone => {
                        format!("exactly one of: {}", join_with(&texts, "; "))
                    }
                };
                Condition { text, satisfiable }
            }
            ConstraintNode::Atomic(c) => {
                let operator = c.operator.strip_prefix(odrl::NS).unwrap_or("");
                if !KNOWN_OPERATORS.contains(&operator) {
                    self.unknown = true;
                    return Condition {
                        text: format!(
                            "a condition uses the operator <{}>, which this node does not know, so it is never met",
                            c.operator
                        ),
                        satisfiable: false,
                    };
                }
                if !KNOWN_LEFT_OPERANDS.contains(&c.left_operand.as_str()) {
                    self.unknown = true;
                    return Condition {
                        text: format!(
                            "a condition on <{}>, which this node does not know, is never met",
                            c.left_operand
                        ),
                        satisfiable: false,
                    };
                }
                let text = atomic(&c.left_operand, operator, &c.right_operand);
                // The node cannot establish an answer's temporal resolution yet.
                let satisfiable = c.left_operand != hanse::TEMPORAL_RESOLUTION;
                Condition { text, satisfiable }
            }
        }
    }
}

/// Where a constraint comes in a sentence.
fn rank(node: &ConstraintNode) -> usize {
    const ORDER: [&str; 8] = [
        odrl::RECIPIENT,
        odrl::PURPOSE,
        odrl::DATE_TIME,
        odrl::ELAPSED_TIME,
        odrl::COUNT,
        odrl::SPATIAL,
        hanse::MINIMUM_GROUP_SIZE,
        hanse::TEMPORAL_RESOLUTION,
    ];
    match node {
        ConstraintNode::Atomic(c) => ORDER
            .iter()
            .position(|o| *o == c.left_operand)
            .unwrap_or(ORDER.len()),
        ConstraintNode::Logical(l) => l.operands.iter().map(rank).min().unwrap_or(ORDER.len()),
        ConstraintNode::Malformed { .. } => ORDER.len() + 1,
    }
}

/// One atomic constraint in words; `operator` is the ODRL local name.
fn atomic(left: &str, operator: &str, right: &[Value]) -> String {
    match left {
        odrl::RECIPIENT => {
            let parties = names(right, party_name);
            match operator {
                "eq" | "isA" | "isPartOf" | "isAnyOf" => {
                    format!("only for {}", or_list(&parties))
                }
                "isAllOf" => format!("only for a recipient who is {}", and_list(&parties)),
                "hasPart" => format!("only for a group that includes {}", or_list(&parties)),
                "neq" | "isNoneOf" => format!("not for {}", or_list(&parties)),
                _ => ordered("the recipient", operator, &parties.join(", ")),
            }
        }
        odrl::PURPOSE => {
            let purposes = names(right, purpose_name);
            match operator {
                "isA" | "isPartOf" => format!(
                    "for {} purposes (or a more specific kind of it)",
                    or_list(&purposes)
                ),
                "isAnyOf" => format!(
                    "for {} purposes (or a more specific kind of them)",
                    or_list(&purposes)
                ),
                "eq" => format!("for exactly the purpose {}", or_list(&purposes)),
                "isAllOf" => format!("for a purpose that is at once {}", and_list(&purposes)),
                "hasPart" => format!("for a purpose that includes {}", or_list(&purposes)),
                "neq" => format!("for any purpose except exactly {}", or_list(&purposes)),
                "isNoneOf" => format!(
                    "not for {} purposes (nor anything more specific)",
                    or_list(&purposes)
                ),
                _ => ordered("the purpose", operator, &purposes.join(", ")),
            }
        }
        odrl::DATE_TIME => {
            let date = names(right, date_name).join(", ");
            match operator {
                "lt" => format!("until {date} (not on or after it)"),
                "lteq" => format!("until {date} (inclusive)"),
                "gt" => format!("after {date}"),
                "gteq" => format!("from {date}"),
                "eq" => format!("only at {date}"),
                "neq" => format!("at any time except {date}"),
                _ => format!("when the date {} {date}", operator_words(operator)),
            }
        }
        odrl::ELAPSED_TIME => {
            let span = names(right, duration_name).join(", ");
            match operator {
                "lt" => format!("for less than {span} from the start of the agreement"),
                "lteq" => format!("for up to {span} from the start of the agreement"),
                "gt" => format!("only once more than {span} have passed since the agreement began"),
                "gteq" => format!("only once {span} have passed since the agreement began"),
                _ => format!(
                    "when the time since the agreement began {} {span}",
                    operator_words(operator)
                ),
            }
        }
        odrl::COUNT => {
            let n = names(right, literal_name).join(", ");
            match operator {
                "lt" => format!("fewer than {n} times in all"),
                "lteq" => format!("at most {n} times in all"),
                "eq" => format!("while exactly {n} uses have been made"),
                _ => format!("when the number of uses {} {n}", operator_words(operator)),
            }
        }
        odrl::SPATIAL => {
            let places = names(right, party_name);
            match operator {
                "eq" | "isA" | "isPartOf" | "isAnyOf" => format!("only in {}", or_list(&places)),
                "neq" | "isNoneOf" => format!("not in {}", or_list(&places)),
                "isAllOf" => format!("only in a place within {}", and_list(&places)),
                "hasPart" => format!("only in a region that contains {}", or_list(&places)),
                _ => ordered("the place", operator, &places.join(", ")),
            }
        }
        hanse::MINIMUM_GROUP_SIZE => {
            let n = names(right, literal_name).join(", ");
            match operator {
                "gteq" => format!("only aggregates over groups of at least {n}"),
                "gt" => format!("only aggregates over groups of more than {n}"),
                _ => format!(
                    "only aggregates, when the group size {} {n}",
                    operator_words(operator)
                ),
            }
        }
        hanse::TEMPORAL_RESOLUTION => {
            let span = names(right, duration_name).join(", ");
            format!(
                "only values aggregated over time spans that {} {span} — this node cannot yet check a query for that, so such requests are refused",
                operator_words(operator)
            )
        }
        other => format!("a condition on <{other}>"),
    }
}

fn ordered(subject: &str, operator: &str, value: &str) -> String {
    format!("when {subject} {} {value}", operator_words(operator))
}

fn operator_words(operator: &str) -> &'static str {
    match operator {
        "eq" => "is",
        "neq" => "is not",
        "lt" => "is less than",
        "lteq" => "is at most",
        "gt" => "is more than",
        "gteq" => "is at least",
        "isA" => "is a kind of",
        "hasPart" => "includes",
        "isPartOf" => "is part of",
        "isAllOf" => "is all of",
        "isAnyOf" => "is one of",
        "isNoneOf" => "is none of",
        _ => "compares (in an unknown way) with",
    }
}

fn join_conditions(conditions: &[Condition]) -> String {
    let texts: Vec<String> = conditions.iter().map(|c| c.text.clone()).collect();
    texts.join("; and ")
}

mod values;

#[cfg(test)]
mod tests;
