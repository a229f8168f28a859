//! [`ObservationIndex`]: the SOSA observations in time order, beside the RDF store. Per
//! (entity, attribute) it keeps each observation's time, value, unit and graph in time
//! order, and per (entity, attribute, UTC day, graph) the day's count, sum, spread, minimum
//! and maximum. The temporal API reads a history from it with one range scan (`lastN=100`
//! reads 100 entries) and a year of daily averages from 365 day entries per series, where
//! the store needs six triples per observation gathered one observation at a time.
//!
//! The store stays the truth; the index is derived from it and never read without being
//! fresh. The writers that make observations (sensor ingest, NGSI-LD writes, retention)
//! tell it after their commit; ingest hands its batches to the index's own thread, so
//! indexing overlaps the next commit instead of slowing it, and a reader first waits for
//! what was handed over before it to be indexed. Writers that change the store behind its back (SPARQL
//! Update, the Graph Store, a bulk load) [invalidate](ObservationIndex::invalidate) it, and
//! it rebuilds from the store on a background thread; so does a node that did not shut down
//! cleanly (sled may have lost its last writes while RocksDB kept them). Until the index is
//! fresh again, readers ask the store.

mod extract;
mod keys;
mod read;
#[cfg(test)]
mod tests;

pub use extract::{IndexedObservation, observations_in};
pub use keys::{DayStats, TimeRange, day_of, is_midnight, midnight, number};
pub use read::Instance;

use crate::store::state::NodeState;
use hanse_vocab::sosa;
use oxigraph::model::NamedNodeRef;
use oxigraph::store::{StorageError, Store};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The tree of instances in time order.
const INSTANCES: &str = "observation_instances";
/// The tree of daily statistics.
const DAYS: &str = "observation_days";
/// The tree of the index's own state.
const META: &str = "observation_index";
/// Present when the node shut down with a fresh index.
const CLEAN: &[u8] = b"clean-shutdown";
/// Observations a rebuild reads before it writes them and checks whether to go on.
const REBUILD_CHUNK: usize = 4096;
/// Ingest batches waiting for the index's thread; past it the ingest writer waits.
const QUEUE: usize = 64;
/// How long a reader waits for handed-over batches before it asks the store instead.
const CATCH_UP: Duration = Duration::from_secs(2);

/// Why the index could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// sled failed.
    #[error("the observation index failed: {0}")]
    Sled(#[from] sled::Error),
    /// The RDF store failed while the index was rebuilt.
    #[error("the RDF store failed while the observation index was rebuilt: {0}")]
    Store(#[from] StorageError),
}

/// Whether the index may be read, and what the rebuild is doing.
#[derive(Debug, Default)]
struct Status {
    /// Bumped by every invalidation: a rebuild that started before the last one is stale.
    generation: u64,
    fresh: bool,
    rebuilding: bool,
    closed: bool,
    /// The rebuild's thread, joined at close (it holds the store open while it runs).
    rebuild: Option<std::thread::JoinHandle<()>>,
}

/// Batches handed to the index's thread, and batches it has indexed.
#[derive(Debug, Default)]
struct Progress {
    sent: u64,
    applied: u64,
}

struct Inner {
    store: Store,
    /// To the index's thread; taken at close, which ends the thread once it has drained.
    queue: Mutex<Option<std::sync::mpsc::SyncSender<Vec<IndexedObservation>>>>,
    progress: Mutex<Progress>,
    indexed: Condvar,
    instances: sled::Tree,
    days: sled::Tree,
    meta: sled::Tree,
    status: Mutex<Status>,
    /// One writer at a time, so "is it indexed yet?" and the write that follows are one step
    /// (the daily statistics count each observation once).
    writer: Mutex<()>,
}

/// The time-ordered observation index; cheap to clone.
#[derive(Clone)]
pub struct ObservationIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ObservationIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservationIndex")
            .field("fresh", &self.is_fresh())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ObservationIndex {
    /// Opens the index kept in `state` for `store`: fresh if the node shut down cleanly,
    /// else rebuilt in the background.
    pub fn open(state: &NodeState, store: Store) -> Result<Self, IndexError> {
        let db = state.db();
        let meta = db.open_tree(META)?;
        // Taken away at once: a crash from now on must find no marker.
        let clean = meta.remove(CLEAN)?.is_some();
        if clean {
            meta.flush()?;
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let index = Self {
            inner: Arc::new(Inner {
                store,
                queue: Mutex::new(Some(sender)),
                progress: Mutex::new(Progress::default()),
                indexed: Condvar::new(),
                instances: db.open_tree(INSTANCES)?,
                days: db.open_tree(DAYS)?,
                meta,
                status: Mutex::new(Status {
                    fresh: clean,
                    ..Status::default()
                }),
                writer: Mutex::new(()),
            }),
        };
        // The thread holds the index weakly: dropping the last handle ends it.
        let worker = Arc::downgrade(&index.inner);
        let spawned = std::thread::Builder::new()
            .name("observation-index".into())
            .spawn(move || index_handed_over(&worker, &receiver));
        if let Err(e) = spawned {
            tracing::error!("cannot start the observation index's thread: {e}");
            lock(&index.inner.queue).take();
        }
        if !clean {
            tracing::info!("the observation index is rebuilt from the store");
            index.invalidate();
        }
        Ok(index)
    }

    /// Hands `observations`, already committed to the store, to the index's thread.
    pub fn record_later(&self, observations: Vec<IndexedObservation>) {
        if observations.is_empty() {
            return;
        }
        let Some(queue) = lock(&self.inner.queue).clone() else {
            return;
        };
        lock(&self.inner.progress).sent += 1;
        if queue.send(observations).is_err() {
            // The thread is gone: what it missed comes back with a rebuild.
            self.invalidate();
            lock(&self.inner.progress).applied += 1;
        }
    }

    /// Waits until every batch handed over so far is indexed, at most `bound`; whether it is.
    fn catch_up(&self, bound: Duration) -> bool {
        let until = Instant::now() + bound;
        let mut progress = lock(&self.inner.progress);
        let target = progress.sent;
        while progress.applied < target {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            progress = self
                .inner
                .indexed
                .wait_timeout(progress, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Whether a reader may use the index now: fresh, with every ingest batch acknowledged
    /// before this call indexed.
    pub fn readable(&self) -> bool {
        self.is_fresh() && self.catch_up(CATCH_UP)
    }

    /// Marks the index of a stopped node's `state` as to be rebuilt, for writers that change
    /// the store while the node is down (`hanse load`).
    pub fn forget_clean_shutdown(state: &NodeState) -> Result<(), IndexError> {
        let meta = state.db().open_tree(META)?;
        meta.remove(CLEAN)?;
        meta.flush()?;
        Ok(())
    }

    /// Stops a rebuild and, if the index is fresh, marks it so for the next start (the
    /// caller flushes the state database after).
    pub fn close(&self) -> Result<(), IndexError> {
        lock(&self.inner.queue).take();
        let drained = self.catch_up(Duration::from_secs(30));
        let rebuild = {
            let mut status = lock(&self.inner.status);
            status.closed = true;
            status.rebuild.take()
        };
        // A rebuild stops at its next chunk; once it has, nothing but the handles holds the
        // store (so a node that failed to start can be started again).
        if let Some(rebuild) = rebuild
            && rebuild.join().is_err()
        {
            tracing::error!("the observation index's rebuild panicked");
        }
        let _writer = lock(&self.inner.writer);
        let mut status = lock(&self.inner.status);
        status.closed = true;
        if status.fresh && drained {
            self.inner.meta.insert(CLEAN, &[])?;
        }
        Ok(())
    }

    /// Whether the index holds exactly the store's observations.
    pub fn is_fresh(&self) -> bool {
        lock(&self.inner.status).fresh
    }

    /// Waits (blocking) until the index is fresh, at most `bound`; whether it is.
    pub fn wait_until_fresh(&self, bound: Duration) -> bool {
        let until = Instant::now() + bound;
        while !self.is_fresh() {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The store changed behind the index's back: readers ask the store until a rebuild
    /// (started here unless one is running) has caught up.
    pub fn invalidate(&self) {
        let mut status = lock(&self.inner.status);
        status.generation += 1;
        status.fresh = false;
        if status.rebuilding || status.closed {
            return;
        }
        status.rebuilding = true;
        // Spawned under the lock, so the handle kept is this rebuild's (its first step waits
        // for the lock).
        let inner = Arc::clone(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("observation-index-rebuild".into())
            .spawn(move || rebuild_until_current(&inner));
        match spawned {
            Ok(thread) => status.rebuild = Some(thread),
            Err(e) => {
                tracing::error!("cannot start the observation index's rebuild: {e}");
                status.rebuilding = false;
            }
        }
    }

    /// Indexes `observations`, already committed to the store; those indexed before are
    /// left as they are. How many were new.
    pub fn record(&self, observations: Vec<IndexedObservation>) -> Result<usize, IndexError> {
        if observations.is_empty() {
            return Ok(0);
        }
        let _writer = lock(&self.inner.writer);
        self.inner.record(observations)
    }

    /// Takes `observations`, already removed from the store, out of the index.
    pub fn forget(&self, observations: Vec<IndexedObservation>) -> Result<(), IndexError> {
        if observations.is_empty() {
            return Ok(());
        }
        // A batch handed over earlier must not put back what is forgotten here.
        if !self.catch_up(CATCH_UP) {
            self.invalidate();
            return Ok(());
        }
        let _writer = lock(&self.inner.writer);
        let mut touched = BTreeSet::new();
        for o in &observations {
            let series = keys::series(&o.entity, &o.attribute);
            self.inner.instances.remove(keys::instance_key(
                &series,
                o.at,
                &o.observation,
                &o.graph,
            ))?;
            touched.insert((series, day_of(o.at), o.graph.clone()));
        }
        // Minima and maxima cannot be taken back: count the touched days again.
        for (series, day, graph) in touched {
            let mut stats = DayStats::default();
            let range = TimeRange {
                from: Some(midnight(day)),
                from_excluded: false,
                until: Some(midnight(day + 1)),
            };
            for entry in self.inner.instances.range(keys::bounds(&series, range)) {
                let (key, value) = entry?;
                let Some(key) = keys::InstanceKey::parse(&key[series.len()..]) else {
                    continue;
                };
                if key.graph == graph
                    && let Some((value, _)) = keys::parse_instance_value(&value)
                {
                    stats.add(&value);
                }
            }
            let day_key = keys::day_key(&series, day, &graph);
            if stats.total == 0 {
                self.inner.days.remove(day_key)?;
            } else {
                self.inner.days.insert(day_key, stats.to_bytes().to_vec())?;
            }
        }
        Ok(())
    }
}

impl Inner {
    fn record(&self, observations: Vec<IndexedObservation>) -> Result<usize, IndexError> {
        let mut batch = sled::Batch::default();
        let mut batched: HashSet<Vec<u8>> = HashSet::new();
        let mut days: HashMap<Vec<u8>, DayStats> = HashMap::new();
        for o in observations {
            let series = keys::series(&o.entity, &o.attribute);
            let key = keys::instance_key(&series, o.at, &o.observation, &o.graph);
            if batched.contains(&key) || self.instances.contains_key(&key)? {
                continue;
            }
            days.entry(keys::day_key(&series, day_of(o.at), &o.graph))
                .or_default()
                .add(&o.value);
            batch.insert(
                key.as_slice(),
                keys::instance_value(&o.value, o.unit.as_ref()),
            );
            batched.insert(key);
        }
        self.instances.apply_batch(batch)?;
        for (key, added) in days {
            self.days.fetch_and_update(key, |old| {
                let mut stats = old.and_then(DayStats::from_bytes).unwrap_or_default();
                stats.merge(&added);
                Some(stats.to_bytes().to_vec())
            })?;
        }
        Ok(batched.len())
    }

    /// Whether a rebuild at `generation` should stop (the node is closing or the store
    /// changed again, so another pass follows).
    fn overtaken(&self, generation: u64) -> bool {
        let status = lock(&self.status);
        status.closed || status.generation != generation
    }

    /// Indexes every observation in the store afresh; `false` when overtaken.
    fn rebuild(&self, generation: u64) -> Result<bool, IndexError> {
        {
            let _writer = lock(&self.writer);
            self.instances.clear()?;
            self.days.clear()?;
        }
        // Writes committed from here on are in the store's snapshot below or told by their
        // writers after it was taken; telling twice counts once.
        let feature = NamedNodeRef::new_unchecked(sosa::HAS_FEATURE_OF_INTEREST);
        let mut quads = Vec::new();
        let mut read = 0;
        for quad in self
            .store
            .quads_for_pattern(None, Some(feature), None, None)
        {
            let quad = quad?;
            for part in self.store.quads_for_pattern(
                Some(quad.subject.as_ref()),
                None,
                None,
                Some(quad.graph_name.as_ref()),
            ) {
                quads.push(part?);
            }
            read += 1;
            if read % REBUILD_CHUNK == 0 {
                let observations = observations_in(quads.iter().map(Into::into));
                quads.clear();
                let _writer = lock(&self.writer);
                self.record(observations)?;
                drop(_writer);
                if self.overtaken(generation) {
                    return Ok(false);
                }
            }
        }
        let observations = observations_in(quads.iter().map(Into::into));
        let _writer = lock(&self.writer);
        self.record(observations)?;
        Ok(true)
    }
}

/// The index's thread: indexes handed-over batches while the index has handles.
fn index_handed_over(
    inner: &std::sync::Weak<Inner>,
    receiver: &std::sync::mpsc::Receiver<Vec<IndexedObservation>>,
) {
    while let Ok(observations) = receiver.recv() {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let index = ObservationIndex { inner };
        if let Err(e) = index.record(observations) {
            tracing::error!("{e}");
            index.invalidate();
        }
        lock(&index.inner.progress).applied += 1;
        index.inner.indexed.notify_all();
    }
}

/// Rebuilds until a pass finishes with no invalidation during it.
fn rebuild_until_current(inner: &Inner) {
    loop {
        let generation = lock(&inner.status).generation;
        let started = Instant::now();
        let result = inner.rebuild(generation);
        let mut status = lock(&inner.status);
        match result {
            Err(e) => {
                // Readers keep asking the store; the next invalidation or start tries again.
                tracing::error!("the observation index could not be rebuilt: {e}");
                status.rebuilding = false;
                return;
            }
            Ok(_) if status.closed => {
                status.rebuilding = false;
                return;
            }
            Ok(true) if status.generation == generation => {
                status.fresh = true;
                status.rebuilding = false;
                tracing::info!(
                    observations = inner.instances.len(),
                    secs = started.elapsed().as_secs_f64(),
                    "the observation index is fresh"
                );
                return;
            }
            Ok(_) => {}
        }
    }
}
