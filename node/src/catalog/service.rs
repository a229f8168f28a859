//! The catalogue task: keeps the node's signed catalogue current and the federated
//! catalogue complete.
//!
//! One task handles, in one `select!`:
//! - dataset edits (published after `catalog.publish_debounce_ms` of quiet) and data changes
//!   (statistics recomputed at most every `catalog.refresh_interval_secs`);
//! - catalogue gossip from members (small catalogues travel inline; larger ones are
//!   announced and fetched by request-response);
//! - anti-entropy: on each new connection and every `catalog.sync_interval_secs`, versions
//!   are compared with a member and newer catalogues fetched, so a node that joined late or
//!   missed messages catches up;
//!
//! Catalogue requests from members are answered by [`CatalogService::answer`].

use super::dataset::{DatasetDefinition, DatasetRegistry};
use super::dcat::{Publisher, build_catalog};
use super::federated::FederatedCatalog;
use super::iris::NodeIris;
use super::signing::{self, SignatureError, SignedCatalog};
use super::stats::{self, DatasetStatistics};
use super::verify_budget::VerifyBudget;

mod gossip;
use crate::config::CatalogSection;
use crate::store::subject_filter::SubjectFilter;
use crate::trust::identity::NodeIdentity;
use crate::trust::membership::CurrentMembership;
pub use gossip::MAX_BACKGROUND;
use hanse_vocab::{dct, hanse, xsd};
use libp2p::PeerId;
use oxigraph::model::{Literal, NamedNode, Triple};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Gossip topic of catalogue announcements.
pub const CATALOG_TOPIC: &str = "catalog";
const OWN_TREE: &str = "own_catalog";
const OWN_KEY: &[u8] = b"latest";
/// Room left in a gossip message for the announcement around an inline catalogue.
const GOSSIP_OVERHEAD: usize = 4096;

/// A catalogue announcement on the gossip topic.
#[derive(Debug, Serialize, Deserialize)]
pub struct Announcement {
    /// The new version.
    pub version: u64,
    /// Its content hash.
    pub hash: String,
    /// The signed catalogue itself when it fits in a gossip message.
    pub nquads: Option<String>,
}

/// The node's own latest catalogue, persisted so versions keep rising across restarts.
#[derive(Serialize, Deserialize)]
struct OwnCatalog {
    /// Hash of the content without version header, to tell whether anything changed.
    content_hash: String,
    nquads: String,
    /// When the first version was signed (`dct:issued`); absent in catalogues stored by
    /// older builds, which take the next version's time.
    #[serde(default)]
    issued: Option<String>,
}

/// Errors of the catalogue service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// Signing or canonicalisation failed.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Statistics could not be computed.
    #[error(transparent)]
    Stats(#[from] stats::StatsError),
    /// A dataset definition could not be read.
    #[error(transparent)]
    Dataset(#[from] super::dataset::DatasetError),
    /// The catalogue is larger than `catalog.max_bytes`.
    #[error(
        "the catalogue is {size} bytes, over catalog.max_bytes ({max}); describe fewer datasets or raise the limit"
    )]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// sled failed.
    #[error("catalogue storage: {0}")]
    Storage(String),
}

struct Inner {
    identity: NodeIdentity,
    iris: NodeIris,
    node_name: String,
    organisation: String,
    role: crate::config::Role,
    config: CatalogSection,
    store: Store,
    registry: DatasetRegistry,
    federated: FederatedCatalog,
    membership: Option<CurrentMembership>,
    own_tree: sled::Tree,
    own: RwLock<Option<SignedCatalog>>,
    stats: Mutex<BTreeMap<String, (Vec<String>, DatasetStatistics)>>,
    definitions_changed: Notify,
    data_changed: AtomicBool,
    published: watch::Sender<u64>,
    // One rebuild at a time (the task's and `refresh_now`'s).
    rebuild: tokio::sync::Mutex<()>,
    // Verification time each peer that hands over catalogues may still cost this node.
    verify_budget: Arc<VerifyBudget>,
}

/// Handle to the catalogue service; cheap to clone.
#[derive(Clone)]
pub struct CatalogService {
    inner: Arc<Inner>,
}

/// What the service needs to start.
pub struct CatalogParts {
    /// The node key (signs the catalogue).
    pub identity: NodeIdentity,
    /// `node.name`.
    pub node_name: String,
    /// `[catalog]`.
    pub config: CatalogSection,
    /// The RDF store (statistics, federated graphs).
    pub store: Store,
    /// Which IRIs may be stored entities (told of the federated graphs' subjects).
    pub subjects: SubjectFilter,
    /// The sled state.
    pub state: crate::store::state::NodeState,
    /// The consortium, if the node is in one.
    pub membership: Option<CurrentMembership>,
    /// `node.role` (the publisher's type in the catalogue).
    pub role: crate::config::Role,
    /// The public HTTP(S) base URL under which the node's IRIs have web names.
    pub public_base: Option<String>,
}

impl CatalogService {
    /// Opens the registry and federated catalogue; the task starts with [`Self::run`].
    pub fn open(parts: CatalogParts) -> Result<Self, CatalogError> {
        let storage = |e: sled::Error| CatalogError::Storage(e.to_string());
        let peer = parts.identity.peer_id();
        let iris = match &parts.public_base {
            Some(base) => NodeIris::new(&peer).with_public_base(base),
            None => NodeIris::new(&peer),
        };
        let registry = DatasetRegistry::open(&parts.state, iris.clone())?;
        let federated = FederatedCatalog::open(
            &parts.state,
            parts.store.clone(),
            parts.subjects.clone(),
            parts.config.max_bytes,
        )
        .map_err(storage)?;
        let own_tree = parts.state.db().open_tree(OWN_TREE).map_err(storage)?;
        let own = match own_tree.get(OWN_KEY).map_err(storage)? {
            Some(bytes) => serde_json::from_slice::<OwnCatalog>(&bytes)
                .ok()
                .and_then(|own| signing::verify(own.nquads.as_bytes(), usize::MAX).ok()),
            None => None,
        };
        let organisation = parts.config.organisation.clone().unwrap_or_else(|| {
            parts
                .membership
                .as_ref()
                .and_then(|m| {
                    m.read(|m| {
                        m.document
                            .member(&peer)
                            .map(|member| member.organisation.clone())
                    })
                })
                .filter(|o| !o.trim().is_empty())
                .unwrap_or_else(|| parts.node_name.clone())
        });
        let version = own.as_ref().map_or(0, |o| o.version);
        let verify_budget_ms = parts.config.verify_budget_ms;
        Ok(Self {
            inner: Arc::new(Inner {
                identity: parts.identity,
                iris,
                node_name: parts.node_name,
                organisation,
                role: parts.role,
                config: parts.config,
                store: parts.store,
                registry,
                federated,
                membership: parts.membership,
                own_tree,
                own: RwLock::new(own),
                stats: Mutex::default(),
                definitions_changed: Notify::new(),
                data_changed: AtomicBool::new(false),
                published: watch::channel(version).0,
                rebuild: tokio::sync::Mutex::new(()),
                verify_budget: Arc::new(VerifyBudget::new(Duration::from_millis(verify_budget_ms))),
            }),
        })
    }

    /// The node's dataset definitions.
    pub fn datasets(&self) -> &DatasetRegistry {
        &self.inner.registry
    }

    /// Every member's latest verified catalogue (this node's included).
    pub fn federated(&self) -> &FederatedCatalog {
        &self.inner.federated
    }

    /// The publisher name this node's catalogue carries (`foaf:name`).
    pub fn organisation(&self) -> &str {
        &self.inner.organisation
    }

    /// This node's PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.inner.identity.peer_id()
    }

    /// The node's IRIs.
    pub fn iris(&self) -> &NodeIris {
        &self.inner.iris
    }

    /// The node's latest signed catalogue.
    pub fn own(&self) -> Option<SignedCatalog> {
        self.inner.own.read().ok().and_then(|o| o.clone())
    }

    /// Statistics last computed for a dataset.
    pub fn statistics(&self, id: &str) -> Option<DatasetStatistics> {
        self.inner
            .stats
            .lock()
            .ok()
            .and_then(|s| s.get(id).map(|(_, stats)| stats.clone()))
    }

    /// Watches the own catalogue's version (changes after each publication).
    pub fn published(&self) -> watch::Receiver<u64> {
        self.inner.published.subscribe()
    }

    /// A dataset definition was created, changed or deleted: publish soon.
    pub fn definitions_changed(&self) {
        self.inner.definitions_changed.notify_one();
    }

    /// Data in the store changed: recompute statistics at the next refresh.
    pub fn data_changed(&self) {
        self.inner.data_changed.store(true, Ordering::Relaxed);
    }

    fn consortium(&self) -> String {
        self.inner
            .membership
            .as_ref()
            .map_or_else(|| "none".to_owned(), CurrentMembership::consortium_id)
    }

    fn is_member(&self, peer: &PeerId) -> bool {
        match &self.inner.membership {
            Some(membership) => membership.is_member(peer),
            None => *peer == self.inner.identity.peer_id(),
        }
    }

    /// Recomputes statistics (all, or only missing ones), rebuilds the catalogue, and signs
    /// and stores a new version if the content changed. Returns the new version, if any.
    pub async fn refresh_now(
        &self,
        all_statistics: bool,
    ) -> Result<Option<SignedCatalog>, CatalogError> {
        let _one_at_a_time = self.inner.rebuild.lock().await;
        let service = self.clone();
        tokio::task::spawn_blocking(move || service.rebuild_blocking(all_statistics))
            .await
            .map_err(|e| CatalogError::Storage(format!("rebuild task failed: {e}")))?
    }

    fn rebuild_blocking(
        &self,
        all_statistics: bool,
    ) -> Result<Option<SignedCatalog>, CatalogError> {
        let inner = &self.inner;
        let definitions = inner.registry.list()?;
        let datasets = self.statistics_for(&definitions, all_statistics)?;
        let consortium = self.consortium();
        let publisher = Publisher {
            iris: &inner.iris,
            node_name: &inner.node_name,
            organisation: &inner.organisation,
            consortium: &consortium,
            publisher_type: super::dcat::publisher_type(inner.role),
            contact_email: inner.config.contact_email.as_deref(),
            metadata_licence: &inner.config.metadata_licence,
        };
        let mut document = build_catalog(&publisher, &datasets);
        let content_hash = signing::graph_hash(&document)?;
        let storage = |e: sled::Error| CatalogError::Storage(e.to_string());
        let previous: Option<OwnCatalog> = inner
            .own_tree
            .get(OWN_KEY)
            .map_err(storage)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let current = self.own();
        if let (Some(previous), Some(_)) = (&previous, &current)
            && previous.content_hash == content_hash
        {
            return Ok(None);
        }
        let version = current.as_ref().map_or(1, |c| c.version + 1);
        let catalog = NamedNode::new_unchecked(inner.iris.catalog());
        let iri = NamedNode::new_unchecked;
        document.insert(&Triple::new(
            catalog.clone(),
            iri(hanse::CATALOG_VERSION),
            Literal::new_typed_literal(version.to_string(), iri(xsd::INTEGER)),
        ));
        if let Some(current) = &current {
            document.insert(&Triple::new(
                catalog.clone(),
                iri(hanse::PREVIOUS_VERSION_HASH),
                Literal::new_simple_literal(&current.hash),
            ));
        }
        let now = oxsdatatypes::DateTime::now().to_string();
        let issued = previous
            .as_ref()
            .and_then(|p| p.issued.clone())
            .unwrap_or_else(|| now.clone());
        document.insert(&Triple::new(
            catalog.clone(),
            iri(dct::ISSUED),
            Literal::new_typed_literal(&issued, iri(xsd::DATE_TIME)),
        ));
        document.insert(&Triple::new(
            catalog,
            iri(dct::MODIFIED),
            Literal::new_typed_literal(now, iri(xsd::DATE_TIME)),
        ));
        let signed = signing::sign(document, &inner.identity)?;
        if signed.nquads.len() > inner.config.max_bytes {
            return Err(CatalogError::TooLarge {
                size: signed.nquads.len(),
                max: inner.config.max_bytes,
            });
        }
        let own = OwnCatalog {
            content_hash,
            nquads: signed.nquads.clone(),
            issued: Some(issued),
        };
        let bytes = serde_json::to_vec(&own).map_err(|e| CatalogError::Storage(e.to_string()))?;
        inner.own_tree.insert(OWN_KEY, bytes).map_err(storage)?;
        inner.own_tree.flush().map_err(storage)?;
        // In a consortium the node's own catalogue is part of the federated one (and its
        // named graph); a standalone node has no federation to put it in.
        if inner.membership.is_some()
            && let Err(e) =
                inner
                    .federated
                    .store_verified(signed.clone(), |p| self.is_member(p), &consortium)
        {
            tracing::warn!("own catalogue not added to the federated catalogue: {e}");
        }
        if let Ok(mut slot) = inner.own.write() {
            *slot = Some(signed.clone());
        }
        inner.published.send_replace(signed.version);
        tracing::info!(
            version = signed.version,
            datasets = datasets.len(),
            bytes = signed.nquads.len(),
            "signed a new catalogue version"
        );
        Ok(Some(signed))
    }

    fn statistics_for(
        &self,
        definitions: &[DatasetDefinition],
        all: bool,
    ) -> Result<Vec<(DatasetDefinition, DatasetStatistics)>, CatalogError> {
        let mut cache = self
            .inner
            .stats
            .lock()
            .map_err(|_| CatalogError::Storage("statistics cache poisoned".into()))?;
        cache.retain(|id, _| definitions.iter().any(|d| &d.id == id));
        let mut datasets = Vec::with_capacity(definitions.len());
        for definition in definitions {
            let fresh = !all
                && cache
                    .get(&definition.id)
                    .is_some_and(|(graphs, _)| *graphs == definition.graphs);
            if !fresh {
                let graphs: Vec<NamedNode> = definition
                    .graphs
                    .iter()
                    .filter_map(|g| NamedNode::new(g).ok())
                    .collect();
                let computed = stats::compute(&self.inner.store, &graphs)?;
                cache.insert(definition.id.clone(), (definition.graphs.clone(), computed));
            }
            let stats = cache
                .get(&definition.id)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            datasets.push((definition.clone(), stats));
        }
        Ok(datasets)
    }
}
