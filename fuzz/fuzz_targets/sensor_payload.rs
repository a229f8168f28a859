//! Any bytes as a sensor message for each payload format (The Things Network v3, IoT Agent
//! JSON and UltraLight, SenML, generic JSON) and as a CSV row, through the mappings in
//! `docs/sources/`: decoding, unit conversion, plausibility checks and mapping to SOSA.
#![no_main]

use hanse_sensors::{Mapper, OffsetDateTime, SourceConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
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
});
