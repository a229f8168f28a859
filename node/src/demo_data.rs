//! Deterministic sample data: air-quality observations from sensors in Mechelen, shaped as
//! SOSA observations with Smart Data Models properties.
//!
//! `hanse demo` loads a small sample; benchmarks scale it up to millions of triples. The
//! same arguments always give the same quads.

use hanse_vocab::{geo, rdf, rdfs, sdm, sosa, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};

/// Base IRI of the demo city's resources.
pub const BASE: &str = "https://mechelen.demo.hanse.example/";
/// Named graph holding the demo air-quality dataset.
pub const AIR_QUALITY_GRAPH: &str = "https://mechelen.demo.hanse.example/graph/air-quality";
/// Triples written per observation.
pub const TRIPLES_PER_OBSERVATION: usize = 6;

/// The observed properties, with a plausible base level in µg/m³.
const PROPERTIES: [(&str, f64); 3] = [(sdm::NO2, 28.0), (sdm::PM10, 19.0), (sdm::PM25, 11.0)];

/// Air-quality observations: `sensors` sensors, one observation per property per hour for
/// `hours` hours from 2026-11-01T00:00Z, in [`AIR_QUALITY_GRAPH`].
///
/// Produces `sensors * (5 + hours * 3 * TRIPLES_PER_OBSERVATION)` quads.
pub fn air_quality(sensors: usize, hours: usize) -> Vec<Quad> {
    let graph = GraphName::NamedNode(iri(AIR_QUALITY_GRAPH));
    let mut quads = Vec::with_capacity(sensors * (5 + hours * 3 * TRIPLES_PER_OBSERVATION));
    let mut push = |s: &NamedNode, p: &str, o: Term| {
        quads.push(Quad::new(s.clone(), iri(p), o, graph.clone()));
    };
    let mut random = Lcg(0x5eed_cafe);
    for sensor in 0..sensors {
        let sensor_iri = iri(&format!("{BASE}sensor/aq-{sensor:04}"));
        let place = iri(&format!("{BASE}place/aq-{sensor:04}"));
        let geometry = iri(&format!("{BASE}place/aq-{sensor:04}/geometry"));
        // Spread around Mechelen's Grote Markt (51.0280 N, 4.4806 E), within ~3 km.
        let lat = 51.0280 + (random.unit() - 0.5) * 0.05;
        let lon = 4.4806 + (random.unit() - 0.5) * 0.08;
        push(&sensor_iri, rdf::TYPE, iri(sosa::SENSOR).into());
        push(
            &sensor_iri,
            rdfs::LABEL,
            Literal::new_simple_literal(format!("Air quality sensor {sensor}")).into(),
        );
        push(&place, rdf::TYPE, iri(sdm::AIR_QUALITY_OBSERVED).into());
        push(&place, geo::HAS_GEOMETRY, geometry.clone().into());
        push(
            &geometry,
            geo::AS_WKT,
            Literal::new_typed_literal(format!("POINT({lon:.5} {lat:.5})"), iri(geo::WKT_LITERAL))
                .into(),
        );
        for hour in 0..hours {
            let time = timestamp(hour);
            // Traffic peaks at 8:00 and 17:00 push NO2 up; particles follow more slowly.
            let daily = match hour % 24 {
                7..=9 | 16..=18 => 1.6,
                0..=5 => 0.6,
                _ => 1.0,
            };
            for (property, base) in PROPERTIES {
                let obs = iri(&format!(
                    "{BASE}observation/aq-{sensor:04}/{hour}/{}",
                    property.rsplit('/').next().unwrap_or("value")
                ));
                let value = (base * daily * (0.75 + random.unit() * 0.5) * 10.0).round() / 10.0;
                push(&obs, rdf::TYPE, iri(sosa::OBSERVATION).into());
                push(&obs, sosa::MADE_BY_SENSOR, sensor_iri.clone().into());
                push(&obs, sosa::OBSERVED_PROPERTY, iri(property).into());
                push(&obs, sosa::HAS_FEATURE_OF_INTEREST, place.clone().into());
                push(
                    &obs,
                    sosa::HAS_SIMPLE_RESULT,
                    Literal::new_typed_literal(format!("{value}"), iri(xsd::DOUBLE)).into(),
                );
                push(
                    &obs,
                    sosa::RESULT_TIME,
                    Literal::new_typed_literal(time.clone(), iri(xsd::DATE_TIME)).into(),
                );
            }
        }
    }
    quads
}

fn iri(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

/// `hour` hours after 2026-11-01T00:00:00Z (30-day months are enough for sample data).
fn timestamp(hour: usize) -> String {
    let day = hour / 24;
    let month = 11 + day / 30;
    let (year, month) = (2026 + (month - 1) / 12, (month - 1) % 12 + 1);
    format!(
        "{year:04}-{month:02}-{:02}T{:02}:00:00Z",
        day % 30 + 1,
        hour % 24
    )
}

/// A tiny deterministic generator (no dependency, stable across versions).
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_as_documented_and_deterministic() {
        let quads = air_quality(3, 10);
        assert_eq!(quads.len(), 3 * (5 + 10 * 3 * TRIPLES_PER_OBSERVATION));
        assert_eq!(quads, air_quality(3, 10));
    }

    #[test]
    fn timestamps_are_valid_datetimes() {
        assert_eq!(timestamp(0), "2026-11-01T00:00:00Z");
        assert_eq!(timestamp(24 * 30 + 5), "2026-12-01T05:00:00Z");
        assert_eq!(timestamp(24 * 60), "2027-01-01T00:00:00Z");
    }
}
