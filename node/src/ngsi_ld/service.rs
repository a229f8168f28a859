//! [`NgsiLdService`]: the NGSI-LD API's logic over the store, the spatial index and the
//! @context loader. HTTP adapters parse requests into calls of this service; every call
//! takes the caller's [`Rights`], decided by the access service, and sees only those graphs.
//!
//! Store work runs on blocking threads under a concurrency bound and the node's query
//! timeout. Writes of one entity go one after the other, writes of different entities side
//! by side ([`EntityClaims`]); each request (or batch) is one commit.

use super::claims::EntityClaims;
use super::context_loader::ContextLoader;
use super::entity_quads::{EntityWrite, Scope, quads, write};
use super::entity_store::{Stored, geometry_node, read};
use super::error::NgsiLdError;
use super::model::Entity;
use super::query::{EntityQuery, Page, is_entity};
use super::temporal::{History, TemporalQuery, history, observed};
use crate::access::visibility::Rights;
use crate::catalog::{CatalogService, DatasetDefinition};
use crate::config::NgsiLdSection;
use crate::store::geo_index::{GeoEntry, GeoIndex};
use crate::store::observation_index::{ObservationIndex, observations_in};
use crate::store::subject_filter::{SubjectFilter, typed_subjects};
use oxigraph::model::{NamedNode, Quad};
use oxigraph::store::Store;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Fewest new quads a batch writes through the bulk loader rather than a transaction.
const BULK_THRESHOLD: usize = 5_000;

/// The NGSI-LD service; cheap to clone.
#[derive(Clone)]
pub struct NgsiLdService {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) store: Store,
    /// The store's observations in time order (histories are read from it).
    pub(super) observations: ObservationIndex,
    pub(super) contexts: ContextLoader,
    pub(super) geo: GeoIndex,
    /// Which ids may be stored entities (a new one is not read).
    pub(super) subjects: SubjectFilter,
    pub(super) catalog: CatalogService,
    pub(super) config: NgsiLdSection,
    pub(super) default_graph: NamedNode,
    pub(super) timeout: Duration,
    pub(super) permits: Arc<Semaphore>,
    /// The entities writes in flight are changing.
    pub(super) claims: EntityClaims,
}

/// What the service is built from.
pub struct NgsiLdParts {
    /// The RDF store.
    pub store: Store,
    /// The store's observations in time order (shared with every writer of observations).
    pub observations: ObservationIndex,
    /// The spatial index (shared with sensor ingest).
    pub geo: GeoIndex,
    /// Which IRIs may be stored entities (shared with every writer of the store).
    pub subjects: SubjectFilter,
    /// Datasets (which graph holds which entity types) and change notices.
    pub catalog: CatalogService,
    /// `[ngsi_ld]`.
    pub config: NgsiLdSection,
    /// The node directory (for `context_files`).
    pub root: std::path::PathBuf,
    /// Where user @contexts may be fetched from.
    pub egress: crate::trust::egress::Egress,
    /// Time limit of one request's store work.
    pub timeout: Duration,
    /// Requests doing store work at once.
    pub max_concurrent: usize,
}

/// The current time as NGSI-LD writes it.
pub(super) fn now() -> String {
    let t = hanse_sensors::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

impl NgsiLdService {
    /// Builds the service.
    pub fn new(parts: NgsiLdParts) -> Result<Self, NgsiLdError> {
        let contexts = ContextLoader::new(parts.config.clone(), parts.egress.clone(), &parts.root)?;
        let graph = parts
            .config
            .graph
            .clone()
            .unwrap_or_else(|| format!("hanse://{}/graph/ngsi-ld", parts.catalog.peer_id()));
        let default_graph = NamedNode::new(&graph)
            .map_err(|e| NgsiLdError::Internal(format!("ngsi_ld.graph `{graph}`: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store: parts.store,
                observations: parts.observations,
                contexts,
                geo: parts.geo,
                subjects: parts.subjects,
                catalog: parts.catalog,
                config: parts.config,
                default_graph,
                timeout: parts.timeout,
                permits: Arc::new(Semaphore::new(parts.max_concurrent.max(1))),
                claims: EntityClaims::default(),
            }),
        })
    }

    /// The @context loader.
    pub fn contexts(&self) -> &ContextLoader {
        &self.inner.contexts
    }

    /// `[ngsi_ld]`.
    pub fn config(&self) -> &NgsiLdSection {
        &self.inner.config
    }

    /// The graph for entities no dataset claims.
    pub fn default_graph(&self) -> &NamedNode {
        &self.inner.default_graph
    }

    /// The spatial index.
    pub fn geo_index(&self) -> &GeoIndex {
        &self.inner.geo
    }

    /// Data changed behind the service's back (SPARQL Update, Graph Store): the spatial
    /// index is rebuilt on its next use, the observation index in the background.
    pub fn data_changed(&self) {
        self.inner.geo.invalidate();
        self.inner.observations.invalidate();
    }

    /// Runs `work` on a blocking thread under a permit and the time limit.
    pub(super) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner, Instant) -> Result<T, NgsiLdError> + Send + 'static,
    ) -> Result<T, NgsiLdError> {
        let deadline = Instant::now() + self.inner.timeout;
        let timeout = self.inner.timeout;
        let timed_out = || {
            NgsiLdError::Timeout(format!(
                "the request took longer than {} s (sparql.query_timeout_secs)",
                timeout.as_secs()
            ))
        };
        let permit = tokio::time::timeout(timeout, Arc::clone(&self.inner.permits).acquire_owned())
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| NgsiLdError::Internal(e.to_string()))?;
        let inner = Arc::clone(&self.inner);
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&inner, deadline)
        });
        match tokio::time::timeout(timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(NgsiLdError::Internal(join.to_string())),
            Err(_) => Err(timed_out()),
        }
    }

    /// One entity, as the caller may see it.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn retrieve(&self, rights: &Rights, id: &str) -> Result<Entity, NgsiLdError> {
        let id = entity_iri(id)?;
        let visible = rights.read.clone();
        self.blocking(move |inner, _| {
            read(&inner.store, &id, &visible)?
                .filter(is_entity)
                .map(|s| s.entity())
                .ok_or_else(|| not_found(id.as_str()))
        })
        .await
    }

    /// The history of one entity (its observations), as the caller may see it.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn history(
        &self,
        rights: &Rights,
        id: &str,
        query: TemporalQuery,
    ) -> Result<History, NgsiLdError> {
        let id = entity_iri(id)?;
        let visible = rights.read.clone();
        self.blocking(move |inner, deadline| {
            history(
                &inner.store,
                inner.readable_observations(),
                &id,
                &visible,
                &query,
                deadline,
            )?
            .ok_or_else(|| not_found(id.as_str()))
        })
        .await
    }

    /// The histories of `entities` (a query's page, read for this caller), in their order.
    #[tracing::instrument(skip_all, fields(entities = entities.len()))]
    pub async fn histories(
        &self,
        rights: &Rights,
        entities: Vec<Entity>,
        query: TemporalQuery,
    ) -> Result<Vec<History>, NgsiLdError> {
        let entities = entities
            .into_iter()
            .map(|e| Ok((entity_iri(&e.id)?, e.types)))
            .collect::<Result<Vec<_>, NgsiLdError>>()?;
        let visible = rights.read.clone();
        self.blocking(move |inner, deadline| {
            // Asked once: every history of the answer is read the same way.
            let index = inner.readable_observations();
            entities
                .into_iter()
                .map(|(id, types)| {
                    observed(&inner.store, index, &id, types, &visible, &query, deadline)
                })
                .collect()
        })
        .await
    }

    /// A page of entities matching `query`.
    #[tracing::instrument(skip_all)]
    pub async fn query(&self, rights: &Rights, query: EntityQuery) -> Result<Page, NgsiLdError> {
        let visible = rights.read.clone();
        self.blocking(move |inner, deadline| {
            query.run(&inner.store, &inner.geo, &visible, deadline)
        })
        .await
    }
}

/// The entity id as an IRI, or 400.
pub(super) fn entity_iri(id: &str) -> Result<NamedNode, NgsiLdError> {
    if !super::model::is_uri(id) {
        return Err(NgsiLdError::BadRequestData(format!(
            "entity id `{id}` is not a URI"
        )));
    }
    NamedNode::new(id).map_err(|e| NgsiLdError::BadRequestData(format!("entity id `{id}`: {e}")))
}

/// Back from a batch error to the error type (for single-entity operations).
pub fn error_from(short: &Value) -> NgsiLdError {
    let detail = short
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    match short.get("title").and_then(Value::as_str) {
        Some("AlreadyExists") => NgsiLdError::AlreadyExists(detail),
        Some("ResourceNotFound") => NgsiLdError::ResourceNotFound(detail),
        Some("NoRight") if short.get("status").and_then(Value::as_u64) == Some(401) => {
            NgsiLdError::Unauthorized(detail)
        }
        Some("NoRight") => NgsiLdError::Forbidden(detail),
        Some("InvalidRequest") => NgsiLdError::InvalidRequest(detail),
        Some("InternalError") => NgsiLdError::Internal(detail),
        _ => NgsiLdError::BadRequestData(detail),
    }
}

/// 401 for a caller without credentials, 403 for one whose rights do not reach the graph.
pub fn no_right(rights: &Rights, message: String) -> NgsiLdError {
    if rights.anonymous {
        NgsiLdError::Unauthorized(format!(
            "{message}: writes need `Authorization: Bearer <token>` of a person with the editor role (or a sensor source's token, for its own graph)"
        ))
    } else {
        NgsiLdError::Forbidden(format!(
            "{message}: {} may not write there (writes need the editor role, or a sensor source's token for its own graph)",
            rights.who
        ))
    }
}

/// Checks an entity id taken from a URL.
pub fn check_id(id: &str) -> Result<(), NgsiLdError> {
    entity_iri(id).map(|_| ())
}

pub(super) fn not_found(id: &str) -> NgsiLdError {
    NgsiLdError::ResourceNotFound(format!(
        "no entity `{id}` here (or not visible to this caller)"
    ))
}

/// The spatial-index entries of an entity's GeoProperties.
pub(super) fn geo_entries(graph: &NamedNode, entity: &Entity) -> Vec<GeoEntry> {
    let Ok(id) = NamedNode::new(&entity.id) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for (attr, instances) in &entity.attrs {
        for instance in instances
            .iter()
            .filter(|i| super::model::is_geo_instance(attr, i))
        {
            let Some(geometry) = instance
                .get("value")
                .and_then(|v| super::geojson::parse(v).ok())
            else {
                continue;
            };
            let node = geometry_node(&entity.id, attr, super::model::dataset_id(instance));
            entries.extend(GeoEntry::new(
                graph.clone(),
                id.clone(),
                attr.clone(),
                node,
                geometry,
            ));
        }
    }
    entries
}

impl Inner {
    /// The observation index, if histories may be read from it now.
    fn readable_observations(&self) -> Option<&ObservationIndex> {
        self.observations.readable().then_some(&self.observations)
    }

    /// Commits a set of entity writes in one transaction, then updates the spatial index.
    pub(super) fn commit(&self, writes: &[EntityWrite]) -> Result<(), NgsiLdError> {
        if writes.is_empty() {
            return Ok(());
        }
        let now = now();
        let mut stated: Vec<Vec<Quad>> = writes
            .iter()
            .map(|w| quads(&w.graph, &w.entity, &w.scope, &now))
            .collect();
        let _announced = self
            .subjects
            .announce(typed_subjects(stated.iter().flatten()));
        // The observations `observedAt` values make, told to the index once committed.
        let observed = observations_in(stated.iter().flatten().map(Into::into));
        let fresh: Vec<Quad> = writes
            .iter()
            .zip(stated.iter_mut())
            .filter(|(w, _)| matches!(w.scope, Scope::New))
            .flat_map(|(_, q)| std::mem::take(q))
            .collect();
        // What of `fresh` is left for the transaction.
        let fresh = if fresh.len() >= BULK_THRESHOLD {
            // New entities of a large batch go in as SST files: RocksDB's transactional path
            // (a write batch with index, then the memtable) costs many times more per quad,
            // as in the ingest writer. They commit just before the rest of the batch.
            let mut loader = self.store.bulk_loader().with_num_threads(1);
            loader.load_quads(fresh)?;
            loader.commit()?;
            Vec::new()
        } else {
            fresh
        };
        let mut tx = self.store.start_transaction()?;
        tx.extend(fresh.iter());
        for (change, new) in writes.iter().zip(&stated) {
            if !matches!(change.scope, Scope::New) {
                write(&mut tx, change, new);
            }
        }
        tx.commit()?;
        if let Err(e) = self.observations.record(observed) {
            // Committed either way: readers ask the store until a rebuild caught up.
            tracing::error!("{e}");
            self.observations.invalidate();
        }
        for change in writes {
            if let Ok(id) = NamedNode::new(&change.entity.id) {
                let entries = if matches!(change.scope, Scope::Delete) {
                    Vec::new()
                } else {
                    geo_entries(&change.graph, &change.entity)
                };
                self.geo.replace(&change.graph, &id, entries);
            }
        }
        self.catalog.data_changed();
        Ok(())
    }

    /// The entity `id` where the caller may write it: `Ok(None)` if it does not exist.
    pub(super) fn writable(
        &self,
        rights: &Rights,
        id: &NamedNode,
    ) -> Result<Option<Stored>, NgsiLdError> {
        if !self.subjects.may_exist(id.as_str()) {
            return Ok(None);
        }
        let Some(stored) = read(&self.store, id, &rights.read)?.filter(is_entity) else {
            return Ok(None);
        };
        if !rights.may_write(&stored.graph) {
            return Err(no_right(
                rights,
                format!(
                    "`{}` is in a graph this caller ({}) may not write",
                    id.as_str(),
                    rights.who
                ),
            ));
        }
        Ok(Some(stored))
    }

    /// Where a new entity of these types goes: the first graph of a dataset of
    /// `definitions` that claims one of them (`conforms_to`), else `ngsi_ld.graph`.
    pub(super) fn home_for(
        &self,
        rights: &Rights,
        types: &[String],
        definitions: &[DatasetDefinition],
    ) -> Result<NamedNode, NgsiLdError> {
        let claimed = definitions
            .iter()
            .find(|d| d.conforms_to.iter().any(|c| types.contains(c)))
            .and_then(|d| d.graphs.first())
            .and_then(|g| NamedNode::new(g).ok());
        let graph = claimed.unwrap_or_else(|| self.default_graph.clone());
        if !rights.may_write(&graph) {
            return Err(no_right(
                rights,
                format!(
                    "entities of this type go to graph <{}>, which this caller ({}) may not write",
                    graph.as_str(),
                    rights.who
                ),
            ));
        }
        Ok(graph)
    }
}
