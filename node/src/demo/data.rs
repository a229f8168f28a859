//! Deterministic sample data, shaped as SOSA observations with Smart Data Models types:
//! sensors of several kinds around a city centre, and household water consumption.
//!
//! `hanse demo` loads a small sample per member of the demo consortium; benchmarks scale
//! [`air_quality`] up to millions of triples. The same arguments always give the same quads.

use hanse_vocab::{geo, hanse, rdf, rdfs, sdm, sosa, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};

/// Base IRI of the benchmark city's resources.
pub const BASE: &str = "https://mechelen.demo.hanse.example/";
/// Named graph holding the benchmark air-quality dataset.
pub const AIR_QUALITY_GRAPH: &str = "https://mechelen.demo.hanse.example/graph/air-quality";
/// Triples written per observation.
pub const TRIPLES_PER_OBSERVATION: usize = 6;
/// Mechelen's Grote Markt (latitude, longitude).
pub const MECHELEN: (f64, f64) = (51.0280, 4.4806);

/// A kind of sensor: what it observes and the entity it updates.
#[derive(Debug, Clone, Copy)]
pub struct SensorKind {
    /// Short code used in IRIs, e.g. `aq`.
    pub code: &'static str,
    /// Human name, e.g. `Air quality`.
    pub label: &'static str,
    /// The Smart Data Models type (or hanse extension) of the observed place.
    pub entity_type: &'static str,
    /// Observed properties with a plausible base level.
    pub properties: &'static [(&'static str, f64)],
    /// Whether values follow the morning and evening traffic peaks.
    pub traffic_peaks: bool,
    /// A fixed attribute of every place, e.g. `vehicleType` = `bicycle`.
    pub attribute: Option<(&'static str, &'static str)>,
}

/// Air quality: NO2, PM10, PM2.5 in µg/m³ (`AirQualityObserved`).
pub const AIR_QUALITY: SensorKind = SensorKind {
    code: "aq",
    label: "Air quality",
    entity_type: sdm::AIR_QUALITY_OBSERVED,
    properties: &[(sdm::NO2, 28.0), (sdm::PM10, 19.0), (sdm::PM25, 11.0)],
    traffic_peaks: true,
    attribute: None,
};
/// Bicycle counters: bicycles per hour (`TrafficFlowObserved`, vehicleType bicycle).
pub const BICYCLE_COUNTS: SensorKind = SensorKind {
    code: "bike",
    label: "Bicycle counter",
    entity_type: sdm::TRAFFIC_FLOW_OBSERVED,
    properties: &[(sdm::INTENSITY, 60.0)],
    traffic_peaks: true,
    attribute: Some((sdm::VEHICLE_TYPE, "bicycle")),
};
/// Car parks: fraction of spots taken (`OffStreetParking`).
pub const PARKING: SensorKind = SensorKind {
    code: "park",
    label: "Car park",
    entity_type: sdm::OFF_STREET_PARKING,
    properties: &[(sdm::OCCUPANCY, 0.55)],
    traffic_peaks: true,
    attribute: None,
};
/// Waste bins: filling level fraction (`WasteContainer`).
pub const WASTE_BINS: SensorKind = SensorKind {
    code: "bin",
    label: "Waste bin",
    entity_type: sdm::WASTE_CONTAINER,
    properties: &[(sdm::FILLING_LEVEL, 0.5)],
    traffic_peaks: false,
    attribute: None,
};
/// Sports fields: soil moisture, volumetric water content (`GreenspaceRecord`).
pub const SOIL_MOISTURE: SensorKind = SensorKind {
    code: "soil",
    label: "Soil moisture probe",
    entity_type: sdm::GREENSPACE_RECORD,
    properties: &[(sdm::SOIL_MOISTURE_VWC, 0.3)],
    traffic_peaks: false,
    attribute: None,
};
/// Road surface temperature in °C for de-icing (hanse extension: no Smart Data Model).
pub const ROAD_TEMPERATURE: SensorKind = SensorKind {
    code: "road",
    label: "Road surface sensor",
    entity_type: hanse::ROAD_SURFACE_OBSERVED,
    properties: &[(hanse::ROAD_SURFACE_TEMPERATURE, 3.0)],
    traffic_peaks: false,
    attribute: None,
};

/// Where and how much to generate.
#[derive(Debug, Clone, Copy)]
pub struct SensorSample<'a> {
    /// Base IRI of the city's resources (ends with `/`).
    pub base: &'a str,
    /// The named graph to write into.
    pub graph: &'a str,
    /// The city centre (latitude, longitude); sensors spread a few km around it.
    pub centre: (f64, f64),
    /// Number of sensors.
    pub sensors: usize,
    /// Hours of observations from 2026-11-01T00:00Z.
    pub hours: usize,
    /// Seed of the value generator.
    pub seed: u64,
}

/// Observations of `kind` sensors: one per property per hour, plus each sensor and place.
///
/// Produces `sensors * (5 + attribute + hours * properties * TRIPLES_PER_OBSERVATION)` quads.
pub fn sensor_observations(kind: &SensorKind, sample: &SensorSample<'_>) -> Vec<Quad> {
    let SensorSample {
        base,
        graph,
        centre: (centre_lat, centre_lon),
        sensors,
        hours,
        seed,
    } = *sample;
    let graph = GraphName::NamedNode(iri(graph));
    let per_sensor = 5 + hours * kind.properties.len() * TRIPLES_PER_OBSERVATION;
    let mut quads = Vec::with_capacity(sensors * per_sensor);
    let mut push = |s: &NamedNode, p: &str, o: Term| {
        quads.push(Quad::new(s.clone(), iri(p), o, graph.clone()));
    };
    let mut random = Lcg(seed);
    let code = kind.code;
    for sensor in 0..sensors {
        let sensor_iri = iri(&format!("{base}sensor/{code}-{sensor:04}"));
        let place = iri(&format!("{base}place/{code}-{sensor:04}"));
        let geometry = iri(&format!("{base}place/{code}-{sensor:04}/geometry"));
        // Spread within ~3 km of the centre.
        let lat = centre_lat + (random.unit() - 0.5) * 0.05;
        let lon = centre_lon + (random.unit() - 0.5) * 0.08;
        push(&sensor_iri, rdf::TYPE, iri(sosa::SENSOR).into());
        push(
            &sensor_iri,
            rdfs::LABEL,
            Literal::new_simple_literal(format!("{} sensor {sensor}", kind.label)).into(),
        );
        push(&place, rdf::TYPE, iri(kind.entity_type).into());
        if let Some((attribute, value)) = kind.attribute {
            push(&place, attribute, Literal::new_simple_literal(value).into());
        }
        push(&place, geo::HAS_GEOMETRY, geometry.clone().into());
        push(
            &geometry,
            geo::AS_WKT,
            Literal::new_typed_literal(format!("POINT({lon:.5} {lat:.5})"), iri(geo::WKT_LITERAL))
                .into(),
        );
        for hour in 0..hours {
            let time = timestamp(hour);
            let daily = if kind.traffic_peaks {
                match hour % 24 {
                    7..=9 | 16..=18 => 1.6,
                    0..=5 => 0.6,
                    _ => 1.0,
                }
            } else {
                1.0
            };
            for (property, level) in kind.properties {
                let obs = iri(&format!(
                    "{base}observation/{code}-{sensor:04}/{hour}/{}",
                    local_name(property)
                ));
                let value = (level * daily * (0.75 + random.unit() * 0.5) * 100.0).round() / 100.0;
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

/// Air-quality observations in Mechelen (the benchmark data): `sensors` sensors, one
/// observation per property per hour for `hours` hours, in [`AIR_QUALITY_GRAPH`].
///
/// Produces `sensors * (5 + hours * 3 * TRIPLES_PER_OBSERVATION)` quads.
pub fn air_quality(sensors: usize, hours: usize) -> Vec<Quad> {
    sensor_observations(
        &AIR_QUALITY,
        &SensorSample {
            base: BASE,
            graph: AIR_QUALITY_GRAPH,
            centre: MECHELEN,
            sensors,
            hours,
            seed: 0x5eed_cafe,
        },
    )
}

/// Daily water consumption per household (litres), `days` days from 2026-11-01, for
/// households in `districts` (name, household count), as SOSA observations of each
/// household's meter. Each household carries its `hanse:district`.
pub fn water_consumption(
    base: &str,
    graph: &str,
    districts: &[(&str, usize)],
    days: usize,
    seed: u64,
) -> Vec<Quad> {
    let graph = GraphName::NamedNode(iri(graph));
    let mut quads = Vec::new();
    let mut push = |s: &NamedNode, p: &str, o: Term| {
        quads.push(Quad::new(s.clone(), iri(p), o, graph.clone()));
    };
    let mut random = Lcg(seed);
    for (district, households) in districts {
        for n in 0..*households {
            let household = iri(&format!("{base}household/{district}/{n:03}"));
            let meter = iri(&format!("{base}meter/{district}/{n:03}"));
            push(
                &household,
                hanse::DISTRICT,
                Literal::new_simple_literal(*district).into(),
            );
            push(&meter, rdf::TYPE, iri(sosa::SENSOR).into());
            for day in 0..days {
                let obs = iri(&format!("{base}observation/{district}/{n:03}/{day}"));
                let litres = (250.0 * (0.6 + random.unit() * 0.8)).round();
                push(&obs, rdf::TYPE, iri(sosa::OBSERVATION).into());
                push(&obs, sosa::MADE_BY_SENSOR, meter.clone().into());
                push(
                    &obs,
                    sosa::OBSERVED_PROPERTY,
                    iri(hanse::DAILY_WATER_CONSUMPTION).into(),
                );
                push(
                    &obs,
                    sosa::HAS_FEATURE_OF_INTEREST,
                    household.clone().into(),
                );
                push(
                    &obs,
                    sosa::HAS_SIMPLE_RESULT,
                    Literal::new_typed_literal(format!("{litres}"), iri(xsd::DOUBLE)).into(),
                );
                push(
                    &obs,
                    sosa::RESULT_TIME,
                    Literal::new_typed_literal(timestamp(day * 24), iri(xsd::DATE_TIME)).into(),
                );
            }
        }
    }
    quads
}

fn local_name(iri: &str) -> &str {
    iri.rsplit(['/', '#']).next().unwrap_or("value")
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
        let bikes = SensorSample {
            base: "https://bruges.example/",
            graph: "urn:g",
            centre: (51.2, 3.2),
            sensors: 2,
            hours: 4,
            seed: 1,
        };
        assert_eq!(
            sensor_observations(&BICYCLE_COUNTS, &bikes).len(),
            2 * (6 + 4 * TRIPLES_PER_OBSERVATION)
        );
        let water = water_consumption("https://w.example/", "urn:g", &[("a", 3), ("b", 2)], 2, 7);
        assert_eq!(water.len(), 5 * (2 + 2 * TRIPLES_PER_OBSERVATION));
    }

    #[test]
    fn timestamps_are_valid_datetimes() {
        assert_eq!(timestamp(0), "2026-11-01T00:00:00Z");
        assert_eq!(timestamp(24 * 30 + 5), "2026-12-01T05:00:00Z");
        assert_eq!(timestamp(24 * 60), "2027-01-01T00:00:00Z");
    }
}
