//! The writer: one thread that takes batches from every source, writes them in one store
//! transaction (group commit: whatever queued while the previous commit ran goes into the
//! next), and only then answers, so that callers acknowledge messages after they are durable.
//!
//! The queue is bounded: when the store is slower than the sources, senders wait, MQTT
//! connections stop reading and the broker holds the messages.

use super::dead_letters::{DeadLetter, DeadLetterStore};
use super::live::{self, LiveSender};
use super::status::SourceCounters;
use crate::catalog::CatalogService;
use crate::store::geo_index::{GeoEntry, GeoIndex};
use crate::store::observation_index::{IndexedObservation, ObservationIndex};
use crate::store::subject_filter::{SubjectFilter, typed_subjects};
use hanse_sensors::{Mapper, Observation, parse_time_text};
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, Quad, QuadRef, Term};
use oxigraph::store::{StorageError, Store};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Quads from which a batch is written with the bulk loader instead of a transaction.
const BULK_THRESHOLD: usize = 5_000;

/// One source's messages for the writer.
pub struct WriteJob {
    /// The source's name.
    pub source: String,
    /// The mapping the observations were made with.
    pub mapper: Arc<Mapper>,
    /// The source's counters.
    pub counters: Arc<SourceCounters>,
    /// Messages this job acknowledges (for the counters).
    pub messages: u64,
    /// Observations to store.
    pub observations: Vec<Observation>,
    /// Refused messages to keep.
    pub dead_letters: Vec<DeadLetter>,
    /// When the oldest message of the job was received.
    pub received: Instant,
    /// Answered once everything is durable.
    pub done: oneshot::Sender<Result<WriteOutcome, WriteError>>,
}

/// What a job stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    /// Observations stored (duplicates of stored ones included).
    pub observations: usize,
    /// Ids of the dead letters stored.
    pub dead_letters: Vec<u64>,
}

/// Why a job was not stored; the messages must not be acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The RDF store failed.
    #[error("the RDF store failed: {0}")]
    Store(String),
    /// The dead-letter store failed.
    #[error("the dead-letter store failed: {0}")]
    DeadLetters(String),
    /// The writer has stopped (the node is shutting down).
    #[error("the writer has stopped")]
    Stopped,
}

/// What follows the writer's commits.
pub struct Followers {
    /// Statistics and the catalogue.
    pub catalog: CatalogService,
    /// The spatial index, told where devices are.
    pub geo: GeoIndex,
    /// The filter of stored entities, told of new devices and observations.
    pub subjects: SubjectFilter,
    /// The observation index, told of every observation committed.
    pub observations: ObservationIndex,
}

/// Starts the writer thread; it stops when every sender is dropped.
pub fn spawn(
    store: Store,
    dead_letters: DeadLetterStore,
    followers: Followers,
    max_batch: usize,
    queue: usize,
    live: LiveSender,
) -> (mpsc::Sender<WriteJob>, std::thread::JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel(queue);
    let thread = std::thread::Builder::new()
        .name("hanse-ingest-writer".into())
        .spawn(move || Writer::new(store, dead_letters, followers, max_batch, live).run(receiver));
    match thread {
        Ok(handle) => (sender, handle),
        // Without a thread nothing can be written; senders see `Stopped`.
        Err(e) => {
            tracing::error!("cannot start the ingest writer thread: {e}");
            let (sender, _) = mpsc::channel(1);
            (sender, std::thread::spawn(|| {}))
        }
    }
}

struct Writer {
    store: Store,
    dead_letters: DeadLetterStore,
    catalog: CatalogService,
    geo: GeoIndex,
    subjects: SubjectFilter,
    observations: ObservationIndex,
    max_batch: usize,
    /// Entities described since start, with the location written.
    described: HashMap<NamedNode, Option<(f64, f64)>>,
    /// Where committed readings are announced (for the console's live charts).
    live: LiveSender,
}

impl Writer {
    fn new(
        store: Store,
        dead_letters: DeadLetterStore,
        followers: Followers,
        max_batch: usize,
        live: LiveSender,
    ) -> Self {
        let Followers {
            catalog,
            geo,
            subjects,
            observations,
        } = followers;
        Self {
            store,
            dead_letters,
            catalog,
            geo,
            subjects,
            observations,
            max_batch,
            described: HashMap::new(),
            live,
        }
    }

    fn run(mut self, mut receiver: mpsc::Receiver<WriteJob>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut size = first.observations.len();
            let mut jobs = vec![first];
            while size < self.max_batch {
                match receiver.try_recv() {
                    Ok(job) => {
                        size += job.observations.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.write(jobs);
        }
        tracing::debug!("ingest writer stopped");
    }

    #[tracing::instrument(skip_all, fields(jobs = jobs.len()))]
    fn write(&mut self, mut jobs: Vec<WriteJob>) {
        let observations: usize = jobs.iter().map(|j| j.observations.len()).sum();
        let stored = if observations > 0 {
            self.store_observations(&jobs)
                .map_err(|e| WriteError::Store(e.to_string()))
        } else {
            Ok(())
        };
        let mut letters: Vec<DeadLetter> = Vec::new();
        let mut counts = Vec::with_capacity(jobs.len());
        for job in &mut jobs {
            counts.push(job.dead_letters.len());
            letters.append(&mut job.dead_letters);
        }
        let kept = if stored.is_ok() && !letters.is_empty() {
            self.dead_letters
                .put_all(&mut letters)
                .map_err(|e| WriteError::DeadLetters(e.to_string()))
        } else {
            Ok(())
        };
        if observations > 0 && stored.is_ok() {
            self.catalog.data_changed();
            if self.live.receiver_count() > 0 {
                let mut readings = Vec::new();
                for job in &jobs {
                    let graph = match job.mapper.graph() {
                        GraphName::NamedNode(g) => g.as_str().to_owned(),
                        _ => String::new(),
                    };
                    live::newest(&job.source, &graph, job.observations.iter(), &mut readings);
                }
                // No listener left is not an error: the readings are stored either way.
                let _ = self.live.send(std::sync::Arc::new(readings));
            }
        }
        let mut ids = letters.into_iter().map(|l| l.id);
        for (job, count) in jobs.into_iter().zip(counts) {
            let result = match (&stored, &kept) {
                (Err(e), _) | (_, Err(e)) => {
                    job.counters.error(&e.to_string());
                    tracing::error!(source = %job.source, "ingest write failed: {e}");
                    Err(e.clone())
                }
                (Ok(()), Ok(())) => {
                    let lag = job.received.elapsed().as_millis() as u64;
                    job.counters.stored(
                        job.messages.saturating_sub(count as u64),
                        job.observations.len() as u64,
                        lag,
                    );
                    Ok(WriteOutcome {
                        observations: job.observations.len(),
                        dead_letters: ids.by_ref().take(count).collect(),
                    })
                }
            };
            // The caller may have given up waiting (HTTP timeout); the data is stored anyway.
            let _ = job.done.send(result);
        }
    }

    fn store_observations(&mut self, jobs: &[WriteJob]) -> Result<(), StorageError> {
        let mut transaction = self.store.start_transaction()?;
        let mut quads = Vec::new();
        // The newest observation of each (entity, property) updates the entity's latest state.
        let mut latest: HashMap<(&NamedNode, &NamedNode), (&Observation, &Mapper)> = HashMap::new();
        let mut located: Vec<GeoEntry> = Vec::new();
        // Told to the index once committed.
        let mut indexed = Vec::new();
        for job in jobs {
            let graph = job.mapper.graph();
            for observation in &job.observations {
                observation.quads(graph, &mut quads);
                indexed.extend(index_entry(observation, graph));
                let known = self.described.get(&observation.feature);
                if known.is_none()
                    || (observation.location.is_some() && known != Some(&observation.location))
                {
                    let description = job
                        .mapper
                        .describe(&observation.device, observation.location);
                    // A moved device keeps one geometry.
                    let geometry = NamedNode::new_unchecked(format!(
                        "{}/geometry",
                        description.feature.as_str()
                    ));
                    remove_matching(
                        &mut transaction,
                        geometry.as_ref().into(),
                        None,
                        graph.as_ref(),
                    )?;
                    description.quads(graph, &mut quads);
                    if let (Some((lat, lon)), GraphName::NamedNode(graph)) =
                        (description.location, graph)
                    {
                        located.extend(GeoEntry::new(
                            graph.clone(),
                            description.feature.clone(),
                            hanse_vocab::ngsi_ld::LOCATION.to_owned(),
                            geometry.as_str().to_owned(),
                            geo::Geometry::Point(geo::Point::new(lon, lat)),
                        ));
                    }
                    self.described
                        .insert(observation.feature.clone(), description.location);
                }
                let key = (&observation.feature, &observation.property);
                match latest.get(&key) {
                    Some((newest, _)) if newest.phenomenon_time >= observation.phenomenon_time => {}
                    _ => {
                        latest.insert(key, (observation, &job.mapper));
                    }
                }
            }
        }
        let _announced = self.subjects.announce(typed_subjects(&quads));
        if quads.len() >= BULK_THRESHOLD {
            // Large batches go in as SST files: RocksDB's transactional write path (a write
            // batch with index, then the memtable) costs ~30x more per quad. Ingestion is
            // atomic and synced; the small latest-state update follows in the transaction.
            let mut loader = self.store.bulk_loader().with_num_threads(1);
            loader.load_quads(quads)?;
            loader.commit()?;
        } else {
            transaction.extend(quads.iter());
        }
        for ((feature, property), (observation, mapper)) in latest {
            update_latest_state(&mut transaction, mapper, feature, property, observation)?;
        }
        transaction.commit()?;
        for entry in located {
            self.geo.put(entry);
        }
        // Indexed on the index's own thread, overlapping the next commit.
        self.observations.record_later(indexed);
        Ok(())
    }
}

/// `observation` in `graph` as the observation index keeps it.
fn index_entry(observation: &Observation, graph: &GraphName) -> Option<IndexedObservation> {
    let at = hanse_sensors::format_time(observation.phenomenon_time);
    Some(IndexedObservation {
        entity: observation.feature.as_str().to_owned(),
        attribute: observation.property.as_str().to_owned(),
        observation: observation.iri.as_str().to_owned(),
        graph: match graph {
            GraphName::NamedNode(g) => g.as_str().to_owned(),
            _ => String::new(),
        },
        at: oxsdatatypes::DateTime::from_str(&at).ok()?,
        value: observation.value.clone().into(),
        unit: observation.unit.clone(),
    })
}

/// Sets the entity's attribute to the observation's value if it is at least as new as the
/// entity's `dateObserved`, and moves `dateObserved` forward.
fn update_latest_state(
    transaction: &mut oxigraph::store::Transaction<'_>,
    mapper: &Mapper,
    feature: &NamedNode,
    property: &NamedNode,
    observation: &Observation,
) -> Result<(), StorageError> {
    let graph: &GraphName = mapper.graph();
    let date_observed = mapper.date_observed();
    let current: Vec<Quad> = transaction
        .quads_for_pattern(
            Some(feature.as_ref().into()),
            Some(date_observed.as_ref()),
            None,
            Some(graph.as_ref()),
        )
        .collect::<Result<_, _>>()?;
    let stored_time = current.iter().find_map(|q| match &q.object {
        Term::Literal(l) => parse_time_text(l.value()),
        _ => None,
    });
    if stored_time.is_some_and(|t| t > observation.phenomenon_time) {
        return Ok(());
    }
    remove_matching(
        transaction,
        feature.as_ref().into(),
        Some(property.as_ref()),
        graph.as_ref(),
    )?;
    transaction.insert(QuadRef::new(feature, property, &observation.value, graph));
    if stored_time != Some(observation.phenomenon_time) {
        for quad in &current {
            transaction.remove(quad);
        }
        let date = hanse_sensors::observation::date_time(observation.phenomenon_time);
        transaction.insert(QuadRef::new(
            feature,
            NamedNodeRef::from(&date_observed),
            &date,
            graph,
        ));
    }
    Ok(())
}

/// Removes the quads of `graph` with this subject (and predicate, if given) in a
/// transaction; returns them.
pub(crate) fn remove_matching(
    transaction: &mut oxigraph::store::Transaction<'_>,
    subject: oxigraph::model::NamedOrBlankNodeRef<'_>,
    predicate: Option<oxigraph::model::NamedNodeRef<'_>>,
    graph: oxigraph::model::GraphNameRef<'_>,
) -> Result<Vec<Quad>, oxigraph::store::StorageError> {
    let old: Vec<Quad> = transaction
        .quads_for_pattern(Some(subject), predicate, None, Some(graph))
        .collect::<Result<_, _>>()?;
    for quad in &old {
        transaction.remove(quad);
    }
    Ok(old)
}
