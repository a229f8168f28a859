//! Remote queries, provider side: evaluate over the restricted dataset of the requester's
//! rights and answer in chunks; consumer side: ask one member (`/api/remote/sparql`).

use super::aggregation::shape::is_aggregate;
use super::aggregation::{Refused, Scope};
use super::member_query::{FetchError, RemoteQuery, fetch};
use super::privacy_terms::MICRO;
use super::service::{AccessError, AccessService, Audited, RemoteAnswer};
use crate::audit::AuditDecision;
use crate::p2p::{
    ChunkStatus, NetworkClient, NoiseDisclosure, QueryLimits, Request, Response, SolutionChunk,
};
use crate::store::solutions::SolutionTable;
use crate::store::sparql::{ResultFormat, SparqlError, write_results};
use libp2p::PeerId;
use oxigraph::sparql::results::QueryResultsFormat;
use std::time::Duration;

/// The longest name of a person a member may state for its audit entry; longer names are cut.
const MAX_PERSON_CHARS: usize = 200;

/// A question this node asks one member under its agreements (`/api/remote/sparql`, the
/// console's previews and comparisons).
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// SPARQL SELECT or ASK text.
    pub query: String,
    /// The stated purpose (a DPV IRI).
    pub purpose: Option<String>,
    /// The agreements to rely on.
    pub agreements: Vec<String>,
    /// Dataset ids on the member; empty for all this node may use.
    pub datasets: Vec<String>,
    /// The person asking, named in the member's audit log.
    pub on_behalf_of: Option<String>,
}

/// A stated person's name as it may enter the audit log: printable and bounded.
fn stated_person(name: Option<String>) -> Option<String> {
    let name: String = name?
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PERSON_CHARS)
        .collect();
    (!name.is_empty()).then_some(name)
}

impl AccessService {
    /// Answers [`crate::p2p::Request::QueryMore`].
    pub(super) fn serve_more(&self, peer: PeerId, id: u64) -> Response {
        Response::Solutions(self.inner.answers.next(peer, id))
    }

    /// Answers [`crate::p2p::Request::Query`]: authorise, evaluate over the permitted graphs
    /// only, audit, and return the first chunk.
    #[tracing::instrument(skip_all, fields(%peer))]
    pub(super) async fn serve_query(&self, peer: PeerId, request: Request) -> Response {
        let Request::Query {
            query: text,
            purpose,
            agreements: agreement_ids,
            datasets: requested,
            limits,
            on_behalf_of,
        } = request
        else {
            return Response::Error("not a query".into());
        };
        self.inner
            .queries_answered
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let person = stated_person(on_behalf_of);
        let (text, purpose, person) = (text.as_str(), purpose.as_deref(), person.as_deref());
        let (agreement_ids, requested) = (&agreement_ids[..], &requested[..]);
        let deny = |reason: String, dataset: &str, status: fn(String) -> ChunkStatus| {
            self.audit(
                Audited {
                    peer: &peer,
                    dataset,
                    purpose,
                    agreement: (!agreement_ids.is_empty()).then(|| agreement_ids.join(",")),
                    query: text,
                    person,
                },
                AuditDecision::Deny,
                &reason,
                None,
            );
            tracing::info!("remote query not answered: {reason}");
            Response::Solutions(SolutionChunk {
                id: 0,
                variables: Vec::new(),
                rows: Vec::new(),
                status: status(reason),
                datasets: Vec::new(),
                disclosure: None,
            })
        };
        let requested_label = requested.join(",");
        if text.len() > self.inner.config.max_query_bytes {
            return deny(
                format!(
                    "query of {} bytes exceeds access.max_query_bytes ({})",
                    text.len(),
                    self.inner.config.max_query_bytes
                ),
                &requested_label,
                ChunkStatus::Error,
            );
        }
        let query = match self.inner.sparql.parse_query(text).await {
            Ok(q) => q,
            Err(e) => return deny(e.to_string(), &requested_label, ChunkStatus::Error),
        };
        let aggregate = is_aggregate(&query);
        let authorisation =
            match self.authorise(&peer, purpose, agreement_ids, requested, aggregate) {
                Ok(a) => a,
                Err(reason) => return deny(reason, &requested_label, ChunkStatus::Denied),
            };
        let datasets_label = authorisation.datasets.join(",");
        let max_rows = usize::try_from(limits.max_rows).unwrap_or(usize::MAX);
        let timeout = Duration::from_millis(limits.timeout_ms);
        let graphs = &authorisation.graphs;
        let (table, truncated, disclosure, note) = match &authorisation.privacy {
            Some(governed) => {
                let scope = Scope {
                    graphs,
                    datasets: &authorisation.datasets,
                    max_rows,
                    timeout,
                };
                match self
                    .answer_aggregate(query, &governed.terms, governed.agreement.as_deref(), scope)
                    .await
                {
                    Ok(a) => (a.table, a.truncated, Some(a.disclosure), a.note),
                    Err(Refused::Denied(r)) => {
                        return deny(r, &datasets_label, ChunkStatus::Denied);
                    }
                    Err(Refused::Failed(r)) => {
                        return deny(r, &datasets_label, ChunkStatus::Error);
                    }
                }
            }
            None => match self
                .inner
                .sparql
                .select_restricted(query, graphs, max_rows, timeout)
                .await
            {
                Ok((table, cut)) => (table, cut, None, "permitted".to_owned()),
                Err(e) => return deny(e.to_string(), &datasets_label, ChunkStatus::Error),
            },
        };
        for id in &authorisation.agreements {
            let _ = self.inner.agreements.update(id, |a| a.uses += 1);
        }
        let rows = table.len() as u64;
        let agreement =
            (!authorisation.agreements.is_empty()).then(|| authorisation.agreements.join(","));
        self.audit(
            Audited {
                peer: &peer,
                dataset: &datasets_label,
                purpose,
                agreement,
                query: text,
                person,
            },
            AuditDecision::Allow,
            &note,
            Some(rows),
        );
        tracing::info!(datasets = %datasets_label, rows, truncated, "remote query answered");
        let last = if truncated {
            ChunkStatus::Truncated
        } else {
            ChunkStatus::Complete
        };
        let mut first = self.inner.answers.open(
            peer,
            &table,
            authorisation.datasets,
            last,
            self.inner.config.answer_chunk_bytes,
        );
        first.disclosure = disclosure.map(Box::new);
        Response::Solutions(first)
    }

    /// Sends `question` to `provider` and returns its answer as SPARQL JSON results.
    pub async fn remote_query(
        &self,
        network: &NetworkClient,
        provider: PeerId,
        question: Question,
    ) -> Result<RemoteAnswer, AccessError> {
        let limits = self.inner.sparql.limits();
        let query = question.query.clone();
        let query = query.as_str();
        let request = RemoteQuery {
            query: question.query,
            purpose: question.purpose,
            agreements: question.agreements,
            datasets: question.datasets,
            limits: QueryLimits {
                timeout_ms: limits.query_timeout().as_millis() as u64,
                max_rows: limits.max_result_rows as u64,
            },
            on_behalf_of: question.on_behalf_of,
        };
        let denied = |reason: String| RemoteAnswer {
            status: "denied",
            reason: Some(reason),
            results: None,
            rows: 0,
            datasets: Vec::new(),
            privacy: None,
        };
        let answer = match fetch(network, provider, &provider.to_string(), request).await {
            Ok(answer) => answer,
            Err(FetchError::Denied(reason)) => return Ok(denied(reason)),
            Err(FetchError::Failed(reason)) => return Ok(denied(reason)),
            Err(e) => return Err(AccessError::Network(e.to_string())),
        };
        if let Some(noise) = answer.disclosure.as_ref().and_then(|d| d.noise.as_ref()) {
            self.record_reported_budget(noise);
        }
        let rows = answer.table.len() as u64;
        let results = to_json(
            answer.table,
            matches!(
                self.inner.sparql.parse_query(query).await,
                Ok(spargebra::Query::Ask { .. })
            ),
        )
        .map_err(|e| AccessError::Network(format!("cannot write the results: {e}")))?;
        Ok(RemoteAnswer {
            status: if answer.truncated {
                "truncated"
            } else {
                "complete"
            },
            reason: None,
            results: Some(results),
            rows,
            datasets: answer.datasets,
            privacy: answer.disclosure,
        })
    }

    /// Consumer side: keeps what the provider reported of an agreement's budget, for
    /// `hanse access list` and `GET /api/agreements/{id}`.
    pub fn record_reported_budget(&self, noise: &NoiseDisclosure) {
        let me = self.inner.identity.peer_id().to_string();
        let spent = (noise.spent * MICRO as f64).round().max(0.0) as u64;
        let agreements = &self.inner.agreements;
        if agreements
            .get(&noise.agreement)
            .is_ok_and(|a| a.terms.consumer == me)
            && let Err(e) = agreements.update(&noise.agreement, |a| a.reported_spent = Some(spent))
        {
            tracing::warn!(agreement = %noise.agreement, "cannot record the budget reported: {e}");
        }
    }
}

/// A table as SPARQL JSON results (a boolean for ASK).
fn to_json(table: SolutionTable, ask: bool) -> Result<serde_json::Value, SparqlError> {
    let bytes = write_results(
        table.into_results(ask),
        ResultFormat::Results(QueryResultsFormat::Json),
        usize::MAX,
        Duration::ZERO,
    )?;
    serde_json::from_slice(&bytes).map_err(|e| SparqlError::Internal(e.to_string()))
}
