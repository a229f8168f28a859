//! Latency of one policy evaluation: `cargo bench -p hanse-policy --bench evaluation`.
//!
//! The policy (`typical_policy.ttl`) has ten atomic constraints under nested logical
//! constraints and DPV purpose lookups; the request passes all of them, so every constraint
//! is evaluated. Criterion estimates the mean time per evaluation; because the goal is a
//! tail figure (p99 under 50 µs), the bench first times 200,000 evaluations one by one and
//! prints their median, p99 and maximum.

#![allow(missing_docs)]

use criterion::Criterion;
use hanse_policy::{Policy, Request, WorldState, evaluate, parse_policy_turtle};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TYPICAL_POLICY: &str = include_str!("typical_policy.ttl");
const TIMED_ONE_BY_ONE: usize = 200_000;

/// The policy, a request that satisfies every constraint, and the state of the world.
fn fixture() -> (Policy, Request, WorldState) {
    let mut policies = parse_policy_turtle(TYPICAL_POLICY).expect("the benchmark policy parses");
    let policy = policies.remove(0);
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
    let parse = |text: &str| text.parse().expect("a valid xsd:dateTime");
    let mut world = WorldState::at(parse("2026-11-21T10:00:00Z"));
    world.agreement_start = Some(parse("2026-06-01T00:00:00Z"));
    world.use_count = Some(42);
    world.group_size = Some(25);
    let decision = evaluate(&policy, &request, &world);
    assert!(
        decision.permitted,
        "the benchmark request must pass: {}",
        decision.reason
    );
    (policy, request, world)
}

/// Times evaluations one by one and prints the median, p99 and maximum.
fn tail_latency(policy: &Policy, request: &Request, world: &WorldState) {
    for _ in 0..10_000 {
        black_box(evaluate(policy, request, world));
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(TIMED_ONE_BY_ONE);
    for _ in 0..TIMED_ONE_BY_ONE {
        let started = Instant::now();
        black_box(evaluate(black_box(policy), black_box(request), world));
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "policy evaluation, 10 constraints in nested and/or/xone/andSequence with DPV lookups, \
         {TIMED_ONE_BY_ONE} runs timed one by one:"
    );
    println!(
        "  median {:.2} µs   p99 {:.2} µs   max {:.2} µs   (goal: p99 < 50 µs)",
        us(at(0.5)),
        us(at(0.99)),
        us(at(1.0))
    );
}

fn main() {
    let (policy, request, world) = fixture();
    let mut criterion = Criterion::default().configure_from_args();
    // `cargo test --benches` runs each bench once as a smoke test: skip the long sampling.
    if std::env::args().any(|arg| arg == "--bench") {
        tail_latency(&policy, &request, &world);
    }
    criterion.bench_function("evaluate typical policy (10 constraints)", |bencher| {
        bencher.iter(|| evaluate(black_box(&policy), black_box(&request), black_box(&world)))
    });
    criterion.final_summary();
}
