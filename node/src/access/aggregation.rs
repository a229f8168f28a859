//! Aggregation-only access: a dataset whose policy sets `hanse:minimumGroupSize` answers only
//! aggregates over groups of at least that many distinct individuals, and with
//! `hanse:epsilon` only differentially private ones, charged to the agreement's budget.
//!
//! | module | concern |
//! |---|---|
//! | [`shape`] | the one query shape answered; everything else refused by name |
//! | `syntax` | what an expression reads; the names of functions and constructs |
//! | [`exact`] | aggregates without noise: count individuals, withhold small groups |
//! | [`noised`] | bounded contributions, discrete Laplace noise, the answer's key |
//! | `answer` | answering a remote query under these terms, charging the budget first |

mod answer;
pub mod exact;
pub mod noised;
pub mod shape;
mod syntax;

pub use answer::{Refused, Scope};
