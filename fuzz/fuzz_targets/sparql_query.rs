//! Grammar-generated SPARQL queries (sparql-smith reaches deep and odd shapes that bytes
//! rarely do) through a demo city's `/sparql` endpoint: the shape limits, the parser, the
//! planner and the evaluator under the node's timeout and row limit.
//! (The body: `hanse_fuzz::targets::sparql_query`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::sparql_query(data));
