//! IRIs of the vocabularies hanse speaks, as documented constants (no I/O).
//!
//! One module per vocabulary, each with its namespace (`NS`) and the terms hanse uses.
//! Constants are plain `&str` so every crate can use them without an RDF library.

mod catalogue;
pub mod ngsi_ld;
mod odrl_context;
pub use catalogue::{dcat, dcatap, dct, eu, foaf, hydra, owl, sec, skos, vcard, void};
pub use odrl_context::{ODRL_CONTEXT_URLS, odrl_context};

/// RDF syntax terms.
pub mod rdf {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    /// `rdf:type`.
    pub const TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    /// `rdf:JSON`, the datatype of JSON literals.
    pub const JSON: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON";
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
    /// `xsd:integer`.
    pub const INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
    /// `xsd:double`.
    pub const DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";
    /// `xsd:boolean`.
    pub const BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
    /// `xsd:string`.
    pub const STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
    /// `xsd:date`.
    pub const DATE: &str = "http://www.w3.org/2001/XMLSchema#date";
    /// `xsd:decimal`.
    pub const DECIMAL: &str = "http://www.w3.org/2001/XMLSchema#decimal";
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
    /// `sosa:phenomenonTime`.
    pub const PHENOMENON_TIME: &str = "http://www.w3.org/ns/sosa/phenomenonTime";
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
    /// `TrafficFlowObserved` entity type (with `vehicleType` bicycle for bike counters).
    pub const TRAFFIC_FLOW_OBSERVED: &str =
        "https://smartdatamodels.org/dataModel.Transportation/TrafficFlowObserved";
    /// `intensity` attribute (vehicles per observation period).
    pub const INTENSITY: &str = "https://smartdatamodels.org/dataModel.Transportation/intensity";
    /// `vehicleType` attribute.
    pub const VEHICLE_TYPE: &str =
        "https://smartdatamodels.org/dataModel.Transportation/vehicleType";
    /// `OffStreetParking` entity type.
    pub const OFF_STREET_PARKING: &str =
        "https://smartdatamodels.org/dataModel.Parking/OffStreetParking";
    /// `occupancy` attribute (fraction of spots taken).
    pub const OCCUPANCY: &str = "https://smartdatamodels.org/dataModel.Parking/occupancy";
    /// `WasteContainer` entity type.
    pub const WASTE_CONTAINER: &str =
        "https://smartdatamodels.org/dataModel.WasteManagement/WasteContainer";
    /// `fillingLevel` attribute (fraction).
    pub const FILLING_LEVEL: &str =
        "https://smartdatamodels.org/dataModel.WasteManagement/fillingLevel";
    /// `GreenspaceRecord` entity type.
    pub const GREENSPACE_RECORD: &str =
        "https://smartdatamodels.org/dataModel.ParksAndGardens/GreenspaceRecord";
    /// `soilMoistureVwc` attribute (volumetric water content, fraction).
    pub const SOIL_MOISTURE_VWC: &str =
        "https://smartdatamodels.org/dataModel.ParksAndGardens/soilMoistureVwc";
}

/// The Smart Data Models entity types hanse maps sensors to, with the namespace of their
/// attributes (an attribute's IRI is the namespace followed by its name, e.g. `no2`).
pub mod sdm_models {
    /// One entity type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Model {
        /// The type's name (`AirQualityObserved`).
        pub name: &'static str,
        /// The namespace of the type and its attributes.
        pub namespace: &'static str,
    }

    impl Model {
        /// The type's IRI.
        pub fn iri(&self) -> String {
            format!("{}{}", self.namespace, self.name)
        }

        /// An attribute's IRI.
        pub fn attribute(&self, name: &str) -> String {
            format!("{}{name}", self.namespace)
        }
    }

    const SDM: &str = "https://smartdatamodels.org/";

    macro_rules! models {
        ($($name:literal in $domain:literal),* $(,)?) => {
            &[$(Model { name: $name, namespace: concat!("https://smartdatamodels.org/", $domain, "/") }),*]
        };
    }

    /// The supported types. `RoadSurfaceObserved` is a hanse extension (below).
    pub const MODELS: &[Model] = models![
        "AirQualityObserved" in "dataModel.Environment",
        "WeatherObserved" in "dataModel.Weather",
        "TrafficFlowObserved" in "dataModel.Transportation",
        "CrowdFlowObserved" in "dataModel.Transportation",
        "WasteContainer" in "dataModel.WasteManagement",
        "ParkingSpot" in "dataModel.Parking",
        "OffStreetParking" in "dataModel.Parking",
        "GreenspaceRecord" in "dataModel.ParksAndGardens",
        "WaterConsumptionObserved" in "dataModel.WaterConsumption",
    ];

    /// Road surface temperature has no Smart Data Model; hanse documents its own type in the
    /// `hanse:` namespace with the attributes `roadSurfaceTemperature` and `airTemperature`.
    pub const ROAD_SURFACE_OBSERVED: Model = Model {
        name: "RoadSurfaceObserved",
        namespace: super::hanse::NS,
    };

    /// The model with this name.
    pub fn model(name: &str) -> Option<Model> {
        MODELS
            .iter()
            .copied()
            .chain([ROAD_SURFACE_OBSERVED])
            .find(|m| m.name == name)
    }

    /// Whether an IRI is in a Smart Data Models namespace.
    pub fn is_sdm(iri: &str) -> bool {
        iri.starts_with(SDM)
    }
}

/// QUDT schema terms.
pub mod qudt {
    /// `qudt:unit`: the unit of an observation's simple result (hanse puts it on the
    /// observation itself, next to `sosa:hasSimpleResult`).
    pub const UNIT: &str = "http://qudt.org/schema/qudt/unit";
}

/// hanse's own terms, for what no standard vocabulary covers (documented extensions).
pub mod hanse {
    /// Namespace IRI.
    pub const NS: &str = "https://w3id.org/hanse#";
    /// ODRL left operand: the smallest group an answer may aggregate over (aggregation-only
    /// datasets); compared with `gteq` against the group size the query guarantees.
    pub const MINIMUM_GROUP_SIZE: &str = "https://w3id.org/hanse#minimumGroupSize";
    /// ODRL left operand (hanse profile): the property whose objects are the individuals an
    /// aggregation-only dataset protects (a household, a person); groups are counted in
    /// distinct individuals. Default: `sosa:hasFeatureOfInterest`. Compared with `eq`.
    pub const PRIVACY_UNIT: &str = "https://w3id.org/hanse#privacyUnit";
    /// ODRL left operand (hanse profile): the extra aggregate functions an aggregation-only
    /// offer permits beyond COUNT, SUM and AVG ([`MIN_AGGREGATE`] …), with `isAnyOf`; each
    /// reveals one individual's value, so they are never answered under differential privacy.
    pub const PERMITTED_AGGREGATE: &str = "https://w3id.org/hanse#permittedAggregate";
    /// `MIN` as a value of [`PERMITTED_AGGREGATE`].
    pub const MIN_AGGREGATE: &str = "https://w3id.org/hanse#Min";
    /// `MAX` as a value of [`PERMITTED_AGGREGATE`].
    pub const MAX_AGGREGATE: &str = "https://w3id.org/hanse#Max";
    /// `SAMPLE` as a value of [`PERMITTED_AGGREGATE`].
    pub const SAMPLE_AGGREGATE: &str = "https://w3id.org/hanse#Sample";
    /// `GROUP_CONCAT` as a value of [`PERMITTED_AGGREGATE`].
    pub const GROUP_CONCAT_AGGREGATE: &str = "https://w3id.org/hanse#GroupConcat";
    /// ODRL left operand (hanse profile): the privacy loss ε (a positive decimal) one answer
    /// of a differentially private dataset costs; with `lteq`. Setting it turns on noise.
    pub const EPSILON: &str = "https://w3id.org/hanse#epsilon";
    /// ODRL left operand (hanse profile): the total ε the consumer organisation may spend on
    /// the dataset (over every agreement it holds for it) within one budget period; with
    /// `lteq`. The node compares what is already spent.
    pub const PRIVACY_BUDGET: &str = "https://w3id.org/hanse#privacyBudget";
    /// ODRL left operand (hanse profile): the length of one budget period in whole days; with
    /// `eq`. A new period starts with the whole budget; without it the budget never renews.
    pub const BUDGET_PERIOD: &str = "https://w3id.org/hanse#budgetPeriod";
    /// ODRL left operand (hanse profile): values a differentially private SUM or AVG adds are
    /// raised to at least this number (with `gteq`).
    pub const LOWER_BOUND: &str = "https://w3id.org/hanse#lowerBound";
    /// ODRL left operand (hanse profile): values a differentially private SUM or AVG adds are
    /// cut to at most this number (with `lteq`).
    pub const UPPER_BOUND: &str = "https://w3id.org/hanse#upperBound";
    /// ODRL left operand (hanse profile): how many records (rows) of one individual count in
    /// one group of a differentially private answer (default 1); with `lteq`.
    pub const MAX_CONTRIBUTIONS: &str = "https://w3id.org/hanse#maxContributions";
    /// ODRL left operand (hanse profile): in how many groups of one differentially private
    /// answer one individual may count (default 1); with `lteq`.
    pub const MAX_GROUPS: &str = "https://w3id.org/hanse#maxGroups";
    /// ODRL left operand: the finest time interval the answer's values aggregate over
    /// (`xsd:dayTimeDuration`, e.g. `PT1H`); compared with `gteq` against what the answer
    /// guarantees.
    pub const TEMPORAL_RESOLUTION: &str = "https://w3id.org/hanse#temporalResolution";
    /// Road surface temperature observation (no Smart Data Model exists; hanse extension).
    pub const ROAD_SURFACE_OBSERVED: &str = "https://w3id.org/hanse#RoadSurfaceObserved";
    /// Road surface temperature in °C (hanse extension).
    pub const ROAD_SURFACE_TEMPERATURE: &str = "https://w3id.org/hanse#roadSurfaceTemperature";
    /// Daily water consumption of a household, in litres (hanse extension).
    pub const DAILY_WATER_CONSUMPTION: &str = "https://w3id.org/hanse#dailyWaterConsumption";
    /// The district a household or place belongs to (hanse extension).
    pub const DISTRICT: &str = "https://w3id.org/hanse#district";
    /// `hanse:HourlyAggregate`: count, min, max and mean of one sensor's property over one
    /// hour (what retention keeps once raw observations expire, and what aggregation-only
    /// policies share). Carries `sosa:madeBySensor`, `sosa:observedProperty`,
    /// `sosa:hasFeatureOfInterest` and the properties below.
    pub const HOURLY_AGGREGATE: &str = "https://w3id.org/hanse#HourlyAggregate";
    /// `hanse:hourStart`: the `xsd:dateTime` an aggregate's hour starts at (UTC).
    pub const HOUR_START: &str = "https://w3id.org/hanse#hourStart";
    /// `hanse:observationCount`: observations in the aggregate.
    pub const OBSERVATION_COUNT: &str = "https://w3id.org/hanse#observationCount";
    /// `hanse:minimum`.
    pub const MINIMUM: &str = "https://w3id.org/hanse#minimum";
    /// `hanse:maximum`.
    pub const MAXIMUM: &str = "https://w3id.org/hanse#maximum";
    /// `hanse:mean`.
    pub const MEAN: &str = "https://w3id.org/hanse#mean";
    /// The monotonic version of a node's signed catalogue (`xsd:integer`).
    pub const CATALOG_VERSION: &str = "https://w3id.org/hanse#catalogVersion";
    /// SHA-256 (hex) of the canonical form of the previous catalogue version.
    pub const PREVIOUS_VERSION_HASH: &str = "https://w3id.org/hanse#previousVersionHash";
    /// The consortium a catalogue was published in (so it cannot be replayed in another).
    pub const CONSORTIUM: &str = "https://w3id.org/hanse#consortium";
    /// A named graph that holds a dataset's data (on the dataset).
    pub const GRAPH: &str = "https://w3id.org/hanse#graph";
    /// An IRI authority (`scheme://host/`) that every IRI subject of a dataset starts with
    /// one of; absent when there are too many to list. Federated source selection uses it.
    pub const SUBJECT_AUTHORITY: &str = "https://w3id.org/hanse#subjectAuthority";
    /// The same for the IRI objects of a dataset (other than `rdf:type` classes).
    pub const OBJECT_AUTHORITY: &str = "https://w3id.org/hanse#objectAuthority";
    /// An NGSI-LD entity's attributes as they were sent (`rdf:JSON`: sub-attributes,
    /// `datasetId`s, `unitCode`, system times), kept next to its plain triples so that the
    /// NGSI-LD API returns what it was given.
    pub const NGSI_LD_STATE: &str = "https://w3id.org/hanse#ngsiLdState";
}

/// W3C ODRL 2.2.
pub mod odrl {
    /// Namespace IRI.
    pub const NS: &str = "http://www.w3.org/ns/odrl/2/";
    /// `odrl:Set`.
    pub const SET: &str = "http://www.w3.org/ns/odrl/2/Set";
    /// `odrl:Offer`.
    pub const OFFER: &str = "http://www.w3.org/ns/odrl/2/Offer";
    /// `odrl:Agreement`.
    pub const AGREEMENT: &str = "http://www.w3.org/ns/odrl/2/Agreement";
    /// `odrl:Policy` (generic).
    pub const POLICY: &str = "http://www.w3.org/ns/odrl/2/Policy";
    /// `odrl:hasPolicy` (from a dataset or distribution to its policy).
    pub const HAS_POLICY: &str = "http://www.w3.org/ns/odrl/2/hasPolicy";
    /// `odrl:permission`.
    pub const PERMISSION: &str = "http://www.w3.org/ns/odrl/2/permission";
    /// `odrl:prohibition`.
    pub const PROHIBITION: &str = "http://www.w3.org/ns/odrl/2/prohibition";
    /// `odrl:obligation`.
    pub const OBLIGATION: &str = "http://www.w3.org/ns/odrl/2/obligation";
    /// `odrl:duty`.
    pub const DUTY: &str = "http://www.w3.org/ns/odrl/2/duty";
    /// `odrl:remedy`.
    pub const REMEDY: &str = "http://www.w3.org/ns/odrl/2/remedy";
    /// `odrl:action`.
    pub const ACTION: &str = "http://www.w3.org/ns/odrl/2/action";
    /// `odrl:target`.
    pub const TARGET: &str = "http://www.w3.org/ns/odrl/2/target";
    /// `odrl:assignee`.
    pub const ASSIGNEE: &str = "http://www.w3.org/ns/odrl/2/assignee";
    /// `odrl:assigner`.
    pub const ASSIGNER: &str = "http://www.w3.org/ns/odrl/2/assigner";
    /// `odrl:constraint`.
    pub const CONSTRAINT: &str = "http://www.w3.org/ns/odrl/2/constraint";
    /// `odrl:refinement`.
    pub const REFINEMENT: &str = "http://www.w3.org/ns/odrl/2/refinement";
    /// `odrl:leftOperand`.
    pub const LEFT_OPERAND: &str = "http://www.w3.org/ns/odrl/2/leftOperand";
    /// `odrl:operator`.
    pub const OPERATOR: &str = "http://www.w3.org/ns/odrl/2/operator";
    /// `odrl:rightOperand`.
    pub const RIGHT_OPERAND: &str = "http://www.w3.org/ns/odrl/2/rightOperand";
    /// `odrl:rightOperandReference`.
    pub const RIGHT_OPERAND_REFERENCE: &str = "http://www.w3.org/ns/odrl/2/rightOperandReference";
    /// `odrl:dataType`.
    pub const DATA_TYPE: &str = "http://www.w3.org/ns/odrl/2/dataType";
    /// `odrl:unit`.
    pub const UNIT: &str = "http://www.w3.org/ns/odrl/2/unit";
    /// `odrl:partOf`: membership of a party or asset in a collection.
    pub const PART_OF: &str = "http://www.w3.org/ns/odrl/2/partOf";
    /// `odrl:source`: the collection a PartyCollection/AssetCollection identifies.
    pub const SOURCE: &str = "http://www.w3.org/ns/odrl/2/source";
    /// `odrl:uid`.
    pub const UID: &str = "http://www.w3.org/ns/odrl/2/uid";
    /// The logical constraint operators.
    pub const AND: &str = "http://www.w3.org/ns/odrl/2/and";
    /// `odrl:or`.
    pub const OR: &str = "http://www.w3.org/ns/odrl/2/or";
    /// `odrl:xone`.
    pub const XONE: &str = "http://www.w3.org/ns/odrl/2/xone";
    /// `odrl:andSequence`.
    pub const AND_SEQUENCE: &str = "http://www.w3.org/ns/odrl/2/andSequence";
    /// `odrl:use`, the most general action.
    pub const USE: &str = "http://www.w3.org/ns/odrl/2/use";
    /// `odrl:read` (what a query does; included in `use`).
    pub const READ: &str = "http://www.w3.org/ns/odrl/2/read";
    /// `odrl:dateTime` left operand.
    pub const DATE_TIME: &str = "http://www.w3.org/ns/odrl/2/dateTime";
    /// `odrl:elapsedTime` left operand.
    pub const ELAPSED_TIME: &str = "http://www.w3.org/ns/odrl/2/elapsedTime";
    /// `odrl:count` left operand.
    pub const COUNT: &str = "http://www.w3.org/ns/odrl/2/count";
    /// `odrl:purpose` left operand.
    pub const PURPOSE: &str = "http://www.w3.org/ns/odrl/2/purpose";
    /// `odrl:recipient` left operand.
    pub const RECIPIENT: &str = "http://www.w3.org/ns/odrl/2/recipient";
    /// `odrl:spatial` left operand.
    pub const SPATIAL: &str = "http://www.w3.org/ns/odrl/2/spatial";

    /// Actions and the broader action they are `odrl:includedIn` (ODRL 2.2 Common
    /// Vocabulary); a permission for the broader action covers the narrower one. `use` and
    /// `transfer` are the two roots: permission to use never covers selling.
    pub const ACTION_PARENTS: &[(&str, &str)] = &[
        ("read", "use"),
        ("write", "use"),
        ("modify", "use"),
        ("display", "play"),
        ("play", "use"),
        ("present", "use"),
        ("print", "use"),
        ("reproduce", "use"),
        ("derive", "use"),
        ("annotate", "use"),
        ("aggregate", "use"),
        ("archive", "use"),
        ("concurrentUse", "use"),
        ("digitize", "use"),
        ("distribute", "use"),
        ("execute", "use"),
        ("extract", "reproduce"),
        ("index", "use"),
        ("install", "use"),
        ("move", "use"),
        ("stream", "use"),
        ("synchronize", "use"),
        ("textToSpeech", "use"),
        ("transform", "use"),
        ("translate", "use"),
        ("anonymize", "use"),
        ("sell", "transfer"),
        ("give", "transfer"),
    ];
}

/// W3C Data Privacy Vocabulary (purposes).
pub mod dpv {
    /// Namespace IRI.
    pub const NS: &str = "https://w3id.org/dpv#";
    /// `dpv:ScientificResearch`.
    pub const SCIENTIFIC_RESEARCH: &str = "https://w3id.org/dpv#ScientificResearch";
    /// `dpv:PublicBenefit`.
    pub const PUBLIC_BENEFIT: &str = "https://w3id.org/dpv#PublicBenefit";
    /// `dpv:ResearchAndDevelopment`.
    pub const RESEARCH_AND_DEVELOPMENT: &str = "https://w3id.org/dpv#ResearchAndDevelopment";
    /// `dpv:AcademicResearch`.
    pub const ACADEMIC_RESEARCH: &str = "https://w3id.org/dpv#AcademicResearch";

    /// Purposes (local names) and their broader purpose (`skos:broader`), the part of the
    /// DPV purpose taxonomy a data space for cities and utilities uses.
    pub const PURPOSE_PARENTS: &[(&str, &str)] = &[
        ("ResearchAndDevelopment", "Purpose"),
        ("AcademicResearch", "ResearchAndDevelopment"),
        ("ScientificResearch", "ResearchAndDevelopment"),
        ("NonCommercialResearch", "ResearchAndDevelopment"),
        ("CommercialResearch", "ResearchAndDevelopment"),
        ("PublicBenefit", "Purpose"),
        ("CommunicationManagement", "Purpose"),
        ("ServiceProvision", "Purpose"),
        ("ServiceOptimisation", "ServiceProvision"),
        ("OptimisationForController", "ServiceOptimisation"),
        ("OptimisationForConsumer", "ServiceOptimisation"),
        ("ServicePersonalisation", "ServiceProvision"),
        ("RequestedServiceProvision", "ServiceProvision"),
        ("EnforceSecurity", "Purpose"),
        ("FraudPreventionAndDetection", "EnforceSecurity"),
        ("LegalCompliance", "Purpose"),
        ("Marketing", "Purpose"),
        ("Advertising", "Marketing"),
        ("PersonalisedAdvertising", "Advertising"),
        ("DirectMarketing", "Marketing"),
        ("OrganisationGovernance", "Purpose"),
        ("ResourceOptimisation", "OptimisationForController"),
        ("HumanResourceManagement", "Purpose"),
        ("CustomerManagement", "Purpose"),
        ("RecordManagement", "Purpose"),
        ("SellProducts", "Purpose"),
        ("SellDataToThirdParties", "SellProducts"),
    ];
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
