//! Writing policies back as RDF (Turtle), so a parsed policy can be stored or sent on.

use crate::model::{ConstraintNode, LogicalOperator, Policy, PolicyKind, Rule, RuleKind, Value};
use hanse_vocab::{odrl, rdf};
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

fn subject(id: &str) -> NamedOrBlankNode {
    match id.strip_prefix("_:") {
        Some(label) => BlankNode::new(label).unwrap_or_default().into(),
        None => NamedNode::new(id)
            .map(Into::into)
            .unwrap_or_else(|_| BlankNode::default().into()),
    }
}

fn iri(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

/// The policy as RDF triples (the inverse of parsing, up to blank node labels).
pub fn to_triples(policy: &Policy) -> Vec<Triple> {
    let mut triples = Vec::new();
    let me = subject(&policy.uid);
    let class = match policy.kind {
        PolicyKind::Set => odrl::SET,
        PolicyKind::Offer => odrl::OFFER,
        PolicyKind::Agreement => odrl::AGREEMENT,
    };
    triples.push(Triple::new(me.clone(), iri(rdf::TYPE), iri(class)));
    if let NamedOrBlankNode::NamedNode(n) = &me {
        triples.push(Triple::new(me.clone(), iri(odrl::UID), n.clone()));
    }
    for (predicate, rules) in [
        (odrl::PERMISSION, &policy.permissions),
        (odrl::PROHIBITION, &policy.prohibitions),
        (odrl::OBLIGATION, &policy.obligations),
    ] {
        for rule in rules {
            let node = rule_triples(rule, &mut triples);
            triples.push(Triple::new(me.clone(), iri(predicate), node));
        }
    }
    triples
}

fn rule_triples(rule: &Rule, triples: &mut Vec<Triple>) -> NamedOrBlankNode {
    let node = subject(&rule.id);
    for (predicate, value) in [
        (odrl::ACTION, &rule.action),
        (odrl::TARGET, &rule.target),
        (odrl::ASSIGNEE, &rule.assignee),
        (odrl::ASSIGNER, &rule.assigner),
    ] {
        if let Some(value) = value {
            triples.push(Triple::new(node.clone(), iri(predicate), iri(value)));
        }
    }
    for constraint in &rule.constraints {
        let c = constraint_triples(constraint, triples);
        triples.push(Triple::new(node.clone(), iri(odrl::CONSTRAINT), c));
    }
    for (predicate, nested) in [(odrl::DUTY, &rule.duties), (odrl::REMEDY, &rule.remedies)] {
        for duty in nested {
            debug_assert_eq!(duty.kind, RuleKind::Duty);
            let d = rule_triples(duty, triples);
            triples.push(Triple::new(node.clone(), iri(predicate), d));
        }
    }
    node
}

fn constraint_triples(constraint: &ConstraintNode, triples: &mut Vec<Triple>) -> NamedOrBlankNode {
    let node = subject(constraint.id());
    match constraint {
        ConstraintNode::Atomic(c) => {
            triples.push(Triple::new(
                node.clone(),
                iri(odrl::LEFT_OPERAND),
                iri(&c.left_operand),
            ));
            triples.push(Triple::new(
                node.clone(),
                iri(odrl::OPERATOR),
                iri(&c.operator),
            ));
            for value in &c.right_operand {
                let object: Term = match value {
                    Value::Iri(i) => iri(i).into(),
                    Value::Literal { lexical, datatype } => {
                        Literal::new_typed_literal(lexical.clone(), iri(datatype)).into()
                    }
                };
                triples.push(Triple::new(node.clone(), iri(odrl::RIGHT_OPERAND), object));
            }
            for (predicate, value) in [(odrl::DATA_TYPE, &c.data_type), (odrl::UNIT, &c.unit)] {
                if let Some(value) = value {
                    triples.push(Triple::new(node.clone(), iri(predicate), iri(value)));
                }
            }
        }
        ConstraintNode::Logical(l) => {
            let predicate = match l.operator {
                LogicalOperator::And => odrl::AND,
                LogicalOperator::Or => odrl::OR,
                LogicalOperator::Xone => odrl::XONE,
                LogicalOperator::AndSequence => odrl::AND_SEQUENCE,
            };
            let operands: Vec<NamedOrBlankNode> = l
                .operands
                .iter()
                .map(|o| constraint_triples(o, triples))
                .collect();
            if l.operator == LogicalOperator::AndSequence {
                // Order matters: write an RDF list.
                let list = rdf_list(&operands, triples);
                triples.push(Triple::new(node.clone(), iri(predicate), list));
            } else {
                for operand in operands {
                    triples.push(Triple::new(node.clone(), iri(predicate), operand));
                }
            }
        }
        // Written as an empty constraint node: it stays malformed when read back.
        ConstraintNode::Malformed { .. } => {}
    }
    node
}

fn rdf_list(items: &[NamedOrBlankNode], triples: &mut Vec<Triple>) -> Term {
    let first = iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#first");
    let rest = iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest");
    let mut tail: Term = iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#nil").into();
    for item in items.iter().rev() {
        let cell = BlankNode::default();
        triples.push(Triple::new(cell.clone(), first.clone(), item.clone()));
        triples.push(Triple::new(cell.clone(), rest.clone(), tail));
        tail = cell.into();
    }
    tail
}

/// The policy as Turtle.
pub fn to_turtle(policy: &Policy) -> String {
    let mut serializer = oxttl::TurtleSerializer::new()
        .with_prefix("odrl", odrl::NS)
        .unwrap_or_else(|_| oxttl::TurtleSerializer::new())
        .for_writer(Vec::new());
    for triple in to_triples(policy) {
        // Writing to a Vec cannot fail.
        let _ = serializer.serialize_triple(&triple);
    }
    String::from_utf8(serializer.finish().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_policy_turtle;

    #[test]
    fn turtle_round_trip_preserves_the_model() {
        let text = "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n@prefix ex: <http://example.org/> .\n\
            ex:p a odrl:Agreement ; odrl:uid ex:p ; odrl:permission ex:r ; odrl:prohibition ex:n .\n\
            ex:r odrl:action odrl:read ; odrl:target ex:x ; odrl:assignee ex:a ; odrl:assigner ex:b ;\n\
              odrl:constraint ex:seq ; odrl:duty ex:d .\n\
            ex:d odrl:action odrl:attribute .\n\
            ex:n odrl:action odrl:sell .\n\
            ex:seq odrl:andSequence ( ex:c2 ex:c1 ) .\n\
            ex:c1 odrl:leftOperand odrl:count ; odrl:operator odrl:lt ; odrl:rightOperand 5 .\n\
            ex:c2 odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ; odrl:rightOperand ex:p1, ex:p2 .\n";
        let original = parse_policy_turtle(text).unwrap();
        let written = to_turtle(&original[0]);
        let again = parse_policy_turtle(&written).unwrap();
        assert_eq!(again, original, "{written}");
    }
}
