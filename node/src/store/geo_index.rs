//! The spatial index: every GeoSPARQL geometry in the store (`?node geo:asWKT ?wkt`, linked
//! from an entity by `geo:hasGeometry` or an attribute) in an R*-tree, so geo-queries look
//! up candidates instead of scanning.
//!
//! Built from the store when first used after start (and after a write that did not tell
//! it what changed, e.g. SPARQL Update: [`GeoIndex::invalidate`]); the NGSI-LD API and the
//! ingest writer update it entry by entry after their commits.

use geo::{BoundingRect, Geometry};
use hanse_vocab::geo as gsp;
use hanse_vocab::ngsi_ld::LOCATION;
use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, Term};
use oxigraph::store::{StorageError, Store};
use rstar::{AABB, RTree, RTreeObject};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One indexed geometry.
#[derive(Debug, Clone)]
pub struct GeoEntry {
    /// The graph holding it.
    pub graph: NamedNode,
    /// The entity it belongs to.
    pub entity: NamedNode,
    /// The attribute (`ngsi-ld:location` for `geo:hasGeometry`).
    pub attr: String,
    /// The geometry node.
    pub node: String,
    /// The geometry.
    pub geometry: Geometry<f64>,
    envelope: AABB<[f64; 2]>,
}

impl PartialEq for GeoEntry {
    fn eq(&self, other: &Self) -> bool {
        self.graph == other.graph && self.node == other.node && self.entity == other.entity
    }
}

impl RTreeObject for GeoEntry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl GeoEntry {
    /// An entry, if the geometry has an extent.
    pub fn new(
        graph: NamedNode,
        entity: NamedNode,
        attr: String,
        node: String,
        geometry: Geometry<f64>,
    ) -> Option<Self> {
        let rect = geometry.bounding_rect()?;
        let envelope =
            AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        Some(Self {
            graph,
            entity,
            attr,
            node,
            geometry,
            envelope,
        })
    }
}

#[derive(Default)]
struct Index {
    tree: RTree<GeoEntry>,
    by_entity: HashMap<(NamedNode, NamedNode), Vec<GeoEntry>>,
    built: bool,
}

/// The node's spatial index; cheap to clone.
#[derive(Clone, Default)]
pub struct GeoIndex {
    inner: Arc<RwLock<Index>>,
}

fn parse_wkt(text: &str) -> Option<Geometry<f64>> {
    use std::str::FromStr;
    let text = match text.trim_start().strip_prefix('<') {
        Some(rest) => rest.split_once('>').map(|(_, t)| t)?,
        None => text,
    };
    Geometry::try_from(wkt::Wkt::<f64>::from_str(text.trim()).ok()?).ok()
}

impl GeoIndex {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets everything: the next look-up rebuilds from the store.
    pub fn invalidate(&self) {
        let mut index = self.write();
        *index = Index::default();
    }

    /// Builds the index from the store if it is not built (blocking).
    pub fn ensure_built(&self, store: &Store) -> Result<(), StorageError> {
        if self.read().built {
            return Ok(());
        }
        let mut index = self.write();
        if index.built {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let entries = scan(store)?;
        let mut by_entity: HashMap<(NamedNode, NamedNode), Vec<GeoEntry>> = HashMap::new();
        for entry in &entries {
            by_entity
                .entry((entry.graph.clone(), entry.entity.clone()))
                .or_default()
                .push(entry.clone());
        }
        let count = entries.len();
        *index = Index {
            tree: RTree::bulk_load(entries),
            by_entity,
            built: true,
        };
        tracing::info!(
            geometries = count,
            ms = started.elapsed().as_millis() as u64,
            "spatial index built from the store"
        );
        Ok(())
    }

    /// Replaces the entries of one entity in one graph (after a committed write).
    pub fn replace(&self, graph: &NamedNode, entity: &NamedNode, entries: Vec<GeoEntry>) {
        let mut index = self.write();
        if !index.built {
            return;
        }
        let key = (graph.clone(), entity.clone());
        if let Some(old) = index.by_entity.remove(&key) {
            for entry in &old {
                index.tree.remove(entry);
            }
        }
        if !entries.is_empty() {
            for entry in &entries {
                index.tree.insert(entry.clone());
            }
            index.by_entity.insert(key, entries);
        }
    }

    /// Sets one geometry (same node replaced), leaving the entity's others as they are.
    pub fn put(&self, entry: GeoEntry) {
        let mut index = self.write();
        if !index.built {
            return;
        }
        let key = (entry.graph.clone(), entry.entity.clone());
        let mut entries = index.by_entity.remove(&key).unwrap_or_default();
        if let Some(position) = entries.iter().position(|e| e.node == entry.node) {
            let old = entries.remove(position);
            index.tree.remove(&old);
        }
        index.tree.insert(entry.clone());
        entries.push(entry);
        index.by_entity.insert(key, entries);
    }

    /// Entries whose envelope intersects `envelope`.
    pub fn intersecting(&self, envelope: &AABB<[f64; 2]>) -> Vec<GeoEntry> {
        self.read()
            .tree
            .locate_in_envelope_intersecting(envelope)
            .cloned()
            .collect()
    }

    /// Every entry.
    pub fn all(&self) -> Vec<GeoEntry> {
        self.read().tree.iter().cloned().collect()
    }

    /// How many geometries are indexed.
    pub fn len(&self) -> usize {
        self.read().tree.size()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every geometry in the store with the entity and attribute that point to it.
fn scan(store: &Store) -> Result<Vec<GeoEntry>, StorageError> {
    let as_wkt = NamedNode::new_unchecked(gsp::AS_WKT);
    let has_geometry = NamedNodeRef::new_unchecked(gsp::HAS_GEOMETRY);
    let mut entries = Vec::new();
    for quad in store.quads_for_pattern(None, Some(as_wkt.as_ref()), None, None) {
        let quad = quad?;
        let (
            oxigraph::model::NamedOrBlankNode::NamedNode(node),
            GraphName::NamedNode(graph),
            Term::Literal(wkt),
        ) = (&quad.subject, &quad.graph_name, &quad.object)
        else {
            continue;
        };
        let Some(geometry) = parse_wkt(wkt.value()) else {
            continue;
        };
        let Some(link) = store
            .quads_for_pattern(
                None,
                None,
                Some(node.as_ref().into()),
                Some(graph.as_ref().into()),
            )
            .next()
            .transpose()?
        else {
            continue;
        };
        let oxigraph::model::NamedOrBlankNode::NamedNode(entity) = link.subject else {
            continue;
        };
        let attr = if link.predicate.as_ref() == has_geometry {
            LOCATION.to_owned()
        } else {
            link.predicate.as_str().to_owned()
        };
        entries.extend(GeoEntry::new(
            graph.clone(),
            entity,
            attr,
            node.as_str().to_owned(),
            geometry,
        ));
    }
    Ok(entries)
}
