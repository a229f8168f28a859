//! Grammar-generated SPARQL updates through a demo city's `/sparql` endpoint with the admin
//! token: the update limits, the parser and the store's transactions.
#![no_main]

use hanse_fuzz::{harness, post};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|update: sparql_smith::Update| {
    let text = update.to_string();
    harness().http(2, post("/sparql", "application/sparql-update", text), true);
});
