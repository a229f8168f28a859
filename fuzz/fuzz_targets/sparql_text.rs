//! Any bytes as a query (GET and POST form) and as an update (POST, with the admin token) to
//! a demo city's `/sparql` endpoint: what the grammar-aware target cannot produce (bad
//! UTF-8, truncated tokens, unbalanced brackets, giant literals).
#![no_main]

use hanse_fuzz::{get, harness, post, query_param};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let uri = format!(
                "/sparql?query={}",
                query_param(&String::from_utf8_lossy(text))
            );
            h.http(1, get(&uri, "application/sparql-results+json"), false);
        }
        1 => {
            h.http(
                1,
                post("/sparql", "application/sparql-query", text.to_vec()),
                false,
            );
        }
        _ => {
            h.http(
                1,
                post("/sparql", "application/sparql-update", text.to_vec()),
                true,
            );
        }
    }
});
