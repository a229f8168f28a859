//! Any bytes as a query (GET and POST form) and as an update (POST, with the admin token) to
//! a demo city's `/sparql` endpoint: what the grammar-aware target cannot produce (bad
//! UTF-8, truncated tokens, unbalanced brackets, giant literals).
//! (The body: `hanse_fuzz::targets::sparql_text`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::sparql_text(data));
