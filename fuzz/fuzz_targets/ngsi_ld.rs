//! Any bytes as NGSI-LD input to a demo city: entity bodies (create, batch upsert, attribute
//! patch, with and without `@context`) and query strings (`q`, `type`, geo-queries, paging).
//! (The body: `hanse_fuzz::targets::ngsi_ld`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::ngsi_ld(data));
