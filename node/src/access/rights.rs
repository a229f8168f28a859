//! Who may read what: the datasets a requester may query now (open by their offer,
//! restricted by a finalized agreement for the stated purpose), judged on the provider; and
//! on the consumer, which members' datasets are worth asking at all.

use super::agreement::{Agreement, AgreementState};
use super::privacy_terms::{self, PrivacyTerms};
use super::refusal::Refusal;
use super::service::{AccessService, now};
use crate::catalog::{AccessRights, DatasetDefinition, FederatedDataset, NodeIris};
use hanse_policy::{DateTime, Policy, PolicyKind, WorldState};
use libp2p::PeerId;
use oxigraph::model::NamedNode;

/// What a remote query may see.
pub(super) struct Authorisation {
    pub(super) graphs: Vec<NamedNode>,
    pub(super) datasets: Vec<String>,
    pub(super) agreements: Vec<String>,
    /// The aggregation-only terms that apply, if any dataset is aggregation-only.
    pub(super) privacy: Option<Governed>,
}

/// Aggregation-only terms, and the agreement a differentially private answer is charged to.
pub(super) struct Governed {
    pub(super) terms: PrivacyTerms,
    pub(super) agreement: Option<String>,
}

/// Whether a member's dataset may be asked, as the consumer judges it before asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usable {
    /// The agreement to present, for restricted data.
    pub agreement: Option<String>,
    /// Whether only aggregate queries are answered (`hanse:minimumGroupSize`).
    pub aggregation_only: bool,
}

/// Several aggregation-only datasets in one query: the strictest terms, or why they cannot
/// be combined.
fn combine(a: Governed, b: Governed) -> Result<Governed, String> {
    if a.terms.noise.is_some() || b.terms.noise.is_some() {
        return Err("query one differentially private dataset at a time (name it in `datasets`): each charges its own agreement's budget".into());
    }
    if a.terms.unit != b.terms.unit {
        return Err(format!(
            "the datasets count individuals differently (<{}> and <{}>): query them one at a time",
            a.terms.unit, b.terms.unit
        ));
    }
    let mut terms = a.terms;
    terms.minimum_group = terms.minimum_group.max(b.terms.minimum_group);
    terms.permitted.retain(|e| b.terms.permitted.contains(e));
    Ok(Governed {
        terms,
        agreement: None,
    })
}

impl AccessService {
    /// The datasets `peer` may query for `purpose`, and how.
    pub(super) fn authorise(
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
            privacy: None,
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
                Ok((agreement, terms)) => {
                    granted.graphs.extend(
                        definition
                            .graphs
                            .iter()
                            .filter_map(|g| NamedNode::new(g).ok()),
                    );
                    granted.datasets.push(definition.id.clone());
                    if let Some(terms) = terms {
                        let governed = Governed {
                            terms,
                            agreement: agreement.clone(),
                        };
                        granted.privacy = Some(match granted.privacy.take() {
                            None => governed,
                            Some(before) => combine(before, governed)?,
                        });
                    }
                    granted.agreements.extend(agreement);
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

    /// Whether `peer` may read one dataset now; the agreement used and the dataset's
    /// aggregation-only terms.
    #[allow(clippy::too_many_arguments)]
    fn dataset_rights(
        &self,
        peer: &PeerId,
        purpose: Option<&str>,
        agreement_ids: &[String],
        definition: &DatasetDefinition,
        aggregate: bool,
        now: &DateTime,
        iris: &NodeIris,
    ) -> Result<(Option<String>, Option<PrivacyTerms>), String> {
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
                (policy, Some(agreement), world)
            }
        };
        let terms = privacy_terms::read(&policy)?;
        if let Some(terms) = &terms {
            if !aggregate {
                return Err(format!(
                    "aggregation-only (groups of at least {} individuals): send a SELECT with GROUP BY and COUNT, SUM or AVG",
                    terms.minimum_group
                ));
            }
            if terms.noise.is_some() && agreement.is_none() {
                return Err("differential privacy is charged to an agreement's budget, and this dataset is open: the provider must make it restricted".into());
            }
            // The node withholds every group under the minimum, adds the noise and charges
            // the budget (see `aggregation`), so the answer guarantees what the terms say.
            let spent = match (&agreement, &terms.noise) {
                (Some(agreement), Some(noise)) => {
                    let account = self
                        .budget_account(agreement, noise)
                        .map_err(|e| e.to_string())?;
                    self.inner
                        .agreements
                        .ledger()
                        .spent(&account)
                        .map_err(|e| e.to_string())?
                }
                _ => 0,
            };
            terms.apply(&mut world, spent);
        }
        let decision = hanse_policy::evaluate(&policy, &request, &world);
        if decision.permitted {
            Ok((agreement.map(|a| a.terms.id), terms))
        } else {
            Err(decision.reason)
        }
    }

    /// Whether this node may use a member's dataset for `purpose`, judged from the member's
    /// catalogue before asking: open data by its offer (`offers` are the policies of the
    /// publisher's catalogue), restricted data by a finalized agreement among `agreements`
    /// (those held here, see [`AgreementStore::list`]). Returns the agreement to present and
    /// whether only aggregates are answered, or why the dataset must not be asked.
    ///
    /// [`AgreementStore::list`]: super::AgreementStore::list
    pub fn usable(
        &self,
        dataset: &FederatedDataset,
        purpose: Option<&str>,
        offers: &[Policy],
        agreements: &[Agreement],
    ) -> Result<Usable, Refusal> {
        let me = self.inner.identity.peer_id();
        let now = now();
        match dataset.rights() {
            AccessRights::Restricted => {
                let usable = agreements.iter().find(|a| {
                    a.terms.provider == dataset.publisher
                        && a.terms.consumer == me.to_string()
                        && a.terms.dataset == dataset.identifier
                        && a.state == AgreementState::Finalized
                        && !a.expired(&now)
                        && Some(a.terms.purpose.as_str()) == purpose
                });
                return match usable {
                    Some(agreement) => Ok(Usable {
                        agreement: Some(agreement.terms.id.clone()),
                        aggregation_only: aggregation_only(&agreement.terms.policy),
                    }),
                    None => Err(Refusal::NeedsAgreement {
                        purpose: purpose.map(str::to_owned),
                    }),
                };
            }
            AccessRights::NonPublic => return Err(Refusal::NotShared),
            AccessRights::Public => {}
        }
        let offer = dataset
            .policy
            .as_deref()
            .and_then(|uid| offers.iter().find(|p| p.uid == uid))
            .ok_or(Refusal::NoPolicy)?;
        let terms = privacy_terms::read(offer).map_err(Refusal::PolicyUnusable)?;
        let request = self.policy_request(&me, &dataset.iri, purpose);
        let mut world = WorldState::at(now);
        if let Some(terms) = &terms {
            terms.apply(&mut world, 0);
        }
        let decision = hanse_policy::evaluate(offer, &request, &world);
        if decision.permitted {
            Ok(Usable {
                agreement: None,
                aggregation_only: terms.is_some(),
            })
        } else {
            Err(Refusal::PolicyDenies(decision.reason))
        }
    }
}

/// Whether an agreement's policy (Turtle) makes its dataset aggregation-only; an unreadable
/// policy counts as aggregation-only (the provider decides, the consumer only sends whole
/// aggregate queries then).
fn aggregation_only(policy: &str) -> bool {
    hanse_policy::parse_turtle(policy).map_or(true, |policies| {
        policies
            .iter()
            .any(|p| !matches!(privacy_terms::read(p), Ok(None)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreements_with_privacy_terms_are_aggregation_only() {
        let policy = |constraint: &str| {
            format!(
                r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix hanse: <https://w3id.org/hanse#> .
                <urn:p> a odrl:Agreement ; odrl:permission [ odrl:action odrl:use ; odrl:target <urn:d> ;
                  odrl:constraint [ odrl:and ( {constraint} ) ] ] ."#
            )
        };
        assert!(aggregation_only(&policy(
            "[ odrl:leftOperand hanse:minimumGroupSize ; odrl:operator odrl:gteq ; odrl:rightOperand 10 ]"
        )));
        assert!(!aggregation_only(&policy(
            "[ odrl:leftOperand odrl:count ; odrl:operator odrl:lt ; odrl:rightOperand 10 ]"
        )));
        assert!(aggregation_only("not turtle"));
    }
}
