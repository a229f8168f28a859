//! Sensor ingest end to end: a node subscribed to a real MQTT broker (rumqttd embedded here;
//! Mosquitto too when installed) stores exactly the expected RDF for TTN v3, IoT Agent
//! JSON/UltraLight and SenML messages; HTTP push with tokens; every kind of bad payload in
//! dead letters with its reason, and replayed after the mapping is fixed; latest state,
//! idempotent duplicates and retention.

use super::support::{air_quality_source, eventually, observation_index_fresh, status_and_body};
use anyhow::{Context, Result, bail};
use hanse_node::client::NodeClient;
use hanse_node::demo::mqtt_broker::EmbeddedBroker;
use hanse_node::test_utils::Mosquitto;
use hanse_node::{Node, NodeHandle};
use oxigraph::io::{RdfFormat, RdfParser};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

const PREFIXES: &str = "
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix env: <https://smartdatamodels.org/dataModel.Environment/> .
@prefix waste: <https://smartdatamodels.org/dataModel.WasteManagement/> .
@prefix parks: <https://smartdatamodels.org/dataModel.ParksAndGardens/> .
@prefix hanse: <https://w3id.org/hanse#> .
";

fn write_sources(dir: &Path, broker: &str) -> Result<()> {
    let sources = dir.join("sources");
    std::fs::create_dir_all(&sources)?;
    let files = [
        (
            "air",
            air_quality_source(broker, "[fields.pm10]\nattribute = \"pm10\"\nunit = \"GQ\""),
        ),
        (
            "bins",
            format!(
                r#"graph = "https://t.example/g/bins"
base = "https://t.example/"
entity_type = "WasteContainer"
[format]
type = "iot-agent-json"
apikey = "k1"
[mqtt]
url = "{broker}"
topics = ["/k1/+/attrs"]
[devices.bin-1]
[fields.f]
attribute = "fillingLevel"
unit = "C62"
from_unit = "P1""#
            ),
        ),
        (
            "roads",
            format!(
                r#"graph = "https://t.example/g/roads"
base = "https://t.example/"
entity_type = "RoadSurfaceObserved"
[format]
type = "iot-agent-ul"
apikey = "k2"
[mqtt]
url = "{broker}"
topics = ["/k2/+/attrs"]
[devices.road-1]
[fields.t]
attribute = "roadSurfaceTemperature"
unit = "CEL"
min = -40
max = 80"#
            ),
        ),
        (
            "soil",
            format!(
                r#"graph = "https://t.example/g/soil"
base = "https://t.example/"
entity_type = "GreenspaceRecord"
[format]
type = "senml"
[mqtt]
url = "{broker}"
topics = ["soil/+"]
[devices."urn:dev:mac:01"]
[fields.vwc]
attribute = "soilMoistureVwc"
unit = "C62""#
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(sources.join(format!("{name}.toml")), text)?;
    }
    Ok(())
}

/// What each source must have stored, `sosa:resultTime` aside (it is the receipt time).
const EXPECTED: [(&str, &str); 4] = [
    (
        "air",
        r#"
t:observation/aq-1/no2/2026-11-21T10:00:00.9Z a sosa:Observation ; sosa:madeBySensor t:sensor/aq-1 ;
  sosa:observedProperty env:no2 ; sosa:hasFeatureOfInterest t:entity/aq-1 ;
  sosa:hasSimpleResult "23.5"^^xsd:double ; qudt:unit unit:MicroGM-PER-M3 ;
  sosa:phenomenonTime "2026-11-21T10:00:00.9Z"^^xsd:dateTime .
t:observation/aq-1/pm10/2026-11-21T10:00:00.9Z a sosa:Observation ; sosa:madeBySensor t:sensor/aq-1 ;
  sosa:observedProperty env:pm10 ; sosa:hasFeatureOfInterest t:entity/aq-1 ;
  sosa:hasSimpleResult "17"^^xsd:double ; qudt:unit unit:MicroGM-PER-M3 ;
  sosa:phenomenonTime "2026-11-21T10:00:00.9Z"^^xsd:dateTime .
t:sensor/aq-1 a sosa:Sensor ; rdfs:label "AirQualityObserved aq-1" .
t:entity/aq-1 a env:AirQualityObserved ; rdfs:label "AirQualityObserved aq-1" ;
  geo:hasGeometry <https://t.example/entity/aq-1/geometry> ;
  env:no2 "23.5"^^xsd:double ; env:pm10 "17"^^xsd:double ;
  env:dateObserved "2026-11-21T10:00:00.9Z"^^xsd:dateTime .
<https://t.example/entity/aq-1/geometry> geo:asWKT "POINT(4.4777 51.0279)"^^geo:wktLiteral .
"#,
    ),
    (
        "bins",
        r#"
t:observation/bin-1/fillingLevel/2026-11-21T11:00:00Z a sosa:Observation ; sosa:madeBySensor t:sensor/bin-1 ;
  sosa:observedProperty waste:fillingLevel ; sosa:hasFeatureOfInterest t:entity/bin-1 ;
  sosa:hasSimpleResult "0.8"^^xsd:double ; qudt:unit unit:UNITLESS ;
  sosa:phenomenonTime "2026-11-21T11:00:00Z"^^xsd:dateTime .
t:sensor/bin-1 a sosa:Sensor ; rdfs:label "WasteContainer bin-1" .
t:entity/bin-1 a waste:WasteContainer ; rdfs:label "WasteContainer bin-1" ;
  waste:fillingLevel "0.8"^^xsd:double ; waste:dateObserved "2026-11-21T11:00:00Z"^^xsd:dateTime .
"#,
    ),
    (
        "roads",
        r#"
t:observation/road-1/roadSurfaceTemperature/2026-11-21T06:00:00Z a sosa:Observation ; sosa:madeBySensor t:sensor/road-1 ;
  sosa:observedProperty hanse:roadSurfaceTemperature ; sosa:hasFeatureOfInterest t:entity/road-1 ;
  sosa:hasSimpleResult "-1.5"^^xsd:double ; qudt:unit unit:DEG_C ;
  sosa:phenomenonTime "2026-11-21T06:00:00Z"^^xsd:dateTime .
t:sensor/road-1 a sosa:Sensor ; rdfs:label "RoadSurfaceObserved road-1" .
t:entity/road-1 a hanse:RoadSurfaceObserved ; rdfs:label "RoadSurfaceObserved road-1" ;
  hanse:roadSurfaceTemperature "-1.5"^^xsd:double ; hanse:dateObserved "2026-11-21T06:00:00Z"^^xsd:dateTime .
"#,
    ),
    (
        "soil",
        r#"
<https://t.example/observation/urn:dev:mac:01/soilMoistureVwc/2026-11-21T12:00:00Z> a sosa:Observation ;
  sosa:madeBySensor <https://t.example/sensor/urn:dev:mac:01> ;
  sosa:observedProperty parks:soilMoistureVwc ; sosa:hasFeatureOfInterest <https://t.example/entity/urn:dev:mac:01> ;
  sosa:hasSimpleResult "0.31"^^xsd:double ; qudt:unit unit:UNITLESS ;
  sosa:phenomenonTime "2026-11-21T12:00:00Z"^^xsd:dateTime .
<https://t.example/sensor/urn:dev:mac:01> a sosa:Sensor ; rdfs:label "GreenspaceRecord urn:dev:mac:01" .
<https://t.example/entity/urn:dev:mac:01> a parks:GreenspaceRecord ; rdfs:label "GreenspaceRecord urn:dev:mac:01" ;
  parks:soilMoistureVwc "0.31"^^xsd:double ; parks:dateObserved "2026-11-21T12:00:00Z"^^xsd:dateTime .
"#,
    ),
];

/// The messages, on their topics.
fn messages() -> Vec<(&'static str, String)> {
    vec![
        (
            "v3/mechelen-air@ttn/devices/aq-1/up",
            r#"{"end_device_ids":{"device_id":"aq-1","application_ids":{"application_id":"mechelen-air"},"dev_eui":"70B3D57ED005B1A2"},
               "received_at":"2026-11-21T10:00:01.123Z",
               "uplink_message":{"f_port":1,"f_cnt":12,"frm_payload":"AQID","decoded_payload":{"no2":23.5,"pm10":17,"battery":3.6},
                 "rx_metadata":[{"gateway_ids":{"gateway_id":"gw-1"},"time":"2026-11-21T10:00:00.9Z","rssi":-97,"snr":7.5}],
                 "settings":{"data_rate":{"lora":{"bandwidth":125000,"spreading_factor":7}},"frequency":"868100000"},
                 "received_at":"2026-11-21T10:00:01.000Z"}}"#
                .into(),
        ),
        (
            "/k1/bin-1/attrs",
            r#"{"f": 80, "TimeInstant": "2026-11-21T11:00:00Z"}"#.into(),
        ),
        ("/k2/road-1/attrs", "2026-11-21T06:00:00Z|t|-1.5".into()),
        (
            "soil/x",
            r#"[{"bn":"urn:dev:mac:01:","bt":1795262400,"n":"vwc","u":"%","v":31}]"#.into(),
        ),
    ]
}

/// Parses Turtle into N-Triples lines; `t:path` tokens stand for `<https://t.example/path>`
/// (Turtle's prefixed names cannot hold `/`).
fn triples(turtle: &str) -> Result<BTreeSet<String>> {
    let expanded: Vec<String> = turtle
        .split([' ', '\n'])
        .map(|token| match token.strip_prefix("t:") {
            Some(path) => format!("<https://t.example/{path}>"),
            None => token.to_owned(),
        })
        .collect();
    RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(format!("{PREFIXES}{}", expanded.join(" ")).as_bytes())
        .map(|t| Ok(t?.to_string()))
        .collect()
}

async fn graph(node: &NodeHandle, token: &str, graph: &str) -> Result<BTreeSet<String>> {
    let text = NodeClient::bearer(node.http_url(), token)
        .get_request("/store")
        .query(&[("graph", graph)])
        .header("accept", "application/n-triples")
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    triples(&text)
}

async fn ingest_status(node: &NodeHandle, token: &str) -> Result<serde_json::Value> {
    Ok(NodeClient::bearer(node.http_url(), token)
        .get_request("/api/ingest/status")
        .send()
        .await?
        .json()
        .await?)
}

async fn source_count(node: &NodeHandle, token: &str, source: &str, key: &str) -> Result<u64> {
    let status = ingest_status(node, token).await?;
    status
        .as_array()
        .and_then(|s| s.iter().find(|s| s["source"] == source))
        .and_then(|s| s[key].as_u64())
        .with_context(|| format!("no {key} for {source} in {status}"))
}

/// Publishes at QoS 1 and waits for the broker's PUBACKs.
async fn publish(url: &str, messages: &[(&str, String)]) -> Result<()> {
    let address = url.trim_start_matches("mqtt://");
    let (host, port) = address.rsplit_once(':').context("host:port")?;
    let mut options = MqttOptions::new(
        format!("publisher-{}", std::process::id()),
        host,
        port.parse()?,
    );
    options.set_keep_alive(Duration::from_secs(10));
    let (client, mut event_loop) = AsyncClient::new(options, 100);
    for (topic, payload) in messages {
        client
            .publish(
                *topic,
                QoS::AtLeastOnce,
                false,
                payload.clone().into_bytes(),
            )
            .await?;
    }
    let mut acked = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        while acked < messages.len() {
            match event_loop.poll().await {
                Ok(Event::Incoming(Incoming::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(e) => bail!("publisher: {e}"),
            }
        }
        Ok(())
    })
    .await
    .context("the broker did not acknowledge every publish in 20 s")??;
    let _ = client.disconnect().await;
    Ok(())
}

/// Runs the exact-RDF check against a broker at `url`.
async fn exact_rdf_over(url: &str) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    write_sources(tmp.path(), url)?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let token = dir.load_admin_token()?.as_str().to_owned();
    // The subscriptions must exist before publishing (the broker keeps nothing for a
    // client that never subscribed).
    eventually(
        Duration::from_secs(20),
        "every MQTT source connected",
        || async {
            let status = ingest_status(&node, &token).await?;
            Ok(status
                .as_array()
                .is_some_and(|s| s.len() == 4 && s.iter().all(|s| s["mqtt_connected"] == true)))
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    publish(url, &messages()).await?;
    for (source, _) in EXPECTED {
        eventually(Duration::from_secs(20), source, || async {
            Ok(source_count(&node, &token, source, "messages_stored").await? >= 1)
        })
        .await?;
    }
    for (source, expected) in EXPECTED {
        let stored = graph(&node, &token, &format!("https://t.example/g/{source}")).await?;
        let result_time = "<http://www.w3.org/ns/sosa/resultTime>";
        let stamped = stored.iter().filter(|t| t.contains(result_time)).count();
        let stored: BTreeSet<String> = stored
            .into_iter()
            .filter(|t| !t.contains(result_time))
            .collect();
        let expected = triples(expected)?;
        assert_eq!(
            stored,
            expected,
            "{source}: stored graph differs\nmissing: {:#?}\nunexpected: {:#?}",
            expected.difference(&stored).collect::<Vec<_>>(),
            stored.difference(&expected).collect::<Vec<_>>()
        );
        assert!(stamped >= 1, "{source}: observations carry sosa:resultTime");
    }
    node.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt_messages_of_every_format_are_stored_as_exact_rdf_via_rumqttd() -> Result<()> {
    let broker = EmbeddedBroker::start(0)?;
    exact_rdf_over(&broker.url()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt_messages_of_every_format_are_stored_as_exact_rdf_via_mosquitto() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let Some(mosquitto) = Mosquitto::start(tmp.path())? else {
        // Visible in the test output; .ci/run installs Mosquitto and sets
        // HANSE_REQUIRE_MOSQUITTO, so CI cannot skip it.
        println!("SKIPPED: mosquitto is not installed (apt-get install mosquitto)");
        return Ok(());
    };
    exact_rdf_over(&mosquitto.url()).await
}

const PARKING: &str = r#"graph = "https://t.example/g/parking"
base = "https://t.example/"
entity_type = "OffStreetParking"
[format]
type = "json"
device = "/lot"
time = "/at"
fields = "/values"
[http]
token_file = "secrets/parking.token"
[retention]
raw_days = 30
[devices.lot-1]
[fields.occupancy]
attribute = "occupancy"
unit = "C62"
required = true
[fields.state]
attribute = "status"
kind = "text"
values = ["open", "closed"]
"#;

struct Api {
    /// The node's operator.
    http: NodeClient,
    base: String,
}

impl Api {
    async fn push(
        &self,
        token: &str,
        content_type: &str,
        body: String,
    ) -> Result<(u16, serde_json::Value)> {
        let response = NodeClient::bearer(&self.base, token)
            .post_request("/api/ingest/parking")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        status_and_body(response).await
    }

    async fn admin_post(&self, path: &str) -> Result<serde_json::Value> {
        Ok(self
            .http
            .post_request(path)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    async fn select(&self, query: &str) -> Result<Vec<serde_json::Value>> {
        let results: serde_json::Value = self
            .http
            .get_request("/sparql")
            .query(&[("query", query)])
            .header("accept", "application/sparql-results+json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(results["results"]["bindings"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    async fn observation_count(&self) -> Result<u64> {
        let rows = self
            .select("SELECT (COUNT(?o) AS ?n) WHERE { GRAPH <https://t.example/g/parking> { ?o a <http://www.w3.org/ns/sosa/Observation> } }")
            .await?;
        Ok(rows[0]["n"]["value"].as_str().unwrap_or("0").parse()?)
    }
}

fn lot(lot: &str, at: &str, values: &str) -> String {
    format!(r#"{{"lot":"{lot}","at":"{at}","values":{values}}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn http_push_dead_letters_replay_latest_state_and_retention() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir_all(tmp.path().join("sources"))?;
    let mapping = tmp.path().join("sources/parking.toml");
    std::fs::write(&mapping, PARKING)?;
    let (node, dir) =
        Node::spawn_for_tests(tmp.path(), |c| c.sparql.union_default_graph = true).await?;
    let token = std::fs::read_to_string(tmp.path().join("secrets/parking.token"))?
        .trim()
        .to_owned();
    let admin = dir.load_admin_token()?.as_str().to_owned();
    let api = Api {
        http: NodeClient::bearer(node.http_url(), &admin),
        base: node.http_url(),
    };
    let visitor = NodeClient::visitor(node.http_url());
    let json = "application/json";

    // Tokens: none, wrong, unknown source.
    let none = visitor
        .post_request("/api/ingest/parking")
        .body("{}")
        .send()
        .await?;
    assert_eq!(none.status(), 401);
    // A token nobody holds is refused as such (401), never taken for a visitor.
    assert_eq!(api.push("not-the-token", json, "{}".into()).await?.0, 401);
    // A source's token pushes for that source only; an unknown source is named as such.
    let other = NodeClient::bearer(&api.base, &token)
        .post_request("/api/ingest/nope")
        .body("{}")
        .send()
        .await?;
    assert_eq!(other.status(), 403);
    let unknown = api
        .http
        .post_request("/api/ingest/nope")
        .body("{}")
        .send()
        .await?;
    assert_eq!(unknown.status(), 404);

    // A good message, then the same again (idempotent), then an older one (latest state
    // keeps the newer value).
    let good = lot(
        "lot-1",
        "2026-11-21T10:00:00Z",
        r#"{"occupancy": 0.5, "state": "open"}"#,
    );
    let (status, body) = api.push(&token, json, good.clone()).await?;
    assert_eq!(
        (status, body["observations"].as_u64()),
        (200, Some(2)),
        "{body}"
    );
    api.push(&token, json, good).await?;
    let older = lot("lot-1", "2026-11-21T09:00:00Z", r#"{"occupancy": 0.9}"#);
    api.push(&token, json, older).await?;
    assert_eq!(
        api.observation_count().await?,
        3,
        "a duplicate message is stored once"
    );
    let latest = api
        .select("SELECT ?v ?t WHERE { <https://t.example/entity/lot-1> <https://smartdatamodels.org/dataModel.Parking/occupancy> ?v ; <https://smartdatamodels.org/dataModel.Parking/dateObserved> ?t }")
        .await?;
    assert_eq!(latest.len(), 1, "{latest:?}");
    assert_eq!(latest[0]["v"]["value"], "0.5");
    assert_eq!(latest[0]["t"]["value"], "2026-11-21T10:00:00Z");
    // The temporal API answers the same readings, oldest first, from the observation index
    // the ingest writer told (waited for: it is built from the store at start).
    observation_index_fresh(&node).await?;
    let history: serde_json::Value = api
        .http
        .get_request("/ngsi-ld/v1/temporal/entities/https%3A%2F%2Ft.example%2Fentity%2Flot-1?options=temporalValues")
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let occupancy: Vec<(String, String)> =
        history["https://smartdatamodels.org/dataModel.Parking/occupancy"]["values"]
            .as_array()
            .context("no occupancy history")?
            .iter()
            .map(|pair| {
                let value = pair[0].to_string().trim_matches('"').to_owned();
                (value, pair[1].as_str().unwrap_or_default().to_owned())
            })
            .collect();
    assert_eq!(
        occupancy,
        [
            ("0.9".to_owned(), "2026-11-21T09:00:00Z".to_owned()),
            ("0.5".to_owned(), "2026-11-21T10:00:00Z".to_owned())
        ],
        "{history}"
    );

    // Every kind of bad payload: its own reason, kept as a dead letter, 422.
    let bad = [
        ("{\"lot\":", "cannot decode: payload is not valid JSON"),
        (
            &*lot("lot-9", "2026-11-21T10:00:00Z", r#"{"occupancy": 0.5}"#),
            "unknown device `lot-9`",
        ),
        (
            &*lot("lot-1", "2026-11-21T10:05:00Z", r#"{"state": "open"}"#),
            "required field `occupancy` is missing",
        ),
        (
            &*lot("lot-1", "2026-11-21T10:05:00Z", r#"{"occupancy": 1.7}"#),
            "1.7 C62 is out of range [0, 1]",
        ),
        (
            &*lot("lot-1", "2026-11-21T10:05:00Z", r#"{"occupancy": "half"}"#),
            "\"half\" is not a number",
        ),
        (
            &*lot(
                "lot-1",
                "2026-11-21T10:05:00Z",
                r#"{"occupancy": 0.1, "state": "flooded"}"#,
            ),
            "`flooded` is not one of",
        ),
        (
            &*lot("lot-1", "last tuesday", r#"{"occupancy": 0.1}"#),
            "is neither RFC 3339 nor epoch seconds",
        ),
    ];
    for (payload, reason) in bad {
        let (status, body) = api.push(&token, json, payload.to_owned()).await?;
        assert_eq!(status, 422, "{payload}: {body}");
        let first = body["first_error"].as_str().unwrap_or_default();
        assert!(
            first.contains(reason),
            "{payload}: `{first}` lacks `{reason}`"
        );
    }
    // CSV: good rows stored, a bad row kept as a dead letter.
    let csv = "device,time,occupancy\nlot-1,2026-11-21T11:00:00Z,0.25\nlot-1,2026-11-21T12:00:00Z,0.75\nlot-7,2026-11-21T12:00:00Z,0.1\n";
    let (status, body) = api.push(&token, "text/csv", csv.into()).await?;
    assert_eq!(
        (
            status,
            body["observations"].as_u64(),
            body["dead_lettered"].as_u64()
        ),
        (200, Some(2), Some(1)),
        "{body}"
    );

    let letters: Vec<serde_json::Value> = api
        .http
        .get_request("/api/ingest/dead-letters?source=parking")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(letters.len(), bad.len() + 1);
    assert!(
        letters.iter().all(
            |l| l["source"] == "parking" && l["reason"].as_str().is_some_and(|r| !r.is_empty())
        )
    );
    assert_eq!(
        letters[0]["payload"], "{\"lot\":",
        "the raw payload is kept exactly"
    );
    let forbidden = visitor
        .get_request("/api/ingest/dead-letters")
        .send()
        .await?;
    assert_eq!(forbidden.status(), 401, "dead letters need the admin token");

    // Fix the mapping: add lot-9 and lot-7, allow `flooded`. Replay stores those three; the
    // rest stay with their reasons.
    let fixed = PARKING
        .replace(
            "[devices.lot-1]",
            "[devices.lot-1]\n[devices.lot-9]\n[devices.lot-7]",
        )
        .replace(r#"["open", "closed"]"#, r#"["open", "closed", "flooded"]"#);
    std::fs::write(&mapping, fixed)?;
    let replay = api
        .admin_post("/api/ingest/dead-letters/replay?source=parking")
        .await?;
    assert_eq!(replay["tried"], 8, "{replay}");
    assert_eq!(replay["stored"], 3, "{replay}");
    assert_eq!(replay["still_refused"], 5, "{replay}");
    assert_eq!(api.observation_count().await?, 3 + 2 + 3 + 1);

    let sources = ingest_status(&node, &token).await?;
    let parking = &sources[0];
    assert_eq!(parking["source"], "parking");
    assert_eq!(parking["transports"], serde_json::json!(["http"]));
    assert_eq!(parking["dead_letters_waiting"], 5, "{parking}");
    assert!(parking["received"].as_u64() >= Some(13), "{parking}");
    assert!(parking["last_error"]["reason"].is_string(), "{parking}");

    // Retention: three values in an hour 40 days ago become one hourly aggregate, and the
    // raw observations older than 30 days go.
    let old = hanse_sensors::OffsetDateTime::now_utc() - time::Duration::days(40);
    let hour = hanse_sensors::format_time(old)[..13].to_owned();
    let csv = format!(
        "device,time,occupancy\nlot-1,{hour}:05:00Z,0.2\nlot-1,{hour}:25:00Z,0.4\nlot-1,{hour}:45:00Z,0.9\n"
    );
    let (status, _) = api.push(&token, "text/csv", csv).await?;
    assert_eq!(status, 200);
    let before = api.observation_count().await?;
    let reports = api.admin_post("/api/ingest/retention").await?;
    assert_eq!(reports[0]["raw_deleted"], 3, "{reports}");
    assert_eq!(api.observation_count().await?, before - 3);
    let aggregate = api
        .select(&format!(
            "PREFIX h: <https://w3id.org/hanse#> SELECT ?n ?min ?max ?mean WHERE {{ GRAPH <https://t.example/g/parking/hourly> {{ \
             ?a a h:HourlyAggregate ; h:hourStart \"{hour}:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> ; \
             <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Parking/occupancy> ; \
             h:observationCount ?n ; h:minimum ?min ; h:maximum ?max ; h:mean ?mean }} }}"
        ))
        .await?;
    assert_eq!(aggregate.len(), 1, "{aggregate:?}");
    let value = |k: &str| {
        aggregate[0][k]["value"]
            .as_str()
            .unwrap_or_default()
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    assert_eq!(value("n"), 3.0);
    assert_eq!((value("min"), value("max")), (0.2, 0.9));
    assert!((value("mean") - 0.5).abs() < 1e-9);

    node.shutdown().await?;
    Ok(())
}
