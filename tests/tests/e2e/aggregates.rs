//! Aggregates that cannot leak, end to end: a utility shares the demo's household water
//! consumption (4 districts of 96, 68, 48 and 6 households, 7 daily readings each) as an
//! aggregation-only dataset, once without noise and twice with differential privacy; a
//! research node sends every attack we know through the real remote-query path (HTTP API,
//! libp2p, the provider's guard) and none gets an individual's value or identifier out.

use crate::support::{Running, full_mesh, mesh, start, status_and_body, stop};
use anyhow::{Context, Result, ensure};
use hanse_node::Role;
use hanse_node::client::NodeClient;
use hanse_node::demo::data::water_consumption;
use hanse_node::test_utils::{PreparedNode, prepare_nodes, test_consortium_with_roles};
use hanse_vocab::{hanse, sosa};
use oxigraph::model::{Quad, Term};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const BASE: &str = "https://water.example/";
const ACADEMIC: &str = "https://w3id.org/dpv#AcademicResearch";
const RESEARCH: &str = "https://w3id.org/dpv#ScientificResearch";
const DISTRICTS: [(&str, usize); 4] = [("noord", 96), ("zuid", 68), ("oost", 48), ("west", 6)];
const PREFIXES: &str =
    "PREFIX sosa: <http://www.w3.org/ns/sosa/> PREFIX h: <https://w3id.org/hanse#> ";
/// The star every query starts from: observation, household, reading, meter, district.
const STAR: &str = "?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v ; sosa:madeBySensor ?m . ?h h:district ?d";

/// The utility's offer: research members, research purposes, groups of 10 households, and
/// the privacy terms given.
fn offer(terms: &str) -> String {
    format!(
        r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix hanse: <https://w3id.org/hanse#> .
<#offer> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
  odrl:constraint [ odrl:and (
    [ odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ; odrl:rightOperand <role:research> ]
    [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:ResearchAndDevelopment ]
    [ odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 ]
    {terms} ) ] ] ."#
    )
}

fn dp_terms(epsilon: &str, budget: &str) -> String {
    format!(
        "[ odrl:leftOperand hanse:epsilon ; odrl:operator odrl:lteq ; odrl:rightOperand {epsilon} ]
         [ odrl:leftOperand hanse:privacyBudget ; odrl:operator odrl:lteq ; odrl:rightOperand {budget} ]
         [ odrl:leftOperand hanse:lowerBound ; odrl:operator odrl:gteq ; odrl:rightOperand 0 ]
         [ odrl:leftOperand hanse:upperBound ; odrl:operator odrl:lteq ; odrl:rightOperand 500 ]"
    )
}

/// What the data holds, to compare answers with and to look for leaks.
#[derive(Default)]
struct Truth {
    /// household IRI -> (district, readings)
    households: BTreeMap<String, (String, Vec<f64>)>,
    /// Every observation, meter and household IRI.
    identifiers: Vec<String>,
    /// One observation: (IRI, household, reading).
    observation: (String, String, f64),
}

impl Truth {
    fn of(quads: &[Quad]) -> Self {
        let mut truth = Truth::default();
        let mut by_observation: BTreeMap<String, (Option<String>, Option<f64>)> = BTreeMap::new();
        for quad in quads {
            let subject = quad.subject.to_string();
            let subject = subject.trim_matches(['<', '>']).to_owned();
            let value = match &quad.object {
                Term::NamedNode(n) => n.as_str().to_owned(),
                Term::Literal(l) => l.value().to_owned(),
                other => other.to_string(),
            };
            match quad.predicate.as_str() {
                p if p == hanse::DISTRICT => {
                    truth.households.entry(subject).or_default().0 = value;
                }
                p if p == sosa::HAS_FEATURE_OF_INTEREST => {
                    by_observation.entry(subject).or_default().0 = Some(value);
                }
                p if p == sosa::HAS_SIMPLE_RESULT => {
                    by_observation.entry(subject).or_default().1 = value.parse().ok();
                }
                p if p == sosa::MADE_BY_SENSOR => truth.identifiers.push(value),
                _ => {}
            }
        }
        for (observation, (household, reading)) in by_observation {
            let (Some(household), Some(reading)) = (household, reading) else {
                continue;
            };
            truth
                .households
                .entry(household.clone())
                .or_default()
                .1
                .push(reading);
            if truth.observation.0.is_empty() {
                truth.observation = (observation.clone(), household, reading);
            }
            truth.identifiers.push(observation);
        }
        truth.identifiers.extend(truth.households.keys().cloned());
        truth
    }

    fn readings(&self, district: &str) -> Vec<f64> {
        self.households
            .values()
            .filter(|(d, _)| d == district)
            .flat_map(|(_, r)| r.iter().copied())
            .collect()
    }

    fn households_of(&self, district: &str) -> Vec<&String> {
        self.households
            .iter()
            .filter(|(_, (d, _))| d == district)
            .map(|(h, _)| h)
            .collect()
    }

    /// Identifiers of individuals or records in `answer` that the query did not name.
    fn leaks(&self, answer: &Value, query: &str) -> Vec<String> {
        let text = answer.to_string();
        self.identifiers
            .iter()
            .filter(|i| text.contains(i.as_str()) && !query.contains(i.as_str()))
            .cloned()
            .collect()
    }
}

struct Scene {
    _nodes: Vec<PreparedNode>,
    running: Vec<Running>,
    truth: Truth,
    utility: String,
    /// Agreements: exact, noised, small budget.
    exact: String,
    noised: String,
    small: String,
}

async fn post(node: &Running, path: &str, body: Value) -> Result<(u16, Value)> {
    let response = node.http.post_request(path).json(&body).send().await?;
    status_and_body(response).await
}

async fn get(node: &Running, path: &str) -> Result<Value> {
    let response = node.http.get_request(path).send().await?;
    Ok(status_and_body(response).await?.1)
}

/// Three members: a city (steward), the utility, the research node; the utility holds the
/// same data under three datasets, each with its agreement.
async fn scene(seed: u8) -> Result<Scene> {
    let nodes = prepare_nodes(3, seed)?;
    let document = test_consortium_with_roles(
        &nodes.iter().collect::<Vec<_>>(),
        &[Role::City, Role::Utility, Role::Research],
    )?;
    for node in &nodes {
        node.install(&document)?;
    }
    let running = mesh(&nodes).await?;
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    full_mesh(&running, &names).await?;
    let (utility, research) = (&running[1], &running[2]);
    let mut truth = None;
    for (id, terms) in [
        ("consumption", String::new()),
        ("consumption-noised", dp_terms("1.0", "100")),
        ("consumption-small", dp_terms("1", "3")),
    ] {
        let graph = format!("{BASE}graph/{id}");
        let quads = water_consumption(BASE, &graph, &DISTRICTS, 7, 0xa7e7);
        truth.get_or_insert_with(|| Truth::of(&quads));
        utility.handle.store().extend(quads)?;
        let (status, body) = post(
            utility,
            "/api/datasets",
            json!({ "id": id, "title": "Household water consumption", "graphs": [graph],
                    "description": "Daily litres per household", "access_rights": "restricted",
                    "policy": offer(&terms) }),
        )
        .await?;
        ensure!(status == 201, "{body}");
    }
    let utility_peer = utility.peer_id()?;
    let mut agreements = Vec::new();
    for (dataset, purpose) in [
        ("consumption", ACADEMIC),
        ("consumption-noised", RESEARCH),
        ("consumption-small", ACADEMIC),
    ] {
        let (status, agreement) = post(
            research,
            "/api/agreements",
            json!({ "provider": utility_peer, "dataset": dataset, "purpose": purpose }),
        )
        .await?;
        ensure!(status == 201, "{agreement}");
        agreements.push(agreement["id"].as_str().context("id")?.to_owned());
    }
    Ok(Scene {
        _nodes: nodes,
        truth: truth.context("data")?,
        utility: utility_peer,
        exact: agreements[0].clone(),
        noised: agreements[1].clone(),
        small: agreements[2].clone(),
        running,
    })
}

impl Scene {
    async fn ask(&self, agreement: &str, query: &str) -> Result<Value> {
        let (dataset, purpose) = if agreement == self.noised {
            ("consumption-noised", RESEARCH)
        } else if agreement == self.small {
            ("consumption-small", ACADEMIC)
        } else {
            ("consumption", ACADEMIC)
        };
        let (status, answer) = post(
            &self.running[2],
            "/api/remote/sparql",
            json!({ "provider": self.utility, "query": format!("{PREFIXES}{query}"),
                    "purpose": purpose, "agreements": [agreement], "datasets": [dataset] }),
        )
        .await?;
        ensure!(status == 200, "{status} {answer}");
        let leaks = self.truth.leaks(&answer, query);
        ensure!(leaks.is_empty(), "{query} leaked {leaks:?}: {answer}");
        Ok(answer)
    }
}

fn bindings(answer: &Value) -> Vec<BTreeMap<String, String>> {
    answer["results"]["results"]["bindings"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v["value"].as_str().unwrap_or("").to_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row.get(column)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Every attack: refused by name, before anything is evaluated.
fn attacks(truth: &Truth) -> Vec<(String, &'static str)> {
    let (observation, household, _) = &truth.observation;
    let meter = household.replace("/household/", "/meter/");
    let utility_service = "hanse://12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/sparql";
    vec![
        (format!("SELECT (GROUP_CONCAT(STR(?v); separator=\"|\") AS ?all) WHERE {{ {STAR} }}"), "GROUP_CONCAT is refused"),
        (format!("SELECT (MAX(?v) AS ?max) WHERE {{ {STAR} }}"), "MAX is refused"),
        (format!("SELECT (MIN(?v) AS ?min) WHERE {{ {STAR} }}"), "MIN is refused"),
        (format!("SELECT (SAMPLE(?o) AS ?one) WHERE {{ {STAR} }}"), "SAMPLE is refused"),
        (format!("SELECT (SUM(IF(STR(?o) = \"{observation}\", ?v, 0)) AS ?one) WHERE {{ {STAR} }}"), "IF("),
        (format!("SELECT (SUM(IF(?h = <{household}>, ?v, 0)) AS ?one) WHERE {{ {STAR} }}"), "IF("),
        (format!("SELECT (AVG(COALESCE(?v, 0)) AS ?one) WHERE {{ {STAR} }}"), "COALESCE("),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(?d = \"noord\" && ?h != <{household}>) }} GROUP BY ?d"), "FILTER may only test"),
        (format!("SELECT (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(?o = <{observation}>) }}"), "FILTER may only test"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(REGEX(STR(?h), \"noord/001$\")) }} GROUP BY ?d"), "FILTER may only test"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(STRSTARTS(STR(?m), \"{meter}\")) }} GROUP BY ?d"), "FILTER may only test"),
        (format!("SELECT ?d (COUNT(*) AS ?n) WHERE {{ {STAR} FILTER(LANG(?v) = \"\" && DATATYPE(?v) = <http://www.w3.org/2001/XMLSchema#double> && ?v > 340) }} GROUP BY ?d"), "FILTER may only test"),
        (format!("SELECT (SUM(?s) AS ?t) WHERE {{ {{ SELECT ?h (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?h }} }}"), "sub-queries"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?d HAVING (COUNT(DISTINCT ?h) < 10)"), "HAVING"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY DESC(SUM(?v)) LIMIT 1"), "LIMIT"),
        (format!("SELECT ?d (MAX(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY DESC(?s)"), "MAX is refused"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY DESC(?s)"), "ORDER BY may only use"),
        (format!("SELECT ?k (SUM(?v) AS ?s) WHERE {{ {STAR} BIND(STR(?v) AS ?k) }} GROUP BY ?k"), "BIND"),
        (format!("SELECT ?k (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY (IF(?h = <{household}>, \"one\", \"rest\") AS ?k)"), "BIND"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ VALUES ?h {{ <{household}> }} {STAR} }} GROUP BY ?d"), "VALUES"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ SERVICE <{utility_service}> {{ {STAR} }} }} GROUP BY ?d"), "SERVICE"),
        (format!("SELECT (SUM(?v) AS ?s) WHERE {{ {{ {STAR} FILTER(?d = \"west\") }} UNION {{ {STAR} FILTER(?d = \"oost\") }} }}"), "UNION"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} OPTIONAL {{ ?h h:x ?y }} }} GROUP BY ?d"), "OPTIONAL"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} MINUS {{ ?h h:district \"west\" }} }} GROUP BY ?d"), "MINUS"),
        (format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER NOT EXISTS {{ ?h h:x ?y }} }} GROUP BY ?d"), "EXISTS"),
        ("SELECT ?d (COUNT(*) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h . ?h h:district+ ?d } GROUP BY ?d".into(), "property paths"),
        (format!("SELECT ?h (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?h"), "GROUP BY ?h"),
        (format!("SELECT ?o (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?o"), "GROUP BY ?o"),
        (format!("SELECT (SUM(?v) AS ?s) WHERE {{ ?o sosa:hasFeatureOfInterest <{household}> ; sosa:hasSimpleResult ?v }}"), "names the individual"),
        (format!("SELECT (SUM(?v) AS ?s) WHERE {{ <{observation}> sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v }}"), "names the record"),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?x }".into(), "whose data"),
        ("SELECT (SUM(?v) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h ; sosa:observedProperty ?p . ?x sosa:observedProperty ?p ; sosa:hasSimpleResult ?v }".into(), "does not start from"),
        (format!("SELECT ?o ?v WHERE {{ {STAR} }}"), "aggregation-only"),
        (format!("ASK {{ {STAR} FILTER(?v > 349) }}"), "aggregation-only"),
        (format!("DESCRIBE <{household}>"), "aggregation-only"),
    ]
}

fn denied(answer: &Value, needle: &str) -> bool {
    answer["status"] == "denied"
        && answer["results"].is_null()
        && answer["reason"]
            .as_str()
            .is_some_and(|r| r.contains(needle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_cannot_leak_with_or_without_noise() -> Result<()> {
    let scene = scene(71).await?;
    let truth = &scene.truth;

    // Every attack is refused, without noise and with it, naming what was refused.
    let attacks = attacks(truth);
    for agreement in [&scene.exact, &scene.noised] {
        for (query, needle) in &attacks {
            // Under noise, an expression inside SUM is harmless (see below).
            if agreement == &scene.noised && needle.ends_with('(') {
                continue;
            }
            let answer = scene.ask(agreement, query).await?;
            ensure!(
                denied(&answer, needle),
                "{query}\nexpected `{needle}`: {answer}"
            );
        }
    }
    println!(
        "{} attacks refused without noise and with it",
        attacks.len()
    );

    // Queries that pass the shape but single out households find only withheld groups.
    let meter = truth.observation.1.replace("/household/", "/meter/");
    for query in [
        format!(
            "SELECT (SUM(?v) AS ?s) WHERE {{ ?o sosa:hasFeatureOfInterest ?h ; sosa:hasSimpleResult ?v ; sosa:madeBySensor <{meter}> }}"
        ),
        format!("SELECT ?m (SUM(?v) AS ?s) WHERE {{ {STAR} }} GROUP BY ?m"),
        format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(?d = \"west\") }} GROUP BY ?d"),
    ] {
        let answer = scene.ask(&scene.exact, &query).await?;
        ensure!(
            answer["status"] == "complete" && answer["rows"] == 0,
            "{query}: {answer}"
        );
        ensure!(
            answer["privacy"]["suppressed_groups"].as_u64() >= Some(1),
            "{answer}"
        );
    }
    // Another dataset's graph is outside the agreement's dataset: named in GRAPH, nothing is
    // found there; a FROM is replaced by the agreement's dataset (the same three districts).
    let other = format!("{BASE}graph/consumption-noised");
    for (query, rows) in [
        (
            format!(
                "SELECT ?d (SUM(?v) AS ?s) WHERE {{ GRAPH <{other}> {{ {STAR} }} }} GROUP BY ?d"
            ),
            0,
        ),
        (
            format!("SELECT ?d (SUM(?v) AS ?s) FROM <{other}> WHERE {{ {STAR} }} GROUP BY ?d"),
            3,
        ),
    ] {
        let answer = scene.ask(&scene.exact, &query).await?;
        ensure!(
            answer["status"] == "complete" && answer["rows"] == rows,
            "{query}: {answer}"
        );
    }
    // Grouped by every value a record has: only values shared by 10 households come back.
    let answer = scene
        .ask(&scene.exact, "SELECT ?x (COUNT(DISTINCT ?h) AS ?n) WHERE { ?o sosa:hasFeatureOfInterest ?h ; ?p ?x } GROUP BY ?x")
        .await?;
    for row in bindings(&answer) {
        ensure!(number(&row, "n") >= 10.0, "{row:?}");
    }

    // Without noise, large groups are answered exactly; the west (6 households) is not.
    let answer = scene
        .ask(&scene.exact, &format!("SELECT ?d (COUNT(DISTINCT ?h) AS ?n) (COUNT(*) AS ?c) (SUM(?v) AS ?s) (AVG(?v) AS ?a) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY ?d"))
        .await?;
    let rows = bindings(&answer);
    let districts: Vec<&str> = rows.iter().map(|r| r["d"].as_str()).collect();
    ensure!(districts == ["noord", "oost", "zuid"], "{answer}");
    for row in &rows {
        let readings = truth.readings(&row["d"]);
        let sum: f64 = readings.iter().sum();
        ensure!(
            number(row, "n") == truth.households_of(&row["d"]).len() as f64,
            "{row:?}"
        );
        ensure!(number(row, "c") == readings.len() as f64, "{row:?}");
        ensure!((number(row, "s") - sum).abs() < 1e-6, "{row:?} vs {sum}");
        ensure!(
            (number(row, "a") - sum / readings.len() as f64).abs() < 1e-6,
            "{row:?}"
        );
    }
    ensure!(answer["privacy"]["suppressed_groups"] == 1, "{answer}");
    // The issue's differencing pair: the sum over noord is answered, the same sum without one
    // household's IRI is refused above (`?h != <…>` in a FILTER).
    let noord = scene
        .ask(
            &scene.exact,
            &format!(
                "SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(?d = \"noord\") }} GROUP BY ?d"
            ),
        )
        .await?;
    ensure!(bindings(&noord).len() == 1, "{noord}");

    differential_privacy(&scene).await?;
    budget_and_concurrency(&scene).await?;
    federated_report(&scene).await?;
    let mut scene = scene;
    budget_outlives_agreements(&mut scene).await?;
    stop(scene.running).await
}

/// With noise: means within the noise, small groups withheld, the same answer to the same
/// question, and a differencing pair that no longer reveals a household.
async fn differential_privacy(scene: &Scene) -> Result<()> {
    let truth = &scene.truth;
    let query = format!(
        "SELECT ?d (AVG(?v) AS ?mean) (COUNT(DISTINCT ?h) AS ?n) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY ?d"
    );
    let first = scene.ask(&scene.noised, &query).await?;
    let noise = &first["privacy"]["noise"];
    ensure!(
        noise["epsilon"] == 1.0 && noise["charged"] == 1.0,
        "{first}"
    );
    ensure!(
        noise["remaining"] == 99.0 && noise["repeated"] == false,
        "{first}"
    );
    let scale = noise["columns"][0]["scale"].as_f64().context("scale")?;
    for row in bindings(&first) {
        ensure!(
            row["d"] != "west",
            "the west's 6 households are released: {first}"
        );
        let readings = truth.readings(&row["d"]);
        let mean = readings.iter().sum::<f64>() / readings.len() as f64;
        let households = truth.households_of(&row["d"]).len() as f64;
        let error = (number(&row, "mean") - mean).abs();
        ensure!(
            error <= 10.0 * scale / households,
            "{row:?}: mean {mean}, scale {scale}"
        );
        println!(
            "{}: mean {:.1} (true {mean:.1}), households {} (true {households})",
            row["d"],
            number(&row, "mean"),
            row["n"]
        );
    }
    // The same question, written again with other spacing and full IRIs: the same answer,
    // charged nothing.
    let rewritten = query
        .replace("sosa:", "<http://www.w3.org/ns/sosa/")
        .replace("hasFeatureOfInterest", "hasFeatureOfInterest>")
        .replace("hasSimpleResult", "hasSimpleResult>")
        .replace("madeBySensor", "madeBySensor>")
        .replace(' ', "  ");
    for again in [query.as_str(), rewritten.as_str()] {
        let again = scene.ask(&scene.noised, again).await?;
        ensure!(again["results"] == first["results"], "{again} vs {first}");
        let noise = &again["privacy"]["noise"];
        ensure!(
            noise["charged"] == 0.0 && noise["repeated"] == true && noise["remaining"] == 99.0,
            "{again}"
        );
    }
    // Under noise, COUNT(DISTINCT *) would count records exactly enough to find a duplicate.
    let distinct = scene
        .ask(
            &scene.noised,
            &format!("SELECT ?d (COUNT(DISTINCT *) AS ?n) WHERE {{ {STAR} }} GROUP BY ?d"),
        )
        .await?;
    ensure!(denied(&distinct, "COUNT(DISTINCT *)"), "{distinct}");

    // One reading singled out with IF inside SUM: clamped and noised, not revealed.
    let (observation, _, reading) = &truth.observation;
    let single = scene
        .ask(
            &scene.noised,
            &format!("SELECT (SUM(IF(?o = <{observation}>, ?v, 0)) AS ?one) WHERE {{ {STAR} }}"),
        )
        .await?;
    let released = number(&bindings(&single)[0], "one");
    ensure!(
        (released - reading).abs() > 1.0,
        "{released} reveals {reading}"
    );

    // Differencing: noord's sum with and without one household, for five households.
    let all =
        format!("SELECT ?d (SUM(?v) AS ?s) WHERE {{ {STAR} FILTER(?d = \"noord\") }} GROUP BY ?d");
    let mut misses = Vec::new();
    for household in truth.households_of("noord").into_iter().take(5) {
        let without = all.replace("SUM(?v)", &format!("SUM(IF(?h = <{household}>, 0, ?v))"));
        let a = number(&bindings(&scene.ask(&scene.noised, &all).await?)[0], "s");
        let b = number(
            &bindings(&scene.ask(&scene.noised, &without).await?)[0],
            "s",
        );
        let readings = &truth.households[household].1;
        // One record per household counts: its mean reading is what it adds.
        let contribution = readings.iter().sum::<f64>() / readings.len() as f64;
        misses.push(((a - b) - contribution).abs());
    }
    println!("differencing pairs miss a household's mean by {misses:.0?} litres");
    ensure!(misses.iter().all(|m| *m > 1.0), "{misses:?}");
    ensure!(misses.iter().sum::<f64>() / 5.0 > 50.0, "{misses:?}");
    Ok(())
}

/// A budget of three answers: repeats are free, the fourth new answer is refused, concurrent
/// queries never overspend, and both sides show what is left.
async fn budget_and_concurrency(scene: &Scene) -> Result<()> {
    let query = |d: &str| {
        format!(
            "SELECT ?d (COUNT(DISTINCT ?h) AS ?n) WHERE {{ {STAR} FILTER(?d = \"{d}\") }} GROUP BY ?d"
        )
    };
    let first = scene.ask(&scene.small, &query("noord")).await?;
    ensure!(first["privacy"]["noise"]["remaining"] == 2.0, "{first}");
    let again = scene.ask(&scene.small, &query("noord")).await?;
    ensure!(
        again["results"] == first["results"] && again["privacy"]["noise"]["remaining"] == 2.0,
        "{again}"
    );
    // Six different questions at once for the two answers left.
    let questions: Vec<String> = [
        "zuid",
        "oost",
        "west",
        "noord\" || ?d = \"zuid",
        "zuid\" || ?d = \"oost",
        "x",
    ]
    .iter()
    .map(|d| query(d))
    .collect();
    let answers =
        futures::future::try_join_all(questions.iter().map(|q| scene.ask(&scene.small, q))).await?;
    let answered = answers.iter().filter(|a| a["status"] == "complete").count();
    let spent = answers
        .iter()
        .filter(|a| denied(a, "privacy budget") && denied(a, "is spent"))
        .count();
    ensure!((answered, spent) == (2, 4), "{answers:?}");
    let repeat = scene.ask(&scene.small, &query("noord")).await?;
    ensure!(repeat["results"] == first["results"], "{repeat}");
    for (node, side) in [
        (&scene.running[1], "provider"),
        (&scene.running[2], "consumer"),
    ] {
        let agreement = get(node, &format!("/api/agreements/{}", scene.small)).await?;
        let budget = &agreement["privacy_budget"];
        ensure!(
            budget["remaining"] == 0.0 && budget["budget"] == 3.0,
            "{side}: {agreement}"
        );
    }
    let provider = get(
        &scene.running[1],
        &format!("/api/agreements/{}", scene.small),
    )
    .await?;
    ensure!(provider["privacy_budget"]["answers"] == 3, "{provider}");
    Ok(())
}

/// The small budget is spent (see `budget_and_concurrency`): a second agreement for the same
/// dataset and purpose continues it, so a new question is refused, and after the utility
/// restarts too. Both audit logs name the person who asked.
async fn budget_outlives_agreements(scene: &mut Scene) -> Result<()> {
    let research = &scene.running[2];
    let (status, alice) = post(
        research,
        "/api/users",
        json!({ "name": "alice", "roles": ["researcher:dpv:AcademicResearch"] }),
    )
    .await?;
    ensure!(status == 201, "{alice}");
    let alice = alice["token"].as_str().context("token")?.to_owned();
    let (status, again) = post(
        research,
        "/api/agreements",
        json!({ "provider": scene.utility, "dataset": "consumption-small", "purpose": ACADEMIC }),
    )
    .await?;
    ensure!(status == 201, "{again}");
    let second = again["id"].as_str().context("id")?.to_owned();
    ensure!(
        second != scene.small,
        "the same agreement came back: {again}"
    );
    let provider = scene.utility.clone();
    let ask = |node: &Running, query: &'static str| {
        let request = NodeClient::bearer(node.handle.http_url(), &alice)
            .post_request("/api/remote/sparql")
            .json(&json!({ "provider": provider,
                "query": format!("{PREFIXES}SELECT ?d (COUNT(DISTINCT ?h) AS ?n) WHERE {{ {STAR} FILTER(?d != \"{query}\") }} GROUP BY ?d"),
                "purpose": ACADEMIC, "agreements": [second.clone()], "datasets": ["consumption-small"] }));
        async move { status_and_body(request.send().await?).await }
    };
    let (status, refused) = ask(research, "nowhere").await?;
    ensure!(status == 200, "{status} {refused}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    ensure!(
        refused["status"] == "denied" && reason.contains("is spent"),
        "a new agreement reset the budget: {refused}"
    );
    ensure!(!reason.contains("new agreement"), "{reason}");
    println!("second agreement, new question: {reason}");

    // The utility restarts: the ledger is durable.
    let utility = scene.running.remove(1);
    utility.handle.shutdown().await?;
    let bootstrap = vec![scene.running[0].handle.p2p_address().await?];
    scene
        .running
        .insert(1, start(&scene._nodes[1], &bootstrap).await?);
    let names: Vec<String> = scene._nodes.iter().map(|n| n.name.clone()).collect();
    full_mesh(&scene.running, &names).await?;
    let research = &scene.running[2];
    let (status, refused) = ask(research, "elsewhere").await?;
    ensure!(status == 200, "{status} {refused}");
    ensure!(
        refused["status"] == "denied"
            && refused["reason"]
                .as_str()
                .is_some_and(|r| r.contains("is spent")),
        "after a restart: {refused}"
    );

    // Both sides' audit logs name alice.
    for (node, side) in [(&scene.running[1], "provider"), (research, "consumer")] {
        let entries = get(node, "/api/audit?from=0").await?;
        let named = entries
            .as_array()
            .context("entries")?
            .iter()
            .filter(|e| e["person"] == "user:alice")
            .count();
        ensure!(named >= 2, "{side}: {named} entries name user:alice");
    }
    Ok(())
}

/// A federated aggregate that only the utility can answer goes to it whole; the report says
/// what was withheld and noised.
async fn federated_report(scene: &Scene) -> Result<()> {
    let research = &scene.running[2];
    crate::support::eventually(
        Duration::from_secs(60),
        "the utility's datasets in the research catalogue",
        || async {
            let datasets: Vec<Value> = research
                .http
                .get_request("/api/catalog/federated")
                .send()
                .await?
                .json()
                .await?;
            Ok(datasets
                .iter()
                .filter(|d| {
                    d["identifier"]
                        .as_str()
                        .is_some_and(|i| i.starts_with("consumption"))
                })
                .count()
                == 3)
        },
    )
    .await?;
    let query = format!(
        "{PREFIXES}SELECT ?d (AVG(?v) AS ?mean) WHERE {{ {STAR} }} GROUP BY ?d ORDER BY ?d"
    );
    let purpose = RESEARCH.replace('#', "%23");
    let response = research
        .http
        .post_request(&format!("/sparql?federated=true&purpose={purpose}"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query.clone())
        .send()
        .await?;
    let (status, answer) = status_and_body(response).await?;
    ensure!(status == 200, "{status} {answer}");
    let leaks = scene.truth.leaks(&answer, &query);
    ensure!(leaks.is_empty(), "{leaks:?}");
    ensure!(answer["federation"]["mode"] == "single-source", "{answer}");
    let source = &answer["federation"]["sources"][0];
    ensure!(source["privacy"]["noise"]["epsilon"] == 1.0, "{answer}");
    ensure!(source["privacy"]["minimum_group_size"] == 10, "{answer}");
    let districts = bindings(&json!({ "results": answer })).len();
    ensure!((1..=3).contains(&districts), "{answer}");
    println!("federated report: {}", source["privacy"]["summary"]);
    Ok(())
}
