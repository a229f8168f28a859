//! Any bytes as a p2p frame: decoded as the libp2p codec does (CBOR, `cbor4ii`), and every
//! request that decodes is answered by a demo node as if a member sent it; responses are
//! decoded too (a node reads its peers' answers).
#![no_main]

use hanse_fuzz::harness;
use hanse_node::p2p::{Request, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cbor4ii::serde::from_slice::<Response>(data);
    if let Ok(request) = cbor4ii::serde::from_slice::<Request>(data) {
        harness().peer_request(4, 5, request);
    }
});
