//! Evaluation semantics: every operator, logical constraint and left operand, the DPV purpose
//! hierarchy, and fail-closed behaviour on terms the engine does not understand.

use hanse_policy::{
    DateTime, Decision, Outcome, PrivacyFacts, Request, WorldState, evaluate, parse_policy_turtle,
};

const PREFIXES: &str = "@prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n\
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\
    @prefix dpv: <https://w3id.org/dpv#> .\n\
    @prefix hanse: <https://w3id.org/hanse#> .\n\
    @prefix ex: <http://example.org/> .\n";

fn now() -> DateTime {
    "2026-11-21T10:00:00Z".parse().unwrap()
}

fn world() -> WorldState {
    let mut world = WorldState::at(now());
    world
        .part_of
        .entry("http://example.org/mechelen".into())
        .or_default()
        .insert("http://example.org/flanders".into());
    world.agreement_start = Some("2026-11-01T10:00:00Z".parse().unwrap());
    world.use_count = Some(7);
    world.group_size = Some(12);
    world
}

fn request() -> Request {
    Request {
        assignee: Some("http://example.org/uni".into()),
        action: "http://www.w3.org/ns/odrl/2/read".into(),
        target: Some("http://example.org/water".into()),
        purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
        recipient: ["did:key:z6MkUni".to_owned(), "role:research".to_owned()].into(),
        spatial: Some("http://example.org/mechelen".into()),
    }
}

/// A one-permission policy with `constraint` (Turtle for the constraint's properties).
fn decide_with(constraint: &str, request: &Request, world: &WorldState) -> Decision {
    let text = format!(
        "{PREFIXES}ex:p a odrl:Offer ; odrl:permission ex:r .\n\
         ex:r odrl:action odrl:use ; odrl:target ex:water ; odrl:constraint ex:c .\n\
         ex:c {constraint} .\n"
    );
    let policies = parse_policy_turtle(&text).unwrap();
    evaluate(&policies[0], request, world)
}

fn decide(constraint: &str) -> Decision {
    decide_with(constraint, &request(), &world())
}

fn atomic(left: &str, operator: &str, right: &str) -> String {
    format!("odrl:leftOperand {left} ; odrl:operator odrl:{operator} ; odrl:rightOperand {right}")
}

fn permits(left: &str, operator: &str, right: &str) -> bool {
    decide(&atomic(left, operator, right)).permitted
}

#[test]
fn comparison_operators_on_date_times() {
    let t = |s: &str| format!("\"{s}\"^^xsd:dateTime");
    assert!(permits("odrl:dateTime", "eq", &t("2026-11-21T10:00:00Z")));
    assert!(!permits("odrl:dateTime", "eq", &t("2026-11-21T10:00:01Z")));
    assert!(permits("odrl:dateTime", "neq", &t("2026-11-21T10:00:01Z")));
    assert!(permits("odrl:dateTime", "lt", &t("2027-12-31T23:59:59Z")));
    assert!(!permits("odrl:dateTime", "lt", &t("2026-11-21T10:00:00Z")));
    assert!(permits("odrl:dateTime", "lteq", &t("2026-11-21T10:00:00Z")));
    assert!(permits("odrl:dateTime", "gt", &t("2026-01-01T00:00:00Z")));
    assert!(!permits("odrl:dateTime", "gt", &t("2026-11-21T10:00:00Z")));
    assert!(permits("odrl:dateTime", "gteq", &t("2026-11-21T10:00:00Z")));
    assert!(permits("odrl:dateTime", "lt", "\"2027-12-31\"^^xsd:date"));
}

#[test]
fn numbers_counts_durations_and_group_sizes() {
    assert!(permits("odrl:count", "lt", "10"));
    assert!(!permits("odrl:count", "lt", "7"));
    assert!(permits("odrl:count", "lteq", "7"));
    assert!(permits(
        "odrl:elapsedTime",
        "lteq",
        "\"P30D\"^^xsd:duration"
    ));
    assert!(!permits(
        "odrl:elapsedTime",
        "lt",
        "\"P7D\"^^xsd:dayTimeDuration"
    ));
    assert!(permits("hanse:minimumGroupSize", "gteq", "10"));
    assert!(!permits("hanse:minimumGroupSize", "gteq", "20"));
}

#[test]
fn the_privacy_profile_reads_what_the_answer_guarantees() {
    let mut noised = world();
    noised.privacy = Some(PrivacyFacts {
        unit: "http://www.w3.org/ns/sosa/hasFeatureOfInterest".into(),
        permitted_aggregates: vec!["https://w3id.org/hanse#Max".into()],
        epsilon: Some(0.5),
        spent: Some(9.5),
        bounds: Some((0.0, 500.0)),
        max_contributions: Some(1),
        max_groups: Some(1),
        budget_period_days: Some(365),
    });
    let decide_in = |left: &str, operator: &str, right: &str, world: &WorldState| {
        decide_with(&atomic(left, operator, right), &request(), world).permitted
    };
    for (left, operator, right, expected) in [
        ("hanse:epsilon", "lteq", "1.0", true),
        ("hanse:epsilon", "lteq", "0.25", false),
        ("hanse:privacyBudget", "lteq", "10", true),
        ("hanse:privacyBudget", "lteq", "9", false),
        ("hanse:lowerBound", "gteq", "0", true),
        ("hanse:upperBound", "lteq", "500", true),
        ("hanse:upperBound", "lteq", "100", false),
        ("hanse:maxContributions", "lteq", "1", true),
        ("hanse:maxGroups", "lteq", "1", true),
        ("hanse:budgetPeriod", "eq", "365", true),
        ("hanse:budgetPeriod", "eq", "30", false),
        (
            "hanse:privacyUnit",
            "eq",
            "<http://www.w3.org/ns/sosa/hasFeatureOfInterest>",
            true,
        ),
        ("hanse:privacyUnit", "eq", "ex:household", false),
        ("hanse:permittedAggregate", "isAnyOf", "hanse:Max", true),
        ("hanse:permittedAggregate", "isAnyOf", "hanse:Sample", false),
    ] {
        assert_eq!(
            decide_in(left, operator, right, &noised),
            expected,
            "{left} {operator} {right}"
        );
    }
    // Without the facts (an answer that is not aggregated), every privacy term fails closed.
    for left in ["hanse:epsilon", "hanse:privacyBudget", "hanse:privacyUnit"] {
        assert!(!decide_in(left, "lteq", "1", &world()), "{left}");
    }
}

#[test]
fn purposes_follow_the_dpv_hierarchy() {
    assert!(permits("odrl:purpose", "isA", "dpv:ResearchAndDevelopment"));
    assert!(permits("odrl:purpose", "isA", "dpv:AcademicResearch"));
    assert!(!permits("odrl:purpose", "isA", "dpv:PublicBenefit"));
    assert!(
        !permits("odrl:purpose", "eq", "dpv:ResearchAndDevelopment"),
        "eq is exact"
    );
    assert!(permits("odrl:purpose", "eq", "dpv:AcademicResearch"));
    assert!(permits(
        "odrl:purpose",
        "isAnyOf",
        "dpv:PublicBenefit, dpv:ScientificResearch, dpv:ResearchAndDevelopment"
    ));
    assert!(!permits(
        "odrl:purpose",
        "isAnyOf",
        "dpv:PublicBenefit, dpv:Marketing"
    ));
    assert!(permits(
        "odrl:purpose",
        "isNoneOf",
        "dpv:Marketing, dpv:SellProducts"
    ));
    assert!(!permits(
        "odrl:purpose",
        "isNoneOf",
        "dpv:Marketing, dpv:ResearchAndDevelopment"
    ));
    assert!(permits("odrl:purpose", "neq", "dpv:Marketing"));
}

#[test]
fn recipients_and_regions() {
    assert!(permits(
        "odrl:recipient",
        "isAnyOf",
        "<role:research>, <role:city>"
    ));
    assert!(!permits("odrl:recipient", "isAnyOf", "<role:utility>"));
    assert!(permits(
        "odrl:recipient",
        "isAllOf",
        "<role:research>, <did:key:z6MkUni>"
    ));
    assert!(!permits(
        "odrl:recipient",
        "isAllOf",
        "<role:research>, <did:key:z6MkOther>"
    ));
    assert!(permits("odrl:recipient", "eq", "<did:key:z6MkUni>"));
    assert!(permits("odrl:spatial", "isPartOf", "ex:flanders"));
    assert!(!permits("odrl:spatial", "isPartOf", "ex:wallonia"));
    assert!(permits("odrl:spatial", "isA", "ex:mechelen"));
    // hasPart: the region named on the right lies inside the request's region.
    let mut request = request();
    request.spatial = Some("http://example.org/flanders".into());
    let decision = decide_with(
        &atomic("odrl:spatial", "hasPart", "ex:mechelen"),
        &request,
        &world(),
    );
    assert!(decision.permitted, "{}", decision.reason);
}

#[test]
fn logical_constraints() {
    let c = |id: &str, body: String| format!("ex:{id} {body} .");
    let parts = [
        c("yes1", atomic("odrl:count", "lt", "10")),
        c(
            "yes2",
            atomic("odrl:purpose", "isA", "dpv:ResearchAndDevelopment"),
        ),
        c("no1", atomic("odrl:count", "gt", "100")),
    ]
    .join("\n");
    let check = |operator: &str, operands: &str| {
        decide(&format!(
            "odrl:{operator} {operands} .\n{parts}\nex:dummy ex:x ex:y"
        ))
        .permitted
    };
    assert!(check("and", "ex:yes1, ex:yes2"));
    assert!(!check("and", "ex:yes1, ex:no1"));
    assert!(check("or", "ex:no1, ex:yes1"));
    assert!(!check("or", "ex:no1"));
    assert!(check("xone", "ex:no1, ex:yes1"));
    assert!(!check("xone", "ex:yes1, ex:yes2"));
    assert!(check("andSequence", "( ex:yes1 ex:yes2 )"));
    let decision = decide(&format!(
        "odrl:andSequence ( ex:no1 ex:yes1 ) .\n{parts}\nex:dummy ex:x ex:y"
    ));
    assert!(!decision.permitted);
    // andSequence stops at the first failure: the second operand is never evaluated.
    let logical = &decision.rules[0].constraints[0];
    assert_eq!(logical.operands.len(), 1);
}

#[test]
fn unknown_terms_fail_closed_with_the_reason() {
    let unknown_left = decide(&atomic("ex:moonPhase", "eq", "\"full\""));
    assert!(!unknown_left.permitted);
    assert!(
        unknown_left.reason.contains("unknown left operand"),
        "{}",
        unknown_left.reason
    );
    let unknown_operator = decide(&atomic("odrl:count", "approximately", "7"));
    assert!(!unknown_operator.permitted);
    assert!(
        unknown_operator.reason.contains("unknown operator"),
        "{}",
        unknown_operator.reason
    );
    let missing_fact = decide_with(
        &atomic("odrl:purpose", "isA", "dpv:ResearchAndDevelopment"),
        &Request {
            purpose: None,
            ..request()
        },
        &world(),
    );
    assert!(!missing_fact.permitted);
    assert!(
        missing_fact.reason.contains("no purpose"),
        "{}",
        missing_fact.reason
    );
    let type_mismatch = decide(&atomic("odrl:dateTime", "lt", "\"soon\""));
    assert!(!type_mismatch.permitted);
    let malformed = decide("odrl:leftOperand odrl:count ; odrl:operator odrl:lt");
    assert!(!malformed.permitted);
    assert!(matches!(
        malformed.rules[0].constraints[0].outcome,
        Outcome::Error(ref e) if e.contains("no rightOperand")
    ));
}

#[test]
fn unknown_actions_grant_nothing_and_prohibitions_fail_closed() {
    let text = format!(
        "{PREFIXES}ex:p a odrl:Set ;\n\
           odrl:permission [ odrl:action ex:teleport ] ;\n\
           odrl:permission [ odrl:action odrl:read ] ;\n\
           odrl:prohibition [ odrl:action odrl:read ; odrl:constraint [ odrl:leftOperand ex:unknown ; odrl:operator odrl:eq ; odrl:rightOperand 1 ] ] .\n"
    );
    let policy = &parse_policy_turtle(&text).unwrap()[0];
    let decision = evaluate(policy, &request(), &world());
    assert!(
        !decision.permitted,
        "a prohibition that cannot be evaluated must still deny"
    );
    assert!(
        decision.reason.contains("prohibited"),
        "{}",
        decision.reason
    );

    let mut request = request();
    request.action = "http://example.org/teleport".into();
    let only_unknown =
        format!("{PREFIXES}ex:p a odrl:Set ; odrl:permission [ odrl:action odrl:use ] .\n");
    let policy = &parse_policy_turtle(&only_unknown).unwrap()[0];
    assert!(
        !evaluate(policy, &request, &world()).permitted,
        "use does not cover an unknown action"
    );
}

#[test]
fn the_water_utility_policy() {
    // Research or city members, research or public-benefit purposes, until 2027-12-31,
    // aggregates over at least 10 households.
    let text = format!(
        "{PREFIXES}ex:water-offer a odrl:Offer ; odrl:permission ex:share .\n\
         ex:share odrl:action odrl:use ; odrl:target ex:water ;\n\
           odrl:constraint [ odrl:and ex:who, ex:why, ex:until, ex:groups ] ;\n\
           odrl:duty [ odrl:action odrl:attribute ] .\n\
         ex:who odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ; odrl:rightOperand <role:research>, <role:city> .\n\
         ex:why odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ; odrl:rightOperand dpv:PublicBenefit, dpv:ScientificResearch, dpv:ResearchAndDevelopment .\n\
         ex:until odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lteq ; odrl:rightOperand \"2027-12-31T23:59:59Z\"^^xsd:dateTime .\n\
         ex:groups odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 .\n"
    );
    let policy = &parse_policy_turtle(&text).unwrap()[0];
    let decision = evaluate(policy, &request(), &world());
    assert!(decision.permitted, "{}", decision.reason);

    let mut small_groups = world();
    small_groups.group_size = Some(3);
    assert!(!evaluate(policy, &request(), &small_groups).permitted);
    let mut utility = request();
    utility.recipient = ["role:utility".to_owned()].into();
    assert!(!evaluate(policy, &utility, &world()).permitted);
    let mut marketing = request();
    marketing.purpose = Some("https://w3id.org/dpv#Marketing".into());
    assert!(!evaluate(policy, &marketing, &world()).permitted);
    let late = WorldState {
        now: "2028-01-01T00:00:00Z".parse().unwrap(),
        ..world()
    };
    assert!(!evaluate(policy, &request(), &late).permitted);
}

#[test]
fn json_ld_with_the_standard_odrl_context_parses_without_fetching() {
    let json = r#"{
      "@context": "http://www.w3.org/ns/odrl.jsonld",
      "@type": "Offer",
      "uid": "http://example.com/policy:6163",
      "permission": [{
        "target": "http://example.com/document:1234",
        "assigner": "http://example.com/org:616",
        "action": "read",
        "constraint": [{
          "leftOperand": "dateTime",
          "operator": "lt",
          "rightOperand": { "@value": "2030-01-01T00:00:00Z", "@type": "xsd:dateTime" }
        }]
      }]
    }"#;
    let policies = hanse_policy::parse_json_ld(json).unwrap();
    assert_eq!(policies.len(), 1);
    let policy = &policies[0];
    assert_eq!(policy.kind, hanse_policy::PolicyKind::Offer);
    assert_eq!(policy.uid, "http://example.com/policy:6163");
    let rule = &policy.permissions[0];
    assert_eq!(
        rule.action.as_deref(),
        Some("http://www.w3.org/ns/odrl/2/read")
    );
    assert_eq!(
        rule.target.as_deref(),
        Some("http://example.com/document:1234")
    );
    assert_eq!(rule.constraints.len(), 1);

    let elsewhere = json.replace(
        "http://www.w3.org/ns/odrl.jsonld",
        "https://example.org/ctx.jsonld",
    );
    let error = hanse_policy::parse_json_ld(&elsewhere)
        .unwrap_err()
        .to_string();
    assert!(error.contains("not fetched"), "{error}");
}

#[test]
fn temporal_resolution_is_compared_and_fails_closed_when_unknown() {
    let policies = hanse_policy::parse_turtle(
        r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix hanse: <https://w3id.org/hanse#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <urn:d> ;
          odrl:constraint [ odrl:leftOperand hanse:temporalResolution ; odrl:operator odrl:gteq ;
                            odrl:rightOperand "PT1H"^^xsd:dayTimeDuration ] ] ."#,
    )
    .unwrap();
    let mut request = request();
    request.target = Some("urn:d".into());
    let unknown = evaluate(&policies[0], &request, &world());
    assert!(!unknown.permitted);
    assert!(
        unknown.reason.contains("temporal resolution is not known"),
        "{}",
        unknown.reason
    );
    let hourly = WorldState {
        temporal_resolution: Some("PT1H".parse().unwrap()),
        ..world()
    };
    assert!(evaluate(&policies[0], &request, &hourly).permitted);
    let minutes = WorldState {
        temporal_resolution: Some("PT15M".parse().unwrap()),
        ..world()
    };
    assert!(!evaluate(&policies[0], &request, &minutes).permitted);
}

#[test]
fn reasons_name_rules_by_iri_or_by_their_place() {
    let named = decide_with(&atomic("odrl:count", "lteq", "10"), &request(), &world());
    assert_eq!(named.reason, "permitted by http://example.org/r");
    // A rule without an IRI is named by its place, not by a blank node label.
    let text = format!(
        "{PREFIXES}ex:p a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target ex:water ] ;\n\
         odrl:prohibition [ odrl:action odrl:use ; odrl:target ex:other ] .\n"
    );
    let policies = parse_policy_turtle(&text).unwrap();
    let decision = evaluate(&policies[0], &request(), &world());
    assert!(decision.permitted, "{}", decision.reason);
    assert_eq!(decision.reason, "permitted by the policy's permission 1");
}
