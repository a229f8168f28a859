//! The NGSI-LD temporal API end to end: readings written through NGSI-LD come back from
//! `/temporal/entities/{id}` exactly as the observations stored (as SPARQL sees them), in
//! each representation, by id and by query, through the caller's rights; bad parameters are
//! a 400 naming them.

use super::ngsi_ld::{CORE, LD, open_and_restricted_datasets};
use super::support::{observation_index_fresh, status_and_body};
use anyhow::{Result, ensure};
use hanse_node::Node;
use hanse_node::client::NodeClient;
use reqwest::Method;
use serde_json::{Value, json};

const BENCH: &str = "urn:ngsi-ld:Bench:1";
const METER: &str = "urn:ngsi-ld:Meter:1";
/// Readings of each entity's `v`: (value, observedAt).
const READINGS: [(f64, &str); 4] = [
    (1.0, "2026-11-01T08:00:00Z"),
    (3.0, "2026-11-01T20:00:00Z"),
    (10.0, "2026-11-02T08:00:00Z"),
    (20.0, "2026-11-02T09:00:00Z"),
];

#[tokio::test(flavor = "multi_thread")]
async fn an_entitys_history_is_its_observations_through_the_gate() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    // Histories are then read from the observation index (built from the empty store at
    // start and told of every write), not from the store's triples.
    observation_index_fresh(&node).await?;
    let admin = dir.load_admin_token()?.as_str().to_owned();
    let operator = NodeClient::bearer(node.http_url(), &admin);
    let visitor = NodeClient::visitor(node.http_url());
    open_and_restricted_datasets(&operator).await?;
    for (id, kind) in [(BENCH, "Bench"), (METER, "Meter")] {
        let (value, at) = READINGS[0];
        let entity = json!({"id": id, "type": kind, "@context": CORE,
            "v": {"type": "Property", "value": value, "observedAt": at}});
        let response = send_ld(&operator, Method::POST, "/ngsi-ld/v1/entities", &entity).await?;
        ensure!(
            response.status() == 201,
            "create {id}: {}",
            response.status()
        );
        for (value, at) in &READINGS[1..] {
            let patch = json!({"@context": CORE,
                "v": {"type": "Property", "value": value, "observedAt": at}});
            let response = send_ld(
                &operator,
                Method::PATCH,
                &format!("/ngsi-ld/v1/entities/{id}/attrs"),
                &patch,
            )
            .await?;
            ensure!(
                response.status().is_success(),
                "patch {id}: {}",
                response.status()
            );
        }
    }
    let temporal = |client: &NodeClient, id: &str, query: &str| {
        client
            .get_request(&format!("/ngsi-ld/v1/temporal/entities/{id}?{query}"))
            .send()
    };

    // Normalized: every instance, oldest first, the same as the observations SPARQL sees.
    let (status, history) = status_and_body(temporal(&operator, BENCH, "").await?).await?;
    ensure!(status == 200, "{status}: {history}");
    let instances = history["v"].as_array().cloned().unwrap_or_default();
    let shown: Vec<(f64, String)> = instances
        .iter()
        .map(|i| {
            (
                i["value"].as_f64().unwrap_or(f64::NAN),
                i["observedAt"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(f64, String)> = READINGS.iter().map(|(v, t)| (*v, t.to_string())).collect();
    ensure!(shown == expected, "history: {history}");
    ensure!(history["type"] == "Bench", "{history}");
    let sparql = format!(
        "SELECT ?o ?v ?t {{ GRAPH ?g {{ ?o <http://www.w3.org/ns/sosa/hasFeatureOfInterest> <{BENCH}> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/phenomenonTime> ?t }} }} ORDER BY ?t"
    );
    let stored: Value = serde_json::from_slice(
        &operator
            .query(&sparql, "application/sparql-results+json")
            .await?,
    )?;
    let bindings = stored["results"]["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(bindings.len() == READINGS.len(), "stored: {stored}");
    for (instance, row) in instances.iter().zip(&bindings) {
        ensure!(
            instance["instanceId"] == row["o"]["value"],
            "{instance} / {row}"
        );
    }

    // lastN, windows and the simplified representation.
    let (_, last) =
        status_and_body(temporal(&operator, BENCH, "lastN=2&options=temporalValues").await?)
            .await?;
    ensure!(
        last["v"]["values"] == json!([[10.0, READINGS[2].1], [20.0, READINGS[3].1]]),
        "lastN=2: {last}"
    );
    let (_, window) = status_and_body(
        temporal(
            &operator,
            BENCH,
            "timerel=between&timeAt=2026-11-01T12:00:00Z&endTimeAt=2026-11-02T09:00:00Z&attrs=v",
        )
        .await?,
    )
    .await?;
    let values: Vec<Value> = window["v"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["value"].clone())
        .collect();
    ensure!(values == [json!(3.0), json!(10.0)], "between: {window}");

    // Aggregated per day: [value, start, end].
    let (status, daily) = status_and_body(
        temporal(
            &operator,
            BENCH,
            "aggrMethods=avg,max,totalCount&aggrPeriodDuration=P1D&timerel=after&timeAt=2026-11-01T00:00:00Z",
        )
        .await?,
    )
    .await?;
    ensure!(status == 200, "{status}: {daily}");
    ensure!(
        daily["v"]["avg"]
            == json!([
                [2.0, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"],
                [15.0, "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"]
            ])
            && daily["v"]["max"][1][0] == 20.0
            && daily["v"]["totalCount"][0][0] == 2,
        "daily: {daily}"
    );

    // The gate: a visitor reads the public entity's history, not the restricted one's.
    let (status, _) = status_and_body(temporal(&visitor, BENCH, "lastN=1").await?).await?;
    ensure!(status == 200, "visitor, public: {status}");
    let (status, body) = status_and_body(temporal(&visitor, METER, "").await?).await?;
    ensure!(status == 404, "visitor, restricted: {status} {body}");
    let (status, _) = status_and_body(temporal(&operator, METER, "").await?).await?;
    ensure!(status == 200, "operator, restricted: {status}");

    // A temporal query selects entities as GET /entities does, through the same gate.
    let query = |client: &NodeClient| {
        client
            .get_request("/ngsi-ld/v1/temporal/entities?type=Bench,Meter&lastN=1&count=true")
            .send()
    };
    let response = query(&operator).await?;
    let count = response.headers().get("NGSILD-Results-Count").cloned();
    let (status, both) = status_and_body(response).await?;
    let found_ids = ids(&both);
    ensure!(
        status == 200 && found_ids == [BENCH, METER] && count.is_some_and(|c| c == "2"),
        "operator's query: {status} {both}"
    );
    ensure!(
        both[1]["v"]
            .as_array()
            .is_some_and(|i| i.len() == 1 && i[0]["value"] == 20.0),
        "lastN=1 per entity: {both}"
    );
    let (_, public) = status_and_body(query(&visitor).await?).await?;
    ensure!(ids(&public) == [BENCH], "visitor's query: {public}");

    // The same as a body, with the window in temporalQ.
    let body = json!({"type": "Query", "@context": CORE,
        "entities": [{"type": "Bench"}, {"type": "Meter"}], "attrs": ["v"],
        "temporalQ": {"timerel": "after", "timeAt": "2026-11-02T08:30:00Z"}});
    for (client, expected) in [(&operator, vec![BENCH, METER]), (&visitor, vec![BENCH])] {
        let response = send_ld(
            client,
            Method::POST,
            "/ngsi-ld/v1/temporal/entityOperations/query",
            &body,
        )
        .await?;
        let (status, found) = status_and_body(response).await?;
        ensure!(
            status == 200 && ids(&found) == expected && found[0]["v"][0]["value"] == 20.0,
            "query by body: {status} {found}"
        );
    }

    // Bad parameters name themselves; operations not built yet say so.
    for (query, named) in [
        ("timerel=between&timeAt=2026-11-01T00:00:00Z", "endTimeAt"),
        ("timerel=before&timeAt=noon", "noon"),
        ("lastN=0", "lastN"),
        ("aggrMethods=median", "median"),
        (
            "aggrMethods=avg&aggrPeriodDuration=P0D",
            "aggrPeriodDuration",
        ),
        ("options=aggregatedValues", "aggrMethods"),
    ] {
        let (status, problem) = status_and_body(temporal(&operator, BENCH, query).await?).await?;
        ensure!(
            status == 400
                && problem["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(named)),
            "{query}: {status} {problem}"
        );
    }
    let response = send_ld(
        &operator,
        Method::POST,
        "/ngsi-ld/v1/temporal/entities",
        &json!({"id": "urn:x:1", "type": "T", "@context": CORE}),
    )
    .await?;
    ensure!(
        response.status() == 501,
        "temporal writes: {}",
        response.status()
    );
    node.shutdown().await?;
    Ok(())
}

/// The ids of an answer's entities, in order.
fn ids(entities: &Value) -> Vec<&str> {
    entities
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str())
        .collect()
}

/// Sends `body` as JSON-LD to `path`.
async fn send_ld(
    client: &NodeClient,
    method: Method,
    path: &str,
    body: &Value,
) -> Result<reqwest::Response> {
    Ok(client
        .request(method, path)
        .header("content-type", LD)
        .body(body.to_string())
        .send()
        .await?)
}
