//! The federated catalogue: every member's latest verified catalogue.
//!
//! A catalogue is accepted only if it is within the size limit, its proof verifies, its
//! signer is a current member, it was published in this consortium, and its version is newer
//! than the one held. Accepted catalogues are kept in sled (tree `catalogs`, the signed
//! N-Quads, so they can be served on to late joiners) and in the store, one named graph per
//! member (the member's catalogue IRI), so SPARQL sees them. A summary of each dataset is
//! indexed in memory for `/api/catalog/federated` filters and for source selection.
//! Rejections are logged and the latest are kept for `/api/catalog/rejections`.

use super::iris::NodeIris;
use super::signing::{self, SignatureError, SignedCatalog};
use super::stats::BoundingBox;
use crate::store::subject_filter::{SubjectFilter, typed_subject};
use hanse_vocab::{dcat, dct, eu, foaf, hanse, odrl, void};
use libp2p::PeerId;
use oxigraph::model::{Graph, GraphNameRef, NamedNode, NamedNodeRef, TermRef};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

const TREE: &str = "catalogs";
/// Rejections remembered for the API.
const MAX_REJECTIONS_KEPT: usize = 100;

/// Why a catalogue was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The proof, syntax or structure is wrong (forged or damaged).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Validly signed, but not by a current member.
    #[error("publisher {0} is not a member of the consortium")]
    NotMember(PeerId),
    /// Published in another consortium.
    #[error("published in consortium `{found}`, not `{expected}`")]
    WrongConsortium {
        /// The catalogue's consortium.
        found: String,
        /// Ours.
        expected: String,
    },
    /// A replay or a stale copy.
    #[error("version {offered} of {publisher} is not newer than the stored version {stored}")]
    NotNewer {
        /// The publisher.
        publisher: PeerId,
        /// The version offered.
        offered: u64,
        /// The version held.
        stored: u64,
    },
    /// The peer that handed it over has spent its verification budget, or has another
    /// catalogue being verified (refused unverified).
    #[error(
        "peer {peer} has spent its catalogue verification budget (catalog.verify_budget_ms) or has another catalogue being verified: refused unverified, retry in about {retry_in_secs} s"
    )]
    OverBudget {
        /// The peer.
        peer: PeerId,
        /// Seconds until it may be verified again.
        retry_in_secs: u64,
    },
    /// Storing failed (the previous version stays).
    #[error("cannot store the catalogue: {0}")]
    Storage(String),
}

/// A rejection as the API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RejectionRecord {
    /// When (xsd:dateTime).
    pub time: String,
    /// Who sent it (PeerId), if known.
    pub from: Option<String>,
    /// Why.
    pub reason: String,
    /// Whether it was only a copy of a version already held (a replay or a late gossip), not
    /// a refusal of anything new.
    pub stale: bool,
}

/// One dataset of the federated catalogue, as filters and source selection see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FederatedDataset {
    /// The publishing member's PeerId.
    pub publisher: String,
    /// The publisher's name (`foaf:name`).
    pub publisher_name: String,
    /// The dataset IRI.
    pub iri: String,
    /// `dct:identifier`.
    pub identifier: String,
    /// Title (English if present).
    pub title: String,
    /// Description (English if present).
    pub description: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Theme IRIs.
    pub themes: Vec<String>,
    /// Classes with instances (`void:classPartition`).
    pub classes: Vec<String>,
    /// Predicates used (`void:propertyPartition`).
    pub properties: Vec<String>,
    /// `void:triples`.
    pub triples: u64,
    /// Authorities of the IRI subjects (`hanse:subjectAuthority`); empty if not listed.
    #[serde(default)]
    pub subject_authorities: Vec<String>,
    /// Authorities of the IRI objects other than classes (`hanse:objectAuthority`).
    #[serde(default)]
    pub object_authorities: Vec<String>,
    /// The named graphs holding the data.
    pub graphs: Vec<String>,
    /// Extent of the geometries.
    pub bbox: Option<BoundingBox>,
    /// Temporal extent (xsd:dateTime).
    pub temporal: Option<(String, String)>,
    /// Access rights IRI.
    pub access_rights: Option<String>,
    /// Licence IRI.
    pub licence: Option<String>,
    /// The ODRL offer's IRI.
    pub policy: Option<String>,
    /// The catalogue version it came from.
    pub catalog_version: u64,
    /// The dataset's web page (`dcat:landingPage`), on its publisher's node.
    #[serde(default)]
    pub landing_page: Option<String>,
    /// The publisher's web home (the catalogue's `foaf:homepage`).
    #[serde(default)]
    pub homepage: Option<String>,
    /// EU frequency IRI (`dct:accrualPeriodicity`).
    #[serde(default)]
    pub update_frequency: Option<String>,
    /// Format IRIs of the distributions.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Place IRIs of the spatial coverage (besides the bounding box).
    #[serde(default)]
    pub places: Vec<String>,
    /// The metadata-quality score.
    #[serde(default)]
    pub quality: super::quality::Quality,
}

impl FederatedDataset {
    /// The dataset's access rights; non-public when absent or unknown (unknown terms deny).
    pub fn rights(&self) -> super::AccessRights {
        self.access_rights
            .as_deref()
            .and_then(super::AccessRights::from_iri)
            .unwrap_or(super::AccessRights::NonPublic)
    }
}

/// Filters of `GET /api/catalog/federated`; all given ones must match.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFilter {
    /// Case-insensitive substring of a keyword or the title.
    pub keyword: Option<String>,
    /// Theme code (`ENVI`) or IRI.
    pub theme: Option<String>,
    /// Publisher PeerId, or a case-insensitive substring of its name.
    pub publisher: Option<String>,
    /// A class with instances in the dataset.
    pub class: Option<String>,
    /// A predicate used in the dataset.
    pub predicate: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`: the dataset's extent must overlap it.
    pub bbox: Option<String>,
    /// xsd:dateTime: the dataset must hold data at or after it.
    pub from: Option<String>,
    /// xsd:dateTime: the dataset must hold data at or before it.
    pub to: Option<String>,
}

impl DatasetFilter {
    /// Checks the filter's values; the error names the bad parameter.
    pub fn compile(&self) -> Result<CompiledFilter, String> {
        let time = |name: &str, value: &Option<String>| -> Result<_, String> {
            value
                .as_deref()
                .map(|v| {
                    v.parse::<oxsdatatypes::DateTime>()
                        .map_err(|e| format!("{name}: `{v}` is not an xsd:dateTime: {e}"))
                })
                .transpose()
        };
        Ok(CompiledFilter {
            keyword: self.keyword.as_ref().map(|k| k.to_lowercase()),
            theme: self.theme.as_ref().map(|t| {
                if t.contains(':') {
                    t.clone()
                } else {
                    format!("{}{t}", eu::DATA_THEME)
                }
            }),
            publisher: self.publisher.as_ref().map(|p| p.to_lowercase()),
            class: self.class.clone(),
            predicate: self.predicate.clone(),
            bbox: self.bbox.as_deref().map(BoundingBox::parse).transpose()?,
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
        })
    }
}

/// A checked [`DatasetFilter`].
#[derive(Debug, Clone, Default)]
pub struct CompiledFilter {
    keyword: Option<String>,
    theme: Option<String>,
    publisher: Option<String>,
    class: Option<String>,
    predicate: Option<String>,
    bbox: Option<BoundingBox>,
    from: Option<oxsdatatypes::DateTime>,
    to: Option<oxsdatatypes::DateTime>,
}

impl CompiledFilter {
    /// Whether `dataset` passes every given filter.
    pub fn matches(&self, dataset: &FederatedDataset) -> bool {
        if let Some(keyword) = &self.keyword
            && !dataset.title.to_lowercase().contains(keyword)
            && !dataset
                .keywords
                .iter()
                .any(|k| k.to_lowercase().contains(keyword))
        {
            return false;
        }
        if let Some(theme) = &self.theme
            && !dataset.themes.contains(theme)
        {
            return false;
        }
        if let Some(publisher) = &self.publisher
            && dataset.publisher.to_lowercase() != *publisher
            && !dataset.publisher_name.to_lowercase().contains(publisher)
        {
            return false;
        }
        if let Some(class) = &self.class
            && !dataset.classes.contains(class)
        {
            return false;
        }
        if let Some(predicate) = &self.predicate
            && !dataset.properties.contains(predicate)
        {
            return false;
        }
        if let Some(bbox) = &self.bbox
            && !dataset.bbox.is_some_and(|b| b.intersects(bbox))
        {
            return false;
        }
        if self.from.is_some() || self.to.is_some() {
            let Some((start, end)) = &dataset.temporal else {
                return false;
            };
            let (Ok(start), Ok(end)) = (
                start.parse::<oxsdatatypes::DateTime>(),
                end.parse::<oxsdatatypes::DateTime>(),
            ) else {
                return false;
            };
            if self.from.is_some_and(|from| end < from) || self.to.is_some_and(|to| start > to) {
                return false;
            }
        }
        true
    }
}

/// What is kept in sled per member.
#[derive(Serialize, Deserialize)]
struct StoredCatalog {
    version: u64,
    hash: String,
    nquads: String,
    received: String,
}

/// Per member: the catalogue version held and its dataset summaries.
type Index = BTreeMap<PeerId, (u64, Vec<FederatedDataset>)>;

/// The federated catalogue; cheap to clone.
#[derive(Clone)]
pub struct FederatedCatalog {
    tree: sled::Tree,
    store: Store,
    subjects: SubjectFilter,
    max_bytes: usize,
    index: Arc<RwLock<Index>>,
    rejections: Arc<Mutex<VecDeque<RejectionRecord>>>,
    // One acceptance at a time, so two copies of a version cannot both pass the check.
    accept_lock: Arc<Mutex<()>>,
}

impl FederatedCatalog {
    /// Opens the federated catalogue and rebuilds its index from sled.
    pub fn open(
        state: &crate::store::state::NodeState,
        store: Store,
        subjects: SubjectFilter,
        max_bytes: usize,
    ) -> Result<Self, sled::Error> {
        let catalog = Self {
            tree: state.db().open_tree(TREE)?,
            store,
            subjects,
            max_bytes,
            index: Arc::default(),
            rejections: Arc::default(),
            accept_lock: Arc::default(),
        };
        for entry in catalog.tree.iter() {
            let (key, value) = entry?;
            let Ok(stored) = serde_json::from_slice::<StoredCatalog>(&value) else {
                tracing::warn!("unreadable stored catalogue under {key:?}: skipped");
                continue;
            };
            // Verified on arrival: parse only, so a restart does not canonicalise every
            // member's catalogue again.
            match signing::parse(stored.nquads.as_bytes(), usize::MAX) {
                Ok(parsed) => catalog.index_catalog(&parsed.trusted(stored.hash)),
                Err(e) => tracing::warn!("stored catalogue cannot be read: {e}"),
            }
        }
        Ok(catalog)
    }

    /// `(publisher, version)` of every catalogue held.
    pub fn versions(&self) -> Vec<(PeerId, u64)> {
        self.read_index()
            .iter()
            .map(|(peer, (version, _))| (*peer, *version))
            .collect()
    }

    /// The version held of `publisher`'s catalogue.
    pub fn version_of(&self, publisher: &PeerId) -> Option<u64> {
        self.read_index().get(publisher).map(|(v, _)| *v)
    }

    /// The signed N-Quads held of `publisher`'s catalogue.
    pub fn signed_nquads(&self, publisher: &PeerId) -> Option<String> {
        let value = self.tree.get(publisher.to_bytes()).ok()??;
        serde_json::from_slice::<StoredCatalog>(&value)
            .ok()
            .map(|s| s.nquads)
    }

    /// Every dataset that passes `filter`, by publisher then IRI.
    pub fn datasets(&self, filter: &CompiledFilter) -> Vec<FederatedDataset> {
        self.read_index()
            .values()
            .flat_map(|(_, datasets)| datasets.iter())
            .filter(|d| filter.matches(d))
            .cloned()
            .collect()
    }

    /// The latest rejections, newest last.
    pub fn rejections(&self) -> Vec<RejectionRecord> {
        self.rejections
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        // A panic while holding the lock leaves a consistent map (inserts are single calls).
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a rejection (logged, and kept for the API).
    pub fn record_rejection(&self, from: Option<PeerId>, rejection: &Rejection) {
        match rejection {
            // Common and harmless (replays), or already warned about once (the budget).
            Rejection::NotNewer { .. } | Rejection::OverBudget { .. } => {
                tracing::debug!(?from, "catalogue not stored: {rejection}")
            }
            _ => tracing::warn!(?from, "rejected catalogue: {rejection}"),
        }
        if let Ok(mut kept) = self.rejections.lock() {
            if kept.len() >= MAX_REJECTIONS_KEPT {
                kept.pop_front();
            }
            kept.push_back(RejectionRecord {
                time: oxsdatatypes::DateTime::now().to_string(),
                from: from.map(|p| p.to_string()),
                reason: rejection.to_string(),
                stale: matches!(rejection, Rejection::NotNewer { .. }),
            });
        }
    }

    /// Verifies and stores a catalogue (blocking: canonicalisation and store writes).
    ///
    /// `is_member` and `consortium` come from the current membership. On success returns
    /// the verified catalogue; on failure the stored one stays and the caller records why.
    pub fn accept(
        &self,
        nquads: &[u8],
        is_member: impl Fn(&PeerId) -> bool,
        consortium: &str,
    ) -> Result<SignedCatalog, Rejection> {
        let parsed = signing::parse(nquads, self.max_bytes)?;
        // Replays and duplicate deliveries are common: refuse them before canonicalising.
        // A forged copy claiming an old version is refused either way.
        let claimed = &parsed.catalog;
        if let Some(stored) = self.version_of(&claimed.publisher)
            && claimed.version <= stored
        {
            return Err(Rejection::NotNewer {
                publisher: claimed.publisher,
                offered: claimed.version,
                stored,
            });
        }
        self.store_verified(parsed.verify()?, is_member, consortium)
    }

    /// Stores a catalogue whose proof was already verified (e.g. the node's own).
    pub fn store_verified(
        &self,
        signed: SignedCatalog,
        is_member: impl Fn(&PeerId) -> bool,
        consortium: &str,
    ) -> Result<SignedCatalog, Rejection> {
        if !is_member(&signed.publisher) {
            return Err(Rejection::NotMember(signed.publisher));
        }
        if signed.consortium != consortium {
            return Err(Rejection::WrongConsortium {
                found: signed.consortium,
                expected: consortium.to_owned(),
            });
        }
        let _guard = self.accept_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stored) = self.version_of(&signed.publisher)
            && signed.version <= stored
        {
            return Err(Rejection::NotNewer {
                publisher: signed.publisher,
                offered: signed.version,
                stored,
            });
        }
        self.replace_graph(&signed)
            .map_err(|e| Rejection::Storage(e.to_string()))?;
        let stored = StoredCatalog {
            version: signed.version,
            hash: signed.hash.clone(),
            nquads: signed.nquads.clone(),
            received: oxsdatatypes::DateTime::now().to_string(),
        };
        let bytes = serde_json::to_vec(&stored).map_err(|e| Rejection::Storage(e.to_string()))?;
        self.tree
            .insert(signed.publisher.to_bytes(), bytes)
            .and_then(|_| self.tree.flush())
            .map_err(|e| Rejection::Storage(e.to_string()))?;
        self.index_catalog(&signed);
        tracing::info!(
            publisher = %signed.publisher,
            version = signed.version,
            "stored verified catalogue"
        );
        Ok(signed)
    }

    /// Forgets a former member's catalogue.
    pub fn remove(&self, publisher: &PeerId) -> Result<(), String> {
        let graph = NamedNode::new_unchecked(NodeIris::new(publisher).catalog());
        self.store.clear_graph(&graph).map_err(|e| e.to_string())?;
        self.tree
            .remove(publisher.to_bytes())
            .map_err(|e| e.to_string())?;
        if let Ok(mut index) = self.index.write() {
            index.remove(publisher);
        }
        Ok(())
    }

    /// Replaces the member's named graph in one transaction.
    fn replace_graph(&self, signed: &SignedCatalog) -> Result<(), oxigraph::store::StorageError> {
        let graph = NamedNode::new_unchecked(NodeIris::new(&signed.publisher).catalog());
        let mut transaction = self.store.start_transaction()?;
        transaction.clear_graph(&graph)?;
        for triple in signed.document.iter() {
            transaction.insert(triple.in_graph(GraphNameRef::NamedNode(graph.as_ref())));
        }
        let _announced = self.subjects.announce(
            signed
                .document
                .iter()
                .filter_map(|t| typed_subject(t.subject, t.predicate)),
        );
        transaction.commit()
    }

    fn index_catalog(&self, signed: &SignedCatalog) {
        let datasets = summarise(&signed.document, &signed.publisher, signed.version);
        if let Ok(mut index) = self.index.write() {
            index.insert(signed.publisher, (signed.version, datasets));
        }
    }
}

fn named(value: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(value)
}

fn objects<'a>(graph: &'a Graph, subject: &'a str, predicate: &'a str) -> Vec<TermRef<'a>> {
    graph
        .objects_for_subject_predicate(named(subject), named(predicate))
        .collect()
}

fn iris_of(graph: &Graph, subject: &str, predicate: &str) -> Vec<String> {
    let mut found: Vec<String> = objects(graph, subject, predicate)
        .into_iter()
        .filter_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    found.sort();
    found
}

/// Literal values of `predicate`, English first.
fn texts_of(graph: &Graph, subject: &str, predicate: &str) -> Vec<String> {
    let mut found: Vec<(bool, String)> = objects(graph, subject, predicate)
        .into_iter()
        .filter_map(|t| match t {
            TermRef::Literal(l) => Some((l.language() != Some("en"), l.value().to_owned())),
            _ => None,
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, v)| v).collect()
}

fn count_of(graph: &Graph, subject: &str, predicate: &str) -> u64 {
    texts_of(graph, subject, predicate)
        .first()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The extent of every coordinate pair in a WKT literal.
fn wkt_extent(wkt: &str) -> Option<BoundingBox> {
    let inner: String = wkt
        .chars()
        .map(|c| {
            if c == '(' || c == ')' || c == ',' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let numbers: Vec<f64> = inner
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let mut pairs = numbers.chunks_exact(2);
    let first = pairs.next()?;
    let mut b = BoundingBox::parse(&format!("{0},{1},{0},{1}", first[0], first[1])).ok()?;
    for pair in pairs {
        b.min_lon = b.min_lon.min(pair[0]);
        b.min_lat = b.min_lat.min(pair[1]);
        b.max_lon = b.max_lon.max(pair[0]);
        b.max_lat = b.max_lat.max(pair[1]);
    }
    Some(b)
}

/// Reads the dataset summaries out of a verified catalogue.
pub fn summarise(graph: &Graph, publisher: &PeerId, version: u64) -> Vec<FederatedDataset> {
    let iris = NodeIris::new(publisher);
    let catalog = iris.catalog();
    let publisher_name = iris_of(graph, &catalog, dct::PUBLISHER)
        .first()
        .and_then(|agent| texts_of(graph, agent, foaf::NAME).into_iter().next())
        .unwrap_or_default();
    let homepage = iris_of(graph, &catalog, foaf::HOMEPAGE).into_iter().next();
    let mut datasets = Vec::new();
    for dataset in iris_of(graph, &catalog, dcat::DATASET_PROPERTY) {
        // Only datasets in the publisher's own IRI space: a catalogue speaks for its node.
        if !dataset.starts_with(&format!("hanse://{publisher}/")) {
            continue;
        }
        let d = dataset.as_str();
        let partitions = |predicate: &str, inner: &str| -> Vec<String> {
            let mut values: Vec<String> = iris_of(graph, d, predicate)
                .iter()
                .flat_map(|p| iris_of(graph, p, inner))
                .collect();
            values.sort();
            values.dedup();
            values
        };
        let bbox = iris_of(graph, d, dct::SPATIAL)
            .iter()
            .flat_map(|location| texts_of(graph, location, dcat::BBOX))
            .find_map(|wkt| wkt_extent(&wkt));
        let temporal = iris_of(graph, d, dct::TEMPORAL).first().and_then(|period| {
            Some((
                texts_of(graph, period, dcat::START_DATE)
                    .into_iter()
                    .next()?,
                texts_of(graph, period, dcat::END_DATE).into_iter().next()?,
            ))
        });
        let distribution = iris_of(graph, d, dcat::DISTRIBUTION_PROPERTY);
        let licence = distribution
            .iter()
            .flat_map(|dist| iris_of(graph, dist, dct::LICENSE))
            .next();
        let mut formats: Vec<String> = distribution
            .iter()
            .flat_map(|dist| iris_of(graph, dist, dct::FORMAT))
            .collect();
        formats.sort();
        formats.dedup();
        let places = iris_of(graph, d, dct::SPATIAL)
            .into_iter()
            .filter(|place| texts_of(graph, place, dcat::BBOX).is_empty())
            .collect();
        datasets.push(FederatedDataset {
            publisher: publisher.to_string(),
            publisher_name: publisher_name.clone(),
            identifier: texts_of(graph, d, dct::IDENTIFIER)
                .into_iter()
                .next()
                .unwrap_or_default(),
            title: texts_of(graph, d, dct::TITLE)
                .into_iter()
                .next()
                .unwrap_or_default(),
            description: texts_of(graph, d, dct::DESCRIPTION)
                .into_iter()
                .next()
                .unwrap_or_default(),
            keywords: texts_of(graph, d, dcat::KEYWORD),
            themes: iris_of(graph, d, dcat::THEME),
            classes: partitions(void::CLASS_PARTITION, void::CLASS),
            properties: partitions(void::PROPERTY_PARTITION, void::PROPERTY),
            triples: count_of(graph, d, void::TRIPLES),
            subject_authorities: texts_of(graph, d, hanse::SUBJECT_AUTHORITY),
            object_authorities: texts_of(graph, d, hanse::OBJECT_AUTHORITY),
            graphs: iris_of(graph, d, hanse::GRAPH),
            bbox,
            temporal,
            access_rights: iris_of(graph, d, dct::ACCESS_RIGHTS).into_iter().next(),
            licence,
            policy: iris_of(graph, d, odrl::HAS_POLICY).into_iter().next(),
            catalog_version: version,
            landing_page: iris_of(graph, d, dcat::LANDING_PAGE).into_iter().next(),
            homepage: homepage.clone(),
            update_frequency: iris_of(graph, d, dct::ACCRUAL_PERIODICITY)
                .into_iter()
                .next(),
            formats,
            places,
            quality: super::quality::assess(graph, d),
            iri: dataset,
        });
    }
    datasets
}

#[cfg(test)]
mod tests;
