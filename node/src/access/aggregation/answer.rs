//! Answering a remote query over an aggregation-only dataset: check its shape, compute the
//! groups over the restricted dataset, withhold small groups (and, under differential
//! privacy, charge the budget, then add noise), and run the query's projection over the
//! released groups only.

use super::noised::DELTA;
use super::shape::{AggregateQuery, Rules, analyse};
use super::{exact, noised};
use crate::access::budget::{Charge, LedgerError};
use crate::access::privacy_terms::{PrivacyTerms, from_micro};
use crate::access::service::AccessService;
use crate::p2p::{Disclosure, NoiseDisclosure};
use crate::store::solutions::SolutionTable;
use oxigraph::model::NamedNode;
use spargebra::Query;
use std::time::Duration;

/// Why an aggregate query got no answer.
#[derive(Debug)]
pub enum Refused {
    /// The policy does not allow it (shape, budget): nothing was released.
    Denied(String),
    /// Evaluation failed (timeout, limits).
    Failed(String),
}

/// Where and how far an aggregate query may run.
pub struct Scope<'a> {
    /// The permitted graphs.
    pub graphs: &'a [NamedNode],
    /// The datasets they belong to.
    pub datasets: &'a [String],
    /// Rows the requester takes at most.
    pub max_rows: usize,
    /// Time allowed per evaluation.
    pub timeout: Duration,
}

/// A released aggregate answer.
pub struct Answered {
    /// The rows.
    pub table: SolutionTable,
    /// Whether rows were cut at the requester's limit.
    pub truncated: bool,
    /// What was withheld and what noise was added.
    pub disclosure: Disclosure,
    /// For the audit log.
    pub note: String,
}

const MECHANISM: &str = "discrete Laplace, sampled exactly (Canonne, Kamath, Steinke 2020) from a ChaCha20 stream seeded by the provider's secret and the answer";

impl AccessService {
    /// Answers `query` under `terms`; a differentially private answer is charged to
    /// `agreement` before it is computed into noise.
    pub(in crate::access) async fn answer_aggregate(
        &self,
        query: Query,
        terms: &PrivacyTerms,
        agreement: Option<&str>,
        scope: Scope<'_>,
    ) -> Result<Answered, Refused> {
        let rules = Rules {
            unit: &terms.unit,
            noised: terms.noise.is_some(),
            permitted: &terms.permitted,
        };
        let analysed = analyse(query, &rules)
            .map_err(|reason| Refused::Denied(format!("aggregation-only: {reason}")))?;
        let sparql = &self.inner.sparql;
        // Every group (and, under noise, every individual of it) must be seen: a cut here
        // would be a wrong answer, not a shorter one.
        let node_rows = sparql.limits().max_result_rows;
        let evaluate = |q: Query, graphs: &[NamedNode], rows: usize| {
            let graphs = graphs.to_vec();
            async move {
                sparql
                    .select_restricted(q, &graphs, rows, scope.timeout)
                    .await
                    .map_err(|e| Refused::Failed(e.to_string()))
            }
        };
        let complete = |(table, cut): (SolutionTable, bool)| {
            if cut {
                Err(Refused::Failed(format!(
                    "the groups span more than {node_rows} rows (sparql.max_result_rows): group by fewer keys"
                )))
            } else {
                Ok(table)
            }
        };
        let minimum = terms.minimum_group;
        let (rows, disclosure, note) = match &terms.noise {
            None => {
                let groups = complete(
                    evaluate(exact::group_query(&analysed), scope.graphs, node_rows).await?,
                )?;
                let (rows, withheld) = exact::release(&groups, &analysed, minimum);
                let summary = format!(
                    "exact aggregates over groups of at least {minimum} individuals; {withheld} smaller group(s) withheld"
                );
                let disclosure = Disclosure {
                    summary: summary.clone(),
                    minimum_group_size: minimum,
                    privacy_unit: terms.unit.clone(),
                    suppressed_groups: Some(withheld),
                    noise: None,
                };
                (rows, disclosure, summary)
            }
            Some(noise) => {
                let agreement = agreement.ok_or_else(|| {
                    Refused::Denied(
                        "differential privacy is charged to an agreement's budget: this dataset must be restricted".into(),
                    )
                })?;
                let (partial, columns) =
                    noised::partial_query(&analysed, noise).map_err(Refused::Denied)?;
                let partials = complete(evaluate(partial, scope.graphs, node_rows).await?)?;
                let secret = &self.inner.noise_secret;
                let tally = noised::Tally::new(&partials, &analysed, columns, noise, secret)
                    .map_err(Refused::Failed)?;
                let terms_text = format!("{terms:?}");
                let mut parts: Vec<&str> = vec![&analysed.normalised, &terms_text];
                parts.extend(scope.datasets.iter().map(String::as_str));
                let key = tally.answer_key(&parts);
                let held = self
                    .inner
                    .agreements
                    .get(agreement)
                    .map_err(|e| Refused::Failed(e.to_string()))?;
                let refused = |e: LedgerError| match e {
                    LedgerError::Spent { .. } => Refused::Denied(e.to_string()),
                    other => Refused::Failed(other.to_string()),
                };
                let account = self.budget_account(&held, noise).map_err(refused)?;
                let charge = self
                    .inner
                    .agreements
                    .ledger()
                    .charge(&account, &key, noise.epsilon, noise.budget)
                    .map_err(refused)?;
                let released = tally.release(secret, &key, minimum, noise, &analysed);
                let epsilon = noised::epsilon(noise);
                let (charged, repeated) = match charge {
                    Charge::New(_) => (epsilon, false),
                    Charge::Repeated(_) => (0.0, true),
                };
                let spent = from_micro(charge.spent());
                let budget = from_micro(noise.budget);
                let remaining = from_micro(noise.budget.saturating_sub(charge.spent()));
                let summary = if repeated {
                    format!(
                        "the same answer as before to the same question over the same data: nothing charged; {remaining} of {budget} ε left"
                    )
                } else {
                    format!(
                        "differentially private: noise for ε = {epsilon} added to every aggregate; groups whose noisy count of individuals is under {threshold} withheld (the minimum {minimum}, raised so that a group of one individual shows with probability under δ = {DELTA}); {epsilon} ε charged, {remaining} of {budget} ε left for {account}",
                        threshold = released.threshold,
                    )
                };
                let disclosure = Disclosure {
                    summary: summary.clone(),
                    minimum_group_size: minimum,
                    privacy_unit: terms.unit.clone(),
                    suppressed_groups: None,
                    noise: Some(NoiseDisclosure {
                        mechanism: MECHANISM.into(),
                        agreement: agreement.to_owned(),
                        epsilon,
                        charged,
                        repeated,
                        budget,
                        spent,
                        remaining,
                        bounds: noise.bounds,
                        max_contributions: noise.max_contributions,
                        max_groups: noise.max_groups,
                        columns: released.columns,
                    }),
                };
                (released.rows, disclosure, summary)
            }
        };
        let (table, truncated) =
            evaluate(released_query(&analysed, rows), &[], scope.max_rows).await?;
        Ok(Answered {
            table,
            truncated,
            disclosure,
            note,
        })
    }
}

/// The query's own projection, order and expressions, over the released groups only.
fn released_query(
    analysed: &AggregateQuery,
    rows: Vec<Vec<Option<spargebra::term::GroundTerm>>>,
) -> Query {
    analysed.over_groups(rows)
}
