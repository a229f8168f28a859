//! Reading ODRL policies from RDF (Turtle or JSON-LD) into the [`crate::model`].
//!
//! Parsing is lenient where ODRL is lenient (one or many objects, RDF lists or repeated
//! values) and strict where evaluation would otherwise guess: a constraint without a left
//! operand, operator or right operand becomes [`ConstraintNode::Malformed`], which is never
//! satisfied.

use crate::model::{
    Constraint, ConstraintNode, LogicalConstraint, LogicalOperator, Policy, PolicyKind, Rule,
    RuleKind, Value,
};
use hanse_vocab::{odrl, rdf};
use oxrdf::{Graph, NamedOrBlankNodeRef, Term, TermRef};
use std::collections::HashSet;

/// Largest policy document accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting of logical constraints accepted.
pub const MAX_DEPTH: usize = 32;

const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
const RDF_NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
const RDF_VALUE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value";

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is not valid Turtle / JSON-LD; the message names the position.
    #[error("policy syntax error: {0}")]
    Syntax(String),
    /// The document is larger than [`MAX_POLICY_BYTES`].
    #[error("policy document is {0} bytes, over the {MAX_POLICY_BYTES}-byte limit")]
    TooLarge(usize),
    /// No `odrl:Set`, `odrl:Offer`, `odrl:Agreement` or `odrl:Policy` in the document.
    #[error(
        "the document holds no ODRL policy (no odrl:Set, odrl:Offer, odrl:Agreement or odrl:Policy)"
    )]
    NoPolicy,
}

/// Parses every policy in a Turtle document.
pub fn parse_turtle(text: &str) -> Result<Vec<Policy>, PolicyError> {
    Ok(from_graph(&turtle_graph(text)?))
}

/// Parses every policy in a JSON-LD document. The standard ODRL context URL is served from
/// hanse's embedded copy; any other remote context is refused (the parser does no I/O), so
/// inline it.
pub fn parse_json_ld(text: &str) -> Result<Vec<Policy>, PolicyError> {
    check_size(text)?;
    let mut graph = Graph::new();
    let parser = oxjsonld::JsonLdParser::new()
        .for_slice(text.as_bytes())
        .with_load_document_callback(|url, _| {
            if hanse_vocab::ODRL_CONTEXT_URLS.contains(&url) {
                Ok(oxjsonld::JsonLdRemoteDocument {
                    document: hanse_vocab::odrl_context().into_bytes(),
                    document_url: url.to_owned(),
                })
            } else {
                Err(format!("remote JSON-LD context {url} is not fetched; inline it").into())
            }
        });
    for quad in parser {
        let quad = quad.map_err(|e| PolicyError::Syntax(e.to_string()))?;
        graph.insert(oxrdf::TripleRef::new(
            &quad.subject,
            &quad.predicate,
            &quad.object,
        ));
    }
    Ok(from_graph(&graph))
}

/// Parses a Turtle document into a graph (used for policies, requests and states of the world).
pub fn turtle_graph(text: &str) -> Result<Graph, PolicyError> {
    check_size(text)?;
    let mut graph = Graph::new();
    for triple in oxttl::TurtleParser::new().for_slice(text.as_bytes()) {
        let triple = triple.map_err(|e| PolicyError::Syntax(e.to_string()))?;
        graph.insert(&triple);
    }
    Ok(graph)
}

fn check_size(text: &str) -> Result<(), PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge(text.len()));
    }
    Ok(())
}

/// Every policy in `graph` (an empty vector if there is none).
pub fn from_graph(graph: &Graph) -> Vec<Policy> {
    let mut seen = HashSet::new();
    let mut policies = Vec::new();
    // Most specific type first: a catalogue types an offer both `odrl:Offer` and
    // `odrl:Policy` (DCAT-AP's range), and it must still read as an offer.
    for (class, kind) in [
        (odrl::OFFER, PolicyKind::Offer),
        (odrl::AGREEMENT, PolicyKind::Agreement),
        (odrl::SET, PolicyKind::Set),
        (odrl::POLICY, PolicyKind::Set),
    ] {
        let class = oxrdf::NamedNodeRef::new_unchecked(class);
        let type_ = oxrdf::NamedNodeRef::new_unchecked(rdf::TYPE);
        for subject in graph.subjects_for_predicate_object(type_, class) {
            if seen.insert(subject.into_owned()) {
                policies.push(read_policy(graph, subject, kind));
            }
        }
    }
    policies.sort_by(|a, b| a.uid.cmp(&b.uid));
    policies
}

/// Parses Turtle and returns the policies, failing if there is none.
pub fn parse_policy_turtle(text: &str) -> Result<Vec<Policy>, PolicyError> {
    let policies = parse_turtle(text)?;
    if policies.is_empty() {
        return Err(PolicyError::NoPolicy);
    }
    Ok(policies)
}

fn label(node: NamedOrBlankNodeRef<'_>) -> String {
    match node {
        NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNodeRef::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn objects<'a>(
    graph: &'a Graph,
    subject: NamedOrBlankNodeRef<'a>,
    predicate: &'a str,
) -> impl Iterator<Item = TermRef<'a>> + 'a {
    graph.objects_for_subject_predicate(subject, oxrdf::NamedNodeRef::new_unchecked(predicate))
}

fn node_of(term: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}

/// The IRI of a party/asset/action object; for a blank node with `rdf:value` (refined
/// actions) the value's IRI.
fn iri_of(graph: &Graph, term: TermRef<'_>) -> Option<String> {
    match term {
        TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
        TermRef::BlankNode(b) => objects(graph, b.into(), RDF_VALUE)
            .next()
            .and_then(|v| iri_of(graph, v)),
        _ => None,
    }
}

fn first_iri(graph: &Graph, subject: NamedOrBlankNodeRef<'_>, predicate: &str) -> Option<String> {
    objects(graph, subject, predicate).find_map(|o| iri_of(graph, o))
}

fn read_policy(graph: &Graph, subject: NamedOrBlankNodeRef<'_>, kind: PolicyKind) -> Policy {
    let uid = first_iri(graph, subject, odrl::UID).unwrap_or_else(|| label(subject));
    let rules = |predicate, kind| {
        let mut rules: Vec<Rule> = objects(graph, subject, predicate)
            .filter_map(node_of)
            .map(|node| read_rule(graph, node, kind))
            .collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        rules
    };
    Policy {
        uid,
        kind,
        permissions: rules(odrl::PERMISSION, RuleKind::Permission),
        prohibitions: rules(odrl::PROHIBITION, RuleKind::Prohibition),
        obligations: rules(odrl::OBLIGATION, RuleKind::Duty),
    }
}

fn read_rule(graph: &Graph, node: NamedOrBlankNodeRef<'_>, kind: RuleKind) -> Rule {
    let nested = |predicate, kind| {
        objects(graph, node, predicate)
            .filter_map(node_of)
            .map(|n| read_rule(graph, n, kind))
            .collect::<Vec<_>>()
    };
    Rule {
        id: label(node),
        kind,
        action: first_iri(graph, node, odrl::ACTION),
        target: first_iri(graph, node, odrl::TARGET),
        assignee: first_iri(graph, node, odrl::ASSIGNEE),
        assigner: first_iri(graph, node, odrl::ASSIGNER),
        constraints: objects(graph, node, odrl::CONSTRAINT)
            .map(|o| read_constraint(graph, o, 0))
            .collect(),
        duties: nested(odrl::DUTY, RuleKind::Duty),
        remedies: nested(odrl::REMEDY, RuleKind::Duty),
    }
}

/// Members of an RDF list starting at `head`, bounded so a cyclic list cannot hang.
fn list_items<'a>(graph: &'a Graph, head: TermRef<'a>) -> Option<Vec<TermRef<'a>>> {
    let mut items = Vec::new();
    let mut current = head;
    for _ in 0..10_000 {
        if let TermRef::NamedNode(n) = current
            && n.as_str() == RDF_NIL
        {
            return Some(items);
        }
        let node = node_of(current)?;
        items.push(objects(graph, node, RDF_FIRST).next()?);
        current = objects(graph, node, RDF_REST).next()?;
    }
    None
}

/// Objects of `predicate`, flattening an RDF list if the single object is one.
fn values<'a>(
    graph: &'a Graph,
    subject: NamedOrBlankNodeRef<'a>,
    predicate: &'a str,
) -> Vec<TermRef<'a>> {
    let mut direct: Vec<TermRef<'a>> = objects(graph, subject, predicate).collect();
    if let [single] = direct.as_slice()
        && let Some(items) = list_items(graph, *single)
        && !items.is_empty()
    {
        return items;
    }
    // Repeated objects form a set; sort them so the model does not depend on graph order.
    direct.sort_by_key(|t| t.to_string());
    direct
}

fn read_constraint(graph: &Graph, term: TermRef<'_>, depth: usize) -> ConstraintNode {
    let Some(node) = node_of(term) else {
        return ConstraintNode::Malformed {
            id: term.to_string(),
            reason: "a constraint must be a resource, not a literal".into(),
        };
    };
    let id = label(node);
    if depth > MAX_DEPTH {
        return ConstraintNode::Malformed {
            id,
            reason: format!("logical constraints nested deeper than {MAX_DEPTH}"),
        };
    }
    for (predicate, operator) in [
        (odrl::AND, LogicalOperator::And),
        (odrl::OR, LogicalOperator::Or),
        (odrl::XONE, LogicalOperator::Xone),
        (odrl::AND_SEQUENCE, LogicalOperator::AndSequence),
    ] {
        let operands = values(graph, node, predicate);
        if !operands.is_empty() {
            let mut operands: Vec<ConstraintNode> = operands
                .into_iter()
                .map(|o| read_constraint(graph, o, depth + 1))
                .collect();
            if operator != LogicalOperator::AndSequence {
                // Repeated objects carry no order; sort for stable reports.
                operands.sort_by(|a, b| a.id().cmp(b.id()));
            }
            return ConstraintNode::Logical(LogicalConstraint {
                id,
                operator,
                operands,
            });
        }
    }
    let left = first_iri(graph, node, odrl::LEFT_OPERAND);
    let operator = first_iri(graph, node, odrl::OPERATOR);
    let right: Vec<Value> = values(graph, node, odrl::RIGHT_OPERAND)
        .into_iter()
        .filter_map(|t| match t.into_owned() {
            Term::NamedNode(n) => Some(Value::Iri(n.into_string())),
            Term::Literal(l) => {
                let (lexical, datatype, _) = l.destruct();
                Some(Value::Literal {
                    lexical,
                    datatype: datatype.map_or_else(
                        || "http://www.w3.org/2001/XMLSchema#string".to_owned(),
                        |d| d.into_string(),
                    ),
                })
            }
            _ => None,
        })
        .collect();
    match (left, operator) {
        (Some(left_operand), Some(operator)) if !right.is_empty() => {
            ConstraintNode::Atomic(Constraint {
                id,
                left_operand,
                operator,
                right_operand: right,
                data_type: first_iri(graph, node, odrl::DATA_TYPE),
                unit: first_iri(graph, node, odrl::UNIT),
            })
        }
        (left, operator) => ConstraintNode::Malformed {
            id,
            reason: format!(
                "incomplete constraint:{}{}{}",
                if left.is_none() {
                    " no leftOperand"
                } else {
                    ""
                },
                if operator.is_none() {
                    " no operator"
                } else {
                    ""
                },
                if right.is_empty() {
                    " no rightOperand"
                } else {
                    ""
                },
            ),
        },
    }
}

/// The subjects a node is `odrl:partOf`, from a state-of-the-world graph.
pub fn part_of(graph: &Graph) -> Vec<(String, String)> {
    graph
        .triples_for_predicate(oxrdf::NamedNodeRef::new_unchecked(odrl::PART_OF))
        .filter_map(|t| {
            let member = label(t.subject);
            let collection = match t.object {
                TermRef::NamedNode(n) => n.as_str().to_owned(),
                _ => return None,
            };
            Some((member, collection))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIXES: &str = "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n";

    #[test]
    fn reads_rules_constraints_and_lists() {
        let text = format!(
            "{PREFIXES}ex:p a odrl:Offer ; odrl:uid ex:p ; odrl:permission ex:r .\n\
             ex:r odrl:action odrl:read ; odrl:target ex:x ; odrl:assignee ex:alice ;\n\
               odrl:constraint [ odrl:andSequence ( ex:c1 ex:c2 ) ] ;\n\
               odrl:duty [ odrl:action odrl:compensate ] .\n\
             ex:c1 odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand \"2030-01-01T00:00:00Z\"^^xsd:dateTime .\n\
             ex:c2 odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ; odrl:rightOperand ( ex:a ex:b ) .\n"
        );
        let policies = parse_policy_turtle(&text).unwrap();
        let rule = &policies[0].permissions[0];
        assert_eq!(policies[0].kind, PolicyKind::Offer);
        assert_eq!(
            rule.action.as_deref(),
            Some("http://www.w3.org/ns/odrl/2/read")
        );
        let ConstraintNode::Logical(seq) = &rule.constraints[0] else {
            panic!()
        };
        assert_eq!(seq.operator, LogicalOperator::AndSequence);
        assert_eq!(seq.operands[0].id(), "http://example.org/c1");
        let ConstraintNode::Atomic(c2) = &seq.operands[1] else {
            panic!()
        };
        assert_eq!(c2.right_operand.len(), 2);
        assert_eq!(rule.duties.len(), 1);
    }

    #[test]
    fn incomplete_constraints_are_malformed_not_dropped() {
        let text = format!(
            "{PREFIXES}ex:p a odrl:Set ; odrl:permission [ odrl:action odrl:read ; odrl:constraint ex:c ] .\n\
             ex:c odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt .\n"
        );
        let policies = parse_policy_turtle(&text).unwrap();
        let ConstraintNode::Malformed { reason, .. } = &policies[0].permissions[0].constraints[0]
        else {
            panic!()
        };
        assert!(reason.contains("no rightOperand"), "{reason}");
    }

    #[test]
    fn reads_json_ld() {
        let text = r#"{
            "@context": {"odrl": "http://www.w3.org/ns/odrl/2/", "dpv": "https://w3id.org/dpv#"},
            "@id": "http://example.org/p", "@type": "odrl:Offer",
            "odrl:permission": {
                "odrl:action": {"@id": "odrl:use"},
                "odrl:constraint": {
                    "odrl:leftOperand": {"@id": "odrl:purpose"},
                    "odrl:operator": {"@id": "odrl:isA"},
                    "odrl:rightOperand": {"@id": "dpv:ResearchAndDevelopment"}
                }
            }
        }"#;
        let policies = parse_json_ld(text).unwrap();
        assert_eq!(policies[0].kind, PolicyKind::Offer);
        let ConstraintNode::Atomic(c) = &policies[0].permissions[0].constraints[0] else {
            panic!()
        };
        assert_eq!(
            c.right_operand,
            vec![Value::Iri(
                "https://w3id.org/dpv#ResearchAndDevelopment".into()
            )]
        );
        assert!(matches!(
            parse_json_ld("{\"@id\": "),
            Err(PolicyError::Syntax(_))
        ));
    }

    #[test]
    fn syntax_errors_and_empty_documents_are_named() {
        assert!(matches!(
            parse_turtle("ex:a ex:b"),
            Err(PolicyError::Syntax(_))
        ));
        assert_eq!(parse_policy_turtle(PREFIXES), Err(PolicyError::NoPolicy));
    }
}
