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
//! [`read`] gathers an entity's quads from the graphs a caller may see; [`write`] applies a
//! change inside a store transaction.

use super::geojson;
use super::model::{Entity, Instance, dataset_id, is_geo_instance};
pub use super::state::State;
use super::state::state_json;
use super::terms::{instance_from_terms, instance_terms, json_to_term};
use crate::access::visibility::Visible;
use hanse_vocab::ngsi_ld::LOCATION;
use hanse_vocab::{geo, hanse, rdf, sosa, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use oxigraph::store::{StorageError, Store, Transaction};
use serde_json::Value;
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
}

fn node(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn short_hash(text: &str) -> String {
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
fn geometry_predicate(attr: &str, dataset: Option<&str>) -> String {
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
    };
    let mut home: Option<NamedNode> = None;
    let mut typed_in: Option<NamedNode> = None;
    let geometry_prefix = geometry_prefix(id.as_str());
    let mut geometry_nodes: Vec<(NamedNode, GraphName)> = Vec::new();
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
            continue;
        }
        if predicate == hanse::NGSI_LD_STATE {
            if let Term::Literal(l) = &quad.object
                && let Ok(state) = serde_json::from_str::<State>(l.value())
            {
                stored.state = state;
                home = graph;
            }
            continue;
        }
        if let Term::NamedNode(object) = &quad.object
            && object.as_str().starts_with(&geometry_prefix)
        {
            geometry_nodes.push((object.clone(), quad.graph_name.clone()));
        }
        stored
            .values
            .entry(predicate.to_owned())
            .or_default()
            .push(quad.object);
    }
    let Some(graph) = home.or(typed_in) else {
        return Ok(None);
    };
    stored.graph = graph;
    for (geometry, graph) in geometry_nodes {
        let wkt = node(geo::AS_WKT);
        for quad in store.quads_for_pattern(
            Some(geometry.as_ref().into()),
            Some(wkt.as_ref()),
            None,
            Some(graph.as_ref()),
        ) {
            if let Term::Literal(l) = quad?.object {
                stored
                    .wkt
                    .insert(geometry.as_str().to_owned(), l.value().to_owned());
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
fn instance_wkt(instance: &Instance) -> Option<String> {
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

/// How much of an entity a write replaces.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything (replace).
    All,
    /// Everything, and nothing of the entity is stored yet: no old quads to remove, so the
    /// quads may go in through the bulk loader.
    New,
    /// These attributes (and appended types).
    Attributes(Vec<String>),
    /// Nothing: the entity is deleted.
    Delete,
}

fn remove_quads(
    tx: &mut Transaction<'_>,
    subject: &NamedNode,
    predicate: Option<NamedNodeRef<'_>>,
    graph: &GraphName,
    geometry_prefix: &str,
) -> Result<(), StorageError> {
    let old: Vec<Quad> = tx
        .quads_for_pattern(
            Some(subject.as_ref().into()),
            predicate,
            None,
            Some(graph.as_ref()),
        )
        .collect::<Result<_, _>>()?;
    for quad in &old {
        if let Term::NamedNode(object) = &quad.object
            && object.as_str().starts_with(geometry_prefix)
        {
            let nested: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(object.as_ref().into()),
                    None,
                    None,
                    Some(graph.as_ref()),
                )
                .collect::<Result<_, _>>()?;
            for q in &nested {
                tx.remove(q);
            }
        }
        tx.remove(quad);
    }
    Ok(())
}

/// Applies a write of `entity` (the entity's new whole state) to `graph`.
pub fn write(
    tx: &mut Transaction<'_>,
    graph: &NamedNode,
    entity: &Entity,
    scope: &Scope,
    observed_now: &str,
) -> Result<(), StorageError> {
    let id = node(&entity.id);
    let graph_name = GraphName::NamedNode(graph.clone());
    let geometry_prefix = geometry_prefix(&entity.id);
    match scope {
        Scope::New => {}
        Scope::All | Scope::Delete => remove_quads(tx, &id, None, &graph_name, &geometry_prefix)?,
        Scope::Attributes(attrs) => {
            for attr in attrs.iter() {
                remove_quads(
                    tx,
                    &id,
                    Some(node(attr).as_ref()),
                    &graph_name,
                    &geometry_prefix,
                )?;
                if attr == LOCATION {
                    remove_quads(
                        tx,
                        &id,
                        Some(node(geo::HAS_GEOMETRY).as_ref()),
                        &graph_name,
                        &geometry_prefix,
                    )?;
                }
            }
            remove_quads(
                tx,
                &id,
                Some(node(hanse::NGSI_LD_STATE).as_ref()),
                &graph_name,
                &geometry_prefix,
            )?;
        }
    }
    tx.extend(quads(graph, entity, scope, observed_now).iter());
    Ok(())
}

/// The quads that state `entity` (within `scope`) in `graph`, with SOSA observations of its
/// observed attributes.
pub fn quads(graph: &NamedNode, entity: &Entity, scope: &Scope, observed_now: &str) -> Vec<Quad> {
    let id = node(&entity.id);
    let graph_name = GraphName::NamedNode(graph.clone());
    let mut quads: Vec<Quad> = Vec::new();
    if matches!(scope, Scope::Delete) {
        return quads;
    }
    let mut push = |s: &NamedNode, p: &str, o: Term| {
        quads.push(Quad::new(s.clone(), node(p), o, graph_name.clone()));
    };
    for t in &entity.types {
        if let Ok(t) = NamedNode::new(t) {
            push(&id, rdf::TYPE, t.into());
        }
    }
    let written: Vec<&String> = match scope {
        Scope::Attributes(attrs) => attrs
            .iter()
            .filter(|a| entity.attrs.contains_key(*a))
            .collect(),
        _ => entity.attrs.keys().collect(),
    };
    for attr in written {
        let Some(instances) = entity.attrs.get(attr) else {
            continue;
        };
        let Ok(attr_node) = NamedNode::new(attr) else {
            continue;
        };
        for instance in instances {
            if is_geo_instance(attr, instance) {
                let Some(wkt) = instance_wkt(instance) else {
                    continue;
                };
                let dataset = dataset_id(instance);
                let geometry = node(&geometry_node(&entity.id, attr, dataset));
                push(
                    &id,
                    &geometry_predicate(attr, dataset),
                    geometry.clone().into(),
                );
                push(
                    &geometry,
                    geo::AS_WKT,
                    Literal::new_typed_literal(wkt, node(geo::WKT_LITERAL)).into(),
                );
                continue;
            }
            let mut terms = Vec::new();
            instance_terms(instance, &mut terms);
            for term in &terms {
                push(&id, attr_node.as_str(), term.clone());
            }
            if let (Some(Value::String(observed)), "Property", [value]) = (
                instance.get("observedAt"),
                super::model::kind(instance),
                terms.as_slice(),
            ) {
                observation(
                    &mut push,
                    &entity.id,
                    attr,
                    dataset_id(instance),
                    observed,
                    value,
                    observed_now,
                );
            }
        }
    }
    if let Ok(text) = state_json(entity) {
        push(
            &id,
            hanse::NGSI_LD_STATE,
            Literal::new_typed_literal(text, node(rdf::JSON)).into(),
        );
    }
    quads
}

/// A SOSA observation of an observed attribute value (idempotent: the IRI derives from
/// entity, attribute, dataset and time).
fn observation(
    push: &mut impl FnMut(&NamedNode, &str, Term),
    id: &str,
    attr: &str,
    dataset: Option<&str>,
    observed: &str,
    value: &Term,
    now: &str,
) {
    let Ok(iri) = NamedNode::new(format!(
        "{id}/observation/{}/{}",
        short_hash(&format!("{attr}\n{}", dataset.unwrap_or(""))),
        observed
    )) else {
        return;
    };
    let time = |t: &str| Term::from(Literal::new_typed_literal(t, node(xsd::DATE_TIME)));
    push(&iri, rdf::TYPE, node(sosa::OBSERVATION).into());
    push(&iri, sosa::OBSERVED_PROPERTY, node(attr).into());
    push(&iri, sosa::HAS_FEATURE_OF_INTEREST, node(id).into());
    push(&iri, sosa::HAS_SIMPLE_RESULT, value.clone());
    push(&iri, sosa::PHENOMENON_TIME, time(observed));
    push(&iri, sosa::RESULT_TIME, time(now));
}

/// The value of a plain literal, for callers that compare with stored triples.
pub fn plain(value: &Value) -> Term {
    json_to_term(value)
}
