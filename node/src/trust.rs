//! Who this node is and whom it trusts: its key and `did:key`, the admin token that guards
//! its writes, and the consortium's signed membership document that decides which peers may
//! connect at all.
//!
//! | module | concern |
//! |---|---|
//! | [`identity`] | the ed25519 key, PeerId, `did:key` and the public keys inside PeerIds |
//! | [`admin_token`] | the bearer token write endpoints require |
//! | [`consortium`] | the signed membership document and its verification rules |
//! | [`membership`] | the current membership, shared and persisted to `consortium.json` |

pub mod admin_token;
pub mod consortium;
pub mod identity;
pub mod membership;
