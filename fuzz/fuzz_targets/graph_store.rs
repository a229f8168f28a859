//! Any bytes as a Graph Store Protocol body in each RDF syntax (PUT and POST with the admin
//! token): the nesting scan, the size limit and the parsers.
#![no_main]

use axum::body::Body;
use axum::http::Request;
use hanse_fuzz::harness;
use libfuzzer_sys::fuzz_target;

const TYPES: [&str; 7] = [
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/ld+json",
    "text/n3",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = TYPES[usize::from(selector) % TYPES.len()];
    let method = if selector & 0x80 == 0 { "PUT" } else { "POST" };
    let Ok(request) = Request::builder()
        .method(method)
        .uri("/store?graph=https%3A%2F%2Ffuzz.example%2Fgraph")
        .header("content-type", content_type)
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    harness().http(3, request, true);
});
