//! The sample mapping files in `docs/sources/` load, and map messages as documented:
//! observation IRIs, units, ranges, and one specific reason for every refusal.

use hanse_sensors::{Mapper, MappingError, PayloadError, SourceConfig, parse_time_text};
use std::path::Path;

fn sample(name: &str) -> Mapper {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/sources")
        .join(format!("{name}.toml"));
    Mapper::new(SourceConfig::load(&path).unwrap()).unwrap()
}

fn now() -> hanse_sensors::OffsetDateTime {
    parse_time_text("2026-11-21T12:00:00Z").unwrap()
}

#[test]
fn every_sample_mapping_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sources");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let config = SourceConfig::load(&path).unwrap();
        assert_eq!(config.name, path.file_stem().unwrap().to_str().unwrap());
        Mapper::new(config).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    assert!(count >= 6);
}

#[test]
fn iot_agent_percent_is_converted_to_a_fraction() {
    let mapper = sample("waste-bins");
    let observations = mapper
        .decode_and_map(
            "/bins4bruges/bin-0017/attrs",
            br#"{"f": 80, "temp": 4.5, "TimeInstant": "2026-11-21T11:00:00Z"}"#,
            now(),
        )
        .unwrap();
    let fill = observations
        .iter()
        .find(|o| o.property.as_str().ends_with("fillingLevel"))
        .unwrap();
    assert_eq!(
        fill.iri.as_str(),
        "https://data.bruges.example/observation/bin-0017/fillingLevel/2026-11-21T11:00:00Z"
    );
    assert_eq!(fill.value.value(), "0.8");
    assert_eq!(
        fill.property.as_str(),
        "https://smartdatamodels.org/dataModel.WasteManagement/fillingLevel"
    );
    assert_eq!(
        fill.unit.as_ref().unwrap().as_str(),
        "http://qudt.org/vocab/unit/UNITLESS"
    );
    assert_eq!(
        fill.feature.as_str(),
        "https://data.bruges.example/entity/bin-0017"
    );
}

#[test]
fn senml_units_are_converted_and_unknown_ones_refused() {
    let mapper = sample("soil-moisture");
    let pack =
        br#"[{"bn":"urn:dev:mac:0024befffe804ff1:","bt":1795262400,"n":"vwc","u":"%","v":31}]"#;
    let o = mapper
        .decode_and_map("saint-quentin/soil/x", pack, now())
        .unwrap();
    assert_eq!(o[0].value.value(), "0.31");
    let pack = br#"[{"bn":"urn:dev:mac:0024befffe804ff1:","n":"vwc","u":"furlong","v":31}]"#;
    let e = mapper.decode_and_map("t", pack, now()).unwrap_err();
    assert!(e.to_string().contains("unknown unit `furlong`"), "{e}");
}

#[test]
fn every_kind_of_bad_message_has_its_own_reason() {
    let air = sample("air-quality");
    let bins = sample("waste-bins");
    let parking = sample("parking");
    let uplink = |device: &str, payload: &str| {
        format!(
            r#"{{"end_device_ids":{{"device_id":"{device}"}},"received_at":"2026-11-21T10:00:00Z","uplink_message":{{"decoded_payload":{payload}}}}}"#
        )
    };
    let map = |mapper: &Mapper, topic: &str, payload: &str| {
        mapper
            .decode_and_map(topic, payload.as_bytes(), now())
            .unwrap_err()
    };
    // Not decodable at all.
    assert!(matches!(map(&air, "t", "{"), PayloadError::Decode(_)));
    // Unknown device.
    let e = map(&air, "t", &uplink("aq-stolen", r#"{"no2": 20}"#));
    assert!(
        matches!(e, PayloadError::Mapping(MappingError::UnknownDevice(ref d)) if d == "aq-stolen"),
        "{e}"
    );
    // Out of physical range (negative concentration) and out of configured range.
    let e = map(&air, "t", &uplink("aq-station", r#"{"no2": -3}"#));
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = map(&air, "t", &uplink("aq-station", r#"{"temperature": 75}"#));
    assert!(
        e.to_string().contains("75 CEL is out of range [-40, 60]"),
        "{e}"
    );
    // Wrong type.
    let e = map(&air, "t", &uplink("aq-station", r#"{"no2": "high"}"#));
    assert!(e.to_string().contains("\"high\" is not a number"), "{e}");
    // Nothing mapped.
    let e = map(&air, "t", &uplink("aq-station", r#"{"battery": 3.3}"#));
    assert!(
        e.to_string()
            .contains("no field of the message is mapped (message fields: battery"),
        "{e}"
    );
    // Missing required field.
    let e = map(&bins, "/bins4bruges/bin-0017/attrs", r#"{"temp": 3}"#);
    assert!(
        e.to_string().contains("required field `f` is missing"),
        "{e}"
    );
    // A value outside the allowed set.
    let e = map(
        &parking,
        "t",
        r#"{"spot":"p-1","observedAt":"2026-11-21T10:00:00Z","state":{"status":"flooded"}}"#,
    );
    assert!(e.to_string().contains("`flooded` is not one of"), "{e}");
}

#[test]
fn bad_mappings_are_refused_with_the_key_to_fix() {
    let base = r#"
        graph = "https://x.example/g"
        base = "https://x.example/"
        entity_type = "AirQualityObserved"
        [format]
        type = "senml"
    "#;
    let mapper = |extra: &str| {
        let mut config =
            SourceConfig::parse(&format!("{base}\n{extra}")).map_err(|e| e.to_string())?;
        config.name = "s".into();
        Mapper::new(config).map(|_| ()).map_err(|e| e.to_string())
    };
    assert!(mapper("[fields.a]\nattribute = \"no2\"\nunit = \"GQ\"").is_ok());
    let e = mapper("[fields.a]\nattribute = \"no2\"\nunit = \"parsec\"").unwrap_err();
    assert!(e.contains("unknown unit `parsec`"), "{e}");
    let e =
        mapper("[fields.a]\nattribute = \"no2\"\nunit = \"GQ\"\nfrom_unit = \"CEL\"").unwrap_err();
    assert!(e.contains("cannot convert CEL"), "{e}");
    let e = mapper("[fields.a]\nattribute = \"no2\"\nflavour = \"x\"").unwrap_err();
    assert!(e.contains("flavour"), "{e}");
    let e = mapper("").unwrap_err();
    assert!(e.contains("fields"), "{e}");
    let unicorn = format!(
        "{}\n[fields.a]\nattribute = \"no2\"",
        base.replace("AirQualityObserved", "Unicorn")
    );
    let mut config = SourceConfig::parse(&unicorn).unwrap();
    config.name = "s".into();
    let e = Mapper::new(config).unwrap_err().to_string();
    assert!(e.contains("unknown entity_type `Unicorn`"), "{e}");
}
