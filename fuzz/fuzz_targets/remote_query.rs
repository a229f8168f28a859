//! Grammar-generated queries as p2p remote queries from a member: to the water utility
//! under the university's aggregation-only agreement (the aggregate guard and its rewrites),
//! and to a city's open datasets (the restricted evaluation over permitted graphs).
#![no_main]

use hanse_fuzz::{DEMO_PURPOSE, UNIVERSITY, WATER, harness};
use hanse_node::p2p::{QueryLimits, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, sparql_smith::Query)| {
    let (to_utility, query) = input;
    let h = harness();
    let limits = QueryLimits {
        timeout_ms: 5_000,
        max_rows: 1_000,
    };
    let request = if to_utility {
        Request::Query {
            query: query.to_string(),
            purpose: Some(DEMO_PURPOSE.into()),
            agreements: vec![h.agreement.clone()],
            datasets: vec!["consumption".into()],
            limits,
            on_behalf_of: None,
        }
    } else {
        Request::Query {
            query: query.to_string(),
            purpose: None,
            agreements: Vec::new(),
            datasets: Vec::new(),
            limits,
            on_behalf_of: None,
        }
    };
    let provider = if to_utility { WATER } else { 1 };
    h.peer_request(provider, UNIVERSITY, request);
});
