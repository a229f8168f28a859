//! Who may read what: the datasets a requester may query now (open by their offer,
//! restricted by a finalized agreement for the stated purpose), judged on the provider; and
//! on the consumer, which members' datasets are worth asking at all.

use super::agreement::{Agreement, AgreementState};
use super::service::{AccessService, now};
use crate::catalog::{AccessRights, DatasetDefinition, FederatedDataset, NodeIris};
use hanse_policy::{ConstraintNode, DateTime, Policy, PolicyKind, Value, WorldState};
use hanse_vocab::hanse;
use libp2p::PeerId;
use oxigraph::model::NamedNode;

/// What a remote query may see.
pub(super) struct Authorisation {
    pub(super) graphs: Vec<NamedNode>,
    pub(super) datasets: Vec<String>,
    pub(super) agreements: Vec<String>,
    /// The largest minimum group size among the datasets, if any is aggregation-only.
    pub(super) minimum_group: Option<u64>,
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
        iris: &NodeIris,
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
