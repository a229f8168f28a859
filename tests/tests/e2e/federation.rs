//! Federated SPARQL end to end: six members (three cities with sensor data, a region with
//! reference data, a utility with restricted data, a research node asking). Every query of
//! the suite is answered by `/sparql?federated=true` on the research node and compared with
//! the same query over one store holding exactly the data the research node may use; the
//! datasets it may not use are reported as skipped, not asked. A member killed during a
//! query yields a partial answer with that member marked failed.

use crate::support::{Running, full_mesh, mesh, status_and_body, stop};
use anyhow::{Context, Result, ensure};
use hanse_node::Role;
use hanse_node::demo::data::{
    AIR_QUALITY, BICYCLE_COUNTS, PARKING, SensorSample, sensor_observations, water_consumption,
};
use hanse_node::demo::members::UTILITY_OFFER;
use hanse_node::test_utils::{OPEN_OFFER, PreparedNode, prepare_nodes, test_consortium_with_roles};
use hanse_vocab::{rdf, rdfs, sdm};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use oxigraph::sparql::results::QueryResultsFormat;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const RESEARCH: &str = "https://w3id.org/dpv#ScientificResearch";
const REGION: &str = "https://region.example/";
const CITY: &str = "https://region.example/ns#city";

/// Open data, but only for providing a service: research may not use it.
const SERVICE_ONLY_OFFER: &str = r#"
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<#offer> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
  odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:eq ;
                    odrl:rightOperand <https://w3id.org/dpv#ServiceProvision> ] ] .
"#;

/// One dataset a member publishes.
struct Dataset {
    id: &'static str,
    access: &'static str,
    policy: &'static str,
    quads: Vec<Quad>,
    /// Whether the research node may use it (and so whether the reference store holds it).
    usable: bool,
}

fn city_sensors(
    base: &str,
    city: &str,
    kind: &hanse_node::demo::data::SensorKind,
    graph: &str,
    sensors: usize,
    seed: u64,
) -> Vec<Quad> {
    let mut quads = sensor_observations(
        kind,
        &SensorSample {
            base,
            graph,
            centre: (51.0, 4.4),
            sensors,
            hours: 24,
            seed,
        },
    );
    // Each sensor names the city it stands in, a resource of the region's reference data.
    let graph = GraphName::NamedNode(NamedNode::new_unchecked(graph));
    for sensor in 0..sensors {
        quads.push(Quad::new(
            NamedNode::new_unchecked(format!("{base}sensor/{}-{sensor:04}", kind.code)),
            NamedNode::new_unchecked(CITY),
            NamedNode::new_unchecked(format!("{REGION}city/{city}")),
            graph.clone(),
        ));
    }
    quads
}

fn reference_data(graph: &str) -> Vec<Quad> {
    let graph = GraphName::NamedNode(NamedNode::new_unchecked(graph));
    let mut quads = Vec::new();
    let mut add = |s: &str, p: &str, o: Term| {
        quads.push(Quad::new(
            NamedNode::new_unchecked(s),
            NamedNode::new_unchecked(p),
            o,
            graph.clone(),
        ));
    };
    for (city, name, population) in [
        ("mechelen", "Mechelen", 87_000),
        ("bruges", "Bruges", 119_000),
        ("delft", "Delft", 104_000),
        ("ghent", "Ghent", 265_000),
    ] {
        let iri = format!("{REGION}city/{city}");
        add(
            &iri,
            rdf::TYPE,
            NamedNode::new_unchecked(format!("{REGION}ns#City")).into(),
        );
        add(&iri, rdfs::LABEL, Literal::new_simple_literal(name).into());
        add(
            &iri,
            &format!("{REGION}ns#population"),
            Literal::from(population).into(),
        );
    }
    for (property, label) in [
        (sdm::NO2, "Nitrogen dioxide"),
        (sdm::PM10, "PM10"),
        (sdm::PM25, "PM2.5"),
        (sdm::INTENSITY, "Traffic intensity"),
    ] {
        add(
            property,
            rdfs::LABEL,
            Literal::new_language_tagged_literal_unchecked(label, "en").into(),
        );
    }
    quads
}

/// The members' datasets: research (0) has none; mechelen, bruges, delft, region, utility.
fn consortium_data() -> Vec<Vec<Dataset>> {
    let graph = |city: &str, id: &str| format!("https://{city}.example/graph/{id}");
    let base = |city: &str| format!("https://{city}.example/");
    let dataset = |id, access, policy, quads, usable| Dataset {
        id,
        access,
        policy,
        quads,
        usable,
    };
    vec![
        Vec::new(),
        vec![
            dataset(
                "air",
                "public",
                OPEN_OFFER,
                city_sensors(
                    &base("mechelen"),
                    "mechelen",
                    &AIR_QUALITY,
                    &graph("mechelen", "air"),
                    3,
                    1,
                ),
                true,
            ),
            dataset(
                "bikes",
                "public",
                OPEN_OFFER,
                city_sensors(
                    &base("mechelen"),
                    "mechelen",
                    &BICYCLE_COUNTS,
                    &graph("mechelen", "bikes"),
                    2,
                    2,
                ),
                true,
            ),
        ],
        vec![
            dataset(
                "air",
                "public",
                OPEN_OFFER,
                city_sensors(
                    &base("bruges"),
                    "bruges",
                    &AIR_QUALITY,
                    &graph("bruges", "air"),
                    2,
                    3,
                ),
                true,
            ),
            dataset(
                "bikes",
                "public",
                SERVICE_ONLY_OFFER,
                city_sensors(
                    &base("bruges"),
                    "bruges",
                    &BICYCLE_COUNTS,
                    &graph("bruges", "bikes"),
                    2,
                    4,
                ),
                false,
            ),
        ],
        vec![
            dataset(
                "air",
                "public",
                OPEN_OFFER,
                city_sensors(
                    &base("delft"),
                    "delft",
                    &AIR_QUALITY,
                    &graph("delft", "air"),
                    2,
                    5,
                ),
                true,
            ),
            dataset(
                "parking",
                "public",
                OPEN_OFFER,
                city_sensors(
                    &base("delft"),
                    "delft",
                    &PARKING,
                    &graph("delft", "parking"),
                    2,
                    6,
                ),
                true,
            ),
            dataset(
                "cameras",
                "non-public",
                OPEN_OFFER,
                city_sensors(
                    &base("delft"),
                    "delft",
                    &BICYCLE_COUNTS,
                    &graph("delft", "cameras"),
                    1,
                    7,
                ),
                false,
            ),
        ],
        vec![dataset(
            "reference",
            "public",
            OPEN_OFFER,
            reference_data("https://region.example/graph/reference"),
            true,
        )],
        vec![dataset(
            "consumption",
            "restricted",
            UTILITY_OFFER,
            water_consumption(
                "https://water.example/",
                "https://water.example/graph/consumption",
                &[("north", 12), ("south", 11)],
                3,
                9,
            ),
            false,
        )],
    ]
}

/// The suite: single-source, multi-source joins, OPTIONAL, UNION, FILTER, aggregates,
/// LIMIT/ORDER BY, property paths inside one source, MINUS, NOT EXISTS, ASK, VALUES.
const QUERIES: &[&str] = &[
    // 1. single source (only Delft has car parks)
    "SELECT ?place ?wkt WHERE { ?place a <https://smartdatamodels.org/dataModel.Parking/OffStreetParking> ; <http://www.opengis.net/ont/geosparql#hasGeometry>/<http://www.opengis.net/ont/geosparql#asWKT> ?wkt }",
    // 2. single source by subject authority, variable predicate
    "SELECT ?p ?o WHERE { <https://bruges.example/sensor/aq-0001> ?p ?o }",
    // 3. the researcher's question: mean NO2 per city, joined with the region's names
    "SELECT ?name (AVG(?v) AS ?mean) (COUNT(?obs) AS ?n) WHERE { ?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/no2> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <https://region.example/ns#city> ?c . ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name } GROUP BY ?name ORDER BY ?name",
    // 4. NO2 next to bicycle counts per city
    "SELECT ?c ?no2 ?bikes WHERE { { SELECT ?c (AVG(?v) AS ?no2) WHERE { ?o <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/no2> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <https://region.example/ns#city> ?c } GROUP BY ?c } { SELECT ?c (AVG(?b) AS ?bikes) WHERE { ?o <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Transportation/intensity> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?b ; <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <https://region.example/ns#city> ?c } GROUP BY ?c } } ORDER BY ?c",
    // 5. OPTIONAL across members: every city, with its sensors if any
    "SELECT ?c ?name ?s WHERE { ?c a <https://region.example/ns#City> ; <http://www.w3.org/2000/01/rdf-schema#label> ?name OPTIONAL { ?s <https://region.example/ns#city> ?c } }",
    // 6. UNION of two kinds of places
    "SELECT ?kind (COUNT(?p) AS ?n) WHERE { { ?p a <https://smartdatamodels.org/dataModel.Environment/AirQualityObserved> BIND(\"air\" AS ?kind) } UNION { ?p a <https://smartdatamodels.org/dataModel.Transportation/TrafficFlowObserved> BIND(\"traffic\" AS ?kind) } } GROUP BY ?kind ORDER BY ?kind",
    // 7. numeric FILTER
    "SELECT ?obs ?v WHERE { ?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/pm10> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v FILTER(?v > 21.5) }",
    // 8. time-window FILTER with aggregates
    "SELECT ?prop (MIN(?v) AS ?min) (MAX(?v) AS ?max) WHERE { ?obs <http://www.w3.org/ns/sosa/observedProperty> ?prop ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/resultTime> ?t FILTER(?t >= \"2026-11-01T06:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> && ?t < \"2026-11-01T09:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>) } GROUP BY ?prop ORDER BY ?prop",
    // 9. ORDER BY and LIMIT
    "SELECT ?obs ?v WHERE { ?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/no2> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v } ORDER BY DESC(?v) ?obs LIMIT 5",
    // 10. property path inside one source
    "SELECT ?obs ?wkt WHERE { ?obs <http://www.w3.org/ns/sosa/hasFeatureOfInterest>/<http://www.opengis.net/ont/geosparql#hasGeometry>/<http://www.opengis.net/ont/geosparql#asWKT> ?wkt ; <http://www.w3.org/ns/sosa/resultTime> \"2026-11-01T03:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> }",
    // 11. join with the region's labels of observed properties
    "SELECT ?label (COUNT(*) AS ?n) WHERE { ?obs <http://www.w3.org/ns/sosa/observedProperty> ?p . ?p <http://www.w3.org/2000/01/rdf-schema#label> ?label } GROUP BY ?label ORDER BY ?label",
    // 12. MINUS: cities without sensors
    "SELECT ?c WHERE { ?c a <https://region.example/ns#City> MINUS { ?s <https://region.example/ns#city> ?c } }",
    // 13. FILTER NOT EXISTS: sensors whose city has no population recorded (none) or all sensors of populous cities
    "SELECT ?s WHERE { ?s <https://region.example/ns#city> ?c FILTER NOT EXISTS { ?c <https://region.example/ns#population> ?n FILTER(?n < 100000) } }",
    // 14. ASK
    "ASK { ?obs <http://www.w3.org/ns/sosa/hasSimpleResult> ?v FILTER(?v > 1000) }",
    // 15. VALUES and DISTINCT
    "SELECT DISTINCT ?s WHERE { VALUES ?c { <https://region.example/city/delft> <https://region.example/city/bruges> } ?s <https://region.example/ns#city> ?c ; a <http://www.w3.org/ns/sosa/Sensor> }",
    // 16. COUNT DISTINCT over every member
    "SELECT (COUNT(DISTINCT ?s) AS ?sensors) (COUNT(?obs) AS ?observations) WHERE { ?obs <http://www.w3.org/ns/sosa/madeBySensor> ?s }",
    // 17. population-weighted join, BIND and HAVING
    "SELECT ?name (SUM(?v) / COUNT(?v) AS ?mean) WHERE { ?c <https://region.example/ns#population> ?pop ; <http://www.w3.org/2000/01/rdf-schema#label> ?name . ?s <https://region.example/ns#city> ?c . ?obs <http://www.w3.org/ns/sosa/madeBySensor> ?s ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v BIND(?pop > 100000 AS ?large) FILTER(?large) } GROUP BY ?name HAVING (COUNT(?v) > 10) ORDER BY ?name",
    // 18. everything: answers larger than one chunk
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
];

async fn post_dataset(node: &Running, dataset: &Dataset, graph: &str) -> Result<()> {
    let response = node
        .http
        .post_request("/api/datasets")
        .json(&json!({
            "id": dataset.id, "title": format!("{} of {}", dataset.id, node.name),
            "description": "Test data", "graphs": [graph], "access_rights": dataset.access,
            "licence": "https://creativecommons.org/licenses/by/4.0/", "policy": dataset.policy,
        }))
        .send()
        .await?;
    let status = response.status();
    ensure!(
        status == 201,
        "dataset {}: {status} {}",
        dataset.id,
        response.text().await?
    );
    Ok(())
}

fn graph_of(quads: &[Quad]) -> Result<String> {
    match &quads.first().context("empty dataset")?.graph_name {
        GraphName::NamedNode(g) => Ok(g.as_str().to_owned()),
        _ => anyhow::bail!("dataset in the default graph"),
    }
}

/// Starts the six members with a short per-source timeout, loads and publishes the data, and
/// waits until the research node's federated catalogue describes every dataset.
async fn start_consortium(seed: u8) -> Result<(Vec<PreparedNode>, Vec<Running>, Store)> {
    let nodes = prepare_nodes(6, seed)?;
    let roles = [
        Role::Research,
        Role::City,
        Role::City,
        Role::City,
        Role::City,
        Role::Utility,
    ];
    let document = test_consortium_with_roles(&nodes.iter().collect::<Vec<_>>(), &roles)?;
    for node in &nodes {
        node.install(&document)?;
        let path = node.dir.root().join("hanse.toml");
        let config = std::fs::read_to_string(&path)?
            .replace("source_timeout_secs = 15", "source_timeout_secs = 4")
            .replace("answer_chunk_bytes = 262144", "answer_chunk_bytes = 16384");
        std::fs::write(&path, config)?;
    }
    let running = mesh(&nodes).await?;
    let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
    full_mesh(&running, &names).await?;
    let reference = Store::new()?;
    let data = consortium_data();
    let mut expected = 0;
    for (node, datasets) in running.iter().zip(&data) {
        for dataset in datasets {
            node.handle.store().extend(dataset.quads.iter().cloned())?;
            post_dataset(node, dataset, &graph_of(&dataset.quads)?).await?;
            if dataset.usable {
                reference.extend(dataset.quads.iter().cloned())?;
            }
            expected += 1;
        }
    }
    let research = &running[0];
    crate::support::eventually(
        Duration::from_secs(60),
        "every dataset in the research node's catalogue",
        || async {
            let datasets: Vec<Value> = research
                .http
                .get_request("/api/catalog/federated")
                .send()
                .await?
                .json()
                .await?;
            Ok(datasets.len() == expected
                && datasets
                    .iter()
                    .all(|d| d["classes"].as_array().is_some_and(|c| !c.is_empty())))
        },
    )
    .await?;
    Ok((nodes, running, reference))
}

/// `SERVICE` naming members by `hanse://` IRI and by `did:key`; other services refused.
async fn explicit_service(running: &[Running], reference: &Store) -> Result<()> {
    let research = &running[0];
    let (bruges, region) = (running[2].peer_id()?, &running[4]);
    let region_did = hanse_node::trust::identity::did_key_of(
        &region.handle.network().context("net")?.local_peer_id(),
    )
    .context("did")?;
    let query = format!(
        "SELECT ?name (COUNT(?obs) AS ?n) WHERE {{ \
           SERVICE <hanse://{bruges}/sparql> {{ ?obs <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <{CITY}> ?c }} \
           SERVICE <{region_did}> {{ ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name }} }} GROUP BY ?name"
    );
    let answer = sparql(research, &query, "").await?;
    let expected = over_reference(
        reference,
        &format!(
            "SELECT ?name (COUNT(?obs) AS ?n) WHERE {{ ?obs <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <{CITY}> ?c FILTER(STRSTARTS(STR(?s), \"https://bruges\")) ?c <http://www.w3.org/2000/01/rdf-schema#label> ?name }} GROUP BY ?name"
        ),
    )?;
    let (got, want) = (rows(&answer.1, false), rows(&expected, false));
    ensure!(answer.0 == 200 && got == want, "{answer:?} vs {want:?}");
    ensure!(
        answer.1["federation"]["sources"].as_array().map(Vec::len) == Some(2),
        "{}",
        answer.1
    );
    println!("explicit SERVICE to bruges (hanse://) and the region (did:key): {got:?}");
    let refused = sparql(
        research,
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "",
    )
    .await?;
    ensure!(
        refused.0 == 400 && refused.1.to_string().contains("egress.allow"),
        "{refused:?}"
    );
    let strict = sparql(
        research,
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
        "federated=true&strict=maybe",
    )
    .await?;
    ensure!(
        strict.0 == 400 && strict.1.to_string().contains("strict"),
        "{strict:?}"
    );
    Ok(())
}

/// `/sparql` with extra URL parameters; the status and the body (JSON, or the error text).
async fn sparql(node: &Running, query: &str, params: &str) -> Result<(u16, Value)> {
    let response = node
        .http
        .post_request(&format!("/sparql?{params}"))
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .await?;
    status_and_body(response).await
}

async fn federated(node: &Running, query: &str) -> Result<Value> {
    let purpose = RESEARCH.replace('#', "%23");
    let (status, body) = sparql(node, query, &format!("federated=true&purpose={purpose}")).await?;
    ensure!(status == 200, "{status}: {body}\nquery: {query}");
    Ok(body)
}

fn over_reference(store: &Store, query: &str) -> Result<Value> {
    let mut prepared = SparqlEvaluator::new().parse_query(query)?;
    prepared.dataset_mut().set_default_graph_as_union();
    let results = prepared.on_store(store).execute()?;
    let mut out = Vec::new();
    match results {
        QueryResults::Solutions(solutions) => {
            let mut writer = oxigraph::sparql::results::QueryResultsSerializer::from_format(
                QueryResultsFormat::Json,
            )
            .serialize_solutions_to_writer(&mut out, solutions.variables().to_vec())?;
            for solution in solutions {
                writer.serialize(&solution?)?;
            }
            writer.finish()?;
        }
        QueryResults::Boolean(b) => {
            oxigraph::sparql::results::QueryResultsSerializer::from_format(
                QueryResultsFormat::Json,
            )
            .serialize_boolean_to_writer(&mut out, b)?;
        }
        QueryResults::Graph(_) => anyhow::bail!("not a SELECT or ASK"),
    }
    Ok(serde_json::from_slice(&out)?)
}

/// Rows as comparable strings: numbers rounded (aggregates may add in another order).
fn rows(results: &Value, ordered: bool) -> Vec<String> {
    if let Some(b) = results["boolean"].as_bool() {
        return vec![b.to_string()];
    }
    let mut rows: Vec<String> = results["results"]["bindings"]
        .as_array()
        .map(|bindings| {
            bindings
                .iter()
                .map(|row| {
                    let row: BTreeMap<String, String> = row
                        .as_object()
                        .map(|o| {
                            o.iter()
                                .map(|(k, v)| {
                                    let value = v["value"].as_str().unwrap_or_default();
                                    let value = match value.parse::<f64>() {
                                        Ok(n) if v["datatype"].is_string() => format!("{n:.6e}"),
                                        _ => value.to_owned(),
                                    };
                                    (
                                        k.clone(),
                                        format!("{value}|{}|{}", v["datatype"], v["xml:lang"]),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    format!("{row:?}")
                })
                .collect()
        })
        .unwrap_or_default();
    if !ordered {
        rows.sort();
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn federated_answers_equal_the_union_of_permitted_data() -> Result<()> {
    let (_nodes, running, reference) = start_consortium(71).await?;
    let research = &running[0];
    let mut asked_total = 0;
    let mut partial = 0;
    for (i, query) in QUERIES.iter().enumerate() {
        let started = Instant::now();
        let answer = federated(research, query).await?;
        let expected = over_reference(&reference, query)?;
        let ordered = query.contains("ORDER BY");
        let (got, want) = (rows(&answer, ordered), rows(&expected, ordered));
        let report = &answer["federation"];
        ensure!(
            got == want,
            "query {}: {} rows, expected {}\n{query}\ngot {got:#?}\nexpected {want:#?}\nreport {report}",
            i + 1,
            got.len(),
            want.len()
        );
        ensure!(
            !want.is_empty(),
            "query {} has an empty expected answer: pick another",
            i + 1
        );
        // A dataset left out that could have answered part of the query makes it partial.
        let affected = report["skipped"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["affects_answer"] == true));
        let status = if affected { "partial" } else { "complete" };
        ensure!(report["status"] == status, "query {}: {report}", i + 1);
        partial += usize::from(affected);
        let asked = report["sources"].as_array().map_or(0, Vec::len);
        asked_total += asked;
        println!(
            "query {:>2}: {:>4} rows, {} sources asked, {:>3} requests, mode {}, {} ms",
            i + 1,
            got.len(),
            asked,
            report["sources"].as_array().map_or(0, |s| s
                .iter()
                .map(|s| s["requests"].as_u64().unwrap_or(0))
                .sum::<u64>()),
            report["mode"],
            started.elapsed().as_millis()
        );
        // Datasets the research node may not use are never asked, and are said to be skipped.
        let skipped: Vec<String> = report["skipped"]
            .as_array()
            .context("skipped")?
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    s["dataset"].as_str().unwrap_or_default(),
                    s["reason"].as_str().unwrap_or_default()
                )
            })
            .collect();
        ensure!(skipped.len() == 3, "query {}: skipped {skipped:?}", i + 1);
        for (dataset, reason) in [
            ("bikes", "purpose"),
            ("cameras", "non-public"),
            ("consumption", "restricted"),
        ] {
            ensure!(
                skipped
                    .iter()
                    .any(|s| s.starts_with(dataset) && s.contains(reason)),
                "{dataset} not skipped for `{reason}`: {skipped:?}"
            );
        }
    }
    println!(
        "{} queries answered as over the union of the permitted data ({partial} partial: a dataset left out could have answered); {asked_total} source answers",
        QUERIES.len()
    );
    // In strict mode such a left-out dataset is an error naming it, not a partial answer.
    let purpose = RESEARCH.replace('#', "%23");
    let (status, body) = sparql(
        research,
        QUERIES[0],
        &format!("federated=true&strict=true&purpose={purpose}"),
    )
    .await?;
    let first = federated(research, QUERIES[0]).await?;
    if first["federation"]["status"] == "partial" {
        ensure!(status == 403, "strict: {status}: {body}");
        ensure!(body.to_string().contains("strict mode"), "{body}");
    } else {
        ensure!(status == 200, "strict: {status}: {body}");
    }
    // The single-source queries went to exactly one member: the second whole, the first in
    // two steps (Delft's car parks, then their geometries, which only Delft describes).
    for (query, mode) in QUERIES[..2].iter().zip(["federated", "single-source"]) {
        let answer = federated(research, query).await?;
        let report = &answer["federation"];
        ensure!(report["mode"] == mode, "{report}");
        ensure!(
            report["sources"].as_array().map(Vec::len) == Some(1),
            "{report}"
        );
    }
    // Mechelen's whole data does not fit one chunk: its answer came in several.
    let everything = federated(research, QUERIES[17]).await?;
    let mechelen = running[1].peer_id()?;
    let requests = everything["federation"]["sources"]
        .as_array()
        .context("sources")?
        .iter()
        .find(|s| s["member"] == mechelen.as_str())
        .and_then(|s| s["requests"].as_u64());
    ensure!(requests > Some(1), "{}", everything["federation"]);
    explicit_service(&running, &reference).await?;
    // The providers never saw a query for the datasets that were skipped.
    let utility_audit = running[5].handle.audit().len();
    ensure!(
        utility_audit == 0,
        "the utility was asked {utility_audit} times"
    );
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_killed_during_a_query_is_marked_failed_and_the_answer_partial() -> Result<()> {
    let (_nodes, mut running, _reference) = start_consortium(72).await?;
    let research = running.remove(0);
    let delft = running.remove(2);
    let query = QUERIES[15];
    // Every member answers (the answer may still be partial for datasets left out).
    let all_answered = |report: &Value| {
        report["sources"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["status"] == "complete"))
    };
    let complete = federated(&research, query).await?;
    ensure!(
        all_answered(&complete["federation"]),
        "{}",
        complete["federation"]
    );
    let delft_peer = delft
        .handle
        .network()
        .context("network")?
        .local_peer_id()
        .to_string();
    // Kill Delft while the query runs (its process would simply vanish: no goodbye).
    let asking = {
        let http = research.http.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let response = http
                .post_request("/sparql?federated=true")
                .query(&[("purpose", RESEARCH)])
                .header("content-type", "application/sparql-query")
                .header("accept", "application/sparql-results+json")
                .body(query)
                .send()
                .await?;
            anyhow::Ok((response.json::<Value>().await?, started.elapsed()))
        })
    };
    delft.handle.shutdown().await?;
    let (partial, _) = asking.await??;
    // And once more after it is gone, timed.
    let started = Instant::now();
    let after = federated(&research, query).await?;
    let elapsed = started.elapsed();
    for answer in [&partial, &after] {
        let report = &answer["federation"];
        if all_answered(report) {
            // The first query may have finished before the kill took effect.
            ensure!(
                std::ptr::eq(answer, &partial),
                "complete after the kill: {report}"
            );
            continue;
        }
        ensure!(report["status"] == "partial", "{report}");
        let failed: Vec<&Value> = report["sources"]
            .as_array()
            .context("sources")?
            .iter()
            .filter(|s| s["status"] == "failed")
            .collect();
        ensure!(
            failed.len() == 1 && failed[0]["member"] == delft_peer.as_str(),
            "{report}"
        );
        ensure!(failed[0]["error"].is_string(), "{report}");
    }
    // The partial answer holds everyone else's rows: fewer observations than complete.
    let count = |v: &Value| {
        v["results"]["bindings"][0]["observations"]["value"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
    };
    ensure!(
        count(&after) < count(&complete) && count(&after) > Some(0),
        "{after} vs {complete}"
    );
    ensure!(
        elapsed < Duration::from_secs(4 + 2),
        "took {elapsed:?}, over the per-source timeout"
    );
    // In strict mode the failed member makes the query fail, naming it (502) — unless a
    // dataset left out for the purpose could have answered, which strict mode refuses first
    // (403), before any member is asked.
    let purpose = RESEARCH.replace('#', "%23");
    let strict = sparql(
        &research,
        query,
        &format!("federated=true&strict=true&purpose={purpose}"),
    )
    .await?;
    let left_out = after["federation"]["skipped"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["affects_answer"] == true));
    let expected = if left_out { 403 } else { 502 };
    ensure!(
        strict.0 == expected && strict.1.to_string().contains("strict mode"),
        "{strict:?}"
    );
    println!("strict mode after the kill: {} {}", strict.0, strict.1);
    println!(
        "after killing delft: partial answer in {} ms, {} of {} observations, delft marked failed: {}",
        elapsed.as_millis(),
        count(&after).unwrap_or(0),
        count(&complete).unwrap_or(0),
        after["federation"]["sources"]
    );
    running.insert(0, research);
    stop(running).await
}
