//! Access to this node's datasets from other members, and to theirs from this node.
//!
//! Provider side: negotiating agreements ([`Request::Access`], [`Request::Countersign`]) and
//! answering remote queries ([`Request::Query`]) over a restricted dataset holding only the
//! graphs the requester may use. Consumer side: requesting agreements and sending queries.
//! Every provider decision, allow or deny, goes to the signed audit log.

mod query;

use super::agreement::{
    Agreement, AgreementError, AgreementState, AgreementStore, AgreementTerms, new_id,
};
use crate::audit::{AuditDecision, AuditLog, AuditRecord, query_hash};
use crate::catalog::{AccessRights, CatalogService, DatasetDefinition, FederatedDataset};
use crate::config::AccessSection;
use crate::identity::{NodeIdentity, did_key_of};
use crate::membership::CurrentMembership;
use crate::p2p::{NetworkClient, Request, Response};
use crate::sparql::SparqlService;
use hanse_policy::{
    ConstraintNode, DateTime, Policy, PolicyKind, Request as PolicyRequest, Value, WorldState,
};
use hanse_vocab::{hanse, odrl};
use libp2p::PeerId;
use oxigraph::model::NamedNode;
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
    /// `complete`, `truncated` (rows cut at `sparql.max_result_rows`) or `denied`.
    pub status: &'static str,
    /// The provider's reason for a denial.
    pub reason: Option<String>,
    /// SPARQL JSON results.
    pub results: Option<serde_json::Value>,
    /// Rows returned.
    pub rows: u64,
    /// Datasets the answer covers.
    pub datasets: Vec<String>,
}

struct Inner {
    identity: NodeIdentity,
    catalog: CatalogService,
    agreements: AgreementStore,
    audit: AuditLog,
    sparql: SparqlService,
    membership: Option<CurrentMembership>,
    config: AccessSection,
    answers: query::OpenAnswers,
}

/// The access service; cheap to clone.
#[derive(Clone)]
pub struct AccessService {
    inner: Arc<Inner>,
}

/// Who asked for what, as the audit log records it.
struct Audited<'a> {
    peer: &'a PeerId,
    dataset: &'a str,
    purpose: Option<&'a str>,
    agreement: Option<String>,
    query: &'a str,
}

/// What a remote query may see.
struct Authorisation {
    graphs: Vec<NamedNode>,
    datasets: Vec<String>,
    agreements: Vec<String>,
    /// The largest minimum group size among the datasets, if any is aggregation-only.
    minimum_group: Option<u64>,
}

/// The smallest group size a policy demands (`hanse:minimumGroupSize`), if any.
fn minimum_group_size(policy: &Policy) -> Option<u64> {
    fn walk(node: &ConstraintNode, found: &mut Option<u64>) {
        match node {
            ConstraintNode::Atomic(c) if c.left_operand == hanse::MINIMUM_GROUP_SIZE => {
                for value in &c.right_operand {
                    if let Value::Literal { lexical, .. } = value
                        && let Ok(n) = lexical.parse::<u64>()
                    {
                        *found = Some(found.map_or(n, |f| f.max(n)));
                    }
                }
            }
            ConstraintNode::Logical(l) => l.operands.iter().for_each(|o| walk(o, found)),
            _ => {}
        }
    }
    let mut found = None;
    for rule in policy.permissions.iter().chain(&policy.prohibitions) {
        rule.constraints.iter().for_each(|c| walk(c, &mut found));
    }
    found
}

fn now() -> DateTime {
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
                identity,
                catalog,
                agreements,
                audit,
                sparql,
                membership,
                config,
                answers: query::OpenAnswers::default(),
            }),
        }
    }

    /// The agreements this node holds (as provider or consumer).
    pub fn agreements(&self) -> &AgreementStore {
        &self.inner.agreements
    }

    /// What the policy engine knows about `peer`: PeerId, did:key, `role:<role>`, organisation.
    fn recipient(&self, peer: &PeerId) -> BTreeSet<String> {
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

    fn did_of(peer: &PeerId) -> String {
        did_key_of(peer).unwrap_or_else(|| peer.to_string())
    }

    fn policy_request(&self, peer: &PeerId, target: &str, purpose: Option<&str>) -> PolicyRequest {
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
    fn audit(
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
            Request::Query {
                query,
                purpose,
                agreements,
                datasets,
                limits,
            } => {
                self.serve_query(
                    peer,
                    &query,
                    purpose.as_deref(),
                    &agreements,
                    &datasets,
                    limits,
                )
                .await
            }
            Request::QueryMore { id } => self.serve_more(peer, id),
            _ => {
                let _ = network;
                return None;
            }
        })
    }

    // ---- provider: agreements ----

    #[tracing::instrument(skip(self), fields(%peer))]
    fn negotiate(
        &self,
        peer: PeerId,
        dataset: &str,
        purpose: &str,
        valid_for: Option<u64>,
    ) -> Response {
        let deny = |reason: String| {
            self.audit(
                Audited {
                    peer: &peer,
                    dataset,
                    purpose: Some(purpose),
                    agreement: None,
                    query: "",
                },
                AuditDecision::Deny,
                &reason,
                None,
            );
            tracing::info!(%dataset, "access request denied: {reason}");
            Response::Agreement {
                agreement: None,
                reason,
            }
        };
        let definition = match self.inner.catalog.datasets().get(dataset) {
            Ok(d) => d,
            Err(e) => return deny(e.to_string()),
        };
        if definition.access_rights == AccessRights::NonPublic {
            return deny(format!(
                "dataset `{dataset}` is not shared (access rights: non-public)"
            ));
        }
        let iris = self.inner.catalog.iris().clone();
        let offer = match definition.offer(&iris) {
            Ok(Some(offer)) => offer,
            Ok(None) => {
                return deny(format!(
                    "dataset `{dataset}` has no usage policy: nothing may be done with it"
                ));
            }
            Err(e) => return deny(e.to_string()),
        };
        let target = iris.dataset(dataset);
        let mut world = WorldState::at(now());
        world.agreement_start = Some(world.now);
        world.use_count = Some(0);
        // Group sizes are enforced per query (small groups are suppressed), so any minimum
        // the offer asks for can be met.
        world.group_size = Some(u64::MAX);
        let decision = hanse_policy::evaluate(
            &offer,
            &self.policy_request(&peer, &target, Some(purpose)),
            &world,
        );
        if !decision.permitted {
            return deny(decision.reason);
        }
        let id = new_id();
        let max_secs = self.inner.config.max_agreement_days.saturating_mul(86_400);
        let seconds = valid_for.unwrap_or(max_secs).clamp(1, max_secs.max(1));
        let valid_until = world
            .now
            .checked_add_duration(
                oxsdatatypes::Duration::new(0, oxsdatatypes::Decimal::from(seconds as i64))
                    .unwrap_or_default(),
            )
            .unwrap_or(world.now);
        let mut policy = offer.clone();
        policy.kind = PolicyKind::Agreement;
        policy.uid = format!("hanse://{}/agreement/{id}", self.inner.identity.peer_id());
        let consumer_did = Self::did_of(&peer);
        for rule in policy
            .permissions
            .iter_mut()
            .chain(policy.prohibitions.iter_mut())
        {
            rule.assignee = Some(consumer_did.clone());
            rule.target.get_or_insert_with(|| target.clone());
        }
        let terms = AgreementTerms {
            id: id.clone(),
            provider: self.inner.identity.peer_id().to_string(),
            consumer: peer.to_string(),
            dataset: dataset.to_owned(),
            target,
            purpose: purpose.to_owned(),
            policy: hanse_policy::to_turtle(&policy),
            issued: world.now.to_string(),
            valid_until: valid_until.to_string(),
        };
        let agreement = match Agreement::offer(terms, &self.inner.identity)
            .and_then(|a| self.inner.agreements.put(&a).map(|()| a))
        {
            Ok(a) => a,
            Err(e) => return deny(format!("cannot make the agreement: {e}")),
        };
        self.audit(
            Audited {
                peer: &peer,
                dataset,
                purpose: Some(purpose),
                agreement: Some(id.clone()),
                query: "",
            },
            AuditDecision::Allow,
            &format!("agreement offered: {}", decision.reason),
            None,
        );
        tracing::info!(%dataset, agreement = %id, "agreement offered");
        Response::Agreement {
            agreement: serde_json::to_vec(&agreement).ok(),
            reason: decision.reason,
        }
    }

    #[tracing::instrument(skip_all, fields(%peer))]
    fn finalize(&self, peer: PeerId, bytes: &[u8]) -> Response {
        let nack = |reason: String| Response::Ack { ok: false, reason };
        let Ok(signed) = serde_json::from_slice::<Agreement>(bytes) else {
            return nack("the agreement is not valid JSON".into());
        };
        let stored = match self.inner.agreements.get(&signed.terms.id) {
            Ok(a) => a,
            Err(e) => return nack(e.to_string()),
        };
        if stored.terms != signed.terms || stored.terms.consumer != peer.to_string() {
            return nack("the terms differ from the agreement offered".into());
        }
        if stored.state != AgreementState::Agreed {
            return nack(format!("the agreement is {:?}, not AGREED", stored.state));
        }
        if let Err(e) = signed.check_both() {
            return nack(e.to_string());
        }
        let consumer_signature = signed.consumer_signature.clone();
        match self.inner.agreements.update(&signed.terms.id, |a| {
            a.consumer_signature = consumer_signature.clone();
            a.state = AgreementState::Finalized;
        }) {
            Ok(_) => {
                tracing::info!(agreement = %signed.terms.id, "agreement finalized");
                Response::Ack {
                    ok: true,
                    reason: String::new(),
                }
            }
            Err(e) => nack(e.to_string()),
        }
    }

    /// Revokes an agreement this node granted: it stops being honoured at once; the consumer
    /// is told when reachable.
    pub async fn revoke(
        &self,
        network: Option<&NetworkClient>,
        id: &str,
        reason: &str,
    ) -> Result<Agreement, AgreementError> {
        let agreement = self.inner.agreements.get(id)?;
        if agreement.terms.provider != self.inner.identity.peer_id().to_string() {
            return Err(AgreementError::Invalid {
                id: id.to_owned(),
                reason: "only the provider revokes; this node is the consumer".into(),
            });
        }
        let when = now().to_string();
        let agreement = self.inner.agreements.update(id, |a| {
            a.state = AgreementState::Terminated;
            a.terminated = Some((when.clone(), reason.to_owned()));
        })?;
        tracing::info!(agreement = %id, "agreement revoked: {reason}");
        if let (Some(network), Ok(consumer)) = (network, agreement.terms.consumer.parse::<PeerId>())
        {
            let request = Request::Terminate {
                id: id.to_owned(),
                reason: reason.to_owned(),
            };
            if let Err(e) = network.request(consumer, request).await {
                tracing::info!(%consumer, "consumer not told of the revocation: {e}");
            }
        }
        Ok(agreement)
    }

    fn terminated_by_provider(&self, peer: PeerId, id: &str, reason: &str) -> Response {
        match self.inner.agreements.get(id) {
            Ok(a) if a.terms.provider == peer.to_string() => {
                let when = now().to_string();
                let _ = self.inner.agreements.update(id, |a| {
                    a.state = AgreementState::Terminated;
                    a.terminated = Some((when.clone(), reason.to_owned()));
                });
                tracing::info!(agreement = %id, "provider terminated the agreement: {reason}");
                Response::Ack {
                    ok: true,
                    reason: String::new(),
                }
            }
            _ => Response::Ack {
                ok: false,
                reason: "no such agreement from you".into(),
            },
        }
    }

    // ---- provider: queries ----

    /// The datasets `peer` may query for `purpose`, and how.
    fn authorise(
        &self,
        peer: &PeerId,
        purpose: Option<&str>,
        agreement_ids: &[String],
        requested: &[String],
        aggregate: bool,
    ) -> Result<Authorisation, String> {
        let iris = self.inner.catalog.iris().clone();
        let definitions = self
            .inner
            .catalog
            .datasets()
            .list()
            .map_err(|e| e.to_string())?;
        if let Some(unknown) = requested
            .iter()
            .find(|r| !definitions.iter().any(|d| &d.id == *r))
        {
            return Err(format!("no dataset `{unknown}` on this node"));
        }
        let mut granted = Authorisation {
            graphs: Vec::new(),
            datasets: Vec::new(),
            agreements: Vec::new(),
            minimum_group: None,
        };
        let mut reasons = Vec::new();
        let now = now();
        for definition in definitions
            .iter()
            .filter(|d| requested.is_empty() || requested.contains(&d.id))
        {
            match self.dataset_rights(
                peer,
                purpose,
                agreement_ids,
                definition,
                aggregate,
                &now,
                &iris,
            ) {
                Ok((agreement, minimum)) => {
                    granted.graphs.extend(
                        definition
                            .graphs
                            .iter()
                            .filter_map(|g| NamedNode::new(g).ok()),
                    );
                    granted.datasets.push(definition.id.clone());
                    granted.agreements.extend(agreement);
                    if let Some(minimum) = minimum {
                        granted.minimum_group =
                            Some(granted.minimum_group.map_or(minimum, |m| m.max(minimum)));
                    }
                }
                Err(reason) => {
                    if !requested.is_empty() {
                        return Err(format!("dataset `{}`: {reason}", definition.id));
                    }
                    reasons.push(format!("`{}`: {reason}", definition.id));
                }
            }
        }
        if granted.datasets.is_empty() {
            return Err(if reasons.is_empty() {
                "this node describes no datasets".into()
            } else {
                format!("no dataset may be used: {}", reasons.join("; "))
            });
        }
        Ok(granted)
    }

    /// Whether `peer` may read one dataset now; the agreement used and the minimum group.
    #[allow(clippy::too_many_arguments)]
    fn dataset_rights(
        &self,
        peer: &PeerId,
        purpose: Option<&str>,
        agreement_ids: &[String],
        definition: &DatasetDefinition,
        aggregate: bool,
        now: &DateTime,
        iris: &crate::catalog::NodeIris,
    ) -> Result<(Option<String>, Option<u64>), String> {
        let target = iris.dataset(&definition.id);
        let request = self.policy_request(peer, &target, purpose);
        let (policy, agreement, mut world) = match definition.access_rights {
            AccessRights::NonPublic => return Err("not shared (non-public)".into()),
            AccessRights::Public => {
                let offer = definition
                    .offer(iris)
                    .map_err(|e| e.to_string())?
                    .ok_or("no usage policy")?;
                (offer, None, WorldState::at(*now))
            }
            AccessRights::Restricted => {
                let mut last = "restricted: present an agreement (hanse access request)".to_owned();
                let mut found = None;
                for id in agreement_ids {
                    let Ok(agreement) = self.inner.agreements.get(id) else {
                        last = format!("agreement `{id}` is unknown here");
                        continue;
                    };
                    if agreement.terms.dataset != definition.id {
                        continue;
                    }
                    if agreement.terms.consumer != peer.to_string() {
                        last = format!("agreement `{id}` was made with another member");
                        continue;
                    }
                    if agreement.state == AgreementState::Terminated {
                        last = format!("agreement `{id}` was revoked");
                        continue;
                    }
                    if agreement.state != AgreementState::Finalized {
                        last = format!("agreement `{id}` is not finalized");
                        continue;
                    }
                    if agreement.expired(now) {
                        last = format!(
                            "agreement `{id}` expired at {}",
                            agreement.terms.valid_until
                        );
                        continue;
                    }
                    if purpose != Some(agreement.terms.purpose.as_str()) {
                        last = format!(
                            "agreement `{id}` covers purpose {}, not {}",
                            agreement.terms.purpose,
                            purpose.unwrap_or("(none)")
                        );
                        continue;
                    }
                    found = Some(agreement);
                    break;
                }
                let agreement = found.ok_or(last)?;
                let policy = hanse_policy::parse_turtle(&agreement.terms.policy)
                    .map_err(|e| format!("agreement policy unreadable: {e}"))?
                    .into_iter()
                    .find(|p| p.kind == PolicyKind::Agreement)
                    .ok_or("agreement holds no odrl:Agreement")?;
                let mut world = WorldState::at(*now);
                world.agreement_start = agreement.terms.issued.parse().ok();
                world.use_count = Some(agreement.uses);
                (policy, Some(agreement.terms.id), world)
            }
        };
        let minimum = minimum_group_size(&policy);
        if let Some(minimum) = minimum {
            if !aggregate {
                return Err(format!(
                    "aggregation-only (groups of at least {minimum}): send a SELECT with GROUP BY and aggregates"
                ));
            }
            // The node suppresses every group under the minimum, so the answer guarantees it.
            world.group_size = Some(minimum);
        }
        let decision = hanse_policy::evaluate(&policy, &request, &world);
        if decision.permitted {
            Ok((agreement, minimum))
        } else {
            Err(decision.reason)
        }
    }

    // ---- consumer ----

    /// Negotiates an agreement with `provider` for `dataset` and `purpose`: request, check
    /// the provider's signature, countersign, and wait for finalization.
    pub async fn request_access(
        &self,
        network: &NetworkClient,
        provider: PeerId,
        dataset: &str,
        purpose: &str,
        valid_for_secs: Option<u64>,
    ) -> Result<Agreement, AccessError> {
        let request = Request::Access {
            dataset: dataset.to_owned(),
            purpose: purpose.to_owned(),
            valid_for_secs,
        };
        let offered = match network
            .request(provider, request)
            .await
            .map_err(|e| AccessError::Network(e.to_string()))?
        {
            Response::Agreement {
                agreement: Some(bytes),
                ..
            } => serde_json::from_slice::<Agreement>(&bytes)
                .map_err(|e| AccessError::Network(format!("malformed agreement: {e}")))?,
            Response::Agreement {
                agreement: None,
                reason,
            } => return Err(AccessError::Denied(reason)),
            Response::Error(e) => return Err(AccessError::Network(e)),
            other => return Err(AccessError::Network(format!("unexpected answer {other:?}"))),
        };
        let me = self.inner.identity.peer_id().to_string();
        if offered.terms.provider != provider.to_string()
            || offered.terms.consumer != me
            || offered.terms.dataset != dataset
            || offered.terms.purpose != purpose
        {
            return Err(AccessError::Network(
                "the agreement offered does not match the request".into(),
            ));
        }
        let mut agreement = offered;
        agreement.countersign(&self.inner.identity)?;
        self.inner.agreements.put(&agreement)?;
        let bytes =
            serde_json::to_vec(&agreement).map_err(|e| AccessError::Network(e.to_string()))?;
        match network
            .request(provider, Request::Countersign { agreement: bytes })
            .await
            .map_err(|e| AccessError::Network(e.to_string()))?
        {
            Response::Ack { ok: true, .. } => {
                let id = agreement.terms.id.clone();
                Ok(self
                    .inner
                    .agreements
                    .update(&id, |a| a.state = AgreementState::Finalized)?)
            }
            Response::Ack { ok: false, reason } => Err(AccessError::Denied(reason)),
            other => Err(AccessError::Network(format!("unexpected answer {other:?}"))),
        }
    }

    /// Whether this node may use a member's dataset for `purpose`, judged from the member's
    /// catalogue before asking: open data by its offer (`offers` are the policies of the
    /// publisher's catalogue), restricted data by a finalized agreement among `agreements`
    /// (those held here, see [`AgreementStore::list`]). Returns the agreement to present, or
    /// why the dataset must not be asked.
    pub fn usable(
        &self,
        dataset: &FederatedDataset,
        purpose: Option<&str>,
        offers: &[Policy],
        agreements: &[Agreement],
    ) -> Result<Option<String>, String> {
        let rights = dataset.access_rights.as_deref().unwrap_or_default();
        let me = self.inner.identity.peer_id();
        let now = now();
        if rights.ends_with("/RESTRICTED") {
            let usable = agreements.iter().find(|a| {
                a.terms.provider == dataset.publisher
                    && a.terms.consumer == me.to_string()
                    && a.terms.dataset == dataset.identifier
                    && a.state == AgreementState::Finalized
                    && !a.expired(&now)
                    && Some(a.terms.purpose.as_str()) == purpose
            });
            let aggregation_only = usable.and_then(|a| {
                hanse_policy::parse_turtle(&a.terms.policy)
                    .ok()?
                    .iter()
                    .find_map(minimum_group_size)
            });
            if let Some(minimum) = aggregation_only {
                return Err(format!(
                    "aggregation-only (groups of at least {minimum}): ask the member with an aggregate query"
                ));
            }
            return match usable {
                Some(agreement) => Ok(Some(agreement.terms.id.clone())),
                None => Err(format!(
                    "restricted: no finalized agreement for purpose {} (request one with `hanse access request`)",
                    purpose.unwrap_or("(none)")
                )),
            };
        }
        if !rights.ends_with("/PUBLIC") {
            return Err("not shared (non-public)".into());
        }
        let offer = dataset
            .policy
            .as_deref()
            .and_then(|uid| offers.iter().find(|p| p.uid == uid))
            .ok_or("no usage policy in the catalogue")?;
        if let Some(minimum) = minimum_group_size(offer) {
            return Err(format!(
                "aggregation-only (groups of at least {minimum}): ask the member with an aggregate query"
            ));
        }
        let request = self.policy_request(&me, &dataset.iri, purpose);
        let decision = hanse_policy::evaluate(offer, &request, &WorldState::at(now));
        if decision.permitted {
            Ok(None)
        } else {
            Err(decision.reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_group_sizes_are_found_in_nested_constraints() {
        let policies = hanse_policy::parse_turtle(
            r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix hanse: <https://w3id.org/hanse#> .
            <urn:p> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <urn:d> ;
              odrl:constraint [ odrl:and ( [ odrl:leftOperand hanse:minimumGroupSize ;
                odrl:operator odrl:gteq ; odrl:rightOperand 10 ] ) ] ] ."#,
        )
        .unwrap();
        assert_eq!(minimum_group_size(&policies[0]), Some(10));
    }
}
