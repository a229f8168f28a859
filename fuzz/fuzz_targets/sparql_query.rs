//! Grammar-generated SPARQL queries (sparql-smith reaches deep and odd shapes that bytes
//! rarely do) through a demo city's `/sparql` endpoint: the shape limits, the parser, the
//! planner and the evaluator under the node's timeout and row limit.
#![no_main]

use hanse_fuzz::{harness, post};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: sparql_smith::Query| {
    let text = query.to_string();
    harness().http(0, post("/sparql", "application/sparql-query", text), false);
});
