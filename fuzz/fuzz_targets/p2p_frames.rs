//! Any bytes as a p2p frame: decoded as the libp2p codec does (CBOR, `cbor4ii`), and every
//! request that decodes is answered by a demo node as if a member sent it; responses are
//! decoded too (a node reads its peers' answers).
//! (The body: `hanse_fuzz::targets::p2p_frames`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::p2p_frames(data));
