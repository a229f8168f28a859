//! Source selection: which members' datasets can answer a triple pattern, judged from the
//! federated catalogue (VoID class and property partitions, subject authorities) without
//! probing anyone, and which of them this node may use for the stated purpose.

use crate::access::{AccessService, Refusal};
use crate::catalog::stats::MAX_PARTITIONS;
use crate::catalog::{CatalogService, FederatedDataset, signing};
use crate::store::visible::Visible;
use hanse_policy::Policy;
use hanse_vocab::rdf;
use libp2p::PeerId;
use serde::Serialize;
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// What the caller of a federated query may read of this node's own data, as the access
/// service decided it.
#[derive(Debug, Clone)]
pub struct LocalView {
    /// The graphs it may read (for the parts of a query evaluated over the local store).
    pub visible: Visible,
    /// The ids of the datasets it may read in full.
    pub datasets: BTreeSet<String>,
    /// Who it is, for the reasons of datasets left out.
    pub who: String,
    /// The person asking (a local user or OIDC subject), named in members' audit logs.
    pub person: Option<String>,
}

impl Default for LocalView {
    /// Nothing of this node's own data: what a caller gets unless the access service says
    /// more.
    fn default() -> Self {
        Self {
            visible: Visible::Graphs(HashSet::new()),
            datasets: BTreeSet::new(),
            who: "an unnamed caller".into(),
            person: None,
        }
    }
}

/// Where a source is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// This node's own store.
    Local,
    /// A member, over the network.
    Remote(PeerId),
}

/// What the catalogue says about one dataset's content.
#[derive(Debug, Clone)]
pub struct SourceDataset {
    /// The dataset id on its node.
    pub identifier: String,
    /// Classes with instances.
    classes: HashSet<String>,
    /// Predicates used.
    properties: HashSet<String>,
    /// Whether the partitions list every class and predicate (they are capped).
    complete: bool,
    /// Named graphs holding the data.
    graphs: Vec<String>,
    /// Authorities of the IRI subjects; empty when unknown.
    authorities: Vec<String>,
    /// Authorities of the IRI objects other than classes; empty when unknown.
    object_authorities: Vec<String>,
    /// Whether the member answers only aggregates over it (then only a whole aggregate
    /// query that this member alone can answer is sent).
    aggregation_only: bool,
}

impl SourceDataset {
    fn new(
        identifier: &str,
        classes: impl IntoIterator<Item = String>,
        properties: impl IntoIterator<Item = String>,
        graphs: Vec<String>,
        authorities: Vec<String>,
        object_authorities: Vec<String>,
    ) -> Self {
        let classes: HashSet<String> = classes.into_iter().collect();
        let properties: HashSet<String> = properties.into_iter().collect();
        Self {
            identifier: identifier.to_owned(),
            complete: classes.len() < MAX_PARTITIONS && properties.len() < MAX_PARTITIONS,
            classes,
            properties,
            graphs,
            authorities,
            object_authorities,
            aggregation_only: false,
        }
    }

    /// Whether the dataset can hold a triple matching `pattern`.
    fn may_match(&self, pattern: &TriplePattern) -> bool {
        if !self.complete {
            return true;
        }
        if let TermPattern::NamedNode(subject) = &pattern.subject
            && outside(&self.authorities, subject.as_str())
        {
            return false;
        }
        let is_type =
            matches!(&pattern.predicate, NamedNodePattern::NamedNode(p) if p.as_str() == rdf::TYPE);
        if let TermPattern::NamedNode(object) = &pattern.object
            && !is_type
            && outside(&self.object_authorities, object.as_str())
        {
            return false;
        }
        match &pattern.predicate {
            NamedNodePattern::Variable(_) => true,
            NamedNodePattern::NamedNode(p) if p.as_str() == rdf::TYPE => match &pattern.object {
                TermPattern::NamedNode(class) => self.classes.contains(class.as_str()),
                _ => self.properties.contains(p.as_str()),
            },
            NamedNodePattern::NamedNode(p) => self.properties.contains(p.as_str()),
        }
    }
}

/// Whether `iri` lies under none of `authorities`; an empty list says nothing, so `false`.
fn outside(authorities: &[String], iri: &str) -> bool {
    !authorities.is_empty() && !authorities.iter().any(|a| iri.starts_with(a.as_str()))
}

/// One member (or this node) with the datasets the requester may use.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where to evaluate.
    pub location: Location,
    /// The member's PeerId.
    pub member: String,
    /// The member's name.
    pub name: String,
    /// Its usable datasets.
    pub datasets: Vec<SourceDataset>,
    /// Agreements to present.
    pub agreements: Vec<String>,
}

impl Source {
    /// Whether any usable dataset can match `pattern`.
    pub fn may_match(&self, pattern: &TriplePattern) -> bool {
        self.datasets.iter().any(|d| d.may_match(pattern))
    }

    /// Ids of the datasets that can match at least one of `patterns`.
    pub fn datasets_for(&self, patterns: &[TriplePattern]) -> Vec<String> {
        self.datasets
            .iter()
            .filter(|d| patterns.iter().any(|p| d.may_match(p)))
            .map(|d| d.identifier.clone())
            .collect()
    }

    /// Ids of all its usable datasets.
    pub fn dataset_ids(&self) -> Vec<String> {
        self.datasets.iter().map(|d| d.identifier.clone()).collect()
    }

    /// Whether one of its datasets holds named graph `graph`.
    pub fn holds_graph(&self, graph: &str) -> bool {
        self.datasets
            .iter()
            .any(|d| d.graphs.iter().any(|g| g == graph))
    }

    /// The authorities of its IRI subjects, if every dataset lists them.
    pub fn authorities(&self) -> Option<HashSet<&str>> {
        let mut all = HashSet::new();
        for dataset in &self.datasets {
            if dataset.authorities.is_empty() {
                return None;
            }
            all.extend(dataset.authorities.iter().map(String::as_str));
        }
        Some(all)
    }

    /// The named graphs of its datasets.
    pub fn graphs(&self) -> Vec<String> {
        self.datasets
            .iter()
            .flat_map(|d| d.graphs.iter().cloned())
            .collect()
    }
}

/// A dataset that was not asked, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The member's PeerId.
    pub member: String,
    /// The member's name.
    pub name: String,
    /// The dataset id.
    pub dataset: String,
    /// Why it was not asked.
    pub reason: Refusal,
    /// What its catalogue entry says it holds; `None` when unknown (then it may hold anything).
    pub shape: Option<SourceDataset>,
    /// Whether it could have contributed to the query's answer (its classes and predicates
    /// meet a triple pattern of the query): then the answer is partial without it.
    pub relevant: bool,
}

impl Skipped {
    /// Whether the dataset may hold a triple matching one of `patterns`.
    pub fn may_match_any(&self, patterns: &[TriplePattern]) -> bool {
        self.shape
            .as_ref()
            .is_none_or(|shape| patterns.iter().any(|p| shape.may_match(p)))
    }
}

/// As federated answers report it: the reason in words and as a code.
impl Serialize for Skipped {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Skipped", 6)?;
        out.serialize_field("member", &self.member)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("dataset", &self.dataset)?;
        out.serialize_field("reason", &self.reason.to_string())?;
        out.serialize_field("code", self.reason.code())?;
        out.serialize_field("affects_answer", &self.relevant)?;
        out.end()
    }
}

/// The sources of one federated query.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Members (and this node) with usable datasets.
    pub list: Vec<Source>,
    /// Datasets left out.
    pub skipped: Vec<Skipped>,
}

impl Sources {
    /// Whether a member's dataset answers only aggregates.
    pub fn has_aggregation_only(&self) -> bool {
        self.list
            .iter()
            .any(|s| s.datasets.iter().any(|d| d.aggregation_only))
    }

    /// The sources without aggregation-only datasets, which are reported as skipped: they
    /// answer only a whole aggregate query, never the parts of a federated one.
    pub fn without_aggregation_only(&self) -> Sources {
        let mut sources = Sources {
            list: Vec::new(),
            skipped: self.skipped.clone(),
        };
        for source in &self.list {
            let mut kept = source.clone();
            kept.datasets.retain(|d| !d.aggregation_only);
            for dataset in source.datasets.iter().filter(|d| d.aggregation_only) {
                sources.skipped.push(Skipped {
                    member: source.member.clone(),
                    name: source.name.clone(),
                    dataset: dataset.identifier.clone(),
                    reason: Refusal::AggregationOnly,
                    shape: Some(dataset.clone()),
                    relevant: true,
                });
            }
            if !kept.datasets.is_empty() {
                sources.list.push(kept);
            }
        }
        sources
    }
}

/// The offers of one member's catalogue, with the catalogue version they came from.
type VersionedOffers = (u64, Arc<Vec<Policy>>);

/// Members' offers, parsed once per catalogue version.
#[derive(Default)]
pub struct OfferCache(Mutex<HashMap<PeerId, VersionedOffers>>);

impl OfferCache {
    fn offers(&self, catalog: &CatalogService, publisher: &PeerId) -> Arc<Vec<Policy>> {
        let version = catalog.federated().version_of(publisher).unwrap_or(0);
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((held, offers)) = cache.get(publisher)
            && *held == version
        {
            return Arc::clone(offers);
        }
        let offers = catalog
            .federated()
            .signed_nquads(publisher)
            .and_then(|nquads| signing::parse(nquads.as_bytes(), usize::MAX).ok())
            .map(|parsed| hanse_policy::from_graph(&parsed.catalog.document))
            .unwrap_or_default();
        let offers = Arc::new(offers);
        cache.insert(*publisher, (version, Arc::clone(&offers)));
        offers
    }
}

impl Sources {
    /// The members' datasets (from the federated catalogue) this node may use for `purpose`,
    /// plus those of this node's own datasets that `local` says the caller may read.
    pub fn gather(
        catalog: &CatalogService,
        access: &AccessService,
        offers: &OfferCache,
        purpose: Option<&str>,
        local: &LocalView,
    ) -> Self {
        let mut sources = Sources::default();
        let (own, unreadable) = own_source(catalog, local);
        let me = own.member.clone();
        sources.skipped.extend(unreadable);
        if !own.datasets.is_empty() {
            sources.list.push(own);
        }
        // Read once: every restricted dataset is checked against the same agreements.
        let agreements = access.agreements().list().unwrap_or_else(|e| {
            tracing::warn!("cannot read agreements: restricted datasets are skipped: {e}");
            Vec::new()
        });
        let mut by_member: Vec<(PeerId, Vec<FederatedDataset>)> = Vec::new();
        for dataset in catalog.federated().datasets(&Default::default()) {
            if dataset.publisher == me {
                continue;
            }
            let Ok(peer) = dataset.publisher.parse::<PeerId>() else {
                continue;
            };
            match by_member.iter_mut().find(|(p, _)| *p == peer) {
                Some((_, list)) => list.push(dataset),
                None => by_member.push((peer, vec![dataset])),
            }
        }
        for (peer, datasets) in by_member {
            let offers = offers.offers(catalog, &peer);
            let mut source = Source {
                location: Location::Remote(peer),
                member: peer.to_string(),
                name: datasets[0].publisher_name.clone(),
                datasets: Vec::new(),
                agreements: Vec::new(),
            };
            for dataset in datasets {
                let usable = access.usable(&dataset, purpose, &offers, &agreements);
                let mut shape = SourceDataset::new(
                    &dataset.identifier,
                    dataset.classes,
                    dataset.properties,
                    dataset.graphs,
                    dataset.subject_authorities,
                    dataset.object_authorities,
                );
                match usable {
                    Ok(usable) => {
                        source.agreements.extend(usable.agreement);
                        shape.aggregation_only = usable.aggregation_only;
                        source.datasets.push(shape);
                    }
                    Err(reason) => sources.skipped.push(Skipped {
                        member: source.member.clone(),
                        name: source.name.clone(),
                        dataset: dataset.identifier,
                        reason,
                        shape: Some(shape),
                        relevant: true,
                    }),
                }
            }
            if !source.datasets.is_empty() {
                sources.list.push(source);
            }
        }
        sources
    }
}

/// This node's own datasets the caller may read, and the others as skipped.
fn own_source(catalog: &CatalogService, local: &LocalView) -> (Source, Vec<Skipped>) {
    let me = catalog.peer_id().to_string();
    let name = catalog.organisation().to_owned();
    let (readable, unreadable): (Vec<_>, Vec<_>) = catalog
        .datasets()
        .list()
        .unwrap_or_default()
        .into_iter()
        .partition(|d| local.datasets.contains(&d.id));
    let shape = |definition: &crate::catalog::DatasetDefinition| {
        let stats = catalog.statistics(&definition.id).unwrap_or_default();
        SourceDataset::new(
            &definition.id,
            stats.classes.into_keys(),
            stats.properties.into_keys(),
            definition.graphs.clone(),
            stats.subject_authorities,
            stats.object_authorities,
        )
    };
    let skipped = unreadable
        .iter()
        .map(|definition| Skipped {
            member: me.clone(),
            name: name.clone(),
            dataset: definition.id.clone(),
            reason: Refusal::NotReadable {
                who: local.who.clone(),
            },
            shape: Some(shape(definition)),
            relevant: true,
        })
        .collect();
    let datasets = readable.iter().map(shape).collect();
    let source = Source {
        location: Location::Local,
        name,
        member: me,
        datasets,
        agreements: Vec::new(),
    };
    (source, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::term::{NamedNode, Variable};

    fn pattern(s: TermPattern, p: &str, o: TermPattern) -> TriplePattern {
        TriplePattern {
            subject: s,
            predicate: NamedNode::new_unchecked(p).into(),
            object: o,
        }
    }

    #[test]
    fn datasets_match_by_predicate_class_and_subject_authority() {
        let dataset = SourceDataset::new(
            "air",
            ["https://e/Air".to_owned()],
            [rdf::TYPE.to_owned(), "https://e/no2".to_owned()],
            vec!["https://city/g".into()],
            vec!["https://city/".into()],
            vec!["https://city/".into(), "https://e/".into()],
        );
        let v = |n: &str| TermPattern::Variable(Variable::new_unchecked(n));
        let c = |i: &str| TermPattern::NamedNode(NamedNode::new_unchecked(i));
        assert!(dataset.may_match(&pattern(v("s"), "https://e/no2", v("o"))));
        assert!(!dataset.may_match(&pattern(v("s"), "https://e/pm10", v("o"))));
        assert!(dataset.may_match(&pattern(v("s"), rdf::TYPE, c("https://e/Air"))));
        assert!(!dataset.may_match(&pattern(v("s"), rdf::TYPE, c("https://e/Water"))));
        assert!(dataset.may_match(&pattern(v("s"), rdf::TYPE, v("c"))));
        assert!(dataset.may_match(&pattern(c("https://city/s1"), "https://e/no2", v("o"))));
        assert!(!dataset.may_match(&pattern(c("https://town/s1"), "https://e/no2", v("o"))));
        assert!(dataset.may_match(&pattern(v("s"), "https://e/no2", c("https://city/x"))));
        assert!(!dataset.may_match(&pattern(v("s"), "https://e/no2", c("https://town/x"))));
    }
}
