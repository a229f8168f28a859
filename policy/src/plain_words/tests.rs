//! One test per construct: every left operand, every operator, every logical operator,
//! duties, prohibitions, remedies, obligations, and each kind of unknown term.

use super::*;
use crate::parse_policy_turtle;

const TARGET: &str = "https://city.example/dataset/air";

/// The sentences of a one-policy Turtle document (prefixes added).
fn say(body: &str) -> PlainPolicy {
    let text = format!(
        "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n\
         @prefix dpv: <https://w3id.org/dpv#> .\n\
         @prefix hanse: <https://w3id.org/hanse#> .\n\
         @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\
         @base <{TARGET}> .\n{body}"
    );
    let policies = parse_policy_turtle(&text).unwrap();
    plain_words(&policies[0], Some(TARGET))
}

/// The sentence of a permission to use with one constraint.
fn constrained(left: &str, operator: &str, right: &str) -> String {
    let policy = say(&format!(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
           odrl:constraint [ odrl:leftOperand {left} ; odrl:operator odrl:{operator} ;
                             odrl:rightOperand {right} ] ] ."
    ));
    assert_eq!(policy.sentences.len(), 1, "{policy:?}");
    policy.sentences[0].clone()
}

fn assert_says(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{text}` lacks `{part}`");
    }
}

#[test]
fn a_plain_permission_names_action_and_target() {
    let policy =
        say("<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] .");
    assert_eq!(
        policy.sentences,
        ["Anyone this offer reaches may use (query, read, analyse) this dataset."]
    );
    assert!(!policy.has_unknown_terms);
}

#[test]
fn recipient_roles_and_operators() {
    let text = constrained("odrl:recipient", "isAnyOf", "<role:research>, <role:city>");
    assert_says(
        &text,
        &["only for members with the ", "research role", "city role"],
    );
    assert_says(
        &constrained("odrl:recipient", "eq", "<role:city>"),
        &["only for members with the city role"],
    );
    assert_says(
        &constrained("odrl:recipient", "isNoneOf", "<role:utility>"),
        &["not for members with the utility role"],
    );
    assert_says(
        &constrained("odrl:recipient", "neq", "\"Acme\""),
        &["not for Acme"],
    );
}

#[test]
fn purposes_follow_the_dpv_hierarchy_in_words() {
    assert_says(
        &constrained("odrl:purpose", "isA", "dpv:PublicBenefit"),
        &["for public benefit purposes (or a more specific kind of it)"],
    );
    assert_says(
        &constrained("odrl:purpose", "eq", "dpv:AcademicResearch"),
        &["for exactly the purpose academic research"],
    );
    assert_says(
        &constrained("odrl:purpose", "isNoneOf", "dpv:Marketing"),
        &["not for marketing purposes"],
    );
}

#[test]
fn date_time_operators() {
    let date = "\"2027-12-31T00:00:00Z\"^^xsd:dateTime";
    for (operator, words) in [
        ("lt", "until 31 December 2027 (not on or after it)"),
        ("lteq", "until 31 December 2027 (inclusive)"),
        ("gt", "after 31 December 2027"),
        ("gteq", "from 31 December 2027"),
        ("eq", "only at 31 December 2027"),
        ("neq", "at any time except 31 December 2027"),
    ] {
        assert_says(&constrained("odrl:dateTime", operator, date), &[words]);
    }
    assert_says(
        &constrained(
            "odrl:dateTime",
            "lt",
            "\"2027-06-01T12:30:00Z\"^^xsd:dateTime",
        ),
        &["1 June 2027 12:30 UTC"],
    );
}

#[test]
fn elapsed_time_is_counted_from_the_agreement() {
    assert_says(
        &constrained("odrl:elapsedTime", "lteq", "\"P30D\"^^xsd:duration"),
        &["for up to 30 days from the start of the agreement"],
    );
    assert_says(
        &constrained("odrl:elapsedTime", "gt", "\"PT1H\"^^xsd:duration"),
        &["more than 1 hour"],
    );
}

#[test]
fn counts_limit_uses() {
    assert_says(
        &constrained("odrl:count", "lteq", "100"),
        &["at most 100 times in all"],
    );
    assert_says(
        &constrained("odrl:count", "lt", "5"),
        &["fewer than 5 times"],
    );
}

#[test]
fn spatial_regions() {
    assert_says(
        &constrained(
            "odrl:spatial",
            "isPartOf",
            "<https://sws.geonames.org/2791537/>",
        ),
        &["only in <https://sws.geonames.org/2791537/>"],
    );
    assert_says(
        &constrained("odrl:spatial", "hasPart", "<urn:region:centre>"),
        &["a region that contains <urn:region:centre>"],
    );
    assert_says(
        &constrained("odrl:spatial", "isAllOf", "<urn:a>, <urn:b>"),
        &["within <urn:a> and <urn:b>"],
    );
}

#[test]
fn minimum_group_size_means_aggregates_only() {
    assert_says(
        &constrained("hanse:minimumGroupSize", "gteq", "10"),
        &["only aggregates over groups of at least 10"],
    );
}

#[test]
fn temporal_resolution_is_said_to_be_refused() {
    let policy = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
           odrl:constraint [ odrl:leftOperand hanse:temporalResolution ; odrl:operator odrl:gteq ;
                             odrl:rightOperand \"PT1H\"^^xsd:duration ] ] .",
    );
    assert_says(
        &policy.sentences[0],
        &["grants nothing", "1 hour", "refused"],
    );
}

#[test]
fn every_operator_has_words() {
    for operator in KNOWN_OPERATORS {
        let text = constrained("odrl:count", operator, "3");
        assert!(!text.contains("unknown way"), "{operator}: {text}");
        assert!(!text.contains("grants nothing"), "{operator}: {text}");
    }
}

#[test]
fn logical_constraints() {
    let and = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
           odrl:constraint [ odrl:and (
             [ odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ; odrl:rightOperand <role:research>, <role:city> ]
             [ odrl:or (
               [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:PublicBenefit ]
               [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:ResearchAndDevelopment ] ) ]
             [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ; odrl:rightOperand \"2027-12-31T00:00:00Z\"^^xsd:dateTime ]
             [ odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 ] ) ] ;
           odrl:duty [ odrl:action odrl:attribute ] ] .",
    );
    assert_eq!(and.sentences.len(), 1);
    assert_says(
        &and.sentences[0],
        &[
            "may use (query, read, analyse) this dataset — only for members with the ",
            "; and either for ",
            "public benefit purposes",
            ", or for ",
            "; and until 31 December 2027",
            "; and only aggregates over groups of at least 10.",
            "In return you must attribute the data's provider.",
        ],
    );
    let xone = constrained_logical("xone");
    assert_says(
        &xone,
        &["exactly one of: from 1 January 2026; fewer than 5 times in all"],
    );
    let sequence = constrained_logical("andSequence");
    assert_says(
        &sequence,
        &["fewer than 5 times in all; then from 1 January 2026, checked in this order"],
    );
}

fn constrained_logical(operator: &str) -> String {
    say(&format!(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
           odrl:constraint [ odrl:{operator} (
             [ odrl:leftOperand odrl:count ; odrl:operator odrl:lt ; odrl:rightOperand 5 ]
             [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:gteq ; odrl:rightOperand \"2026-01-01T00:00:00Z\"^^xsd:dateTime ] ) ] ] ."
    ))
    .sentences[0]
        .clone()
}

#[test]
fn an_unknown_left_operand_grants_nothing() {
    let text = constrained("<https://example.org/weather>", "eq", "\"sunny\"");
    assert_says(
        &text,
        &["grants nothing", "https://example.org/weather", "never met"],
    );
    assert!(!text.contains(" may use"), "{text}");
}

#[test]
fn an_unknown_operator_grants_nothing() {
    let policy = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
           odrl:constraint [ odrl:leftOperand odrl:count ; odrl:operator <https://example.org/about> ; odrl:rightOperand 3 ] ] .",
    );
    assert!(policy.has_unknown_terms);
    assert_says(
        &policy.sentences[0],
        &["grants nothing", "https://example.org/about"],
    );
}

#[test]
fn an_or_with_one_unknown_branch_still_grants_the_known_one() {
    let policy = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
           odrl:constraint [ odrl:or (
             [ odrl:leftOperand <https://example.org/x> ; odrl:operator odrl:eq ; odrl:rightOperand 1 ]
             [ odrl:leftOperand odrl:count ; odrl:operator odrl:lt ; odrl:rightOperand 5 ] ) ] ] .",
    );
    assert!(policy.has_unknown_terms);
    assert_says(
        &policy.sentences[0],
        &["may use", "never met", "fewer than 5 times"],
    );
}

#[test]
fn an_unknown_action_is_named_as_unknown() {
    let policy =
        say("<#p> a odrl:Offer ; odrl:permission [ odrl:action <https://example.org/teleport> ] .");
    assert!(policy.has_unknown_terms);
    assert_says(&policy.sentences[0], &["an action this node does not know"]);
}

#[test]
fn prohibitions_and_their_remedies() {
    let policy = say(
        "<#p> a odrl:Offer ;
           odrl:permission [ odrl:action odrl:use ] ;
           odrl:prohibition [ odrl:action odrl:distribute ;
             odrl:constraint [ odrl:leftOperand odrl:spatial ; odrl:operator odrl:neq ; odrl:rightOperand <urn:eu> ] ;
             odrl:remedy [ odrl:action odrl:delete ] ] .",
    );
    assert_eq!(policy.sentences.len(), 2);
    assert_says(
        &policy.sentences[1],
        &[
            "may not distribute this dataset when not in <urn:eu>.",
            "If you do, you must delete.",
        ],
    );
}

#[test]
fn an_unreadable_prohibition_always_applies() {
    let policy = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ] ;
           odrl:prohibition [ odrl:action odrl:sell ;
             odrl:constraint [ odrl:leftOperand <https://example.org/x> ; odrl:operator odrl:eq ; odrl:rightOperand 1 ] ] .",
    );
    assert_says(
        &policy.sentences[1],
        &["may not sell this dataset — always"],
    );
}

#[test]
fn obligations_and_assignees() {
    let policy = say(
        "<#p> a odrl:Agreement ;
           odrl:permission [ odrl:action odrl:read ; odrl:assignee <did:key:z6MkabcdefghXYZ12345> ] ;
           odrl:obligation [ odrl:action odrl:inform ; odrl:assigner <https://city.example/> ] .",
    );
    assert_says(
        &policy.sentences[0],
        &["Only the member …XYZ12345 may read this dataset."],
    );
    assert_says(
        &policy.sentences[1],
        &["You must inform (<https://city.example/>)."],
    );
}

#[test]
fn a_policy_without_permissions_says_it_permits_nothing() {
    let policy = say("<#p> a odrl:Offer ; odrl:prohibition [ odrl:action odrl:use ] .");
    assert_says(&policy.sentences[0], &["permits nothing"]);
}

#[test]
fn malformed_constraints_are_never_met() {
    let policy = say(
        "<#p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ;
           odrl:constraint [ odrl:operator odrl:eq ; odrl:rightOperand 1 ] ] .",
    );
    assert!(policy.has_unknown_terms);
    assert_says(&policy.sentences[0], &["grants nothing", "cannot be read"]);
}
