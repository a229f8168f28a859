//! The IRIs a node mints for its catalogue: everything under `hanse://<PeerId>/`.
//!
//! The `hanse:` scheme names a resource on the consortium's libp2p network: the authority is
//! the publishing node's PeerId, so an IRI says which member to ask. The node's SPARQL service
//! is `hanse://<PeerId>/sparql`; federated `SERVICE` clauses name members this way.

use libp2p::PeerId;

/// The IRI space of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIris {
    base: String,
}

impl NodeIris {
    /// IRIs of the node `peer`.
    pub fn new(peer: &PeerId) -> Self {
        Self {
            base: format!("hanse://{peer}/"),
        }
    }

    /// The node's catalogue (`dcat:Catalog`); also the named graph that holds it in
    /// every member's federated catalogue.
    pub fn catalog(&self) -> String {
        format!("{}catalog", self.base)
    }

    /// The publishing organisation (`foaf:Agent`).
    pub fn publisher(&self) -> String {
        format!("{}publisher", self.base)
    }

    /// The node's SPARQL service (`dcat:DataService` and its endpoint URL).
    pub fn sparql_service(&self) -> String {
        format!("{}sparql", self.base)
    }

    /// A dataset; also the base IRI its policy is read against (`<>` is the dataset).
    pub fn dataset(&self, id: &str) -> String {
        format!("{}dataset/{id}", self.base)
    }

    /// A resource that belongs to a dataset, e.g. `distribution` or `contact`.
    pub fn dataset_part(&self, id: &str, part: &str) -> String {
        format!("{}dataset/{id}/{part}", self.base)
    }
}

/// The PeerId named by a `hanse://<PeerId>/…` IRI.
pub fn peer_of(iri: &str) -> Option<PeerId> {
    let rest = iri.strip_prefix("hanse://")?;
    let authority = rest.split('/').next()?;
    authority.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_name_their_node() {
        let peer = PeerId::random();
        let iris = NodeIris::new(&peer);
        assert_eq!(iris.sparql_service(), format!("hanse://{peer}/sparql"));
        assert_eq!(peer_of(&iris.dataset("air")), Some(peer));
        assert!(oxigraph::model::NamedNode::new(iris.dataset_part("air", "distribution")).is_ok());
        assert_eq!(peer_of("https://example.org/x"), None);
        assert_eq!(peer_of("hanse://not-a-peer/x"), None);
    }
}
