//! `hanse-testnet bench policy`: latency of one policy evaluation.
//!
//! The policy is the water utility's offer grown to ten constraints with nested logical
//! constraints (and / or / xone / andSequence) and DPV purpose lookups; the request passes
//! all of them, so every constraint is evaluated. Each evaluation is timed on its own;
//! the median, p99 and max are printed (goal: p99 under 50 µs).

use anyhow::{Context, Result};
use hanse_policy::{Request, WorldState, evaluate, parse_policy_turtle};
use std::time::{Duration, Instant};

/// Options of `bench policy`.
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyBenchOptions {
    /// Timed evaluations (after 10,000 warm-up ones).
    #[arg(long, default_value_t = 200_000)]
    pub evaluations: usize,
}

/// The benchmark policy: ten atomic constraints under nested logical constraints.
pub const TYPICAL_POLICY: &str = r#"
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix hanse: <https://w3id.org/hanse#> .
@prefix ex: <https://water.example/> .
ex:offer a odrl:Offer ; odrl:uid ex:offer ; odrl:permission ex:share .
ex:share odrl:action odrl:use ; odrl:target ex:consumption ;
  odrl:constraint ex:all ; odrl:duty [ odrl:action odrl:attribute ] .
ex:all odrl:and ex:who, ex:why, ex:when, ex:how .
ex:who odrl:or ex:research, ex:city, ex:named .
ex:research odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ; odrl:rightOperand <role:research> .
ex:city odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ; odrl:rightOperand <role:city> .
ex:named odrl:leftOperand odrl:recipient ; odrl:operator odrl:eq ; odrl:rightOperand <did:key:z6MkUniversity> .
ex:why odrl:xone ex:purpose, ex:excluded .
ex:purpose odrl:leftOperand odrl:purpose ; odrl:operator odrl:isAnyOf ; odrl:rightOperand dpv:PublicBenefit, dpv:ScientificResearch, dpv:ResearchAndDevelopment .
ex:excluded odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:Marketing .
ex:when odrl:andSequence ( ex:from ex:until ex:elapsed ) .
ex:from odrl:leftOperand odrl:dateTime ; odrl:operator odrl:gteq ; odrl:rightOperand "2026-01-01T00:00:00Z"^^xsd:dateTime .
ex:until odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lteq ; odrl:rightOperand "2027-12-31T23:59:59Z"^^xsd:dateTime .
ex:elapsed odrl:leftOperand odrl:elapsedTime ; odrl:operator odrl:lt ; odrl:rightOperand "P365D"^^xsd:duration .
ex:how odrl:and ex:groups, ex:uses .
ex:groups odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 .
ex:uses odrl:leftOperand odrl:count ; odrl:operator odrl:lt ; odrl:rightOperand 1000 .
"#;

/// Runs the benchmark and prints the figures.
pub fn run(options: PolicyBenchOptions) -> Result<()> {
    let policies = parse_policy_turtle(TYPICAL_POLICY).context("the benchmark policy parses")?;
    let policy = &policies[0];
    let request = Request {
        assignee: Some("did:key:z6MkUniversity".into()),
        action: "http://www.w3.org/ns/odrl/2/read".into(),
        target: Some("https://water.example/consumption".into()),
        purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
        recipient: [
            "did:key:z6MkUniversity".to_owned(),
            "role:research".to_owned(),
        ]
        .into(),
        spatial: None,
    };
    let mut world = WorldState::at("2026-11-21T10:00:00Z".parse()?);
    world.agreement_start = Some("2026-06-01T00:00:00Z".parse()?);
    world.use_count = Some(42);
    world.group_size = Some(25);
    let decision = evaluate(policy, &request, &world);
    anyhow::ensure!(
        decision.permitted,
        "benchmark request must pass: {}",
        decision.reason
    );

    for _ in 0..10_000 {
        std::hint::black_box(evaluate(policy, &request, &world));
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(options.evaluations);
    for _ in 0..options.evaluations {
        let started = Instant::now();
        std::hint::black_box(evaluate(
            std::hint::black_box(policy),
            std::hint::black_box(&request),
            &world,
        ));
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "policy evaluation, 10 constraints in nested and/or/xone/andSequence with DPV lookups, {} runs:",
        samples.len()
    );
    println!(
        "  median {:.2} µs   p99 {:.2} µs   max {:.2} µs   (goal: p99 < 50 µs)",
        us(at(0.5)),
        us(at(0.99)),
        us(at(1.0))
    );
    Ok(())
}
