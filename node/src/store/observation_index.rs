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

mod keys;
#[cfg(test)]
mod tests;

pub use keys::{DayStats, day_of, is_midnight, midnight, number};

use crate::store::state::NodeState;
use crate::store::visible::Visible;
use hanse_vocab::{qudt, sosa};
use oxigraph::model::{
    GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, QuadRef, Term, TermRef,
};
use oxigraph::store::{StorageError, Store};
use oxsdatatypes::DateTime;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;
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

/// One observation as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedObservation {
    /// The feature of interest (the NGSI-LD entity).
    pub entity: String,
    /// The observed property (the attribute).
    pub attribute: String,
    /// The observation's IRI.
    pub observation: String,
    /// Its graph's IRI, empty for the default graph.
    pub graph: String,
    /// `sosa:phenomenonTime`.
    pub at: DateTime,
    /// `sosa:hasSimpleResult`.
    pub value: Term,
    /// `qudt:unit`.
    pub unit: Option<NamedNode>,
}

/// One instance read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// When it was observed.
    pub at: DateTime,
    /// The observation's IRI.
    pub observation: NamedNode,
    /// The value.
    pub value: Term,
    /// Its unit.
    pub unit: Option<NamedNode>,
}

/// The times a read covers: from `from` (excluded when `from_excluded`) until `until`
/// (excluded).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    /// The earliest time, if any.
    pub from: Option<DateTime>,
    /// Whether an instance exactly at `from` is left out.
    pub from_excluded: bool,
    /// The first time past the range, if any.
    pub until: Option<DateTime>,
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
            for entry in self.inner.instances.range(bounds(&series, range)) {
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

    /// The attributes entity `entity` has instances of.
    pub fn attributes(&self, entity: &str) -> Result<Vec<String>, IndexError> {
        let mut prefix = entity.as_bytes().to_vec();
        prefix.push(0);
        let mut from = prefix.clone();
        let mut attributes = Vec::new();
        while let Some(entry) = self.inner.instances.range(from.as_slice()..).next() {
            let (key, _) = entry?;
            let Some(rest) = key.strip_prefix(prefix.as_slice()) else {
                break;
            };
            let Some(end) = rest.iter().position(|b| *b == 0) else {
                break;
            };
            attributes.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            // Past every key of this attribute: `attribute 0 …` < `attribute 1`.
            from.truncate(prefix.len());
            from.extend_from_slice(&rest[..end]);
            from.push(1);
        }
        Ok(attributes)
    }

    /// The instances of (`entity`, `attribute`) in `range` that `visible` lets the caller
    /// see, oldest first (or newest first).
    pub fn instances<'a>(
        &self,
        entity: &str,
        attribute: &str,
        range: TimeRange,
        newest_first: bool,
        visible: &'a Visible,
    ) -> impl Iterator<Item = Result<Instance, IndexError>> + 'a {
        let series = keys::series(entity, attribute);
        let scan = self.inner.instances.range(bounds(&series, range));
        let scan: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> = if newest_first
        {
            Box::new(scan.rev())
        } else {
            Box::new(scan)
        };
        let mut graphs = GraphFilter::new(visible);
        scan.filter_map(move |entry| {
            let (key, value) = match entry {
                Ok(entry) => entry,
                Err(e) => return Some(Err(e.into())),
            };
            let key = keys::InstanceKey::parse(key.get(series.len()..)?)?;
            if !graphs.sees(key.graph) {
                return None;
            }
            let (value, unit) = keys::parse_instance_value(&value)?;
            Some(Ok(Instance {
                at: key.at,
                observation: NamedNode::new(key.observation).ok()?,
                value,
                unit,
            }))
        })
    }

    /// The daily statistics of (`entity`, `attribute`) from day `from` until day `until`
    /// (excluded), each day's graphs that `visible` lets the caller see merged, in day order.
    pub fn days(
        &self,
        entity: &str,
        attribute: &str,
        from: Option<i64>,
        until: Option<i64>,
        visible: &Visible,
    ) -> Result<Vec<(i64, DayStats)>, IndexError> {
        let series = keys::series(entity, attribute);
        let start = keys::day_key(&series, from.unwrap_or(i64::MIN), "");
        let end = match until {
            Some(day) => keys::day_key(&series, day, ""),
            None => successor(&series),
        };
        let mut graphs = GraphFilter::new(visible);
        let mut days: Vec<(i64, DayStats)> = Vec::new();
        for entry in self.inner.days.range(start..end) {
            let (key, value) = entry?;
            let Some((day, graph)) = keys::parse_day_key(&key[series.len()..]) else {
                continue;
            };
            let Some(stats) = DayStats::from_bytes(&value) else {
                continue;
            };
            if !graphs.sees(graph) {
                continue;
            }
            match days.last_mut() {
                Some((last, merged)) if *last == day => merged.merge(&stats),
                _ => days.push((day, stats)),
            }
        }
        Ok(days)
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

/// The sled range of a series' instances in `range`.
fn bounds(series: &[u8], range: TimeRange) -> std::ops::Range<Vec<u8>> {
    let start = match range.from {
        Some(from) if range.from_excluded => keys::after_bound(series, from),
        Some(from) => keys::time_bound(series, from),
        None => series.to_vec(),
    };
    let end = match range.until {
        Some(until) => keys::time_bound(series, until),
        None => successor(series),
    };
    let end = end.max(start.clone());
    start..end
}

/// The first key past every key starting with `prefix` (which ends with a 0 byte).
fn successor(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = 1;
    }
    end
}

/// Which graphs a reader sees, remembered per graph IRI (a history has few graphs and many
/// entries).
struct GraphFilter<'a> {
    visible: &'a Visible,
    seen: Vec<(String, bool)>,
}

impl<'a> GraphFilter<'a> {
    fn new(visible: &'a Visible) -> Self {
        Self {
            visible,
            seen: Vec::new(),
        }
    }

    fn sees(&mut self, graph: &str) -> bool {
        if let Some((_, sees)) = self.seen.iter().find(|(g, _)| g == graph) {
            return *sees;
        }
        let sees = if graph.is_empty() {
            self.visible.sees(GraphNameRef::DefaultGraph)
        } else {
            self.visible
                .sees(GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(graph)))
        };
        self.seen.push((graph.to_owned(), sees));
        sees
    }
}

/// The observations `quads` make whole: a named subject with a feature of interest, an
/// observed property, a simple result and a phenomenon time with a zone (the ones the
/// temporal API shows). Others, hourly aggregates among them, are not indexed.
pub fn observations_in<'a>(
    quads: impl IntoIterator<Item = QuadRef<'a>>,
) -> Vec<IndexedObservation> {
    #[derive(Default)]
    struct Parts<'a> {
        entity: Option<&'a str>,
        attribute: Option<&'a str>,
        value: Option<TermRef<'a>>,
        at: Option<DateTime>,
        unit: Option<&'a str>,
    }
    let mut parts: HashMap<(&str, GraphNameRef<'a>), Parts<'a>> = HashMap::new();
    for quad in quads {
        let NamedOrBlankNodeRef::NamedNode(subject) = quad.subject else {
            continue;
        };
        let slot = || (subject.as_str(), quad.graph_name);
        match (quad.predicate.as_str(), quad.object) {
            (sosa::HAS_FEATURE_OF_INTEREST, TermRef::NamedNode(entity)) => {
                parts.entry(slot()).or_default().entity = Some(entity.as_str());
            }
            (sosa::OBSERVED_PROPERTY, TermRef::NamedNode(attribute)) => {
                parts.entry(slot()).or_default().attribute = Some(attribute.as_str());
            }
            (sosa::HAS_SIMPLE_RESULT, value) => {
                parts.entry(slot()).or_default().value = Some(value);
            }
            (sosa::PHENOMENON_TIME, TermRef::Literal(time)) => {
                parts.entry(slot()).or_default().at = DateTime::from_str(time.value())
                    .ok()
                    .filter(|t| t.timezone_offset().is_some());
            }
            (qudt::UNIT, TermRef::NamedNode(unit)) => {
                parts.entry(slot()).or_default().unit = Some(unit.as_str());
            }
            _ => {}
        }
    }
    let mut observations: Vec<IndexedObservation> = parts
        .into_iter()
        .filter_map(|((observation, graph), p)| {
            Some(IndexedObservation {
                entity: p.entity?.to_owned(),
                attribute: p.attribute?.to_owned(),
                observation: observation.to_owned(),
                graph: match graph {
                    GraphNameRef::NamedNode(g) => g.as_str().to_owned(),
                    _ => String::new(),
                },
                at: p.at?,
                value: p.value?.into_owned(),
                unit: p.unit.map(NamedNode::new_unchecked),
            })
        })
        .collect();
    // A stable order, so a batch's day statistics add up the same way each time.
    observations.sort_by(|a, b| {
        (&a.entity, &a.attribute, &a.observation).cmp(&(&b.entity, &b.attribute, &b.observation))
    });
    observations
}
