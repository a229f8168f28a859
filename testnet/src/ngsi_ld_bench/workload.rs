//! The bench's workload: AirQualityObserved stations, their readings round by round, the
//! plain triples a SPARQL user would store for them, and the three queries.

use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use serde_json::{Value, json};

pub(super) const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
const VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";
const CENTRE: (f64, f64) = (4.48, 51.03);
/// Entities per upsert request (the node's default `ngsi_ld.max_batch_entities`) and per
/// anchor commit.
pub(super) const BATCH: usize = 1000;

/// A deterministic pseudo-random number in [0, 1) for entity `i`, stream `k`.
fn unit(i: usize, k: u64) -> f64 {
    let mut x =
        (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

struct Reading {
    no2: f64,
    pm10: f64,
    lon: f64,
    lat: f64,
    level: &'static str,
}

/// Station `i`'s reading of hour `round` (0 when first stored; the station does not move).
fn reading(i: usize, round: u64) -> Reading {
    let no2 = (unit(i, 1 + 10 * round) * 1000.0).round() / 10.0;
    Reading {
        no2,
        pm10: (unit(i, 2 + 10 * round) * 800.0).round() / 10.0,
        lon: CENTRE.0 - 0.07 + unit(i, 3) * 0.14,
        lat: CENTRE.1 - 0.05 + unit(i, 4) * 0.10,
        level: if no2 >= 60.0 {
            "poor"
        } else if no2 >= 30.0 {
            "moderate"
        } else {
            "good"
        },
    }
}

/// When round `round` was observed: hourly from 10:00.
fn observed_at(round: u64) -> String {
    format!("2026-11-21T{:02}:00:00Z", 10 + round % 14)
}

/// Entity `i` as sent in round `round` (0: created; later rounds: new values observed later).
pub(super) fn entity(i: usize, round: u64) -> Value {
    let r = reading(i, round);
    let at = observed_at(round);
    json!({
        "id": format!("urn:ngsi-ld:AirQualityObserved:{i:06}"),
        "type": "AirQualityObserved",
        "no2": {"type": "Property", "value": r.no2, "unitCode": "GQ", "observedAt": at},
        "pm10": {"type": "Property", "value": r.pm10, "unitCode": "GQ"},
        "airQualityLevel": {"type": "Property", "value": r.level},
        "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": at}},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [r.lon, r.lat]}},
        "@context": CORE,
    })
}

/// The subjects of entity `i`'s plain triples: the entity and its geometry.
pub(super) fn plain_subjects(i: usize) -> [NamedNode; 2] {
    let id = format!("urn:ngsi-ld:AirQualityObserved:{i:06}");
    let geometry = NamedNode::new_unchecked(format!("{id}/geometry"));
    [NamedNode::new_unchecked(id), geometry]
}

/// The plain triples of entity `i` in round `round` (what SPARQL users query), for the
/// anchors.
pub(super) fn plain_quads(i: usize, round: u64, graph: &GraphName, out: &mut Vec<Quad>) {
    let r = reading(i, round);
    let [id, geometry] = plain_subjects(i);
    let p = |name: &str| NamedNode::new_unchecked(format!("{VOCAB}{name}"));
    let double = |v: f64| {
        Literal::new_typed_literal(
            v.to_string(),
            NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#double"),
        )
    };
    let q = |s: &NamedNode, p: NamedNode, o: oxigraph::model::Term| {
        Quad::new(s.clone(), p, o, graph.clone())
    };
    out.push(q(
        &id,
        NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        p("AirQualityObserved").into(),
    ));
    out.push(q(&id, p("no2"), double(r.no2).into()));
    out.push(q(&id, p("pm10"), double(r.pm10).into()));
    out.push(q(
        &id,
        p("airQualityLevel"),
        Literal::new_simple_literal(r.level).into(),
    ));
    out.push(q(
        &id,
        p("dateObserved"),
        Literal::new_typed_literal(
            observed_at(round),
            NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#dateTime"),
        )
        .into(),
    ));
    out.push(q(
        &id,
        NamedNode::new_unchecked("http://www.opengis.net/ont/geosparql#hasGeometry"),
        geometry.clone().into(),
    ));
    out.push(q(
        &geometry,
        NamedNode::new_unchecked("http://www.opengis.net/ont/geosparql#asWKT"),
        Literal::new_typed_literal(
            format!("POINT({} {})", r.lon, r.lat),
            NamedNode::new_unchecked("http://www.opengis.net/ont/geosparql#wktLiteral"),
        )
        .into(),
    ));
}

/// The three queries at one size: name, NGSI-LD path, equivalent SPARQL.
pub(super) fn queries() -> Vec<(&'static str, String, String)> {
    let (x, y) = CENTRE;
    let (dx, dy) = (0.0072, 0.0045);
    // The 1 km² square's corners, closed: as GeoJSON for the API, as WKT for SPARQL.
    let corners = [
        (x - dx, y - dy),
        (x + dx, y - dy),
        (x + dx, y + dy),
        (x - dx, y + dy),
        (x - dx, y - dy),
    ];
    let joined = |point: fn(&(f64, f64)) -> String, separator: &str| {
        corners
            .iter()
            .map(point)
            .collect::<Vec<_>>()
            .join(separator)
    };
    let polygon = format!("[[{}]]", joined(|(a, b)| format!("[{a},{b}]"), ","));
    let wkt_polygon = format!("POLYGON(({}))", joined(|(a, b)| format!("{a} {b}"), ", "));
    let prefixes = format!(
        "PREFIX v: <{VOCAB}> PREFIX geo: <http://www.opengis.net/ont/geosparql#> PREFIX geof: <http://www.opengis.net/def/function/geosparql/> "
    );
    let triples_of = |selection: &str| {
        format!(
            "{prefixes} SELECT ?e ?p ?o WHERE {{ {{ SELECT ?e WHERE {{ {selection} }} LIMIT 20 }} GRAPH ?g {{ ?e ?p ?o }} }}"
        )
    };
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    vec![
        (
            "type+q",
            format!(
                "/entities?type=AirQualityObserved&q={}&limit=20",
                encode("no2>95;airQualityLevel==\"poor\"")
            ),
            triples_of(
                "GRAPH ?g { ?e a v:AirQualityObserved ; v:no2 ?n ; v:airQualityLevel ?l FILTER(?n > 95 && ?l = \"poor\") }",
            ),
        ),
        (
            "near 300 m",
            format!(
                "/entities?type=AirQualityObserved&georel={}&geometry=Point&coordinates={}&limit=100",
                encode("near;maxDistance==300"),
                encode(&format!("[{x},{y}]"))
            ),
            format!(
                "{prefixes} SELECT ?e ?w WHERE {{ GRAPH ?g {{ ?e a v:AirQualityObserved ; geo:hasGeometry/geo:asWKT ?w }} FILTER(geof:distance(?w, \"POINT({x} {y})\"^^geo:wktLiteral, <http://www.opengis.net/def/uom/OGC/1.0/metre>) <= 300) }} LIMIT 100"
            ),
        ),
        (
            "within 1 km2",
            format!(
                "/entities?type=AirQualityObserved&georel=within&geometry=Polygon&coordinates={}&limit=100",
                encode(&polygon)
            ),
            format!(
                "{prefixes} SELECT ?e ?w WHERE {{ GRAPH ?g {{ ?e a v:AirQualityObserved ; geo:hasGeometry/geo:asWKT ?w }} FILTER(geof:sfWithin(?w, \"{wkt_polygon}\"^^geo:wktLiteral)) }} LIMIT 100"
            ),
        ),
    ]
}
