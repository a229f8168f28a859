//! The access service: what it holds, who a requester is to the policy engine, the audit of
//! every provider decision, and which part answers which node-to-node request.
//!
//! Provider side: negotiating agreements ([`Request::Access`], [`Request::Countersign`]) and
//! answering remote queries ([`Request::Query`]) over a restricted dataset holding only the
//! graphs the requester may use. Consumer side: requesting agreements and sending queries.
//! Every provider decision, allow or deny, goes to the signed audit log.

use super::agreement::{Agreement, AgreementError, AgreementStore};
use super::budget::{BudgetAccount, LedgerError, Period};
use super::open_answers::OpenAnswers;
use super::privacy_terms::{NoiseTerms, from_micro, read as read_terms};
use crate::audit::{AuditDecision, AuditLog, AuditRecord, query_hash};
use crate::catalog::CatalogService;
use crate::config::AccessSection;
use crate::p2p::{NetworkClient, Request, Response};
use crate::store::sparql::SparqlService;
use crate::trust::identity::{NodeIdentity, did_key_of};
use crate::trust::membership::CurrentMembership;
use hanse_policy::{DateTime, Request as PolicyRequest};
use hanse_vocab::odrl;
use libp2p::PeerId;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Errors a consumer sees.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The provider said no; the text is its reason.
    #[error("denied by the provider: {0}")]
    Denied(String),
    /// The network failed or the provider answered something unexpected.
    #[error("cannot reach the provider: {0}")]
    Network(String),
    /// The node has no network (not in a consortium).
    #[error("this node is not in a consortium")]
    NoNetwork,
    /// Agreement storage or signature trouble.
    #[error(transparent)]
    Agreement(#[from] AgreementError),
}

/// A provider's answer to a remote query, as the consumer API returns it.
#[derive(Debug, Serialize)]
pub struct RemoteAnswer {
    /// `complete`, `partial` (set by the HTTP API when a dataset that could have answered was
    /// left out), `truncated` (rows cut at `sparql.max_result_rows`) or `denied`.
    pub status: &'static str,
    /// The provider's reason for a denial.
    pub reason: Option<String>,
    /// SPARQL JSON results.
    pub results: Option<serde_json::Value>,
    /// Rows returned.
    pub rows: u64,
    /// Datasets the answer covers.
    pub datasets: Vec<String>,
    /// For an aggregation-only dataset: groups withheld, noise added, budget left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<crate::p2p::Disclosure>,
}

/// The privacy budget of an agreement, as both sides show it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    /// ε one new answer costs.
    pub epsilon_per_answer: f64,
    /// ε the consumer organisation may spend on the dataset (in each period, when the offer
    /// sets one), over all its agreements for it.
    pub budget: f64,
    /// ε spent.
    pub spent: f64,
    /// ε left.
    pub remaining: f64,
    /// Distinct answers paid for (provider side).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<usize>,
    /// Where the figures come from.
    pub source: &'static str,
}

pub(super) struct Inner {
    pub(super) identity: NodeIdentity,
    pub(super) catalog: CatalogService,
    pub(super) agreements: AgreementStore,
    pub(super) audit: AuditLog,
    pub(super) sparql: SparqlService,
    pub(super) membership: Option<CurrentMembership>,
    pub(super) config: AccessSection,
    pub(super) answers: OpenAnswers,
    /// The graphs anyone may read, cached.
    pub(super) public_graphs: super::visibility::PublicGraphs,
    /// Seeds differentially private noise: derived from the node key, so that the same
    /// question over the same data gets the same answer, across restarts too.
    pub(super) noise_secret: [u8; 32],
    /// Members' queries answered since the node started (the console's "queries served").
    pub(super) queries_answered: std::sync::atomic::AtomicU64,
}

/// The noise secret: a hash of the node key's (deterministic Ed25519) signature of a fixed
/// message, so it needs no file of its own and is as secret as the key.
fn noise_secret(identity: &NodeIdentity) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let signature = identity
        .keypair()
        .sign(b"hanse/dp-noise-secret/v1")
        .unwrap_or_else(|e| {
            tracing::error!("cannot derive the noise secret from the node key ({e}): using a random one until restart");
            rand::random::<[u8; 32]>().to_vec()
        });
    Sha256::digest(signature).into()
}

/// The access service; cheap to clone.
#[derive(Clone)]
pub struct AccessService {
    pub(super) inner: Arc<Inner>,
}

/// Who asked for what, as the audit log records it.
pub(super) struct Audited<'a> {
    pub(super) peer: &'a PeerId,
    pub(super) dataset: &'a str,
    pub(super) purpose: Option<&'a str>,
    pub(super) agreement: Option<String>,
    pub(super) query: &'a str,
    /// The person behind the request, when one is known.
    pub(super) person: Option<&'a str>,
}

/// The policy engine's clock.
pub(super) fn now() -> DateTime {
    DateTime::now()
}

impl AccessService {
    /// Builds the service.
    pub fn new(
        identity: NodeIdentity,
        catalog: CatalogService,
        agreements: AgreementStore,
        audit: AuditLog,
        sparql: SparqlService,
        membership: Option<CurrentMembership>,
        config: AccessSection,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                noise_secret: noise_secret(&identity),
                identity,
                catalog,
                agreements,
                audit,
                sparql,
                membership,
                config,
                answers: OpenAnswers::default(),
                public_graphs: Default::default(),
                queries_answered: Default::default(),
            }),
        }
    }

    /// Members' queries this node has answered since it started.
    pub fn queries_answered(&self) -> u64 {
        self.inner
            .queries_answered
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The agreements this node holds (as provider or consumer).
    pub fn agreements(&self) -> &AgreementStore {
        &self.inner.agreements
    }

    /// The privacy budget of a differentially private agreement: on the provider from its
    /// ledger, on the consumer as the provider last reported it; `None` for other agreements.
    pub fn budget(&self, agreement: &Agreement) -> Option<BudgetView> {
        let noise = hanse_policy::parse_turtle(&agreement.terms.policy)
            .ok()?
            .iter()
            .find_map(|p| read_terms(p).ok().flatten())?
            .noise?;
        let provider = agreement.terms.provider == self.inner.identity.peer_id().to_string();
        let (spent, answers, source) = if provider {
            let ledger = self.inner.agreements.ledger();
            let account = self.budget_account(agreement, &noise).ok()?;
            (
                ledger.spent(&account).ok()?,
                Some(ledger.answers(&account)),
                "the provider's ledger (the consumer organisation's budget for the dataset)",
            )
        } else {
            match agreement.reported_spent {
                Some(spent) => (spent, None, "as the provider last reported"),
                None => (0, None, "no answer received yet"),
            }
        };
        Some(BudgetView {
            epsilon_per_answer: from_micro(noise.epsilon),
            budget: from_micro(noise.budget),
            spent: from_micro(spent),
            remaining: from_micro(noise.budget.saturating_sub(spent)),
            answers,
            source,
        })
    }

    /// The budget `agreement`'s differentially private answers are charged to: its consumer's
    /// organisation (as the membership names it), its dataset and the current period. An
    /// entry the agreement kept in the old per-agreement ledger is moved there first.
    pub(super) fn budget_account(
        &self,
        agreement: &Agreement,
        noise: &NoiseTerms,
    ) -> Result<BudgetAccount, LedgerError> {
        let terms = &agreement.terms;
        let organisation = terms.consumer.parse::<PeerId>().ok().and_then(|peer| {
            self.inner.membership.as_ref().and_then(|membership| {
                membership.read(|m| m.document.member(&peer).map(|m| m.organisation.clone()))
            })
        });
        let account = BudgetAccount {
            consumer: organisation.unwrap_or_else(|| terms.consumer.clone()),
            dataset: terms.dataset.clone(),
            period: noise.period_days.map(Period::current),
        };
        self.inner.agreements.ledger().adopt(&terms.id, &account)?;
        Ok(account)
    }

    /// What the policy engine knows about `peer`: PeerId, did:key, `role:<role>`, organisation.
    pub(super) fn recipient(&self, peer: &PeerId) -> BTreeSet<String> {
        let mut recipient = BTreeSet::from([peer.to_string()]);
        recipient.extend(did_key_of(peer));
        if let Some(membership) = &self.inner.membership {
            membership.read(|m| {
                if let Some(member) = m.document.member(peer) {
                    recipient.insert(format!("role:{}", member.role));
                    recipient.insert(member.organisation.clone());
                }
            });
        }
        recipient
    }

    pub(super) fn did_of(peer: &PeerId) -> String {
        did_key_of(peer).unwrap_or_else(|| peer.to_string())
    }

    pub(super) fn policy_request(
        &self,
        peer: &PeerId,
        target: &str,
        purpose: Option<&str>,
    ) -> PolicyRequest {
        PolicyRequest {
            assignee: Some(Self::did_of(peer)),
            action: odrl::READ.to_owned(),
            target: Some(target.to_owned()),
            purpose: purpose.map(str::to_owned),
            recipient: self.recipient(peer),
            spatial: None,
        }
    }

    /// Appends one decision to the audit log (a failure to append is logged loudly).
    pub(super) fn audit(
        &self,
        subject: Audited<'_>,
        decision: AuditDecision,
        reason: &str,
        rows: Option<u64>,
    ) {
        let Audited {
            peer,
            dataset,
            purpose,
            agreement,
            query,
            person,
        } = subject;
        let record = AuditRecord {
            requester: peer.to_string(),
            dataset: dataset.to_owned(),
            purpose: purpose.map(str::to_owned),
            agreement,
            query_hash: if query.is_empty() {
                String::new()
            } else {
                query_hash(query)
            },
            decision,
            reason: reason.to_owned(),
            rows,
            person: person.map(str::to_owned),
        };
        if let Err(e) = self.inner.audit.append(record) {
            tracing::error!("cannot append to the audit log: {e}");
        }
    }

    /// Answers the access requests of the p2p protocol; `None` for other requests.
    pub async fn answer(
        &self,
        network: &NetworkClient,
        peer: PeerId,
        request: Request,
    ) -> Option<Response> {
        Some(match request {
            Request::Access {
                dataset,
                purpose,
                valid_for_secs,
            } => self.negotiate(peer, &dataset, &purpose, valid_for_secs),
            Request::Countersign { agreement } => self.finalize(peer, &agreement),
            Request::Terminate { id, reason } => self.terminated_by_provider(peer, &id, &reason),
            query @ Request::Query { .. } => self.serve_query(peer, query).await,
            Request::QueryMore { id } => self.serve_more(peer, id),
            _ => {
                let _ = network;
                return None;
            }
        })
    }
}
