//! The IRIs a node mints for its catalogue: everything under `hanse://<PeerId>/`, and the
//! same paths under the node's public HTTP(S) base URL.
//!
//! The `hanse:` scheme names a resource on the consortium's libp2p network: the authority is
//! the publishing node's PeerId, so an IRI says which member to ask. The node's SPARQL service
//! is `hanse://<PeerId>/sparql`; federated `SERVICE` clauses name members this way. These
//! stay the identifiers in signed catalogues, policies and agreements.
//!
//! Browsers and harvesters cannot open `hanse:` IRIs, so every one of them also has an
//! HTTP(S) name: the same path under `http.public_base_url` (`hanse://<PeerId>/dataset/air`
//! is `https://data.city.example/dataset/air`). The mapping is one-to-one, so either name
//! finds the other; the console dereferences the HTTP names with content negotiation, and
//! the catalogue links them (`foaf:homepage`, `dcat:landingPage`).

use libp2p::PeerId;

/// The IRI space of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIris {
    base: String,
    /// The public HTTP(S) base, ending in `/`, when known.
    public: Option<String>,
}

impl NodeIris {
    /// IRIs of the node `peer`.
    pub fn new(peer: &PeerId) -> Self {
        Self {
            base: format!("hanse://{peer}/"),
            public: None,
        }
    }

    /// The same IRIs, with HTTP(S) names under `public_base` (which ends in `/`).
    pub fn with_public_base(mut self, public_base: &str) -> Self {
        let mut base = public_base.to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        self.public = Some(base);
        self
    }

    /// The public HTTP(S) base URL (the node's home page), when configured.
    pub fn public_base(&self) -> Option<&str> {
        self.public.as_deref()
    }

    /// The HTTP(S) name of one of this node's `hanse:` IRIs (`None` for other IRIs or
    /// without a public base).
    pub fn to_http(&self, iri: &str) -> Option<String> {
        let path = iri.strip_prefix(&self.base)?;
        Some(format!("{}{path}", self.public.as_deref()?))
    }

    /// The `hanse:` IRI an HTTP(S) name of this node stands for.
    pub fn from_http(&self, url: &str) -> Option<String> {
        let path = url.strip_prefix(self.public.as_deref()?)?;
        Some(format!("{}{path}", self.base))
    }

    /// The path of one of this node's `hanse:` IRIs (`dataset/air`).
    pub fn path_of<'a>(&self, iri: &'a str) -> Option<&'a str> {
        iri.strip_prefix(&self.base)
    }

    /// The node's contact point (`vcard:Organization`).
    pub fn contact(&self) -> String {
        format!("{}contact", self.base)
    }

    /// The named graph of the node's KPIs (saved SPARQL queries).
    pub fn kpis(&self) -> String {
        format!("{}kpis", self.base)
    }

    /// The description of the node's SPARQL endpoint (`dcat:endpointDescription`).
    pub fn sparql_description(&self) -> String {
        format!("{}sparql/description", self.base)
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
        assert_eq!(iris.to_http(&iris.dataset("air")), None, "no public base");
    }

    #[test]
    fn http_names_map_one_to_one() {
        let peer = PeerId::random();
        let iris = NodeIris::new(&peer).with_public_base("https://data.city.example");
        let dataset = iris.dataset("air");
        let http = iris.to_http(&dataset).unwrap();
        assert_eq!(http, "https://data.city.example/dataset/air");
        assert_eq!(iris.from_http(&http).as_deref(), Some(dataset.as_str()));
        assert_eq!(
            iris.to_http(&iris.catalog()).as_deref(),
            Some("https://data.city.example/catalog")
        );
        assert_eq!(
            iris.to_http(&NodeIris::new(&PeerId::random()).dataset("air")),
            None
        );
        assert_eq!(
            iris.from_http("https://elsewhere.example/dataset/air"),
            None
        );
        assert_eq!(iris.path_of(&dataset), Some("dataset/air"));
    }
}
