//! Usage policies end to end: a utility's restricted, aggregation-only dataset; a research
//! node denied without an agreement, served aggregates with one, denied again after
//! revocation and after expiry; a city's open dataset readable without negotiation; every
//! decision in the utility's signed audit log, which detects a flipped byte.

use crate::support::{Running, full_mesh, mesh, status_and_body, stop};
use anyhow::{Context, Result};
use hanse_node::Role;
use hanse_node::audit::AuditLog;
use hanse_node::demo::data::water_consumption;
// The utility's offer is the example: research or city members, research or public
// benefit, until 2027, aggregates over at least 10 households, attribution.
use hanse_node::demo::members::UTILITY_OFFER;
use hanse_node::store::state::NodeState;
use hanse_node::test_utils::{OPEN_OFFER, prepare_nodes as prepare, test_consortium_with_roles};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use serde_json::{Value, json};
use std::time::Duration;

const WATER: &str = "https://water.example/graph/consumption";
const BIKES: &str = "https://city.example/graph/bikes";
const RESEARCH: &str = "https://w3id.org/dpv#ScientificResearch";
const ACADEMIC: &str = "https://w3id.org/dpv#AcademicResearch";
const MARKETING: &str = "https://w3id.org/dpv#Marketing";

const AVERAGE_PER_DISTRICT: &str = "SELECT ?district (AVG(?litres) AS ?mean) \
    WHERE { ?obs <http://www.w3.org/ns/sosa/hasFeatureOfInterest> ?household ; \
    <http://www.w3.org/ns/sosa/hasSimpleResult> ?litres . \
    ?household <https://w3id.org/hanse#district> ?district } \
    GROUP BY ?district ORDER BY ?district";

/// The demo utility's offer without its differential-privacy terms: exact aggregates over at
/// least 10 households (the noised form is tested in `aggregates`).
fn exact_offer() -> String {
    UTILITY_OFFER
        .lines()
        .filter_map(|l| {
            if l.contains("hanse:upperBound ") {
                Some("      ) ] ;")
            } else if ["epsilon", "privacyBudget", "budgetPeriod", "lowerBound"]
                .iter()
                .any(|t| l.contains(&format!("hanse:{t} ")))
            {
                None
            } else {
                Some(l)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn load(node: &Running, graph: &str, rows: &[(String, String, i64)]) -> Result<()> {
    let graph = NamedNode::new(graph)?;
    for (subject, district, litres) in rows {
        let s = NamedNode::new(subject.as_str())?;
        let g = GraphName::NamedNode(graph.clone());
        node.handle.store().insert(&Quad::new(
            s.clone(),
            NamedNode::new("urn:ex:district")?,
            Literal::new_simple_literal(district),
            g.clone(),
        ))?;
        node.handle.store().insert(&Quad::new(
            s,
            NamedNode::new("urn:ex:litres")?,
            Literal::from(*litres),
            g,
        ))?;
    }
    Ok(())
}

async fn post(node: &Running, path: &str, body: Value) -> Result<(u16, Value)> {
    let response = node.http.post_request(path).json(&body).send().await?;
    status_and_body(response).await
}

async fn query(
    from: &Running,
    provider: &Running,
    text: &str,
    purpose: &str,
    agreements: &[&str],
) -> Result<Value> {
    let (status, answer) = post(
        from,
        "/api/remote/sparql",
        json!({ "provider": provider.peer_id()?, "query": text, "purpose": purpose,
                "agreements": agreements }),
    )
    .await?;
    anyhow::ensure!(status == 200, "remote query failed: {status} {answer}");
    Ok(answer)
}

fn denied_because(answer: &Value, needle: &str) -> bool {
    answer["status"] == "denied"
        && answer["reason"]
            .as_str()
            .is_some_and(|r| r.contains(needle))
}

async fn request_access(
    research: &Running,
    utility: &Running,
    purpose: &str,
    valid_for: Option<u64>,
) -> Result<(u16, Value)> {
    post(
        research,
        "/api/agreements",
        json!({ "provider": utility.peer_id()?, "dataset": "consumption", "purpose": purpose,
                "valid_for_secs": valid_for }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_data_is_served_only_under_agreements_and_audited() -> Result<()> {
    let nodes = prepare(3, 51)?;
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
    let (city, utility, research) = (&running[0], &running[1], &running[2]);

    // The utility: 12 households in the north, 11 in the south, 4 in the east, 2 days.
    utility.handle.store().extend(water_consumption(
        "https://water.example/",
        WATER,
        &[("north", 12), ("south", 11), ("east", 4)],
        2,
        5,
    ))?;
    let (status, body) = post(
        utility,
        "/api/datasets",
        json!({ "id": "consumption", "title": "Water consumption per household",
                "description": "Daily litres per household", "graphs": [WATER],
                "access_rights": "restricted", "policy": exact_offer() }),
    )
    .await?;
    assert_eq!(status, 201, "{body}");
    // The city: an open dataset.
    load(
        city,
        BIKES,
        &[("urn:ex:counter/1".into(), "centre".into(), 412)],
    )?;
    let (status, body) = post(
        city,
        "/api/datasets",
        json!({ "id": "bikes", "title": "Bicycle counts", "description": "Daily counts",
                "graphs": [BIKES], "access_rights": "public",
                "licence": "https://creativecommons.org/licenses/by/4.0/", "policy": OPEN_OFFER }),
    )
    .await?;
    assert_eq!(status, 201, "{body}");

    // Without an agreement: denied, whatever the query.
    let answer = query(research, utility, AVERAGE_PER_DISTRICT, RESEARCH, &[]).await?;
    assert!(denied_because(&answer, "present an agreement"), "{answer}");

    // A purpose outside the offer: no agreement.
    let (status, body) = request_access(research, utility, MARKETING, None).await?;
    assert_eq!(status, 403, "{body}");

    // Academic research is scientific research (DPV): agreement made, both signed.
    let (status, agreement) = request_access(research, utility, ACADEMIC, None).await?;
    assert_eq!(status, 201, "{agreement}");
    assert_eq!(agreement["status"], "FINALIZED", "{agreement}");
    let id = agreement["id"].as_str().context("id")?.to_owned();

    // Row-level queries are refused: the dataset is aggregation-only.
    let answer = query(
        research,
        utility,
        "SELECT ?h ?l WHERE { ?h <urn:ex:litres> ?l }",
        ACADEMIC,
        &[&id],
    )
    .await?;
    assert!(denied_because(&answer, "aggregation-only"), "{answer}");
    // GRAPH ?g cannot reach around the restriction either.
    let answer = query(
        research,
        utility,
        "SELECT ?g (COUNT(DISTINCT ?h) AS ?n) WHERE { GRAPH ?g { ?o <http://www.w3.org/ns/sosa/hasFeatureOfInterest> ?h } } GROUP BY ?g",
        ACADEMIC,
        &[&id],
    )
    .await?;
    assert_eq!(answer["status"], "complete", "{answer}");
    assert_eq!(
        answer["results"]["results"]["bindings"][0]["n"]["value"],
        "27"
    );
    assert_eq!(answer["rows"], 1, "only the dataset's graph: {answer}");

    // Aggregates are served; the east (4 households) is under the minimum of 10.
    let answer = query(research, utility, AVERAGE_PER_DISTRICT, ACADEMIC, &[&id]).await?;
    assert_eq!(answer["status"], "complete", "{answer}");
    let rows = answer["results"]["results"]["bindings"]
        .as_array()
        .context("bindings")?;
    let districts: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["district"]["value"].as_str())
        .collect();
    assert_eq!(districts, ["north", "south"]);
    assert!(
        answer["results"]["head"]["vars"]
            .as_array()
            .is_some_and(|v| v.len() == 2)
    );

    // Revocation: the provider stops honouring it at once.
    let (status, revoked) = post(
        utility,
        &format!("/api/agreements/{id}/revoke"),
        json!({ "reason": "end of project" }),
    )
    .await?;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "TERMINATED");
    let answer = query(research, utility, AVERAGE_PER_DISTRICT, ACADEMIC, &[&id]).await?;
    assert!(denied_because(&answer, "revoked"), "{answer}");

    // Expiry: a two-second agreement works, then stops working.
    let (status, short) = request_access(research, utility, RESEARCH, Some(2)).await?;
    assert_eq!(status, 201, "{short}");
    let short_id = short["id"].as_str().context("id")?.to_owned();
    let answer = query(
        research,
        utility,
        AVERAGE_PER_DISTRICT,
        RESEARCH,
        &[&short_id],
    )
    .await?;
    assert_eq!(answer["status"], "complete", "{answer}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let answer = query(
        research,
        utility,
        AVERAGE_PER_DISTRICT,
        RESEARCH,
        &[&short_id],
    )
    .await?;
    assert!(denied_because(&answer, "expired"), "{answer}");

    // The city's open dataset: no negotiation.
    let answer = query(
        research,
        city,
        "SELECT ?c ?n WHERE { ?c <urn:ex:litres> ?n }",
        RESEARCH,
        &[],
    )
    .await?;
    assert_eq!(answer["status"], "complete", "{answer}");
    assert_eq!(answer["rows"], 1);

    // Every decision of the utility is in its audit log, and the log verifies.
    let entries: Value = utility
        .http
        .get_request("/api/audit")
        .send()
        .await?
        .json()
        .await?;
    let decisions: Vec<(String, String)> = entries
        .as_array()
        .context("entries")?
        .iter()
        .map(|e| {
            (
                e["decision"].as_str().unwrap_or_default().to_owned(),
                e["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    // 7 queries + 3 negotiations reached the utility.
    assert_eq!(decisions.len(), 10, "{decisions:?}");
    assert_eq!(
        decisions.iter().filter(|(d, _)| d == "allow").count(),
        5,
        "{decisions:?}"
    );

    let utility_state = nodes[1]
        .dir
        .resolve(&nodes[1].dir.load_config()?.storage.state);
    let identity = nodes[1].identity.clone();
    stop(running).await?;
    let state = NodeState::open(&utility_state)?;
    let log = AuditLog::open(&state, identity.clone())?;
    assert_eq!(log.verify()?, 10);
    // Flip one byte of one entry: verification names it.
    let tree = state.db().open_tree("audit")?;
    let (key, value) = tree.iter().nth(3).context("entry 3")??;
    let mut altered = value.to_vec();
    // One letter of the recorded reason: still valid JSON, no longer the signed content.
    let at = altered
        .windows(10)
        .position(|w| w == b"\"reason\":\"")
        .context("a reason in the entry")?
        + 10;
    altered[at] ^= 0x01;
    tree.insert(key, altered)?;
    let error = log.verify().unwrap_err().to_string();
    assert!(error.contains("entry 3"), "{error}");
    Ok(())
}
