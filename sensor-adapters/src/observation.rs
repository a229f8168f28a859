//! Observations as RDF: a SOSA `Observation` per value, and the device's sensor and
//! latest-state Smart Data Models entity.

use crate::reading::format_time;
use hanse_vocab::{geo, qudt, rdf, rdfs, sosa, xsd};
use oxrdf::{GraphName, Literal, NamedNode, Quad, Term};
use time::OffsetDateTime;

/// Triples one observation produces (with a unit; one fewer without).
pub const TRIPLES_PER_OBSERVATION: usize = 8;

/// One mapped value, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The observation's IRI: derived from device, property and time, so that the same
    /// measurement received twice is stored once.
    pub iri: NamedNode,
    /// The device's id in the source.
    pub device: String,
    /// `sosa:madeBySensor`.
    pub sensor: NamedNode,
    /// `sosa:hasFeatureOfInterest`: the device's latest-state entity.
    pub feature: NamedNode,
    /// `sosa:observedProperty`: the entity type's attribute.
    pub property: NamedNode,
    /// `sosa:hasSimpleResult`.
    pub value: Literal,
    /// `qudt:unit`, for numbers.
    pub unit: Option<NamedNode>,
    /// `sosa:resultTime`: when the value was received.
    pub result_time: OffsetDateTime,
    /// `sosa:phenomenonTime`: when it was measured.
    pub phenomenon_time: OffsetDateTime,
    /// Where, as (latitude, longitude), if known.
    pub location: Option<(f64, f64)>,
}

impl Observation {
    /// The observation's quads in `graph`.
    pub fn quads(&self, graph: &GraphName, out: &mut Vec<Quad>) {
        let mut push = |p: &str, o: Term| {
            out.push(Quad::new(
                self.iri.clone(),
                NamedNode::new_unchecked(p),
                o,
                graph.clone(),
            ));
        };
        push(
            rdf::TYPE,
            NamedNode::new_unchecked(sosa::OBSERVATION).into(),
        );
        push(sosa::MADE_BY_SENSOR, self.sensor.clone().into());
        push(sosa::OBSERVED_PROPERTY, self.property.clone().into());
        push(sosa::HAS_FEATURE_OF_INTEREST, self.feature.clone().into());
        push(sosa::HAS_SIMPLE_RESULT, self.value.clone().into());
        if let Some(unit) = &self.unit {
            push(qudt::UNIT, unit.clone().into());
        }
        push(sosa::RESULT_TIME, date_time(self.result_time).into());
        push(
            sosa::PHENOMENON_TIME,
            date_time(self.phenomenon_time).into(),
        );
    }
}

/// An `xsd:dateTime` literal in UTC.
pub fn date_time(time: OffsetDateTime) -> Literal {
    Literal::new_typed_literal(format_time(time), NamedNode::new_unchecked(xsd::DATE_TIME))
}

/// What is stored once per device: its sensor and its entity's type, label, static
/// attributes and location.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDescription {
    /// The sensor's IRI.
    pub sensor: NamedNode,
    /// The entity's IRI.
    pub feature: NamedNode,
    /// The entity's Smart Data Models type.
    pub entity_type: NamedNode,
    /// A label for both.
    pub label: String,
    /// Attribute IRI and value pairs every entity of the source carries.
    pub static_attributes: Vec<(NamedNode, Literal)>,
    /// Where, as (latitude, longitude).
    pub location: Option<(f64, f64)>,
}

impl DeviceDescription {
    /// The description's quads in `graph`.
    pub fn quads(&self, graph: &GraphName, out: &mut Vec<Quad>) {
        let mut push = |s: &NamedNode, p: &str, o: Term| {
            out.push(Quad::new(
                s.clone(),
                NamedNode::new_unchecked(p),
                o,
                graph.clone(),
            ));
        };
        let label = Literal::new_simple_literal(&self.label);
        push(
            &self.sensor,
            rdf::TYPE,
            NamedNode::new_unchecked(sosa::SENSOR).into(),
        );
        push(&self.sensor, rdfs::LABEL, label.clone().into());
        push(&self.feature, rdf::TYPE, self.entity_type.clone().into());
        push(&self.feature, rdfs::LABEL, label.into());
        for (attribute, value) in &self.static_attributes {
            push(&self.feature, attribute.as_str(), value.clone().into());
        }
        if let Some((lat, lon)) = self.location {
            let geometry = NamedNode::new_unchecked(format!("{}/geometry", self.feature.as_str()));
            push(&self.feature, geo::HAS_GEOMETRY, geometry.clone().into());
            push(
                &geometry,
                geo::AS_WKT,
                Literal::new_typed_literal(
                    format!("POINT({lon} {lat})"),
                    NamedNode::new_unchecked(geo::WKT_LITERAL),
                )
                .into(),
            );
        }
    }
}

/// Percent-encodes what may not stand in an IRI path segment (device ids come from
/// payloads).
pub fn iri_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
