//! Access: agreements between members and enforcement of usage policies on remote queries.
//!
//! | module | concern |
//! |---|---|
//! | [`agreement`] | ODRL agreements signed by provider and consumer, their DSP states, sled storage |
//! | [`aggregation`] | aggregation-only datasets: the query shape, small groups withheld, noise |
//! | [`privacy_terms`] | the hanse privacy profile of a policy (minimum group, ε, budget, bounds) |
//! | [`budget`] | the privacy budget ledger: ε spent per agreement, answers paid for |
//! | [`noise`] | exact discrete Laplace sampling |
//! | [`http_rights`] | what HTTP callers of the NGSI-LD and OGC API front ends may read and write |
//! | [`visibility`] | [`Rights`]: the graphs a front-end caller reads and writes |
//! | [`service`] | the access service: requester identity for the policy engine, audit, request dispatch |
//! | `negotiation` | offering, countersigning, finalizing and revoking agreements |
//! | `rights` | which datasets a requester may read now, and which a consumer may ask |
//! | `remote_query` | remote queries over a restricted dataset, answered in chunks |
//! | `open_answers` | the rest of large answers, held for their requesters |

pub mod aggregation;
pub mod agreement;
pub mod budget;
pub mod http_rights;
mod negotiation;
pub mod noise;
mod open_answers;
pub mod privacy_terms;
mod remote_query;
mod rights;
pub mod service;
pub mod visibility;

pub use agreement::{Agreement, AgreementError, AgreementState, AgreementStore};
pub use http_rights::HttpCaller;
pub use rights::Usable;
pub use service::{AccessError, AccessService, BudgetView, RemoteAnswer};
pub use visibility::{Rights, Visible};
