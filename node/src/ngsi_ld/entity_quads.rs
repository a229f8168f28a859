//! An entity as quads, and how a write changes them.
//!
//! [`quads`] states an entity (with the SOSA observations of its observed attributes);
//! [`write`] applies an [`EntityWrite`] inside a store transaction. A write knows the quads
//! the entity had (read with it under the write lock), so it neither reads them again nor
//! touches what it would put back unchanged: replacing a station's reading removes and adds
//! only the values that changed, its state and the new observation.

use super::entity_store::{
    Stored, geometry_node, geometry_predicate, geometry_prefix, instance_wkt, node, short_hash,
};
use super::model::{Entity, Instance, dataset_id, is_geo_instance, kind};
use super::state::state_json;
use super::terms::instance_terms;
use hanse_vocab::ngsi_ld::LOCATION;
use hanse_vocab::{geo, hanse, rdf, sosa, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Transaction;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

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

/// One entity's change in a commit.
#[derive(Debug, Clone)]
pub struct EntityWrite {
    /// The graph it is written to.
    pub graph: NamedNode,
    /// Its new whole state.
    pub entity: Entity,
    /// How much of it the write replaces.
    pub scope: Scope,
    /// Its quads in `graph` before the write (the entity's and its geometry nodes', as
    /// [`Stored::quads`]); empty for a new entity.
    pub before: Vec<Quad>,
    /// The observations of the readings stored before ([`observations_of`]): a reading sent
    /// again is not recorded again.
    pub recorded: HashSet<String>,
}

impl EntityWrite {
    /// A write of an entity nothing is stored of yet.
    pub fn new(graph: NamedNode, entity: Entity) -> Self {
        Self {
            graph,
            entity,
            scope: Scope::New,
            before: Vec::new(),
            recorded: HashSet::new(),
        }
    }

    /// A write of `stored`: `entity` its new state, `scope` how much of it changes.
    pub fn of_stored(stored: Stored, entity: Entity, scope: Scope) -> Self {
        Self {
            recorded: observations_of(stored.id.as_str(), &stored.state.attrs),
            graph: stored.graph,
            entity,
            scope,
            before: stored.quads,
        }
    }

    /// Of [`before`](Self::before), the quads the write replaces: all of them, or those of
    /// the attributes in scope (with their geometry nodes) and the state.
    fn replaced(&self) -> Vec<&Quad> {
        let attrs = match &self.scope {
            Scope::New => return Vec::new(),
            Scope::All | Scope::Delete => return self.before.iter().collect(),
            Scope::Attributes(attrs) => attrs,
        };
        let id = self.entity.id.as_str();
        let replaced_predicate = |p: &str| {
            p == hanse::NGSI_LD_STATE
                || attrs.iter().any(|a| a == p)
                || (p == geo::HAS_GEOMETRY && attrs.iter().any(|a| a == LOCATION))
        };
        let own =
            |q: &&Quad| matches!(&q.subject, NamedOrBlankNode::NamedNode(s) if s.as_str() == id);
        let links: Vec<&Quad> = self
            .before
            .iter()
            .filter(own)
            .filter(|q| replaced_predicate(q.predicate.as_str()))
            .collect();
        // A geometry node goes with the link to it.
        let prefix = geometry_prefix(id);
        let nodes: HashSet<&str> = links
            .iter()
            .filter_map(|q| match &q.object {
                Term::NamedNode(o) if o.as_str().starts_with(&prefix) => Some(o.as_str()),
                _ => None,
            })
            .collect();
        let nested = self.before.iter().filter(
            |q| matches!(&q.subject, NamedOrBlankNode::NamedNode(s) if nodes.contains(s.as_str())),
        );
        links.iter().copied().chain(nested).collect()
    }
}

/// Applies `change` to the store through `tx`, `new` being its [`quads`]: removes the
/// replaced quads the new state does not hold, then adds the new state's quads that were
/// not stored. A reading sent again is not recorded again: its observation's IRI derives
/// from the reading, and a second `sosa:resultTime` would say it arrived twice.
pub fn write(tx: &mut Transaction<'_>, change: &EntityWrite, new: &[Quad]) {
    let new_set: HashSet<&Quad> = new.iter().collect();
    let before: HashSet<&Quad> = change.before.iter().collect();
    // Removals first: a value stored in another lexical form of the same term (`1.0E1`
    // for `10`) is the same key, removed and then added back.
    for quad in change.replaced() {
        if !new_set.contains(quad) {
            tx.remove(quad);
        }
    }
    let recorded = |quad: &Quad| matches!(&quad.subject, NamedOrBlankNode::NamedNode(s) if change.recorded.contains(s.as_str()));
    for quad in new {
        if !before.contains(quad) && !recorded(quad) {
            tx.insert(quad);
        }
    }
}

/// The IRIs of the SOSA observations that recorded the observed readings among `attrs` (an
/// entity's attributes) of entity `id`.
pub fn observations_of(id: &str, attrs: &BTreeMap<String, Vec<Instance>>) -> HashSet<String> {
    let mut iris = HashSet::new();
    for (attr, instances) in attrs {
        for instance in instances {
            if let Some(observed) = observed_at(instance) {
                iris.insert(observation_iri(id, attr, dataset_id(instance), observed));
            }
        }
    }
    iris
}

/// When a Property instance's reading was observed (`observedAt`): the instances that
/// record SOSA observations.
fn observed_at(instance: &Instance) -> Option<&str> {
    match (instance.get("observedAt"), kind(instance)) {
        (Some(Value::String(observed)), "Property") => Some(observed),
        _ => None,
    }
}

/// The IRI of the observation of `attr`'s (`dataset`'s) reading observed at `observed`.
fn observation_iri(id: &str, attr: &str, dataset: Option<&str>, observed: &str) -> String {
    format!(
        "{id}/observation/{}/{observed}",
        short_hash(&format!("{attr}\n{}", dataset.unwrap_or("")))
    )
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
            if let (Some(observed), [value]) = (observed_at(instance), terms.as_slice()) {
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
    let Ok(iri) = NamedNode::new(observation_iri(id, attr, dataset, observed)) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::visibility::Visible;
    use crate::ngsi_ld::entity_store::read;
    use oxigraph::store::Store;
    use serde_json::json;
    use std::collections::BTreeSet;

    const ID: &str = "urn:ngsi-ld:AirQualityObserved:1";
    const VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";
    /// When the first and the second write arrive.
    const T1: &str = "2026-11-21T10:00:05Z";
    const T2: &str = "2026-11-21T11:00:05Z";

    fn graph() -> NamedNode {
        NamedNode::new_unchecked("https://example.org/g")
    }

    /// A station's entity with one observed reading, a level and a location.
    fn station(no2: f64, observed: &str, lon: f64) -> Entity {
        let mut entity = Entity {
            id: ID.into(),
            types: vec![format!("{VOCAB}AirQualityObserved")],
            ..Entity::default()
        };
        let attrs = json!({
            format!("{VOCAB}no2"): {"type": "Property", "value": no2, "observedAt": observed},
            format!("{VOCAB}level"): {"type": "Property", "value": "good"},
            LOCATION: {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, 51.0]}}
        });
        for (name, instance) in attrs.as_object().unwrap() {
            entity
                .attrs
                .insert(name.clone(), vec![instance.as_object().unwrap().clone()]);
        }
        entity
    }

    /// A store holding the station's first reading, written at [`T1`], and that entity.
    fn first_reading() -> (Store, Entity) {
        let store = Store::new().unwrap();
        let first = station(40.0, "2026-11-21T10:00:00Z", 4.4);
        commit(&store, &EntityWrite::new(graph(), first.clone()), T1);
        (store, first)
    }

    fn commit(store: &Store, change: &EntityWrite, now: &str) {
        let mut tx = store.start_transaction().unwrap();
        let new = quads(&change.graph, &change.entity, &change.scope, now);
        write(&mut tx, change, &new);
        tx.commit().unwrap();
    }

    /// The stored entity as a write of `entity` within `scope`.
    fn rewrite(store: &Store, entity: Entity, scope: Scope) -> EntityWrite {
        let stored = read(store, &NamedNode::new_unchecked(ID), &Visible::All)
            .unwrap()
            .unwrap();
        EntityWrite::of_stored(stored, entity, scope)
    }

    fn all(store: &Store) -> BTreeSet<String> {
        store.iter().map(|q| q.unwrap().to_string()).collect()
    }

    fn is_observation(quad: &Quad) -> bool {
        quad.subject.to_string().contains("/observation/")
    }

    /// What the store should hold: `last` as written afresh at `now`, with the
    /// observations `earlier` recorded.
    fn expected(last: &Entity, now: &str, earlier: &[Quad]) -> BTreeSet<String> {
        quads(&graph(), last, &Scope::All, now)
            .iter()
            .filter(|q| !is_observation(q))
            .chain(earlier.iter().filter(|q| is_observation(q)))
            .map(Quad::to_string)
            .collect()
    }

    #[test]
    fn a_new_reading_replaces_only_what_changed() {
        let (store, first) = first_reading();
        let next = station(55.5, "2026-11-21T11:00:00Z", 4.4);
        let change = rewrite(&store, next.clone(), Scope::All);
        let stated = quads(&graph(), &next, &Scope::All, T2);
        let untouched = change
            .replaced()
            .into_iter()
            .filter(|q| stated.contains(q))
            .count();
        assert_eq!(untouched, 4, "type, level, the geometry link and its WKT");
        commit(&store, &change, T2);
        let mut earlier = quads(&graph(), &first, &Scope::New, T1);
        earlier.extend(stated);
        assert_eq!(all(&store), expected(&next, T2, &earlier));
    }

    #[test]
    fn a_reading_sent_again_is_recorded_once() {
        let (store, first) = first_reading();
        let before = all(&store);
        commit(&store, &rewrite(&store, first, Scope::All), T2);
        assert_eq!(all(&store), before);
    }

    #[test]
    fn moving_a_location_replaces_its_geometry_and_nothing_else() {
        let (store, first) = first_reading();
        let moved = station(40.0, "2026-11-21T10:00:00Z", 4.5);
        let scope = Scope::Attributes(vec![LOCATION.to_owned()]);
        commit(&store, &rewrite(&store, moved.clone(), scope), T2);
        let earlier = quads(&graph(), &first, &Scope::New, T1);
        assert_eq!(all(&store), expected(&moved, T2, &earlier));
        assert!(!all(&store).iter().any(|q| q.contains("POINT(4.4 51)")));
    }

    #[test]
    fn a_deleted_entity_leaves_only_its_observations() {
        let (store, first) = first_reading();
        commit(&store, &rewrite(&store, first, Scope::Delete), T2);
        let left = all(&store);
        assert_eq!(left.len(), 6, "{left:#?}");
        assert!(left.iter().all(|q| q.contains("/observation/")));
    }

    #[test]
    fn a_value_read_back_in_another_lexical_form_is_kept() {
        let store = Store::new().unwrap();
        let entity = station(10.0, "2026-11-21T10:00:00Z", 4.4);
        let stated = quads(&graph(), &entity, &Scope::All, T1);
        store.extend(stated.clone()).unwrap();
        let double = NamedNode::new_unchecked(xsd::DOUBLE);
        // `before` (the entity's own quads, as a read finds them) holds the reading as
        // `1.0E1`, the new state as it writes it: one key.
        let before: Vec<Quad> = stated
            .iter()
            .filter(|q| !is_observation(q))
            .map(|q| match &q.object {
                Term::Literal(l) if l.datatype() == double.as_ref() => Quad::new(
                    q.subject.clone(),
                    q.predicate.clone(),
                    Literal::new_typed_literal("1.0E1", double.clone()),
                    q.graph_name.clone(),
                ),
                _ => q.clone(),
            })
            .collect();
        assert_ne!(before, stated, "the station has a double to vary");
        let change = EntityWrite {
            graph: graph(),
            entity,
            scope: Scope::All,
            before,
            recorded: HashSet::new(),
        };
        commit(&store, &change, T1);
        for quad in &stated {
            assert!(store.contains(quad).unwrap(), "lost {quad}");
        }
        assert_eq!(store.len().unwrap(), stated.len());
    }
}
