//! The fuzz targets' bodies, one function per target taking the fuzzer's bytes. The
//! `fuzz_targets/` binaries hand libFuzzer's inputs to them; the release test suite replays
//! the committed seeds and generated inputs through the same functions
//! (`tests/tests/e2e/fuzz_seeds.rs`), so CI checks every target without an instrumented build.
//!
//! Grammar-aware targets turn the bytes into a query or update with `arbitrary`, as
//! `fuzz_target!` does for a typed input.

use super::harness::{UNIVERSITY, WATER, get, harness, post, query_param};
use arbitrary::{Arbitrary, Unstructured};
use axum::body::Body;
use axum::http::Request;
use hanse_node::p2p::{QueryLimits, Request as PeerRequest, Response as PeerResponse};
use hanse_sensors::{Mapper, OffsetDateTime, SourceConfig};
use std::sync::OnceLock;

/// A target: its name (the file in `fuzz_targets/`) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target, by name.
pub const TARGETS: [Target; 10] = [
    ("graph_store", graph_store),
    ("ngsi_ld", ngsi_ld),
    ("odrl_policy", odrl_policy),
    ("p2p_frames", p2p_frames),
    ("remote_query", remote_query),
    ("sensor_payload", sensor_payload),
    ("signed_documents", signed_documents),
    ("sparql_query", sparql_query),
    ("sparql_text", sparql_text),
    ("sparql_update", sparql_update),
];

/// Grammar-generated SPARQL queries (sparql-smith reaches deep and odd shapes that bytes
/// rarely do) through a demo city's `/sparql` endpoint: the shape limits, the parser, the
/// planner and the evaluator under the node's timeout and row limit.
pub fn sparql_query(data: &[u8]) {
    let Ok(query) = sparql_smith::Query::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let text = query.to_string();
    harness().http(0, post("/sparql", "application/sparql-query", text), false);
}

/// Grammar-generated SPARQL updates through a demo city's `/sparql` endpoint with the admin
/// token: the update limits, the parser and the store's transactions.
pub fn sparql_update(data: &[u8]) {
    let Ok(update) = sparql_smith::Update::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let text = update.to_string();
    harness().http(2, post("/sparql", "application/sparql-update", text), true);
}

/// Any bytes as a query (GET and POST form) and as an update (POST, with the admin token) to
/// a demo city's `/sparql` endpoint: what the grammar-aware target cannot produce (bad
/// UTF-8, truncated tokens, unbalanced brackets, giant literals).
pub fn sparql_text(data: &[u8]) {
    let h = harness();
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let uri = format!(
                "/sparql?query={}",
                query_param(&String::from_utf8_lossy(text))
            );
            h.http(1, get(&uri, "application/sparql-results+json"), false);
        }
        1 => {
            let request = post("/sparql", "application/sparql-query", text.to_vec());
            h.http(1, request, false);
        }
        _ => {
            let request = post("/sparql", "application/sparql-update", text.to_vec());
            h.http(1, request, true);
        }
    }
}

/// Grammar-generated queries as p2p remote queries from a member: to the water utility
/// under the university's aggregation-only agreement (the aggregate guard and its rewrites),
/// and to a city's open datasets (the restricted evaluation over permitted graphs).
pub fn remote_query(data: &[u8]) {
    let Ok((to_utility, query)) =
        <(bool, sparql_smith::Query)>::arbitrary_take_rest(Unstructured::new(data))
    else {
        return;
    };
    let h = harness();
    let limits = QueryLimits {
        timeout_ms: 5_000,
        max_rows: 1_000,
    };
    let request = if to_utility {
        PeerRequest::Query {
            query: query.to_string(),
            purpose: Some(super::harness::DEMO_PURPOSE.into()),
            agreements: vec![h.agreement.clone()],
            datasets: vec!["consumption".into()],
            limits,
            on_behalf_of: None,
        }
    } else {
        PeerRequest::Query {
            query: query.to_string(),
            purpose: None,
            agreements: Vec::new(),
            datasets: Vec::new(),
            limits,
            on_behalf_of: None,
        }
    };
    let provider = if to_utility { WATER } else { 1 };
    h.peer_request(provider, UNIVERSITY, request);
}

/// Any bytes as a p2p frame: decoded as the libp2p codec does (CBOR, `cbor4ii`), and every
/// request that decodes is answered by a demo node as if a member sent it; responses are
/// decoded too (a node reads its peers' answers).
pub fn p2p_frames(data: &[u8]) {
    let _ = cbor4ii::serde::from_slice::<PeerResponse>(data);
    if let Ok(request) = cbor4ii::serde::from_slice::<PeerRequest>(data) {
        harness().peer_request(4, 5, request);
    }
}

/// The types an RDF body of the Graph Store target is sent as.
const RDF_TYPES: [&str; 7] = [
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/ld+json",
    "text/n3",
];

/// Any bytes as a Graph Store Protocol body in each RDF syntax (PUT and POST with the admin
/// token): the nesting scan, the size limit and the parsers.
pub fn graph_store(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = RDF_TYPES[usize::from(selector) % RDF_TYPES.len()];
    let method = if selector & 0x80 == 0 { "PUT" } else { "POST" };
    let Ok(request) = Request::builder()
        .method(method)
        .uri("/store?graph=https%3A%2F%2Ffuzz.example%2Fgraph")
        .header("content-type", content_type)
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    harness().http(3, request, true);
}

/// The core context as a `Link` header, for bodies sent as plain JSON.
const CORE_CONTEXT_LINK: &str = "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

/// Any bytes as NGSI-LD input to a demo city: entity bodies (create, batch upsert, attribute
/// patch, with and without `@context`) and query strings (`q`, `type`, geo-queries, paging).
pub fn ngsi_ld(data: &[u8]) {
    let h = harness();
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(input);
    match selector % 8 {
        0 => {
            let request = post(
                "/ngsi-ld/v1/entities",
                "application/ld+json",
                input.to_vec(),
            );
            h.http(0, request, true);
        }
        1 => {
            let mut request = post("/ngsi-ld/v1/entities", "application/json", input.to_vec());
            if let Ok(link) = CORE_CONTEXT_LINK.parse() {
                request.headers_mut().insert("link", link);
            }
            h.http(0, request, true);
        }
        2 => {
            let uri = "/ngsi-ld/v1/entityOperations/upsert";
            h.http(0, post(uri, "application/ld+json", input.to_vec()), true);
        }
        3 => {
            let Ok(request) = Request::patch(
                "/ngsi-ld/v1/entities/urn%3Angsi-ld%3AAirQualityObserved%3Afuzz/attrs",
            )
            .header("content-type", "application/json")
            .body(Body::from(input.to_vec())) else {
                return;
            };
            h.http(0, request, true);
        }
        4 => {
            let uri = format!(
                "/ngsi-ld/v1/entities?type=AirQualityObserved&q={}",
                query_param(&text)
            );
            h.http(0, get(&uri, "application/json"), false);
        }
        5 => {
            let uri = format!(
                "/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near%3BmaxDistance%3D%3D2000&geometry=Point&coordinates={}",
                query_param(&text)
            );
            h.http(0, get(&uri, "application/geo+json"), false);
        }
        6 => {
            // The whole query string from the input: parameters, paging, options.
            let raw: String = text
                .split(['&', '='])
                .map(query_param)
                .zip(
                    text.chars()
                        .filter(|c| matches!(c, '&' | '='))
                        .map(String::from)
                        .chain(std::iter::repeat(String::new())),
                )
                .map(|(part, separator)| part + &separator)
                .collect();
            let uri = format!("/ngsi-ld/v1/entities?{raw}");
            h.http(0, get(&uri, "application/json"), false);
        }
        _ => {
            let uri = format!("/ngsi-ld/v1/entities/{}", query_param(&text));
            h.http(0, get(&uri, "application/ld+json"), false);
        }
    }
}

/// Any text as an ODRL policy (JSON-LD and Turtle, as datasets carry them): parsing, the
/// plain-words rendering the console shows, serialisation, and evaluation of a request.
pub fn odrl_policy(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let parsed = if selector & 1 == 0 {
        hanse_policy::parse_json_ld(text)
    } else {
        hanse_policy::parse_turtle(text)
    };
    let Ok(policies) = parsed else {
        return;
    };
    for policy in &policies {
        let _ = hanse_policy::plain_words(policy, Some("https://data.example/dataset/consumption"));
        let _ = hanse_policy::to_turtle(policy);
        let request = hanse_policy::Request {
            assignee: Some("https://consortium.example/member/university".into()),
            action: "http://www.w3.org/ns/odrl/2/use".into(),
            target: Some("https://data.example/dataset/consumption".into()),
            purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
            ..Default::default()
        };
        let mut world = hanse_policy::WorldState::at(hanse_policy::DateTime::now());
        world.group_size = Some(u64::from(selector >> 1));
        world.use_count = Some(u64::from(selector));
        let _ = hanse_policy::evaluate(policy, &request, &world);
    }
}

/// Any bytes as what peers send signed: a catalogue (N-Quads, canonicalised with RDFC-1.0
/// and verified), a catalogue announcement gossiped by a member, and a membership document
/// (genesis verification).
pub fn signed_documents(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let _ = hanse_node::catalog::signing::verify(bytes, 4 * 1024 * 1024);
        }
        1 => harness().catalog_gossip(2, 0, bytes),
        _ => {
            if let Ok(document) = hanse_node::trust::consortium::SignedMembership::from_json(bytes)
            {
                let _ = document.verify_genesis();
            }
        }
    }
}

/// The mappings in `docs/sources/` with a topic each of them decodes.
const SOURCES: [(&str, &str); 6] = [
    (
        include_str!("../../docs/sources/air-quality.toml"),
        "v3/aq@city/devices/aq-1/up",
    ),
    (
        include_str!("../../docs/sources/bicycle-counts.toml"),
        "counts",
    ),
    (
        include_str!("../../docs/sources/parking.toml"),
        "parking/spot-1",
    ),
    (
        include_str!("../../docs/sources/road-temperature.toml"),
        "/ul/roads/road-3/attrs",
    ),
    (
        include_str!("../../docs/sources/soil-moisture.toml"),
        "soil/pack",
    ),
    (
        include_str!("../../docs/sources/waste-bins.toml"),
        "/json/bins4bruges/bin-1/attrs",
    ),
];

fn mappers() -> &'static Vec<Mapper> {
    static MAPPERS: OnceLock<Vec<Mapper>> = OnceLock::new();
    MAPPERS.get_or_init(|| {
        SOURCES
            .iter()
            .enumerate()
            .map(|(index, (text, _))| {
                let mut config = SourceConfig::parse(text)
                    .unwrap_or_else(|e| panic!("docs/sources mapping does not parse: {e}"));
                // `SourceConfig::load` names a source after its file.
                config.name = format!("source-{index}");
                Mapper::new(config).unwrap_or_else(|e| panic!("docs/sources mapping refused: {e}"))
            })
            .collect()
    })
}

/// Any bytes as a sensor message for each payload format (The Things Network v3, IoT Agent
/// JSON and UltraLight, SenML, generic JSON) and as a CSV row, through the mappings in
/// `docs/sources/`: decoding, unit conversion, plausibility checks and mapping to SOSA.
pub fn sensor_payload(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector) % SOURCES.len();
    let topic = if selector & 0x80 == 0 {
        SOURCES[index].1.to_owned()
    } else {
        // A CSV row kept on its own (a dead letter replayed), whatever the source's format.
        format!("{}7", hanse_sensors::CSV_TOPIC_PREFIX)
    };
    let _ = mappers()[index].decode_and_map(&topic, payload, OffsetDateTime::UNIX_EPOCH);
    let mut reader = match hanse_sensors::formats::CsvReader::new(payload) {
        Ok(reader) => reader,
        Err(_) => return,
    };
    for _ in 0..1000 {
        if reader.next_row().is_none() {
            break;
        }
    }
}
