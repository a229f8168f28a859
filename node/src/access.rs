//! Access: agreements between members and enforcement of usage policies on remote queries.
//!
//! | module | concern |
//! |---|---|
//! | [`agreement`] | ODRL agreements signed by provider and consumer, their DSP states, sled storage |
//! | [`aggregation`] | aggregation-only datasets: aggregate queries and small-group suppression |
//! | [`service`] | negotiation, remote queries over a restricted dataset answered in chunks, audit of every decision |

pub mod aggregation;
pub mod agreement;
pub mod service;

pub use agreement::{Agreement, AgreementError, AgreementState, AgreementStore};
pub use service::{AccessError, AccessService, RemoteAnswer};
