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
use super::federated::{FederatedCatalog, Rejection};
use super::iris::NodeIris;
use super::signing::{self, SignatureError, SignedCatalog};
use super::stats::{self, DatasetStatistics};
use super::verify_budget::VerifyBudget;
use crate::config::CatalogSection;
use crate::p2p::{NetworkClient, NetworkEvent, Request, Response};
use crate::store::subject_filter::SubjectFilter;
use crate::trust::identity::NodeIdentity;
use crate::trust::membership::CurrentMembership;
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
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

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

    /// Runs the service until `cancel` fires.
    pub async fn run(self, network: Option<NetworkClient>, cancel: CancellationToken) {
        let config = self.inner.config.clone();
        let mut events = network.as_ref().map(NetworkClient::subscribe);
        if let Some(network) = &network
            && let Err(e) = network.subscribe_topic(CATALOG_TOPIC).await
        {
            tracing::error!("cannot subscribe to catalogue gossip: {e}");
        }
        let debounce = Duration::from_millis(config.publish_debounce_ms);
        let mut refresh = tokio::time::interval(Duration::from_secs(config.refresh_interval_secs));
        let mut sync = tokio::time::interval(Duration::from_secs(config.sync_interval_secs));
        // Build at start: statistics may have changed while the node was down.
        let mut due: Option<Instant> = Some(Instant::now());
        let mut all_statistics = true;
        let mut announced = 0;
        loop {
            let deadline = due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.inner.definitions_changed.notified() => {
                    due.get_or_insert_with(|| Instant::now() + debounce);
                }
                _ = refresh.tick() => {
                    if self.inner.data_changed.swap(false, Ordering::Relaxed) {
                        all_statistics = true;
                        due.get_or_insert_with(Instant::now);
                    }
                }
                () = tokio::time::sleep_until(deadline), if due.is_some() => {
                    due = None;
                    if let Err(e) = self.refresh_now(std::mem::take(&mut all_statistics)).await {
                        tracing::error!("cannot publish the catalogue: {e}");
                    }
                    // Announce whatever is newer than the last announcement, including a
                    // version signed through `refresh_now` by someone else.
                    if let (Some(network), Some(own)) = (&network, self.own())
                        && own.version > announced
                    {
                        self.announce(network, &own).await;
                        announced = own.version;
                    }
                }
                event = next_event(&mut events) => {
                    if let (Some(event), Some(network)) = (event, &network) {
                        self.on_network_event(network, event);
                    }
                }
                _ = sync.tick() => {
                    if let Some(network) = &network {
                        self.sync_with_random_peer(network).await;
                    }
                }
            }
        }
        tracing::debug!("catalogue service stopped");
    }

    async fn announce(&self, network: &NetworkClient, signed: &SignedCatalog) {
        let inline_limit = self
            .inner
            .config
            .max_bytes
            .min(network.max_gossip_bytes())
            .saturating_sub(GOSSIP_OVERHEAD);
        let announcement = Announcement {
            version: signed.version,
            hash: signed.hash.clone(),
            nquads: (signed.nquads.len() <= inline_limit).then(|| signed.nquads.clone()),
        };
        let Ok(bytes) = serde_json::to_vec(&announcement) else {
            return;
        };
        match network.publish(CATALOG_TOPIC, bytes).await {
            Ok(()) => tracing::info!(
                version = signed.version,
                inline = announcement.nquads.is_some(),
                "catalogue announced"
            ),
            // Members not connected yet fetch it by anti-entropy.
            Err(e) => tracing::debug!("catalogue not gossiped: {e}"),
        }
    }

    fn on_network_event(&self, network: &NetworkClient, event: NetworkEvent) {
        match event {
            NetworkEvent::Gossip {
                topic,
                source,
                data,
            } if topic == CATALOG_TOPIC => {
                let service = self.clone();
                let network = network.clone();
                tokio::spawn(async move {
                    service.on_announcement(&network, source, &data).await;
                });
            }
            NetworkEvent::PeerConnected(peer) => {
                let service = self.clone();
                let network = network.clone();
                tokio::spawn(async move { service.sync_with(&network, peer).await });
            }
            NetworkEvent::MembershipChanged { .. } => {
                for (publisher, _) in self.inner.federated.versions() {
                    if !self.is_member(&publisher) {
                        tracing::info!(%publisher, "dropping the catalogue of a former member");
                        if let Err(e) = self.inner.federated.remove(&publisher) {
                            tracing::warn!(%publisher, "cannot drop catalogue: {e}");
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Handles a catalogue announcement gossiped by `source` (the network has checked that
    /// it is a member): verifies an inline catalogue, or fetches a newer one.
    #[tracing::instrument(skip_all, fields(%source))]
    pub async fn on_announcement(&self, network: &NetworkClient, source: PeerId, data: &[u8]) {
        let announcement: Announcement = match serde_json::from_slice(data) {
            Ok(a) => a,
            Err(e) => {
                let rejection = Rejection::Signature(SignatureError::Malformed(format!(
                    "catalogue announcement is not valid JSON: {e}"
                )));
                self.inner
                    .federated
                    .record_rejection(Some(source), &rejection);
                return;
            }
        };
        match announcement.nquads {
            Some(nquads) => {
                self.accept(Some(source), nquads.into_bytes()).await;
            }
            None => {
                if self
                    .inner
                    .federated
                    .version_of(&source)
                    .is_some_and(|held| held >= announcement.version)
                {
                    return;
                }
                self.fetch(network, source, source).await;
            }
        }
    }

    /// Verifies and stores a catalogue off the async runtime, within the verification budget
    /// of `from` (the peer that handed it over); records a rejection.
    async fn accept(&self, from: Option<PeerId>, nquads: Vec<u8>) -> bool {
        let verification = match from {
            Some(peer) => match self.inner.verify_budget.start(peer) {
                Ok(verification) => Some(verification),
                Err(over) => {
                    let rejection = Rejection::OverBudget {
                        peer,
                        retry_in_secs: over.retry_in.as_secs().max(1),
                    };
                    self.inner.federated.record_rejection(from, &rejection);
                    return false;
                }
            },
            None => None,
        };
        let service = self.clone();
        let consortium = self.consortium();
        let result = tokio::task::spawn_blocking(move || {
            // Charged to the peer when this ends, whatever the outcome.
            let _verification = verification;
            service
                .inner
                .federated
                .accept(&nquads, |p| service.is_member(p), &consortium)
        })
        .await;
        match result {
            Ok(Ok(_)) => true,
            Ok(Err(rejection)) => {
                self.inner.federated.record_rejection(from, &rejection);
                false
            }
            Err(e) => {
                tracing::error!("catalogue verification task failed: {e}");
                false
            }
        }
    }

    /// Asks `peer` for `publisher`'s catalogue and stores it if it verifies.
    async fn fetch(&self, network: &NetworkClient, peer: PeerId, publisher: PeerId) {
        // It would be refused unverified: spare both sides the transfer.
        if self
            .inner
            .verify_budget
            .would_refuse(&peer, std::time::Instant::now())
        {
            tracing::debug!(%peer, %publisher, "not fetching: the peer is over its verification budget");
            return;
        }
        let request = Request::Catalog {
            publisher: publisher.to_string(),
        };
        match network.request(peer, request).await {
            Ok(Response::Catalog {
                nquads: Some(nquads),
            }) => {
                self.accept(Some(peer), nquads.into_bytes()).await;
            }
            Ok(Response::Catalog { nquads: None }) => {}
            Ok(other) => {
                tracing::debug!(%peer, "unexpected answer to a catalogue request: {other:?}")
            }
            Err(e) => tracing::debug!(%peer, "catalogue fetch failed: {e}"),
        }
    }

    /// Compares versions with `peer` and fetches every newer catalogue it holds.
    #[tracing::instrument(skip_all, fields(%peer))]
    async fn sync_with(&self, network: &NetworkClient, peer: PeerId) {
        let versions = match network.request(peer, Request::CatalogDigest).await {
            Ok(Response::CatalogDigest { versions }) => versions,
            Ok(other) => {
                tracing::debug!("unexpected answer to a digest request: {other:?}");
                return;
            }
            Err(e) => {
                tracing::debug!("digest request failed: {e}");
                return;
            }
        };
        for (publisher, version) in versions.into_iter().take(10_000) {
            let Ok(publisher) = publisher.parse::<PeerId>() else {
                continue;
            };
            if publisher == self.inner.identity.peer_id() || !self.is_member(&publisher) {
                continue;
            }
            if self
                .inner
                .federated
                .version_of(&publisher)
                .is_some_and(|held| held >= version)
            {
                continue;
            }
            self.fetch(network, peer, publisher).await;
        }
    }

    async fn sync_with_random_peer(&self, network: &NetworkClient) {
        let Ok(peers) = network.peers().await else {
            return;
        };
        if peers.is_empty() {
            return;
        }
        let pick = rand::random::<usize>() % peers.len();
        if let Ok(peer) = peers[pick].peer_id.parse::<PeerId>() {
            let service = self.clone();
            let network = network.clone();
            tokio::spawn(async move { service.sync_with(&network, peer).await });
        }
    }

    /// Answers catalogue requests from members; `None` for other requests.
    pub fn answer(&self, request: &Request) -> Option<Response> {
        Some(match request {
            Request::CatalogDigest => Response::CatalogDigest {
                versions: self
                    .inner
                    .federated
                    .versions()
                    .into_iter()
                    .map(|(peer, version)| (peer.to_string(), version))
                    .collect(),
            },
            Request::Catalog { publisher } => Response::Catalog {
                nquads: publisher
                    .parse::<PeerId>()
                    .ok()
                    .and_then(|p| self.inner.federated.signed_nquads(&p)),
            },
            _ => return None,
        })
    }
}

async fn next_event(
    events: &mut Option<tokio::sync::broadcast::Receiver<NetworkEvent>>,
) -> Option<NetworkEvent> {
    let Some(receiver) = events else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                // Anti-entropy recovers whatever these carried.
                tracing::warn!(missed, "catalogue service fell behind network events");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                *events = None;
                return std::future::pending().await;
            }
        }
    }
}
