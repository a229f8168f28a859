//! Grammar-generated queries as p2p remote queries from a member: to the water utility
//! under the university's aggregation-only agreement (the aggregate guard and its rewrites),
//! and to a city's open datasets (the restricted evaluation over permitted graphs).
//! (The body: `hanse_fuzz::targets::remote_query`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::remote_query(data));
