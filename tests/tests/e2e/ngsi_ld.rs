//! The NGSI-LD API end to end, on one node: every Smart Data Models example round-trips
//! (create, normalized and keyValues, query by type, q and geo, its RDF as SPARQL expects,
//! delete); paging over 10,000 entities returns each exactly once; a reading ingested over
//! MQTT shows in its entity; bad payloads of every kind get the right ProblemDetails and
//! change nothing; restricted datasets stay hidden from callers without rights; writes of
//! the same entities arriving at once leave one state each; entities other writers stored
//! are replaced, not created again.

use super::support::{air_quality_source, eventually, status_and_body};
use anyhow::{Context, Result, ensure};
use hanse_node::client::NodeClient;
use hanse_node::demo::mqtt_broker::EmbeddedBroker;
use hanse_node::store::subject_filter::SubjectFilter;
use hanse_node::test_utils::OPEN_OFFER;
use hanse_node::{Node, NodeHandle};
use hanse_vocab::{hanse, sosa};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub(super) const LD: &str = "application/ld+json";
pub(super) const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
const V19: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";

fn sdm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sdm-examples")
}

/// The example's model context URL -> the vendored file (the air-gapped URL map).
fn context_files() -> BTreeMap<String, PathBuf> {
    let mut files = BTreeMap::new();
    for repo in [
        "Environment",
        "Parking",
        "Transportation",
        "WasteManagement",
        "Weather",
        "Agrifood",
        "WaterConsumption",
        "Device",
    ] {
        let file = sdm_dir().join(format!("context-dataModel.{repo}.jsonld"));
        files.insert(
            format!("https://raw.githubusercontent.com/smart-data-models/dataModel.{repo}/master/context.jsonld"),
            file.clone(),
        );
        files.insert(
            format!("https://smart-data-models.github.io/dataModel.{repo}/context.jsonld"),
            file,
        );
    }
    files
}

/// The NGSI-LD API of one node, called with the admin token.
pub(super) struct Api {
    http: NodeClient,
    /// The admin token, for callers that are not this client (OWSLib).
    pub(super) token: String,
}

impl Api {
    pub(super) fn new(node: &NodeHandle, token: &str) -> Self {
        Self {
            http: NodeClient::bearer(node.http_url(), token),
            token: token.to_owned(),
        }
    }

    /// The node path of an NGSI-LD API `path`.
    fn ngsi(path: &str) -> String {
        format!("/ngsi-ld/v1{path}")
    }

    pub(super) async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<(u16, Value)> {
        self.post_to(&Self::ngsi(path), content_type, body).await
    }

    /// POST with the admin token to any path of the node.
    async fn post_to(&self, path: &str, content_type: &str, body: String) -> Result<(u16, Value)> {
        let response = self
            .http
            .post_request(path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        status_and_body(response).await
    }

    /// GET with the admin token and `context` in a Link header.
    async fn get(
        &self,
        path: &str,
        context: &str,
    ) -> Result<(u16, Value, reqwest::header::HeaderMap)> {
        let response = self
            .http
            .get_request(&Self::ngsi(path))
            .header(
                "link",
                format!("<{context}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""),
            )
            .send()
            .await?;
        let headers = response.headers().clone();
        let (status, body) = status_and_body(response).await?;
        Ok((status, body, headers))
    }

    async fn sparql(&self, query: &str) -> Result<Value> {
        Ok(self
            .http
            .get_request("/sparql")
            .query(&[("query", query)])
            .header("accept", "application/sparql-results+json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }
}

/// The model context of an example (the first non-core URL of its @context).
fn model_context(example: &Value) -> Result<String> {
    let contexts: Vec<&str> = match &example["@context"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    contexts
        .into_iter()
        .find(|c| !c.starts_with("https://uri.etsi.org/"))
        .map(str::to_owned)
        .context("the example names its model context")
}

/// A term's IRI in a model context file (what the node must have expanded it to).
fn term_iri(context_file: &Path, term: &str) -> Result<String> {
    let context: Value = serde_json::from_str(&std::fs::read_to_string(context_file)?)?;
    match &context["@context"][term] {
        Value::String(iri) => Ok(iri.clone()),
        Value::Object(map) => Ok(map["@id"].as_str().context("@id")?.to_owned()),
        _ => anyhow::bail!("{term} is not in {}", context_file.display()),
    }
}

/// The first position of GeoJSON coordinates, whatever the geometry.
fn first_position(coordinates: &Value) -> Value {
    let mut c = coordinates;
    while c[0].is_array() {
        c = &c[0];
    }
    c.clone()
}

/// The keyValues form of a normalized entity.
fn simplified(normalized: &Map<String, Value>) -> Map<String, Value> {
    normalized
        .iter()
        .map(|(name, value)| {
            let simple = match value {
                Value::Object(attr) if attr.contains_key("object") => attr["object"].clone(),
                Value::Object(attr) if attr.contains_key("value") => attr["value"].clone(),
                other => other.clone(),
            };
            (name.clone(), simple)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sdm_examples_round_trip_and_are_the_rdf_sparql_expects() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) =
        Node::spawn_for_tests(tmp.path(), |c| c.ngsi_ld.context_files = context_files()).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    let mut types = 0;
    for entry in std::fs::read_dir(sdm_dir())? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(model) = name.strip_suffix(".normalized.jsonld") else {
            continue;
        };
        types += 1;
        let example: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let context = model_context(&example)?;
        let context_file = context_files()[&context].clone();
        let id = example["id"].as_str().context("id")?.to_owned();
        let encoded: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();

        let (status, body) = api.post("/entities", LD, example.to_string()).await?;
        ensure!(status == 201, "{model}: create answered {status} {body}");

        // Normalized, in the model's context: exactly what was sent.
        let mut sent = example.as_object().context("object")?.clone();
        sent.remove("@context");
        let (status, got, _) = api.get(&format!("/entities/{encoded}"), &context).await?;
        ensure!(status == 200, "{model}: retrieve answered {status} {got}");
        ensure!(
            got == Value::Object(sent.clone()),
            "{model}: normalized round trip\nsent {sent:?}\ngot  {got}"
        );

        // keyValues: each attribute's value (or object).
        let (_, got, _) = api
            .get(&format!("/entities/{encoded}?options=keyValues"), &context)
            .await?;
        ensure!(
            got == Value::Object(simplified(&sent)),
            "{model}: keyValues\n{got}"
        );

        // Query by type, by q on an attribute and by location.
        let (_, found, _) = api
            .get(&format!("/entities?type={model}&count=true"), &context)
            .await?;
        ensure!(
            found
                .as_array()
                .is_some_and(|a| a.iter().any(|e| e["id"] == id)),
            "{model}: by type"
        );
        // A numeric attribute, else a text one.
        let (attr, value) = sent
            .iter()
            .filter(|(k, _)| k.as_str() != "id" && k.as_str() != "type")
            .find_map(|(k, v)| v["value"].as_f64().map(|n| (k.clone(), json!(n))))
            .or_else(|| {
                sent.iter()
                    .filter(|(k, _)| k.as_str() != "id" && k.as_str() != "type")
                    .find_map(|(k, v)| v["value"].as_str().map(|t| (k.clone(), json!(t))))
            })
            .context("a numeric or text attribute")?;
        let q: String =
            form_urlencoded::byte_serialize(format!("{attr}=={value}").as_bytes()).collect();
        let (_, found, _) = api
            .get(&format!("/entities?type={model}&q={q}"), &context)
            .await?;
        ensure!(
            found
                .as_array()
                .is_some_and(|a| a.len() == 1 && a[0]["id"] == id),
            "{model}: q {attr}=={value}: {found}"
        );
        if let Some(location) = sent.get("location") {
            let geometry = &location["value"];
            let point = first_position(&geometry["coordinates"]);
            let near = format!(
                "/entities?type={model}&georel=near;maxDistance==10&geometry=Point&coordinates={}",
                form_urlencoded::byte_serialize(point.to_string().as_bytes()).collect::<String>()
            );
            let (_, found, _) = api.get(&near, &context).await?;
            ensure!(
                found.as_array().is_some_and(|a| a.len() == 1),
                "{model}: near its location: {found}"
            );
        }

        // Its RDF: the type and the attribute's value as plain triples, the location as
        // GeoSPARQL that geof:sfIntersects can test.
        let type_iri = term_iri(&context_file, model)?;
        let attr_iri = term_iri(&context_file, &attr)?;
        let select =
            format!("SELECT ?v WHERE {{ GRAPH ?g {{ <{id}> a <{type_iri}> ; <{attr_iri}> ?v }} }}");
        let rows = api.sparql(&select).await?;
        let v = rows["results"]["bindings"][0]["v"]["value"]
            .as_str()
            .context("value")?;
        let same = match &value {
            Value::Number(n) => v.parse::<f64>().ok() == n.as_f64(),
            other => other.as_str() == Some(v),
        };
        ensure!(same, "{model}: SPARQL sees {v}, sent {value}");
        if let Some(location) = sent.get("location") {
            let p = first_position(&location["value"]["coordinates"]);
            let wkt = format!("POINT({} {})", p[0], p[1]);
            let ask = format!(
                "PREFIX geo: <http://www.opengis.net/ont/geosparql#> PREFIX geof: <http://www.opengis.net/def/function/geosparql/> \
                 ASK {{ GRAPH ?g {{ <{id}> geo:hasGeometry/geo:asWKT ?w }} FILTER(geof:sfIntersects(?w, \"{wkt}\"^^geo:wktLiteral)) }}"
            );
            ensure!(
                api.sparql(&ask).await?["boolean"] == true,
                "{model}: GeoSPARQL {ask}"
            );
        }

        let response = api
            .http
            .request(
                reqwest::Method::DELETE,
                &Api::ngsi(&format!("/entities/{encoded}")),
            )
            .send()
            .await?;
        ensure!(response.status().as_u16() == 204, "{model}: delete");
        let (status, _, _) = api.get(&format!("/entities/{encoded}"), &context).await?;
        ensure!(status == 404, "{model}: gone after delete");
    }
    ensure!(types == 11, "11 Smart Data Models examples, found {types}");
    println!("{types} Smart Data Models examples round-trip");
    node.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_over_ten_thousand_entities_returns_each_exactly_once() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    for batch in 0..10 {
        let entities: Vec<Value> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                json!({"id": format!("urn:ngsi-ld:Counter:{n:05}"), "type": "Counter",
                       "n": {"type": "Property", "value": n}, "@context": CORE})
            })
            .collect();
        let (status, body) = api
            .post(
                "/entityOperations/upsert",
                LD,
                Value::Array(entities).to_string(),
            )
            .await?;
        ensure!(status == 201, "batch {batch}: {status} {body}");
    }
    for (filter, expected) in [("", 10_000usize), ("&q=n%3C2500", 2_500)] {
        let mut seen = HashSet::new();
        let mut offset = 0;
        loop {
            let (status, page, headers) = api
                .get(
                    &format!(
                        "/entities?type=Counter&limit=1000&offset={offset}&count=true{filter}"
                    ),
                    CORE,
                )
                .await?;
            ensure!(status == 200, "{page}");
            ensure!(headers["ngsild-results-count"] == expected.to_string().as_str());
            let page = page.as_array().context("array")?;
            for entity in page {
                ensure!(
                    seen.insert(entity["id"].as_str().context("id")?.to_owned()),
                    "returned twice: {}",
                    entity["id"]
                );
            }
            if page.len() < 1000 {
                break;
            }
            offset += 1000;
            ensure!(offset <= 20_000, "paging does not end");
        }
        ensure!(
            seen.len() == expected,
            "{filter}: {} of {expected} entities",
            seen.len()
        );
    }
    // Deep offsets page the same way.
    let (_, last, _) = api
        .get("/entities?type=Counter&limit=7&offset=9995", CORE)
        .await?;
    ensure!(last.as_array().is_some_and(|a| a.len() == 5));
    println!("10,000 entities paged: each exactly once (all, and with q=n<2500)");
    node.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reading_ingested_over_mqtt_shows_in_its_entity() -> Result<()> {
    let broker = EmbeddedBroker::start(0)?;
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir_all(tmp.path().join("sources"))?;
    std::fs::write(
        tmp.path().join("sources/air.toml"),
        air_quality_source(&broker.url(), ""),
    )?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    // The subscription must exist before publishing (the broker keeps nothing for a client
    // that never subscribed).
    eventually(
        Duration::from_secs(20),
        "the MQTT source connected",
        || async {
            let status: Value = api
                .http
                .get_request("/api/ingest/status")
                .send()
                .await?
                .json()
                .await?;
            Ok(status[0]["mqtt_connected"] == true)
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let uplink = r#"{"end_device_ids":{"device_id":"aq-1","application_ids":{"application_id":"air"},"dev_eui":"70B3D57ED005B1A2"},
        "received_at":"2026-11-21T10:00:01.123Z","uplink_message":{"f_port":1,"f_cnt":12,"frm_payload":"AQID","decoded_payload":{"no2":41.5},
        "rx_metadata":[{"gateway_ids":{"gateway_id":"gw-1"},"time":"2026-11-21T10:00:00.9Z","rssi":-97,"snr":7.5}],
        "received_at":"2026-11-21T10:00:01.000Z"}}"#;
    let options = rumqttc::MqttOptions::new("ngsi-ld-test", "127.0.0.1", broker.addr().port());
    let (client, mut events) = rumqttc::AsyncClient::new(options, 10);
    client
        .publish(
            "v3/air/devices/aq-1/up",
            rumqttc::QoS::AtLeastOnce,
            false,
            uplink.as_bytes().to_vec(),
        )
        .await?;
    let pump = tokio::spawn(async move {
        for _ in 0..200 {
            if events.poll().await.is_err() {
                break;
            }
        }
    });
    let query =
        "/entities?type=https://smartdatamodels.org/dataModel.Environment/AirQualityObserved";
    eventually(
        Duration::from_secs(20),
        "the reading shows in the entity",
        || async {
            let (_, body, _) = api.get(query, CORE).await?;
            Ok(
                body[0]["https://smartdatamodels.org/dataModel.Environment/no2"]["value"]
                    == json!(41.5),
            )
        },
    )
    .await?;
    let (_, body, _) = api.get(query, CORE).await?;
    let entity = &body[0];
    ensure!(entity["id"] == "https://t.example/entity/aq-1", "{entity}");
    ensure!(
        entity["location"]["value"] == json!({"type": "Point", "coordinates": [4.4777, 51.0279]}),
        "{entity}"
    );
    let near = "/entities?type=https://smartdatamodels.org/dataModel.Environment/AirQualityObserved&georel=near;maxDistance==100&geometry=Point&coordinates=%5B4.4777,51.0279%5D";
    let (_, found, _) = api.get(near, CORE).await?;
    ensure!(
        found.as_array().is_some_and(|a| a.len() == 1),
        "the spatial index knows the device: {found}"
    );
    pump.abort();
    node.shutdown().await?;
    Ok(())
}

/// Writes of one entity go one after the other, however many arrive at once (writes of
/// different entities run side by side): batches that all create the same new entities
/// leave each with one state, one value and one observation per reading, as if sent in turn.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writes_of_the_same_entities_leave_one_state_each() -> Result<()> {
    const WRITERS: usize = 6;
    // Enough quads per batch for the bulk loader's path (two writers both deciding an
    // entity is new would each load it there).
    const ENTITIES: usize = 600;
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Arc::new(Api::new(&node, dir.load_admin_token()?.as_str()));
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let api = Arc::clone(&api);
        writers.spawn(async move {
            let entities: Vec<Value> = (0..ENTITIES)
                .map(|i| {
                    json!({"id": format!("urn:ngsi-ld:Meter:{i:04}"), "type": "Meter",
                           "reading": {"type": "Property", "value": writer,
                                       "observedAt": format!("2026-11-26T10:00:0{writer}Z")},
                           "@context": CORE})
                })
                .collect();
            api.post(
                "/entityOperations/upsert",
                LD,
                Value::Array(entities).to_string(),
            )
            .await
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = writers.join_next().await {
        let (status, body) = done??;
        ensure!(status == 201 || status == 204, "{status} {body}");
        statuses.push(status);
    }
    // Exactly one writer created the entities; the others replaced them.
    statuses.sort();
    ensure!(statuses == [201, 204, 204, 204, 204, 204], "{statuses:?}");
    let states = count(&api, &format!("?s <{}> ?o", hanse::NGSI_LD_STATE)).await?;
    let readings = count(
        &api,
        "?s <https://uri.etsi.org/ngsi-ld/default-context/reading> ?o",
    )
    .await?;
    let observations = count(&api, &format!("?o a <{}>", sosa::OBSERVATION)).await?;
    ensure!(
        (states, readings) == (ENTITIES, ENTITIES),
        "{states} states and {readings} readings for {ENTITIES} entities"
    );
    // Every writer's reading was recorded: a distinct observedAt each.
    ensure!(
        observations == ENTITIES * WRITERS,
        "{observations} observations, expected {}",
        ENTITIES * WRITERS
    );
    println!(
        "{WRITERS} writers at once on {ENTITIES} entities: one state and one value each, {observations} observations"
    );
    node.shutdown().await?;
    Ok(())
}

/// An upsert of an entity another writer stored replaces it (204, one value) rather than
/// creating it again beside the old triples, though new entities skip the read that would
/// find it: the Graph Store tells the node's filter of stored entities what it adds, and a
/// SPARQL Update, which cannot, sets it aside until it is rebuilt.
#[tokio::test(flavor = "multi_thread")]
async fn entities_stored_by_other_writers_are_replaced_not_created_again() -> Result<()> {
    const GRAPH: &str = "https://example.org/graph/meters";
    const READING: &str = "https://uri.etsi.org/ngsi-ld/default-context/reading";
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    let meter = |id: &str, reading: i64| {
        json!({"id": format!("urn:ngsi-ld:Meter:{id}"), "type": "Meter",
               "reading": {"type": "Property", "value": reading}, "@context": CORE})
    };
    let upsert = |entities: Vec<Value>| {
        api.post(
            "/entityOperations/upsert",
            LD,
            Value::Array(entities).to_string(),
        )
    };
    let readings_of = |id: &str| format!("<urn:ngsi-ld:Meter:{id}> <{READING}> ?o");
    // The first write builds the filter (in the background).
    let (status, body) = upsert(vec![meter("first", 1)]).await?;
    ensure!(status == 201, "{status} {body}");
    let subjects = node.subjects().clone();
    filter_ready(&subjects, "the subject filter is built").await?;

    let turtle = format!(
        "<urn:ngsi-ld:Meter:uploaded> a <https://uri.etsi.org/ngsi-ld/default-context/Meter> ; <{READING}> 1 ."
    );
    let graph: String = form_urlencoded::byte_serialize(GRAPH.as_bytes()).collect();
    let (status, body) = api
        .post_to(&format!("/store?graph={graph}"), "text/turtle", turtle)
        .await?;
    ensure!((200..300).contains(&status), "{status} {body}");
    ensure!(
        subjects.is_ready(),
        "the Graph Store tells the filter, it need not rebuild"
    );
    let (status, body) = upsert(vec![meter("uploaded", 2)]).await?;
    ensure!(
        status == 204,
        "the uploaded entity was created again: {status} {body}"
    );
    ensure!(
        count(&api, &readings_of("uploaded")).await? == 1,
        "the uploaded reading was not replaced"
    );

    let update = format!(
        "INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:ngsi-ld:Meter:updated> a <https://uri.etsi.org/ngsi-ld/default-context/Meter> ; <{READING}> 1 }} }}"
    );
    let (status, body) = api
        .post_to("/sparql", "application/sparql-update", update)
        .await?;
    ensure!((200..300).contains(&status), "{status} {body}");
    ensure!(
        !subjects.is_ready(),
        "a SPARQL Update sets the filter aside"
    );
    let (status, body) = upsert(vec![meter("updated", 2), meter("new", 1)]).await?;
    ensure!(status == 201, "{status} {body}");
    ensure!(
        body == json!(["urn:ngsi-ld:Meter:new"]),
        "only the new meter is created: {body}"
    );
    ensure!(
        count(&api, &readings_of("updated")).await? == 1,
        "the updated reading was not replaced"
    );
    // Rebuilt after the update, the filter knows the entity the update stored.
    filter_ready(&subjects, "the subject filter is rebuilt").await?;
    ensure!(subjects.may_exist("urn:ngsi-ld:Meter:updated"));
    ensure!(!subjects.may_exist("urn:ngsi-ld:Meter:never-stored"));
    node.shutdown().await?;
    Ok(())
}

/// Waits until the node's filter of stored entities answers from a built filter.
async fn filter_ready(subjects: &SubjectFilter, what: &str) -> Result<()> {
    eventually(Duration::from_secs(10), what, || {
        let subjects = subjects.clone();
        async move { Ok(subjects.is_ready()) }
    })
    .await
}

/// How many matches of the triple `pattern` the named graphs hold.
async fn count(api: &Api, pattern: &str) -> Result<usize> {
    let rows = api
        .sparql(&format!(
            "SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ {pattern} }} }}"
        ))
        .await?;
    rows["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .context("count")?
        .parse()
        .context("a count")
}

async fn quad_count(api: &Api) -> Result<usize> {
    count(api, "?s ?p ?o").await
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_payloads_get_problem_details_and_change_nothing() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    let good = json!({"id": "urn:ngsi-ld:Thing:1", "type": "Thing",
        "temperature": {"type": "Property", "value": 21.5}, "@context": CORE});
    ensure!(api.post("/entities", LD, good.to_string()).await?.0 == 201);
    let before = quad_count(&api).await?;
    let entity = |extra: Value| {
        let mut e = json!({"id": "urn:ngsi-ld:Thing:2", "type": "Thing", "@context": CORE});
        for (k, v) in extra.as_object().into_iter().flatten() {
            e[k] = v.clone();
        }
        e.to_string()
    };
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let big_batch = Value::Array(
        (0..1001).map(|i| json!({"id": format!("urn:ngsi-ld:Thing:b{i}"), "type": "Thing", "@context": CORE})).collect(),
    )
    .to_string();
    // Hostile nesting: far past serde_json's 128-level bound (parsed iteratively up to it,
    // so no stack overflow) and past the node's own bounds.
    let very_deep_value = format!(
        "{{\"id\":\"urn:x:1\",\"type\":\"Thing\",\"a\":{{\"type\":\"Property\",\"value\":{}1{}}}}}",
        "{\"k\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let very_deep_batch = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let missing = "http://127.0.0.1:1/missing-context.jsonld";
    let bad = "BadRequestData";
    let invalid = "InvalidRequest";
    let cases: Vec<(&str, &str, &str, String, u16, &str)> = vec![
        ("not JSON", "/entities", LD, "{\"id\":".into(), 400, invalid),
        ("an array to /entities", "/entities", LD, "[]".into(), 400, invalid),
        ("no id", "/entities", LD, json!({"type": "Thing", "@context": CORE}).to_string(), 400, bad),
        ("id not a URI", "/entities", LD, json!({"id": "thing 2", "type": "Thing", "@context": CORE}).to_string(), 400, bad),
        ("no type", "/entities", LD, json!({"id": "urn:x:1", "@context": CORE}).to_string(), 400, bad),
        ("a keyword as type", "/entities", LD, json!({"id": "urn:x:1", "type": "type", "@context": CORE}).to_string(), 400, bad),
        ("existing id", "/entities", LD, good.to_string(), 409, "AlreadyExists"),
        ("null value", "/entities", LD, entity(json!({"a": {"type": "Property", "value": null}})), 400, bad),
        ("relationship without object", "/entities", LD, entity(json!({"a": {"type": "Relationship"}})), 400, bad),
        ("unknown attribute type", "/entities", LD, entity(json!({"a": {"type": "Proprety", "value": 1}})), 400, bad),
        ("latitude 200", "/entities", LD, entity(json!({"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 200]}}})), 400, bad),
        ("open polygon", "/entities", LD, entity(json!({"location": {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}}})), 400, bad),
        ("location not a GeoProperty", "/entities", LD, entity(json!({"location": {"type": "Property", "value": 1}})), 400, bad),
        ("bad observedAt", "/entities", LD, entity(json!({"a": {"type": "Property", "value": 1, "observedAt": "yesterday"}})), 400, bad),
        ("bad datasetId", "/entities", LD, entity(json!({"a": {"type": "Property", "value": 1, "datasetId": "no uri"}})), 400, bad),
        ("attribute name with a quote", "/entities", LD, entity(json!({"a\"b": {"type": "Property", "value": 1}})), 400, bad),
        ("JSON-LD without @context", "/entities", LD, json!({"id": "urn:x:1", "type": "Thing"}).to_string(), 400, bad),
        ("JSON with @context", "/entities", "application/json", good.to_string(), 400, bad),
        ("unknown core context", "/entities", LD, json!({"id": "urn:x:1", "type": "Thing", "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v9.9.jsonld"}).to_string(), 503, "LdContextNotAvailable"),
        ("@context a number", "/entities", LD, json!({"id": "urn:x:1", "type": "Thing", "@context": 7}).to_string(), 400, bad),
        ("nesting deeper than 32", "/entities", LD, entity(json!({"a": {"type": "Property", "value": serde_json::from_str::<Value>(&deep)?}})), 400, bad),
        ("nesting 100,000 deep", "/entities", "application/json", very_deep_value, 400, invalid),
        ("a batch nested 100,000 deep", "/entityOperations/upsert", "application/json", very_deep_batch, 400, invalid),
        // The v1.9 core context imports data-integrity/v2 (embedded); a user context that
        // cannot be loaded, directly or through @import, is a 503, never a panic (oxjsonld
        // 0.2.7 panics on this; NGSI-LD contexts never go through it).
        ("a missing user context", "/entities", LD, json!({"id": "urn:x:1", "type": "Thing", "@context": [V19, missing]}).to_string(), 503, "LdContextNotAvailable"),
        ("a missing @import", "/entities", LD, json!({"id": "urn:x:1", "type": "Thing", "@context": [{"@import": missing}, V19]}).to_string(), 503, "LdContextNotAvailable"),
        ("text/plain", "/entities", "text/plain", good.to_string(), 415, invalid),
        ("a batch over the maximum", "/entityOperations/create", LD, big_batch, 400, bad),
        ("an empty batch", "/entityOperations/upsert", LD, "[]".into(), 400, bad),
        ("a batch that is not an array", "/entityOperations/create", LD, good.to_string(), 400, bad),
        ("update of a missing entity", "/entities/urn:ngsi-ld:Thing:404/attrs", LD, json!({"a": {"type": "Property", "value": 1}, "@context": CORE}).to_string(), 404, "ResourceNotFound"),
    ];
    for (what, path, content_type, body, status, kind) in &cases {
        let (got, problem) = api.post(path, content_type, body.clone()).await?;
        ensure!(
            got == *status,
            "{what}: {got} (expected {status}) {problem}"
        );
        ensure!(
            problem["type"] == format!("https://uri.etsi.org/ngsi-ld/errors/{kind}"),
            "{what}: {problem}"
        );
        ensure!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: a detail"
        );
    }
    let long_q = format!("/entities?type=Thing&q={}", "a==1;".repeat(1000));
    let deep_q = format!(
        "/entities?type=Thing&q={}a==1{}",
        "(".repeat(40),
        ")".repeat(40)
    );
    // 2,000 levels within the 4 KiB bound: refused at level 33 of a bounded descent.
    let deepest_q = format!(
        "/entities?type=Thing&q={}a==1{}",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let deep_coordinates = format!(
        "/entities?type=Thing&georel=within&geometry=Polygon&coordinates={}0{}",
        "%5B".repeat(1000),
        "%5D".repeat(1000)
    );
    let gets: Vec<(&str, String, u16, &str)> = vec![
        ("no selector", "/entities".into(), 400, bad),
        ("q too long", long_q, 400, invalid),
        ("q nested too deep", deep_q, 400, invalid),
        ("q nested 2,000 deep", deepest_q, 400, invalid),
        ("coordinates nested 1,000 deep", deep_coordinates, 400, bad),
        (
            "q unbalanced",
            "/entities?type=Thing&q=(a==1".into(),
            400,
            invalid,
        ),
        (
            "bad georel",
            "/entities?type=Thing&georel=nearby&geometry=Point&coordinates=%5B1,2%5D".into(),
            400,
            bad,
        ),
        (
            "georel without coordinates",
            "/entities?type=Thing&georel=within&geometry=Polygon".into(),
            400,
            bad,
        ),
        (
            "limit over the maximum",
            "/entities?type=Thing&limit=5000".into(),
            403,
            "TooManyResults",
        ),
        (
            "negative offset",
            "/entities?type=Thing&offset=-1".into(),
            400,
            bad,
        ),
        (
            "bad idPattern",
            "/entities?type=Thing&idPattern=a**".into(),
            400,
            bad,
        ),
        (
            "unknown entity",
            "/entities/urn:ngsi-ld:Thing:404".into(),
            404,
            "ResourceNotFound",
        ),
        ("id not a URI", "/entities/not%20a%20uri".into(), 400, bad),
    ];
    for (what, path, status, kind) in &gets {
        let (got, problem, _) = api.get(path, CORE).await?;
        ensure!(
            got == *status,
            "{what}: {got} (expected {status}) {problem}"
        );
        ensure!(
            problem["type"] == format!("https://uri.etsi.org/ngsi-ld/errors/{kind}"),
            "{what}: {problem}"
        );
    }
    let (got, problem, _) = api.get("/entities?type=Thing", missing).await?;
    ensure!(
        got == 503
            && problem["type"] == "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable",
        "a Link to a missing context: {got} {problem}"
    );
    let response = api
        .http
        .get_request(&Api::ngsi("/entities/urn:ngsi-ld:Thing:1"))
        .header("accept", "text/html")
        .send()
        .await?;
    ensure!(response.status().as_u16() == 406, "Accept text/html");
    // Writes without a token are refused.
    let response = NodeClient::visitor(node.http_url())
        .post_request(&Api::ngsi("/entities"))
        .header("content-type", LD)
        .body(entity(json!({})))
        .send()
        .await?;
    ensure!(
        response.status().as_u16() == 401,
        "a write without token: {}",
        response.status()
    );
    ensure!(quad_count(&api).await? == before, "the store changed");
    let (_, still, _) = api.get("/entities/urn:ngsi-ld:Thing:1", CORE).await?;
    ensure!(still["temperature"]["value"] == json!(21.5), "{still}");
    println!(
        "{} bad requests: each the right ProblemDetails, the store unchanged",
        cases.len() + gets.len() + 3
    );
    node.shutdown().await?;
    Ok(())
}

/// Two datasets with an open offer: `open` (public) claims the type `Bench`, `closed`
/// (restricted) the type `Meter`, so NGSI-LD writes of each type land in its graph.
pub(super) async fn open_and_restricted_datasets(operator: &NodeClient) -> Result<()> {
    let type_of = |name: &str| format!("https://uri.etsi.org/ngsi-ld/default-context/{name}");
    for (id, access, claimed) in [
        ("open", "public", "Bench"),
        ("closed", "restricted", "Meter"),
    ] {
        let definition = json!({
            "id": id, "title": id, "description": id,
            "graphs": [format!("https://t.example/g/{id}")],
            "access_rights": access, "conforms_to": [type_of(claimed)],
            "policy": OPEN_OFFER,
        });
        let response = operator
            .post_request("/api/datasets")
            .json(&definition)
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "dataset {id}: {}",
            response.text().await?
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn restricted_datasets_are_not_served_to_callers_without_rights() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let admin = dir.load_admin_token()?.as_str().to_owned();
    let api = Api::new(&node, &admin);
    let visitor = NodeClient::visitor(node.http_url());
    open_and_restricted_datasets(&api.http).await?;
    for (id, kind) in [
        ("urn:ngsi-ld:Bench:1", "Bench"),
        ("urn:ngsi-ld:Meter:1", "Meter"),
    ] {
        let body = json!({"id": id, "type": kind, "v": {"type": "Property", "value": 1}, "@context": CORE});
        ensure!(api.post("/entities", LD, body.to_string()).await?.0 == 201);
    }
    // Each entity went to the graph of the dataset that claims its type.
    let rows = api
        .sparql("SELECT ?g { GRAPH ?g { <urn:ngsi-ld:Meter:1> a ?t } }")
        .await?;
    ensure!(
        rows["results"]["bindings"][0]["g"]["value"] == "https://t.example/g/closed",
        "{rows}"
    );
    let anonymous = |path: &str| visitor.get_request(&Api::ngsi(path)).send();
    let (_, open) = status_and_body(anonymous("/entities?type=Bench").await?).await?;
    ensure!(
        open.as_array().is_some_and(|a| a.len() == 1),
        "public: {open}"
    );
    let (_, closed) = status_and_body(anonymous("/entities?type=Meter").await?).await?;
    ensure!(closed == json!([]), "restricted, by query: {closed}");
    let (status, _) = status_and_body(anonymous("/entities/urn:ngsi-ld:Meter:1").await?).await?;
    ensure!(status == 404, "restricted, by id: {status}");
    let (_, types) = status_and_body(anonymous("/types").await?).await?;
    ensure!(
        types["typeList"] == json!(["Bench"]),
        "restricted, by discovery: {types}"
    );
    let (_, all, _) = api.get("/entities?type=Bench,Meter", CORE).await?;
    ensure!(
        all.as_array().is_some_and(|a| a.len() == 2),
        "the operator sees both: {all}"
    );
    node.shutdown().await?;
    Ok(())
}
