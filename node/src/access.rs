//! Access: the one decision of who may read and do what on this node ([`gate`]), agreements
//! between members, and enforcement of usage policies on remote queries.
//!
//! | module | concern |
//! |---|---|
//! | [`agreement`] | ODRL agreements signed by provider and consumer, their DSP states, sled storage |
//! | [`aggregation`] | aggregation-only datasets: the query shape, small groups withheld, noise |
//! | [`privacy_terms`] | the hanse privacy profile of a policy (minimum group, ε, budget, bounds) |
//! | [`budget`] | the privacy budget ledger: ε spent per consumer organisation, dataset and period, answers paid for |
//! | [`member_query`] | the requester's side of the node-to-node query protocol: ask one member, gather the chunks |
//! | [`noise`] | exact discrete Laplace sampling |
//! | [`gate`] | the one decision for every front end: what a caller may read here and do |
//! | [`visibility`] | [`Rights`]: the graphs a front-end caller reads and writes |
//! | [`service`] | the access service: requester identity for the policy engine, audit, request dispatch |
//! | `negotiation` | offering, countersigning, finalizing and revoking agreements |
//! | `refusal` | [`Refusal`]: why a dataset may not be used, as a type |
//! | `rights` | which datasets a requester may read now, and which a consumer may ask |
//! | `remote_query` | remote queries over a restricted dataset, answered in chunks |
//! | `open_answers` | the rest of large answers, held for their requesters |

pub mod aggregation;
pub mod agreement;
pub mod budget;
pub mod gate;
pub mod member_query;
mod negotiation;
pub mod noise;
mod open_answers;
pub mod privacy_terms;
mod refusal;
mod remote_query;
mod rights;
pub mod service;
pub mod visibility;

pub use agreement::{Agreement, AgreementError, AgreementState, AgreementStore};
pub use gate::{Action, Denial};
pub use refusal::Refusal;
pub use remote_query::Question;
pub use rights::Usable;
pub use service::{AccessError, AccessService, BudgetView, RemoteAnswer};
pub use visibility::{Rights, Visible};
