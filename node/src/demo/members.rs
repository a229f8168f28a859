//! The demo's six members: who they are, where they are, which sensors they run, the
//! datasets and offers they publish and the data they start with.
//!
//! Everything is deterministic: fixed keys (so PeerIds are the same on every run), fixed data.

use super::data::{
    self as demo_data, AIR_QUALITY, BICYCLE_COUNTS, PARKING, ROAD_TEMPERATURE, SOIL_MOISTURE,
    SensorKind, SensorSample, WASTE_BINS,
};
use crate::catalog::{AccessRights, DatasetDefinition, Text};
use crate::config::Role;
use crate::trust::identity::NodeIdentity;

/// The consortium's id.
pub const CONSORTIUM_ID: &str = "scifi-demo";
/// DPV purpose the demo agreement is made for.
pub const DEMO_PURPOSE: &str = "https://w3id.org/dpv#AcademicResearch";

/// One member of the demo.
#[derive(Debug, Clone, Copy)]
pub struct DemoMember {
    /// Node name (also the directory name).
    pub name: &'static str,
    /// Organisation.
    pub organisation: &'static str,
    /// Role.
    pub role: Role,
    /// Town centre (latitude, longitude).
    pub centre: (f64, f64),
    /// Sensor kinds the node runs.
    pub sensors: &'static [SensorKind],
}

/// The six members, in start order (Mechelen first: it is the steward and the bootstrap).
pub const MEMBERS: [DemoMember; 6] = [
    DemoMember {
        name: "mechelen",
        organisation: "City of Mechelen",
        role: Role::City,
        centre: (51.0280, 4.4806),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, ROAD_TEMPERATURE],
    },
    DemoMember {
        name: "bruges",
        organisation: "City of Bruges",
        role: Role::City,
        centre: (51.2093, 3.2247),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, PARKING],
    },
    DemoMember {
        name: "delft",
        organisation: "Municipality of Delft",
        role: Role::City,
        centre: (52.0116, 4.3571),
        sensors: &[AIR_QUALITY, BICYCLE_COUNTS, WASTE_BINS],
    },
    DemoMember {
        name: "saint-quentin",
        organisation: "Ville de Saint-Quentin",
        role: Role::City,
        centre: (49.8465, 3.2876),
        sensors: &[BICYCLE_COUNTS, SOIL_MOISTURE],
    },
    DemoMember {
        name: "water",
        organisation: "Regional Water Utility",
        role: Role::Utility,
        centre: (51.0280, 4.4806),
        sensors: &[],
    },
    DemoMember {
        name: "university",
        organisation: "Regional University Research Group",
        role: Role::Research,
        centre: (51.0, 4.0),
        sensors: &[],
    },
];

/// Index of the water utility and the university in [`MEMBERS`].
pub const WATER: usize = 4;
/// Index of the university in [`MEMBERS`].
pub const UNIVERSITY: usize = 5;

const HOURS: usize = 24;
const SENSORS_PER_KIND: usize = 4;

/// The open offer of city datasets: any member may use them, with attribution.
const OPEN_OFFER: &str = r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<#offer> a odrl:Offer ;
  odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
                    odrl:duty [ odrl:action odrl:attribute ] ] ."#;

/// The utility's offer: research or city members, public-benefit or research purposes,
/// until the end of 2027, aggregates over at least 10 households with differential privacy,
/// attribution.
///
/// ε = 1 per answer and a budget of 10 per consumer organisation and year: a mean over a
/// district of 96 households then moves by about 250 × 2 / 96 ≈ 5 litres (2 %) and over 48
/// households by about 10 litres, useful for comparing districts, while no answer changes
/// its odds by more than e¹ ≈ 2.7 for any one household and ten different questions by at
/// most e¹⁰ in a year, however many agreements are negotiated. Daily readings are clamped to 0–500 litres (a household day above
/// 500 litres counts as 500).
pub const UTILITY_OFFER: &str = r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix hanse: <https://w3id.org/hanse#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<#offer> a odrl:Offer ;
  odrl:permission [
    odrl:action odrl:use ; odrl:target <> ;
    odrl:constraint [ odrl:and (
      [ odrl:leftOperand odrl:recipient ; odrl:operator odrl:isAnyOf ;
        odrl:rightOperand <role:research>, <role:city> ]
      [ odrl:or (
        [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:PublicBenefit ]
        [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand dpv:ResearchAndDevelopment ] ) ]
      [ odrl:leftOperand odrl:dateTime ; odrl:operator odrl:lt ;
        odrl:rightOperand "2027-12-31T00:00:00Z"^^xsd:dateTime ]
      [ odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 ]
      [ odrl:leftOperand hanse:epsilon ; odrl:operator odrl:lteq ; odrl:rightOperand 1.0 ]
      [ odrl:leftOperand hanse:privacyBudget ; odrl:operator odrl:lteq ; odrl:rightOperand 10 ]
      [ odrl:leftOperand hanse:budgetPeriod ; odrl:operator odrl:eq ; odrl:rightOperand 365 ]
      [ odrl:leftOperand hanse:lowerBound ; odrl:operator odrl:gteq ; odrl:rightOperand 0 ]
      [ odrl:leftOperand hanse:upperBound ; odrl:operator odrl:lteq ; odrl:rightOperand 500 ] ) ] ;
    odrl:duty [ odrl:action odrl:attribute ] ] ."#;

/// The fixed key of member `index`.
pub(crate) fn identity(index: usize) -> NodeIdentity {
    let mut seed = *b"hanse-demo-consortium-member-000";
    seed[31] = b'0' + index as u8;
    NodeIdentity::from_seed(seed)
}

fn base_iri(member: &DemoMember) -> String {
    format!("https://{}.demo.hanse.example/", member.name)
}

/// The graph of one of a member's datasets.
pub fn graph_of(member: &DemoMember, dataset: &str) -> String {
    format!("{}graph/{dataset}", base_iri(member))
}

fn dataset_id(kind: &SensorKind) -> &'static str {
    match kind.code {
        "aq" => "air-quality",
        "bike" => "bicycle-counts",
        "park" => "parking",
        "bin" => "waste-bins",
        "soil" => "soil-moisture",
        _ => "road-temperature",
    }
}

fn theme(kind: &SensorKind) -> &'static str {
    match kind.code {
        "aq" | "soil" | "bin" => "ENVI",
        _ => "TRAN",
    }
}

/// The datasets a member describes.
pub fn datasets(member: &DemoMember) -> Vec<DatasetDefinition> {
    let mut definitions: Vec<DatasetDefinition> = member
        .sensors
        .iter()
        .map(|kind| {
            let id = dataset_id(kind);
            let mut d = DatasetDefinition::new(
                id,
                &format!("{} — {}", kind.label, member.organisation),
                &graph_of(member, id),
            );
            d.description = Text::english(format!(
                "Hourly observations of {SENSORS_PER_KIND} {} sensors in {}, as SOSA observations.",
                kind.label.to_lowercase(),
                member.organisation
            ));
            d.keywords = vec![kind.label.to_lowercase(), member.name.to_owned()];
            d.themes = vec![theme(kind).to_owned()];
            d.licence = Some("https://creativecommons.org/licenses/by/4.0/".into());
            d.access_rights = AccessRights::Public;
            d.update_frequency = Some("HOURLY".into());
            d.conforms_to = vec![kind.entity_type.to_owned()];
            d.policy = Some(OPEN_OFFER.into());
            d
        })
        .collect();
    if member.role == Role::Utility {
        let mut d = DatasetDefinition::new(
            "consumption",
            "Household water consumption",
            &graph_of(member, "consumption"),
        );
        d.description = Text::english(
            "Daily litres per household by district; differentially private aggregates over at least 10 households only.",
        );
        d.keywords = vec!["water".into(), "consumption".into()];
        d.themes = vec!["ENER".into(), "ENVI".into()];
        d.access_rights = AccessRights::Restricted;
        d.update_frequency = Some("DAILY".into());
        // The utility serves Mechelen (GeoNames); households carry no coordinates.
        d.spatial = Some("https://sws.geonames.org/2791537/".into());
        d.policy = Some(UTILITY_OFFER.into());
        definitions.push(d);
    }
    definitions
}

/// The quads a member starts with.
pub fn sample_data(index: usize, member: &DemoMember) -> Vec<oxigraph::model::Quad> {
    let base = base_iri(member);
    let mut quads = Vec::new();
    for kind in member.sensors {
        let graph = graph_of(member, dataset_id(kind));
        quads.extend(demo_data::sensor_observations(
            kind,
            &SensorSample {
                base: &base,
                graph: &graph,
                centre: member.centre,
                sensors: SENSORS_PER_KIND,
                hours: HOURS,
                seed: 0x5eed + index as u64 * 31 + kind.code.len() as u64,
            },
        ));
    }
    if member.role == Role::Utility {
        quads.extend(demo_data::water_consumption(
            &base,
            &graph_of(member, "consumption"),
            // Districts large enough that their noisy household counts clear the partition
            // selection threshold (29 for the demo's ε = 1 means); the west's 6 never do.
            &[("noord", 96), ("zuid", 68), ("oost", 48), ("west", 6)],
            7,
            0xa7e7,
        ));
    }
    quads
}
