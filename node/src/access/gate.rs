//! The one decision for every front end: which of this node's graphs and datasets a caller
//! may read, and what else it may do. HTTP (SPARQL, Graph Store, NGSI-LD, OGC, the
//! console, the catalogue, ingest) and every front end to come ask here; none decides
//! visibility itself. Members' remote queries are judged by their agreements (`rights`).
//!
//! | caller | reads | may also |
//! |---|---|---|
//! | visitor | public datasets whose offer lets anyone read, without privacy terms | — |
//! | person | the same, plus the datasets their `reader` roles name (`reader`: everything) | what their roles say |
//! | operator | everything | everything |
//! | sensor source | the public datasets and its own graph | write its own graph, push its own messages |

use super::privacy_terms;
use super::service::{AccessService, Audited, now};
use super::visibility::{Computed, Rights, Visible};
use crate::audit::AuditDecision;
use crate::catalog::{AccessRights, DatasetDefinition, FederatedDataset};
use crate::trust::caller::Caller;
use hanse_policy::{Request as PolicyRequest, WorldState};
use hanse_vocab::odrl;
use oxigraph::model::NamedNode;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the set of public graphs is reused: offers may depend on the time of day, and
/// a definition changed in this process invalidates it at once.
const PUBLIC_GRAPHS_TTL: Duration = Duration::from_secs(1);

/// What a caller asks to do besides reading this node's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Write data: SPARQL Update, Graph Store and NGSI-LD writes, KPIs.
    Write,
    /// Push sensor messages for a source.
    Ingest(&'a str),
    /// Act with this node's identity in the consortium under its agreements, for a purpose
    /// (a DPV IRI) or none: federated queries, `SERVICE`, queries to one member, previews
    /// of members' datasets, KPI comparisons.
    UseAgreements(Option<&'a str>),
    /// See the node's agreements.
    SeeAgreements,
    /// See how the node runs: connected peers, ingest counters.
    Observe,
    /// Operate the node: datasets, agreements, the consortium, the network, the audit log,
    /// dead letters, users.
    Operate,
}

impl Action<'_> {
    /// What the action is, for messages.
    fn describe(&self) -> String {
        match self {
            Action::Write => "write data".into(),
            Action::Ingest(source) => format!("push sensor messages for source `{source}`"),
            Action::UseAgreements(Some(purpose)) => format!(
                "act with this node's identity and agreements in the consortium for purpose {purpose}"
            ),
            Action::UseAgreements(None) => {
                "act with this node's identity and agreements in the consortium".into()
            }
            Action::SeeAgreements => "see this node's agreements".into(),
            Action::Observe => "see how this node runs".into(),
            Action::Operate => "operate this node".into(),
        }
    }

    /// The role that allows the action.
    fn needs(&self) -> String {
        match self {
            Action::Write => "editor".into(),
            Action::Ingest(source) => format!("ingest:{source}"),
            Action::UseAgreements(Some(purpose)) => {
                match purpose.strip_prefix(hanse_vocab::dpv::NS) {
                    Some(local) => format!("researcher:dpv:{local}"),
                    None => format!("researcher:{purpose}"),
                }
            }
            Action::UseAgreements(None) | Action::SeeAgreements => "researcher".into(),
            Action::Observe => "any".into(),
            Action::Operate => "operator".into(),
        }
    }
}

/// Why a caller may not do or see something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denial {
    /// The caller showed no credentials and the action needs them (HTTP 401).
    #[error(
        "to {action} you must sign in: send `Authorization: Bearer <token>` with a personal token (`hanse user add`), an OIDC access token or the node's admin.token"
    )]
    SignIn {
        /// What was asked.
        action: String,
    },
    /// The caller lacks the role (HTTP 403).
    #[error("{who} may not {action}: that needs the `{needs}` role")]
    Role {
        /// Who asked.
        who: String,
        /// What was asked.
        action: String,
        /// The role that would allow it (`any` for any role at all).
        needs: String,
    },
    /// What was asked is not visible to the caller, answered as if absent (HTTP 404).
    #[error("{0}")]
    Hidden(String),
}

impl AccessService {
    /// Whether `caller` may do `action`.
    pub fn permit(&self, caller: &Caller, action: Action<'_>) -> Result<(), Denial> {
        let roles = caller.roles();
        let allowed = match action {
            Action::Write => roles.edits(),
            Action::Ingest(source) => match caller {
                Caller::Source { name, .. } => name == source,
                _ => roles.ingests(source),
            },
            Action::UseAgreements(purpose) => roles.researches_for(purpose),
            Action::SeeAgreements => roles.researches(),
            Action::Observe => caller.person().is_some() || matches!(caller, Caller::Source { .. }),
            Action::Operate => roles.operates(),
        };
        let outcome = if allowed {
            Ok(())
        } else if caller.is_visitor() {
            Err(Denial::SignIn {
                action: action.describe(),
            })
        } else {
            Err(Denial::Role {
                who: caller.to_string(),
                action: action.describe(),
                needs: action.needs(),
            })
        };
        self.audit_person(caller, action, &outcome);
        outcome
    }

    /// Records a person's use of this node's agreements, allowed or not, and every role a
    /// person lacked: the audit log names who acted with the node's identity. Visitors'
    /// refusals and persons' everyday reads are not recorded (they would drown the rest).
    fn audit_person(&self, caller: &Caller, action: Action<'_>, outcome: &Result<(), Denial>) {
        let Some(person) = caller.person_label() else {
            return;
        };
        let purpose = match action {
            Action::UseAgreements(purpose) => purpose,
            _ if outcome.is_err() => None,
            _ => return,
        };
        let (decision, reason) = match outcome {
            Ok(()) => (
                AuditDecision::Allow,
                format!("{person} may {}", action.describe()),
            ),
            Err(denial) => (AuditDecision::Deny, denial.to_string()),
        };
        let me = self.inner.identity.peer_id();
        self.audit(
            Audited {
                peer: &me,
                dataset: "",
                purpose,
                agreement: None,
                query: "",
                person: Some(&person),
            },
            decision,
            &reason,
            None,
        );
    }

    /// What `caller` may read and write among this node's graphs.
    pub fn rights(&self, caller: &Caller) -> Rights {
        let who = caller.to_string();
        let anonymous = caller.is_visitor();
        match caller {
            Caller::Person(person) if person.roles.operates() => Rights {
                read: Visible::All,
                write: Visible::All,
                who,
                anonymous,
            },
            Caller::Person(person) => {
                let read = if person.roles.reads_everything() {
                    Visible::All
                } else {
                    let mut graphs = (*self.public_graphs()).clone();
                    for definition in self.definitions() {
                        if person.roles.reads(&definition.id) {
                            graphs.extend(graph_nodes(&definition));
                        }
                    }
                    Visible::Graphs(graphs)
                };
                let write = if person.roles.edits() {
                    Visible::All
                } else {
                    Visible::Graphs(HashSet::new())
                };
                Rights {
                    read,
                    write,
                    who,
                    anonymous,
                }
            }
            Caller::Source { graph, .. } => {
                let own: HashSet<NamedNode> = NamedNode::new(graph).ok().into_iter().collect();
                let mut read = (*self.public_graphs()).clone();
                read.extend(own.iter().cloned());
                Rights {
                    read: Visible::Graphs(read),
                    write: Visible::Graphs(own),
                    who,
                    anonymous,
                }
            }
            Caller::Visitor | Caller::Member(_) => Rights {
                read: Visible::Graphs((*self.public_graphs()).clone()),
                write: Visible::Graphs(HashSet::new()),
                who,
                anonymous,
            },
        }
    }

    /// Whether `caller` sees one of this node's dataset definitions at all: non-public ones
    /// only for people who read them.
    pub fn sees_definition(&self, caller: &Caller, definition: &DatasetDefinition) -> bool {
        definition.access_rights != AccessRights::NonPublic || caller.roles().reads(&definition.id)
    }

    /// Whether `caller` sees an entry of the federated catalogue: non-public ones (only
    /// this node's own can be) only for people who read them.
    pub fn sees_entry(&self, caller: &Caller, dataset: &FederatedDataset) -> bool {
        dataset.rights() != AccessRights::NonPublic || caller.roles().reads(&dataset.identifier)
    }

    /// The datasets `caller` may read in full here (their ids).
    pub fn readable_datasets(&self, caller: &Caller) -> BTreeSet<String> {
        let rights = self.rights(caller);
        self.definitions()
            .into_iter()
            .filter(|d| {
                let graphs = graph_nodes(d);
                !graphs.is_empty() && graphs.iter().all(|g| rights.read.sees(g.as_ref().into()))
            })
            .map(|d| d.id)
            .collect()
    }

    fn definitions(&self) -> Vec<DatasetDefinition> {
        match self.inner.catalog.datasets().list() {
            Ok(list) => list,
            Err(e) => {
                // Fails closed: no definitions, nothing beyond what operators see.
                tracing::error!("cannot read the dataset definitions: {e}");
                Vec::new()
            }
        }
    }

    /// The graphs of public datasets whose offer lets anyone read now and sets no privacy
    /// terms (aggregation-only data is never shown raw).
    fn public_graphs(&self) -> Arc<HashSet<NamedNode>> {
        let generation = self.inner.catalog.datasets().generation();
        let mut cached = self
            .inner
            .public_graphs
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = cached.as_ref()
            && held.generation == generation
            && held.at.elapsed() < PUBLIC_GRAPHS_TTL
        {
            return Arc::clone(&held.graphs);
        }
        let graphs = Arc::new(self.compute_public_graphs());
        *cached = Some(Computed {
            generation,
            at: Instant::now(),
            graphs: Arc::clone(&graphs),
        });
        graphs
    }

    fn compute_public_graphs(&self) -> HashSet<NamedNode> {
        let iris = self.inner.catalog.iris().clone();
        let now = now();
        let mut graphs = HashSet::new();
        for definition in self.definitions() {
            if definition.access_rights != AccessRights::Public {
                continue;
            }
            let Ok(Some(offer)) = definition.offer(&iris) else {
                continue;
            };
            if !matches!(privacy_terms::read(&offer), Ok(None)) {
                continue;
            }
            let request = PolicyRequest {
                assignee: None,
                action: odrl::READ.to_owned(),
                target: Some(iris.dataset(&definition.id)),
                purpose: None,
                recipient: BTreeSet::new(),
                spatial: None,
            };
            if hanse_policy::evaluate(&offer, &request, &WorldState::at(now)).permitted {
                graphs.extend(graph_nodes(&definition));
            }
        }
        graphs
    }
}

fn graph_nodes(definition: &DatasetDefinition) -> Vec<NamedNode> {
    definition
        .graphs
        .iter()
        .filter_map(|g| NamedNode::new(g).ok())
        .collect()
}
