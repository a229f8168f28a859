//! Any bytes as a Graph Store Protocol body in each RDF syntax (PUT and POST with the admin
//! token): the nesting scan, the size limit and the parsers.
//! (The body: `hanse_fuzz::targets::graph_store`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::graph_store(data));
