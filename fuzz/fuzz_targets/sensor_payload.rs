//! Any bytes as a sensor message for each payload format (The Things Network v3, IoT Agent
//! JSON and UltraLight, SenML, generic JSON) and as a CSV row, through the mappings in
//! `docs/sources/`: decoding, unit conversion, plausibility checks and mapping to SOSA.
//! (The body: `hanse_fuzz::targets::sensor_payload`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::sensor_payload(data));
