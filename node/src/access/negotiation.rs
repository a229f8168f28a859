//! Negotiating agreements: the provider offers a signed agreement when its offer permits the
//! request, the consumer countersigns, the provider finalizes; either side learns of a
//! revocation.

use super::agreement::{Agreement, AgreementError, AgreementState, AgreementTerms, new_id};
use super::service::{AccessError, AccessService, Audited, now};
use crate::audit::AuditDecision;
use crate::catalog::AccessRights;
use crate::p2p::{NetworkClient, Request, Response};
use hanse_policy::{PolicyKind, WorldState};
use libp2p::PeerId;

impl AccessService {
    // ---- provider ----

    #[tracing::instrument(skip(self), fields(%peer))]
    pub(super) fn negotiate(
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
                    person: None,
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
        // Aggregation terms are enforced per query (small groups withheld, noise added, the
        // budget charged), so what the offer asks for can be met; terms the node cannot
        // apply make no agreement.
        match super::privacy_terms::read(&offer) {
            Ok(Some(terms)) => terms.apply(&mut world, 0),
            Ok(None) => {}
            Err(reason) => {
                return deny(format!(
                    "the offer of `{dataset}` cannot be applied: {reason}"
                ));
            }
        }
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
                person: None,
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
    pub(super) fn finalize(&self, peer: PeerId, bytes: &[u8]) -> Response {
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

    pub(super) fn terminated_by_provider(&self, peer: PeerId, id: &str, reason: &str) -> Response {
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
}
