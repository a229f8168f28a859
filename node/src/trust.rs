//! Who this node is and whom it trusts: its key and `did:key`; the people who may sign in
//! (the operator's admin token, local users, an OIDC issuer) and what their roles let them
//! do; the consortium's signed membership document that decides which peers may connect at
//! all; and the URLs the node may call out to.
//!
//! | module | concern |
//! |---|---|
//! | [`identity`] | the ed25519 key, PeerId, `did:key` and the public keys inside PeerIds |
//! | [`caller`] | who is asking: visitor, person, member or sensor source |
//! | [`admin_token`] | the operator's bearer token (`admin.token`) |
//! | [`users`] | local users and their personal tokens (stored hashed) |
//! | [`roles`] | what a person may do: reader, researcher, editor, ingest, operator |
//! | [`oidc`] | bearer JWTs of the configured OpenID Connect issuer |
//! | [`people`] | which person a bearer token names: operator, local user or OIDC subject |
//! | [`egress`] | the URLs the node may fetch on a caller's behalf |
//! | [`consortium`] | the signed membership document and its verification rules |
//! | [`membership`] | the current membership, shared and persisted to `consortium.json` |

pub mod admin_token;
pub mod caller;
pub mod consortium;
pub mod egress;
pub mod identity;
pub mod membership;
pub mod oidc;
pub mod people;
pub mod roles;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_issuer;
pub mod users;
