//! Any bytes as what peers send signed: a catalogue (N-Quads, canonicalised with RDFC-1.0
//! and verified), a catalogue announcement gossiped by a member, and a membership document
//! (genesis verification).
#![no_main]

use hanse_fuzz::harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let _ = hanse_node::catalog::signing::verify(bytes, 4 * 1024 * 1024);
        }
        1 => harness().catalog_gossip(2, 0, bytes),
        _ => {
            if let Ok(document) = hanse_node::trust::consortium::SignedMembership::from_json(bytes)
            {
                let _ = document.verify_genesis();
            }
        }
    }
});
