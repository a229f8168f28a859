//! `hanse demo`: the whole data space on one machine — six members on loopback, each with
//! its own data, signed catalogues gossiped to all, an open and a restricted dataset, and an
//! agreement — with ready-to-run example requests.

use super::DemoArgs;
use super::serve::shutdown_signal;
use crate::config::LogSection;
use crate::demo::consortium as demo_consortium;
use crate::demo::members::{DEMO_PURPOSE, MEMBERS, UNIVERSITY, WATER};
use anyhow::Context;

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::telemetry::init(&LogSection {
        // The embedded broker logs every closed connection (its own readiness probe, each
        // node's sources at Ctrl-C) as an ERROR; the demo keeps its real errors in view.
        level: std::env::var("HANSE_LOG")
            .unwrap_or_else(|_| "warn,rumqttd::server::broker=off".into()),
        ..LogSection::default()
    })
    .map_err(anyhow::Error::msg)?;
    let temp;
    let root = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("hanse-demo-")
                .tempdir()
                .context("cannot create a temporary directory for the demo")?;
            temp.path().to_owned()
        }
    };
    println!(
        "hanse demo: starting the SCIFI demo consortium (6 nodes) in {}",
        root.display()
    );
    let demo = demo_consortium::start(&root, args.http).await?;
    println!(
        "every node holds all 6 verified catalogues ({:.1} s after start)",
        demo.converged_in.as_secs_f64()
    );
    println!();
    for (node, member) in demo.nodes.iter().zip(MEMBERS) {
        println!(
            "  {:<14} {:<24} {:<36} {}",
            member.name,
            node.http_url(),
            format!("{} ({})", member.organisation, member.role),
            node.network()
                .map(|n| n.local_peer_id().to_string())
                .unwrap_or_default()
        );
    }
    let url = |i: usize| demo.nodes[i].http_url();
    let water = demo.nodes[WATER]
        .network()
        .map(|n| n.local_peer_id().to_string())
        .unwrap_or_default();
    let alice = demo.researcher_token.display();
    let average = "SELECT ?district (ROUND(AVG(?litres)) AS ?mean) WHERE { ?obs <http://www.w3.org/ns/sosa/hasFeatureOfInterest> ?household ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?litres . ?household <https://w3id.org/hanse#district> ?district } GROUP BY ?district ORDER BY ?district";
    println!();
    println!(
        "Web console (open-data portal for visitors; people sign in with a personal token, operators with the node's admin.token):"
    );
    println!(
        "  {}/                 home: members, key figures, health",
        url(0)
    );
    println!(
        "  {}/catalogue        federated catalogue: search, facets, map",
        url(0)
    );
    println!(
        "  {}/members/{water}/datasets/consumption   a restricted dataset: policy in plain words, request access",
        url(UNIVERSITY)
    );
    println!(
        "  {}/query            SPARQL: local, federated, one member",
        url(UNIVERSITY)
    );
    println!("  {}/sensors          live sensors", url(0));
    println!(
        "  {}/kpis             indicators compared across the consortium",
        url(0)
    );
    println!(
        "  {}/access, /audit   operators: agreements and the signed audit log",
        url(0)
    );
    println!(
        "  harvestable DCAT-AP: curl -H 'Accept: text/turtle' {}/catalog",
        url(0)
    );
    println!(
        "  the university's researcher `alice` (roles reader, researcher:dpv:AcademicResearch) signs in with the token in {alice}"
    );
    println!();
    println!("Try:");
    println!("  # SPARQL on Mechelen's node, as a visitor: the open datasets only");
    println!(
        "  curl -fsS -G {}/sparql --data-urlencode 'query=SELECT * {{ ?s ?p ?o }} LIMIT 3'",
        url(0)
    );
    println!("  # every member's transport datasets, from the federated catalogue");
    println!("  curl -fsS '{}/api/catalog/federated?theme=TRAN'", url(0));
    println!(
        "  # the federated catalogue is RDF too (one named graph per member), for people who read the university's store"
    );
    println!(
        "  curl -fsS -H \"Authorization: Bearer $(cat {alice})\" -G {}/sparql --data-urlencode 'query=SELECT ?dataset ?title WHERE {{ GRAPH ?catalog {{ ?dataset a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?title }} }} ORDER BY ?title'",
        url(UNIVERSITY)
    );
    println!(
        "  # the university asks the water utility for averages per district (agreement {}; differentially private, ε = 1 of a budget of 10 per new question, districts under 10 households withheld; `privacy` says what was done)",
        demo.agreement
    );
    println!(
        "  curl -fsS -H \"Authorization: Bearer $(cat {alice})\" -H 'Content-Type: application/json' {}/api/remote/sparql -d '{{\"provider\": \"{water}\", \"purpose\": \"{DEMO_PURPOSE}\", \"agreements\": [\"{}\"], \"query\": \"{average}\"}}'",
        url(UNIVERSITY),
        demo.agreement
    );
    println!("  # without the agreement, the utility refuses (and logs it)");
    println!(
        "  curl -fsS -H \"Authorization: Bearer $(cat {alice})\" -H 'Content-Type: application/json' {}/api/remote/sparql -d '{{\"provider\": \"{water}\", \"purpose\": \"{DEMO_PURPOSE}\", \"query\": \"{average}\"}}'",
        url(UNIVERSITY),
    );
    println!(
        "  # live sensors: the cities ingest MQTT readings (TTN, IoT Agent JSON and UltraLight, SenML, JSON) every 5 s"
    );
    println!("  curl -fsS {}/api/ingest/status", url(0));
    println!(
        "  curl -fsS -G {}/sparql --data-urlencode 'query=SELECT ?entity ?no2 ?at WHERE {{ ?entity <https://smartdatamodels.org/dataModel.Environment/no2> ?no2 ; <https://smartdatamodels.org/dataModel.Environment/dateObserved> ?at }}'",
        url(0)
    );
    println!(
        "  cargo run --release -- query --url {} 'PREFIX sosa: <http://www.w3.org/ns/sosa/> SELECT ?sensor (ROUND(AVG(?v)) AS ?no2) {{ ?o sosa:madeBySensor ?sensor ; sosa:observedProperty <https://smartdatamodels.org/dataModel.Environment/no2> ; sosa:hasSimpleResult ?v }} GROUP BY ?sensor ORDER BY ?sensor'",
        url(0)
    );
    println!(
        "  # one federated query from the university to every member it may ask (per-member summary on stderr)"
    );
    println!(
        "  cargo run --release -- query --url {} --token-file {alice} --federated --purpose {DEMO_PURPOSE} 'SELECT ?property (COUNT(?o) AS ?observations) {{ ?o <http://www.w3.org/ns/sosa/observedProperty> ?property }} GROUP BY ?property ORDER BY ?property'",
        url(UNIVERSITY)
    );
    println!();
    println!("Press Ctrl-C to stop.");
    shutdown_signal().await;
    demo.sensors.cancel();
    for node in demo.nodes {
        node.shutdown().await?;
    }
    Ok(())
}
