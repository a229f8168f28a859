//! IRIs of the vocabularies hanse speaks, as documented constants (no I/O).
//!
//! One module per vocabulary, each with its namespace (`NS`) and the terms hanse uses.
//! Constants are plain `&str` so every crate can use them without an RDF library.

/// RDF syntax terms.
pub mod rdf {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    /// `rdf:type`.
    pub const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
}

/// RDF Schema.
pub mod rdfs {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/2000/01/rdf-schema#";
    /// `rdfs:label`.
    pub const LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
}

/// XML Schema datatypes.
pub mod xsd {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/2001/XMLSchema#";
    /// `xsd:dateTime`.
    pub const DATE_TIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
    /// `xsd:double`.
    pub const DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";
}

/// W3C SOSA (Sensor, Observation, Sample, and Actuator).
pub mod sosa {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/ns/sosa/";
    /// `sosa:Observation`: one act of measuring.
    pub const OBSERVATION: &str = "http://www.w3.org/ns/sosa/Observation";
    /// `sosa:Sensor`.
    pub const SENSOR: &str = "http://www.w3.org/ns/sosa/Sensor";
    /// `sosa:madeBySensor`.
    pub const MADE_BY_SENSOR: &str = "http://www.w3.org/ns/sosa/madeBySensor";
    /// `sosa:observedProperty`.
    pub const OBSERVED_PROPERTY: &str = "http://www.w3.org/ns/sosa/observedProperty";
    /// `sosa:hasFeatureOfInterest`.
    pub const HAS_FEATURE_OF_INTEREST: &str = "http://www.w3.org/ns/sosa/hasFeatureOfInterest";
    /// `sosa:hasSimpleResult`.
    pub const HAS_SIMPLE_RESULT: &str = "http://www.w3.org/ns/sosa/hasSimpleResult";
    /// `sosa:resultTime`.
    pub const RESULT_TIME: &str = "http://www.w3.org/ns/sosa/resultTime";
}

/// OGC GeoSPARQL.
pub mod geo {
    /// Namespace IRI.
    pub const NS: &str = "http://www.opengis.net/ont/geosparql#";
    /// `geo:hasGeometry`.
    pub const HAS_GEOMETRY: &str = "http://www.opengis.net/ont/geosparql#hasGeometry";
    /// `geo:asWKT`.
    pub const AS_WKT: &str = "http://www.opengis.net/ont/geosparql#asWKT";
    /// `geo:wktLiteral`, the datatype of WKT geometries.
    pub const WKT_LITERAL: &str = "http://www.opengis.net/ont/geosparql#wktLiteral";
}

/// QUDT units.
pub mod unit {
    /// Namespace IRI.
    pub const NS: &str = "http://qudt.org/vocab/unit/";
    /// Micrograms per cubic metre (air pollutant concentration).
    pub const MICROGRAM_PER_CUBIC_METRE: &str = "http://qudt.org/vocab/unit/MicroGM-PER-M3";
}

/// FIWARE Smart Data Models.
pub mod sdm {
    /// Namespace of the environment models.
    pub const ENVIRONMENT: &str = "https://smartdatamodels.org/dataModel.Environment/";
    /// `AirQualityObserved` entity type.
    pub const AIR_QUALITY_OBSERVED: &str =
        "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved";
    /// `no2` attribute (nitrogen dioxide, µg/m³).
    pub const NO2: &str = "https://smartdatamodels.org/dataModel.Environment/no2";
    /// `pm10` attribute (particulate matter < 10 µm, µg/m³).
    pub const PM10: &str = "https://smartdatamodels.org/dataModel.Environment/pm10";
    /// `pm25` attribute (particulate matter < 2.5 µm, µg/m³).
    pub const PM25: &str = "https://smartdatamodels.org/dataModel.Environment/pm25";
}

#[cfg(test)]
mod tests {
    #[test]
    fn terms_live_in_their_namespace() {
        assert!(super::sosa::OBSERVATION.starts_with(super::sosa::NS));
        assert!(super::geo::AS_WKT.starts_with(super::geo::NS));
        assert!(super::sdm::NO2.starts_with(super::sdm::ENVIRONMENT));
        assert!(super::xsd::DATE_TIME.starts_with(super::xsd::NS));
    }
}
