//! Entities in the RDF store. An entity *is* RDF in a dataset's named graph:
//!
//! - `<id> rdf:type <Type>` per type; `<id> <attribute> value` per value (a literal, the
//!   object IRI of a Relationship, a language-tagged text), what SPARQL users query;
//! - GeoProperties as GeoSPARQL: `<id> geo:hasGeometry <id/geometry>` for `location`
//!   (`<id> <attribute> <id/geometry/…>` for others), `<…> geo:asWKT "…"^^geo:wktLiteral`;
//! - `<id> hanse:ngsiLdState "…"^^rdf:JSON`: the attributes as sent (sub-attributes,
//!   `unitCode`, `observedAt`, `datasetId`s) and system times, used when reading only while
//!   it still agrees with the triples (sensor ingest and SPARQL Update change the triples);
//! - an observed attribute (`observedAt`) also adds a SOSA observation, as sensor ingest does.
//!
//! [`read`] gathers an entity's quads from the graphs a caller may see;
//! [`entity_quads`](super::entity_quads) states an entity as quads and writes changes.

use super::geojson;
use super::model::{Entity, Instance, dataset_id, is_geo_instance};
pub use super::state::State;
use super::terms::{instance_from_terms, instance_terms};
use crate::access::visibility::Visible;
use hanse_vocab::ngsi_ld::LOCATION;
use hanse_vocab::{geo, hanse, rdf, xsd};
use oxigraph::model::{GraphName, NamedNode, Quad, Term};
use oxigraph::store::{StorageError, Store};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// An entity as found in the store.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub id: NamedNode,
    /// The graph its writes go to: where its state is, else where a type of it is.
    pub graph: NamedNode,
    /// Type IRIs.
    pub types: Vec<String>,
    /// `hanse:ngsiLdState`, if the entity was written through NGSI-LD.
    pub state: State,
    /// Predicate -> objects (types and state aside).
    pub values: BTreeMap<String, Vec<Term>>,
    /// Geometry node -> WKT.
    pub wkt: HashMap<String, String>,
    /// Its quads and its geometry nodes' in `graph`: what a write of it replaces.
    pub quads: Vec<Quad>,
}

pub(super) fn node(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

pub(super) fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..6])
}

/// What every geometry node of entity `id` starts with (see [`geometry_node`]).
pub fn geometry_prefix(id: &str) -> String {
    format!("{id}/geometry")
}

/// The GeoSPARQL geometry node of a GeoProperty instance.
pub fn geometry_node(id: &str, attr: &str, dataset: Option<&str>) -> String {
    let prefix = geometry_prefix(id);
    if attr == LOCATION && dataset.is_none() {
        prefix
    } else {
        format!(
            "{prefix}/{}",
            short_hash(&format!("{attr}\n{}", dataset.unwrap_or("")))
        )
    }
}

/// The quads about `subject` (with `predicate` and `object` where given) in the graphs
/// `visible` holds.
pub fn visible_quads<'a>(
    store: &Store,
    visible: &'a Visible,
    subject: &NamedNode,
    predicate: Option<&NamedNode>,
    object: Option<&Term>,
) -> impl Iterator<Item = Result<Quad, StorageError>> + 'a {
    store
        .quads_for_pattern(
            Some(subject.as_ref().into()),
            predicate.map(NamedNode::as_ref),
            object.map(Term::as_ref),
            None,
        )
        .filter(move |quad| {
            quad.as_ref()
                .map_or(true, |q| visible.sees(q.graph_name.as_ref()))
        })
}

/// The predicate linking an entity to a GeoProperty instance's geometry.
pub(super) fn geometry_predicate(attr: &str, dataset: Option<&str>) -> String {
    if attr == LOCATION && dataset.is_none() {
        geo::HAS_GEOMETRY.to_owned()
    } else {
        attr.to_owned()
    }
}

/// Reads an entity from the graphs `visible` holds; `None` if it has no type there.
pub fn read(
    store: &Store,
    id: &NamedNode,
    visible: &Visible,
) -> Result<Option<Stored>, StorageError> {
    let mut stored = Stored {
        id: id.clone(),
        graph: id.clone(),
        types: Vec::new(),
        state: State::default(),
        values: BTreeMap::new(),
        wkt: HashMap::new(),
        quads: Vec::new(),
    };
    let mut home: Option<NamedNode> = None;
    let mut typed_in: Option<NamedNode> = None;
    let geometry_prefix = geometry_prefix(id.as_str());
    let mut geometry_nodes: Vec<(NamedNode, GraphName)> = Vec::new();
    let mut quads = Vec::new();
    for quad in visible_quads(store, visible, id, None, None) {
        let quad = quad?;
        let graph = match &quad.graph_name {
            GraphName::NamedNode(g) => Some(g.clone()),
            _ => None,
        };
        let predicate = quad.predicate.as_str();
        if predicate == rdf::TYPE {
            if let Term::NamedNode(t) = &quad.object
                && !stored.types.iter().any(|x| x == t.as_str())
            {
                stored.types.push(t.as_str().to_owned());
            }
            if typed_in.is_none() {
                typed_in = graph;
            }
        } else if predicate == hanse::NGSI_LD_STATE {
            if let Term::Literal(l) = &quad.object
                && let Ok(state) = serde_json::from_str::<State>(l.value())
            {
                stored.state = state;
                home = graph;
            }
        } else {
            if let Term::NamedNode(object) = &quad.object
                && object.as_str().starts_with(&geometry_prefix)
            {
                let node = (object.clone(), quad.graph_name.clone());
                if !geometry_nodes.contains(&node) {
                    geometry_nodes.push(node);
                }
            }
            stored
                .values
                .entry(predicate.to_owned())
                .or_default()
                .push(quad.object.clone());
        }
        quads.push(quad);
    }
    let Some(graph) = home.or(typed_in) else {
        return Ok(None);
    };
    let home = GraphName::NamedNode(graph.clone());
    stored.graph = graph;
    stored.quads = quads.into_iter().filter(|q| q.graph_name == home).collect();
    for (geometry, graph) in geometry_nodes {
        for quad in store.quads_for_pattern(
            Some(geometry.as_ref().into()),
            None,
            None,
            Some(graph.as_ref()),
        ) {
            let quad = quad?;
            if let Term::Literal(l) = &quad.object
                && quad.predicate.as_str() == geo::AS_WKT
            {
                stored
                    .wkt
                    .insert(geometry.as_str().to_owned(), l.value().to_owned());
            }
            if quad.graph_name == home {
                stored.quads.push(quad);
            }
        }
    }
    Ok(Some(stored))
}

/// A term as the store keeps it: typed literals of the XSD types oxigraph stores by value
/// (date-times, numbers, booleans) in their canonical form, so `11:00:00.00Z` sent equals
/// `11:00:00Z` stored.
fn canonical(term: &Term) -> String {
    use oxsdatatypes::{Boolean, Date, DateTime, Decimal, Double, Float, Integer};
    use std::str::FromStr;
    let Term::Literal(literal) = term else {
        return term.to_string();
    };
    let value = literal.value();
    let normal = match literal.datatype().as_str().strip_prefix(xsd::NS) {
        Some("dateTime") => DateTime::from_str(value).ok().map(|v| v.to_string()),
        Some("date") => Date::from_str(value).ok().map(|v| v.to_string()),
        Some("double") => Double::from_str(value).ok().map(|v| v.to_string()),
        Some("float") => Float::from_str(value).ok().map(|v| v.to_string()),
        Some("integer") => Integer::from_str(value).ok().map(|v| v.to_string()),
        Some("decimal") => Decimal::from_str(value).ok().map(|v| v.to_string()),
        Some("boolean") => Boolean::from_str(value).ok().map(|v| v.to_string()),
        _ => None,
    };
    match normal {
        Some(v) => format!("{v}^^{}", literal.datatype().as_str()),
        None => term.to_string(),
    }
}

/// The WKT a GeoProperty instance is stored as.
pub(super) fn instance_wkt(instance: &Instance) -> Option<String> {
    instance
        .get("value")
        .and_then(|v| geojson::parse(v).ok())
        .map(|g| geojson::to_wkt(&g))
}

impl Stored {
    /// Whether the state's instances of `attr` still agree with the triples.
    fn agrees(&self, attr: &str, instances: &[Instance]) -> bool {
        let mut expected: Vec<String> = Vec::new();
        let mut geometries = Vec::new();
        for instance in instances {
            if is_geo_instance(attr, instance) {
                let dataset = dataset_id(instance);
                let geometry = geometry_node(self.id.as_str(), attr, dataset);
                let (Some(want), Some(have)) = (instance_wkt(instance), self.wkt.get(&geometry))
                else {
                    return false;
                };
                if &want != have {
                    return false;
                }
                geometries.push((geometry_predicate(attr, dataset), geometry));
            } else {
                let mut terms = Vec::new();
                instance_terms(instance, &mut terms);
                expected.extend(terms.iter().map(canonical));
            }
        }
        let mut actual: Vec<String> = self
            .values
            .get(attr)
            .map(|terms| {
                terms
                    .iter()
                    .filter(|t| {
                        !geometries
                            .iter()
                            .any(|(_, g)| matches!(t, Term::NamedNode(n) if n.as_str() == g))
                    })
                    .map(canonical)
                    .collect()
            })
            .unwrap_or_default();
        expected.sort();
        expected.dedup();
        actual.sort();
        actual.dedup();
        expected == actual
    }

    /// The entity as NGSI-LD shows it: the state where it agrees with the triples, the
    /// triples elsewhere.
    pub fn entity(&self) -> Entity {
        let mut entity = Entity {
            id: self.id.as_str().to_owned(),
            types: self.types.clone(),
            scope: self.state.scope.clone(),
            attrs: BTreeMap::new(),
            created_at: self.state.created_at.clone(),
            modified_at: self.state.modified_at.clone(),
        };
        let mut covered: Vec<&str> = Vec::new();
        for (attr, instances) in &self.state.attrs {
            if self.agrees(attr, instances) {
                entity.attrs.insert(attr.clone(), instances.clone());
                covered.push(attr);
                if attr == LOCATION {
                    covered.push(geo::HAS_GEOMETRY);
                }
            }
        }
        for (predicate, terms) in &self.values {
            if covered.contains(&predicate.as_str()) {
                continue;
            }
            let (geometries, plain): (Vec<&Term>, Vec<&Term>) = terms.iter().partition(
                |t| matches!(t, Term::NamedNode(n) if self.wkt.contains_key(n.as_str())),
            );
            let attr = if predicate == geo::HAS_GEOMETRY {
                LOCATION
            } else {
                predicate.as_str()
            };
            let mut instances: Vec<Instance> = geometries
                .iter()
                .filter_map(|t| match t {
                    Term::NamedNode(n) => self.wkt.get(n.as_str()),
                    _ => None,
                })
                .filter_map(|w| geojson::from_wkt(w))
                .filter_map(|g| geojson::to_value(&g))
                .map(|value| {
                    let mut instance = Instance::new();
                    instance.insert("type".into(), "GeoProperty".into());
                    instance.insert("value".into(), value);
                    instance
                })
                .collect();
            if !plain.is_empty() && predicate != geo::HAS_GEOMETRY {
                instances.push(instance_from_terms(&plain));
            }
            if !instances.is_empty() {
                entity
                    .attrs
                    .entry(attr.to_owned())
                    .or_default()
                    .extend(instances);
            }
        }
        entity
    }
}
