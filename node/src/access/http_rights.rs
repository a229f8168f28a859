//! What an HTTP caller of the NGSI-LD and OGC API front ends may read and write: the same
//! dataset rules as remote queries (public datasets by their offer, restricted and
//! non-public ones never without rights), decided here once for every front end.

use super::service::{AccessService, now};
use super::visibility::{Rights, Visible};
use crate::catalog::AccessRights;
use hanse_policy::{Request as PolicyRequest, WorldState};
use hanse_vocab::odrl;
use oxigraph::model::NamedNode;
use std::collections::{BTreeSet, HashSet};

/// Who an HTTP caller is.
#[derive(Debug, Clone)]
pub enum HttpCaller {
    /// Showed the admin token (or came over loopback where `ngsi_ld.open_loopback` is set).
    Operator,
    /// Showed an ingest source's token: writes that source's graph.
    Source {
        /// The source's name.
        name: String,
        /// The graph it writes.
        graph: String,
    },
    /// No token.
    Anonymous,
}

impl AccessService {
    /// The graphs of public datasets whose offer permits an anonymous read now.
    fn public_graphs(&self) -> HashSet<NamedNode> {
        let iris = self.inner.catalog.iris().clone();
        let Ok(definitions) = self.inner.catalog.datasets().list() else {
            return HashSet::new();
        };
        let now = now();
        let mut graphs = HashSet::new();
        for definition in definitions {
            if definition.access_rights != AccessRights::Public {
                continue;
            }
            let Ok(Some(offer)) = definition.offer(&iris) else {
                continue;
            };
            let request = PolicyRequest {
                assignee: None,
                action: odrl::READ.to_owned(),
                target: Some(iris.dataset(&definition.id)),
                purpose: None,
                recipient: BTreeSet::new(),
                spatial: None,
            };
            if hanse_policy::evaluate(&offer, &request, &WorldState::at(now)).permitted {
                graphs.extend(
                    definition
                        .graphs
                        .iter()
                        .filter_map(|g| NamedNode::new(g).ok()),
                );
            }
        }
        graphs
    }

    /// The rights of an HTTP caller on the node's data.
    pub fn http_rights(&self, caller: &HttpCaller) -> Rights {
        match caller {
            HttpCaller::Operator => Rights::operator(),
            HttpCaller::Source { name, graph } => {
                let mut read = self.public_graphs();
                let own: HashSet<NamedNode> = NamedNode::new(graph).ok().into_iter().collect();
                read.extend(own.iter().cloned());
                Rights {
                    read: Visible::Graphs(read),
                    write: Visible::Graphs(own),
                    who: format!("source {name}"),
                }
            }
            HttpCaller::Anonymous => Rights {
                read: Visible::Graphs(self.public_graphs()),
                write: Visible::Graphs(HashSet::new()),
                who: "anonymous (no token)".into(),
            },
        }
    }
}
