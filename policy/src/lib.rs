//! hanse-policy: ODRL 2.2 policies — model, parser and a fail-closed evaluator (pure, no I/O).
//!
//! ```
//! use hanse_policy::{Request, WorldState, evaluate, parse_policy_turtle};
//! let policies = parse_policy_turtle(r#"
//!     @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
//!     <urn:p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
//!         odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
//!                           odrl:rightOperand <https://w3id.org/dpv#ResearchAndDevelopment> ] ] .
//! "#)?;
//! let request = Request {
//!     action: "http://www.w3.org/ns/odrl/2/read".into(),
//!     purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
//!     ..Request::default()
//! };
//! let world = WorldState::at("2026-11-21T10:00:00Z".parse()?);
//! assert!(evaluate(&policies[0], &request, &world).permitted);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```
//!
//! The caller passes "now", the requester and every other fact; the crate never reads a
//! clock, a file or the network.
//!
//! # Layout
//!
//! | module | concern |
//! |---|---|
//! | `model` | Policy, Rule, Constraint, LogicalConstraint, Value |
//! | `parse` | Turtle / JSON-LD -> model; malformed constraints kept as such |
//! | `request` | the request and the state of the world an evaluation is given |
//! | `taxonomy` | the ODRL action and DPV purpose hierarchies |
//! | `evaluate` | rule activation, decisions and reports |
//! | `operand` | left operands and the twelve operators |
//! | `serialize` | model -> RDF triples / Turtle |
//! | `plain_words` | a policy in plain English sentences, never claiming more than it grants |

mod evaluate;
mod model;
mod operand;
mod parse;
mod plain_words;
mod request;
mod serialize;
mod taxonomy;

pub use evaluate::{
    ConstraintReport, Decision, Outcome, Premise, PremiseReport, RuleReport, evaluate,
    is_known_left_operand,
};
pub use model::{
    Constraint, ConstraintNode, LogicalConstraint, LogicalOperator, Policy, PolicyKind, Rule,
    RuleKind, Value,
};
pub use operand::KNOWN_LEFT_OPERANDS;
pub use oxsdatatypes::DateTime;
pub use parse::{
    MAX_DEPTH, MAX_POLICY_BYTES, PolicyError, from_graph, parse_json_ld, parse_policy_turtle,
    parse_turtle, part_of, turtle_graph,
};
pub use plain_words::{PlainPolicy, plain_words};
pub use request::{PrivacyFacts, Request, WorldState};
pub use serialize::{to_triples, to_turtle};
pub use taxonomy::{action_included_in, purpose_is_a};
