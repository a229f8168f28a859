//! Which IRIs may be stored entities: a Bloom filter over the subjects of every `rdf:type`
//! and `hanse:ngsiLdState` quad in the store (what makes an entity exist for the NGSI-LD
//! API), so a write of a new entity skips reading it first.
//!
//! That read is a seek in oxigraph's subject index that finds nothing, and on a store taking
//! bulk loads it probes every level-0 file RocksDB has not compacted yet (oxigraph's quad
//! indexes have no Bloom filters of their own): 25–40 µs an entity, a fifth of the CPU of
//! a batch of new entities.
//!
//! The filter is sound, never exact: "absent" means no such quad is stored; "may exist"
//! means read to know. It stays sound because
//! - writers that know their quads (NGSI-LD, sensor ingest, retention, the catalogue mirror)
//!   [`announce`](SubjectFilter::announce) their typed subjects before they commit and hold
//!   the returned [`Announced`] until the commit is done;
//! - writers that do not (SPARQL Update, the Graph Store) hold an [`OpaqueWrite`] over the
//!   write: from its start the filter answers "may exist" for everything, until a rebuild
//!   that started after its end;
//! - a rebuild (on a background thread, on first use after start, after an opaque write or
//!   once the filter holds more subjects than it was sized for) waits for the writes
//!   announced before it, then scans the store; writes announced during the scan go into
//!   the new filter too.
//!
//! Subjects are never taken out (a deleted entity stays "may exist" until the next rebuild).

use hanse_vocab::{hanse, rdf};
use oxigraph::model::{NamedNodeRef, NamedOrBlankNodeRef, Quad};
use oxigraph::store::{StorageError, Store};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Bits per subject the filter is sized for: with [`HASHES`] probes, 0.3% false positives.
const BITS_PER_SUBJECT: usize = 12;
/// Bit positions per subject.
const HASHES: u64 = 8;
/// The smallest filter: 1 MiB.
const MIN_BITS: usize = 1 << 23;
/// The largest: 128 MiB (90 million subjects at 0.3%; past that it answers "may exist"
/// more often, never wrongly).
const MAX_BITS: usize = 1 << 30;

/// A Bloom filter of IRIs with atomic bits: announcing writers add to it at once.
struct Bloom {
    words: Vec<AtomicU64>,
    subjects: AtomicUsize,
}

impl Bloom {
    /// A filter with room for twice `subjects`.
    fn for_subjects(subjects: usize) -> Self {
        let bits = subjects
            .saturating_mul(2 * BITS_PER_SUBJECT)
            .next_power_of_two()
            .clamp(MIN_BITS, MAX_BITS);
        Self {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            subjects: AtomicUsize::new(0),
        }
    }

    /// How many subjects it is sized for.
    fn capacity(&self) -> usize {
        self.words.len() * 64 / BITS_PER_SUBJECT
    }

    /// The bit positions of `iri` (double hashing from one SipHash).
    fn positions(&self, iri: &str) -> impl Iterator<Item = u64> + use<> {
        let h1 = BuildHasherDefault::<DefaultHasher>::default().hash_one(iri);
        // splitmix64 of h1, odd so that the probes differ.
        let mut h2 = h1.wrapping_add(0x9E37_79B9_7F4A_7C15);
        h2 = (h2 ^ (h2 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h2 = (h2 ^ (h2 >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let h2 = (h2 ^ (h2 >> 31)) | 1;
        // The number of bits is a power of two.
        let mask = (self.words.len() * 64) as u64 - 1;
        (0..HASHES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & mask)
    }

    fn insert(&self, iri: &str) {
        let mut fresh = false;
        for bit in self.positions(iri) {
            let flag = 1u64 << (bit % 64);
            let before = self.words[(bit / 64) as usize].fetch_or(flag, Ordering::Relaxed);
            fresh |= before & flag == 0;
        }
        if fresh {
            self.subjects.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn contains(&self, iri: &str) -> bool {
        self.positions(iri).all(|bit| {
            self.words[(bit / 64) as usize].load(Ordering::Relaxed) & (1u64 << (bit % 64)) != 0
        })
    }

    fn is_full(&self) -> bool {
        self.subjects.load(Ordering::Relaxed) > self.capacity()
    }
}

#[derive(Default)]
struct Filters {
    /// The filter answers come from; `None`: "may exist" for everything.
    ready: Option<Arc<Bloom>>,
    /// The filter a rebuild is filling.
    building: Option<Arc<Bloom>>,
    /// Bumped when an opaque write starts and ends: a rebuild that saw it change is stale.
    generation: u64,
    /// Opaque writes in flight.
    opaque: usize,
    /// Subjects the last rebuild found (sizes the next).
    last_count: usize,
}

struct Shared {
    store: Store,
    filters: RwLock<Filters>,
    rebuilding: AtomicBool,
}

/// The node's filter of stored entity IRIs; cheap to clone.
#[derive(Clone)]
pub struct SubjectFilter {
    shared: Arc<Shared>,
}

/// Writes announced to the filter, not committed yet: a rebuild waits for them.
#[must_use = "hold it until the announced quads are committed"]
pub struct Announced<'a> {
    _filters: RwLockReadGuard<'a, Filters>,
}

/// A write the filter cannot follow (SPARQL Update, Graph Store) in flight.
#[must_use = "hold it until the write is committed"]
pub struct OpaqueWrite {
    shared: Arc<Shared>,
}

impl Drop for OpaqueWrite {
    fn drop(&mut self) {
        let mut filters = self.shared.write();
        filters.opaque = filters.opaque.saturating_sub(1);
        filters.generation += 1;
    }
}

/// The IRI a quad makes an entity of, if any: the subject of `rdf:type` and
/// `hanse:ngsiLdState` quads.
pub fn typed_subject<'a>(
    subject: NamedOrBlankNodeRef<'a>,
    predicate: NamedNodeRef<'_>,
) -> Option<&'a str> {
    match subject {
        NamedOrBlankNodeRef::NamedNode(s)
            if predicate.as_str() == rdf::TYPE || predicate.as_str() == hanse::NGSI_LD_STATE =>
        {
            Some(s.as_str())
        }
        _ => None,
    }
}

/// The IRIs `quads` make entities of.
pub fn typed_subjects<'a>(
    quads: impl IntoIterator<Item = &'a Quad>,
) -> impl Iterator<Item = &'a str> {
    quads
        .into_iter()
        .filter_map(|q| typed_subject(q.subject.as_ref(), q.predicate.as_ref()))
}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, Filters> {
        self.filters.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Filters> {
        self.filters.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl SubjectFilter {
    /// A filter over `store`, built on its first use.
    pub fn new(store: Store) -> Self {
        Self {
            shared: Arc::new(Shared {
                store,
                filters: RwLock::default(),
                rebuilding: AtomicBool::new(false),
            }),
        }
    }

    /// Whether `iri` may be the subject of an `rdf:type` or `hanse:ngsiLdState` quad;
    /// `false` only if it is not.
    pub fn may_exist(&self, iri: &str) -> bool {
        let filters = self.shared.read();
        let (answer, stale) = match &filters.ready {
            Some(bloom) => (bloom.contains(iri), bloom.is_full()),
            None => (true, filters.opaque == 0),
        };
        drop(filters);
        if stale {
            self.start_rebuild();
        }
        answer
    }

    /// Whether answers come from a built filter (else everything may exist).
    pub fn is_ready(&self) -> bool {
        self.shared.read().ready.is_some()
    }

    /// Adds the IRIs a write is about to make entities of; hold the result until the write
    /// is committed.
    pub fn announce<'a>(&self, subjects: impl IntoIterator<Item = &'a str>) -> Announced<'_> {
        let filters = self.shared.read();
        let targets: Vec<&Bloom> = filters
            .ready
            .iter()
            .chain(filters.building.iter())
            .map(|b| b.as_ref())
            .collect();
        if !targets.is_empty() {
            for subject in subjects {
                for bloom in &targets {
                    bloom.insert(subject);
                }
            }
        }
        Announced { _filters: filters }
    }

    /// Starts a write the filter cannot follow: everything may exist until it ends and a
    /// rebuild after it is done.
    pub fn opaque_write(&self) -> OpaqueWrite {
        let mut filters = self.shared.write();
        filters.generation += 1;
        filters.opaque += 1;
        filters.ready = None;
        OpaqueWrite {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Rebuilds on a background thread unless a rebuild is running.
    fn start_rebuild(&self) {
        if self.shared.rebuilding.swap(true, Ordering::AcqRel) {
            return;
        }
        let filter = self.clone();
        let spawned = std::thread::Builder::new()
            .name("subject-filter".into())
            .spawn(move || filter.rebuild());
        if let Err(e) = spawned {
            self.shared.rebuilding.store(false, Ordering::Release);
            tracing::warn!(error = %e, "cannot start the subject filter's rebuild: new entities are read first");
        }
    }

    /// Scans the store into a new filter and puts it in use unless an opaque write came
    /// meanwhile.
    fn rebuild(&self) {
        let started = std::time::Instant::now();
        if let Some((bloom, generation)) = self.begin_rebuild() {
            let scanned = scan(&self.shared.store, &bloom);
            self.finish_rebuild(bloom, generation, scanned, started);
        }
        self.shared.rebuilding.store(false, Ordering::Release);
    }

    /// The empty filter a rebuild fills and the generation it starts from; `None` while an
    /// opaque write is in flight. Taking the write lock waits for every announced write to
    /// commit, so the scan that follows sees them; writes announced later go into the new
    /// filter as well.
    fn begin_rebuild(&self) -> Option<(Arc<Bloom>, u64)> {
        let mut filters = self.shared.write();
        if filters.opaque > 0 {
            return None;
        }
        let bloom = Arc::new(Bloom::for_subjects(filters.last_count));
        filters.building = Some(Arc::clone(&bloom));
        Some((bloom, filters.generation))
    }

    /// Puts the scanned filter in use if no opaque write started since it began.
    fn finish_rebuild(
        &self,
        bloom: Arc<Bloom>,
        generation: u64,
        scanned: Result<(), StorageError>,
        started: std::time::Instant,
    ) {
        let mut filters = self.shared.write();
        filters.building = None;
        match scanned {
            Ok(()) if filters.generation == generation => {
                filters.last_count = bloom.subjects.load(Ordering::Relaxed);
                tracing::info!(
                    subjects = filters.last_count,
                    mib = (bloom.words.len() * 8) >> 20,
                    ms = started.elapsed().as_millis() as u64,
                    "entity subject filter built"
                );
                filters.ready = Some(bloom);
            }
            Ok(()) => tracing::debug!("subject filter rebuild discarded: data changed meanwhile"),
            Err(e) => {
                tracing::warn!(error = %e, "subject filter rebuild failed: new entities are read first")
            }
        }
    }
}

/// Adds every subject of an `rdf:type` or `hanse:ngsiLdState` quad.
fn scan(store: &Store, bloom: &Bloom) -> Result<(), StorageError> {
    for predicate in [rdf::TYPE, hanse::NGSI_LD_STATE] {
        let predicate = NamedNodeRef::new_unchecked(predicate);
        for quad in store.quads_for_pattern(None, Some(predicate), None, None) {
            let quad = quad?;
            if let Some(subject) = typed_subject(quad.subject.as_ref(), predicate) {
                bloom.insert(subject);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphName, Literal, NamedNode};

    fn typed(id: &str) -> Quad {
        Quad::new(
            NamedNode::new_unchecked(id),
            NamedNode::new_unchecked(rdf::TYPE),
            NamedNode::new_unchecked("https://example.org/Station"),
            GraphName::DefaultGraph,
        )
    }

    fn valued(id: &str) -> Quad {
        Quad::new(
            NamedNode::new_unchecked(id),
            NamedNode::new_unchecked("https://example.org/no2"),
            Literal::from(22),
            GraphName::DefaultGraph,
        )
    }

    /// A filter whose rebuilds the test runs itself (none starts in the background).
    fn unbuilt(store: &Store) -> SubjectFilter {
        let filter = SubjectFilter::new(store.clone());
        filter.shared.rebuilding.store(true, Ordering::Release);
        filter
    }

    fn rebuild(filter: &SubjectFilter) {
        filter.rebuild();
        filter.shared.rebuilding.store(true, Ordering::Release);
    }

    fn built(store: &Store) -> SubjectFilter {
        let filter = unbuilt(store);
        rebuild(&filter);
        filter
    }

    #[test]
    fn before_its_first_build_everything_may_exist() {
        let filter = unbuilt(&Store::new().unwrap());
        assert!(filter.may_exist("urn:ngsi-ld:Station:1"));
    }

    #[test]
    fn typed_and_stated_subjects_may_exist_others_do_not() {
        let store = Store::new().unwrap();
        store.insert(&typed("urn:ngsi-ld:Station:1")).unwrap();
        store.insert(&valued("urn:ngsi-ld:Station:2")).unwrap();
        let filter = built(&store);
        assert!(filter.may_exist("urn:ngsi-ld:Station:1"));
        // Only typed subjects are entities: a subject with values alone is not read.
        assert!(!filter.may_exist("urn:ngsi-ld:Station:2"));
        let absent = (3..10_000)
            .filter(|i| !filter.may_exist(&format!("urn:ngsi-ld:Station:{i}")))
            .count();
        assert!(absent > 9_900, "{absent} of 9,997 unknown ids absent");
    }

    #[test]
    fn announced_subjects_may_exist() {
        let store = Store::new().unwrap();
        let filter = built(&store);
        let quads = [
            typed("urn:ngsi-ld:Station:7"),
            valued("urn:ngsi-ld:Station:8"),
        ];
        let announced = filter.announce(typed_subjects(&quads));
        store.extend(quads.iter().cloned()).unwrap();
        drop(announced);
        assert!(filter.may_exist("urn:ngsi-ld:Station:7"));
        assert!(!filter.may_exist("urn:ngsi-ld:Station:8"));
    }

    #[test]
    fn an_opaque_write_makes_everything_possible_until_a_rebuild_after_it() {
        let store = Store::new().unwrap();
        let filter = built(&store);
        assert!(!filter.may_exist("urn:ngsi-ld:Station:9"));
        let opaque = filter.opaque_write();
        store.insert(&typed("urn:ngsi-ld:Station:9")).unwrap();
        // A rebuild during the write is not used.
        rebuild(&filter);
        assert!(filter.may_exist("urn:ngsi-ld:Station:1"));
        drop(opaque);
        assert!(filter.may_exist("urn:ngsi-ld:Station:1"));
        rebuild(&filter);
        assert!(filter.may_exist("urn:ngsi-ld:Station:9"));
        assert!(!filter.may_exist("urn:ngsi-ld:Station:1"));
    }

    #[test]
    fn a_rebuild_that_saw_an_opaque_write_is_discarded() {
        let store = Store::new().unwrap();
        let filter = unbuilt(&store);
        let started = std::time::Instant::now();
        let (bloom, generation) = filter.begin_rebuild().unwrap();
        let scanned = scan(&store, &bloom);
        drop(filter.opaque_write());
        filter.finish_rebuild(bloom, generation, scanned, started);
        assert!(filter.shared.read().ready.is_none());
        assert!(filter.may_exist("urn:ngsi-ld:Station:1"));
        // None starts while an opaque write is in flight.
        let opaque = filter.opaque_write();
        assert!(filter.begin_rebuild().is_none());
        drop(opaque);
        assert!(filter.begin_rebuild().is_some());
    }

    #[test]
    fn a_full_filter_is_rebuilt_larger() {
        let bloom = Bloom::for_subjects(0);
        assert_eq!(bloom.words.len() * 64, MIN_BITS);
        // An IRI that sets no new bit (a false positive) is not counted: go on until full.
        for i in 0..2 * bloom.capacity() {
            if bloom.is_full() {
                break;
            }
            bloom.insert(&format!("urn:x:{i}"));
        }
        assert!(bloom.is_full());
        let larger = Bloom::for_subjects(bloom.subjects.load(Ordering::Relaxed));
        assert!(larger.capacity() >= 2 * bloom.capacity());
        assert!(!larger.is_full());
    }
}
