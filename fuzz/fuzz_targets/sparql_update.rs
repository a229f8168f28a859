//! Grammar-generated SPARQL updates through a demo city's `/sparql` endpoint with the admin
//! token: the update limits, the parser and the store's transactions.
//! (The body: `hanse_fuzz::targets::sparql_update`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::sparql_update(data));
