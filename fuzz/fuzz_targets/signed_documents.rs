//! Any bytes as what peers send signed: a catalogue (N-Quads, canonicalised with RDFC-1.0
//! and verified), a catalogue announcement gossiped by a member, and a membership document
//! (genesis verification).
//! (The body: `hanse_fuzz::targets::signed_documents`, replayed by the release tests.)
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hanse_fuzz::targets::signed_documents(data));
