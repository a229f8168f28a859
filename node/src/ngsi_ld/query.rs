//! Entity queries over the store: candidates from the cheapest selector (ids, the spatial
//! index, the type index, an attribute's index), then every filter, in a deterministic
//! order so that `offset` paging returns each entity exactly once at any depth.

use super::entity_store::{Stored, read, visible_quads};
use super::error::NgsiLdError;
use super::georel::GeoQuery;
use super::model::Entity;
use super::pushdown::{Probe, Verdict};
use super::q::Query;
use super::selectors::Selector;
use crate::access::visibility::Visible;
use crate::store::geo_index::GeoIndex;
use hanse_vocab::ngsi_ld::LOCATION;
use hanse_vocab::{geo, hanse, rdf, sosa};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use oxigraph::store::Store;
use regex::Regex;
use std::collections::HashSet;
use std::time::Instant;
use time::OffsetDateTime;

/// Classes whose instances are attribute history, not entities (served by the temporal API).
pub const NOT_ENTITIES: &[&str] = &[sosa::OBSERVATION, hanse::HOURLY_AGGREGATE];

/// A parsed entity query.
#[derive(Debug, Default)]
pub struct EntityQuery {
    /// `id`: these entities only.
    pub ids: Vec<String>,
    /// `type`.
    pub types: Option<Selector>,
    /// `idPattern`.
    pub id_pattern: Option<Regex>,
    /// `attrs`: entities with at least one of these (expanded).
    pub attrs: Vec<String>,
    /// `q`.
    pub q: Option<Query>,
    /// `scopeQ`.
    pub scope_q: Option<Selector>,
    /// `georel` & co.
    pub geo: Option<GeoQuery>,
    /// First result (0-based).
    pub offset: usize,
    /// Most results.
    pub limit: usize,
    /// Whether to count every match.
    pub count: bool,
    /// `local=true`: every entity of this node may match (no other selector needed).
    pub local: bool,
    /// Only entities whose time (see [`entity_time`]) lies in this interval (OGC API
    /// `datetime`); either end may be open.
    pub time: Option<(Option<OffsetDateTime>, Option<OffsetDateTime>)>,
}

/// When an entity was observed: its `dateObserved` value, else the latest `observedAt` of
/// its attributes, else its `modifiedAt`.
pub fn entity_time(entity: &Entity) -> Option<OffsetDateTime> {
    let parse = |v: &serde_json::Value| {
        let text = v.get("@value").unwrap_or(v).as_str()?;
        hanse_sensors::parse_time_text(text)
    };
    let observed = entity.attrs.iter().find_map(|(attr, instances)| {
        (attr.ends_with("/dateObserved") || attr.ends_with("#dateObserved"))
            .then(|| {
                instances
                    .first()
                    .and_then(|i| i.get("value"))
                    .and_then(parse)
            })
            .flatten()
    });
    observed
        .or_else(|| {
            entity
                .attrs
                .values()
                .flatten()
                .filter_map(|i| i.get("observedAt").and_then(parse))
                .max()
        })
        .or_else(|| {
            entity
                .modified_at
                .as_deref()
                .and_then(hanse_sensors::parse_time_text)
        })
}

/// A page of results.
#[derive(Debug, Default)]
pub struct Page {
    /// The entities of the page.
    pub entities: Vec<Entity>,
    /// Every match, when counted.
    pub count: Option<usize>,
}

fn named(iri: &str) -> Option<NamedNode> {
    NamedNode::new(iri).ok()
}

/// Whether the entity is a plain entity (not an observation or aggregate).
pub fn is_entity(stored: &Stored) -> bool {
    !stored
        .types
        .iter()
        .any(|t| NOT_ENTITIES.contains(&t.as_str()))
}

impl EntityQuery {
    /// Whether the query selects anything at all (NGSI-LD requires a selector).
    pub fn has_selector(&self) -> bool {
        self.types.is_some()
            || !self.attrs.is_empty()
            || self.q.is_some()
            || self.geo.is_some()
            || self.local
    }

    fn keep(&self, entity: &Entity) -> bool {
        if !self.ids.is_empty() && !self.ids.contains(&entity.id) {
            return false;
        }
        if let Some(types) = &self.types
            && !types.matches_types(&entity.types)
        {
            return false;
        }
        if let Some(pattern) = &self.id_pattern
            && !pattern.is_match(&entity.id)
        {
            return false;
        }
        if !self.attrs.is_empty() && !self.attrs.iter().any(|a| entity.attrs.contains_key(a)) {
            return false;
        }
        if let Some(scope) = &self.scope_q
            && !scope.matches_scopes(entity.scope.as_deref().unwrap_or_default())
        {
            return false;
        }
        if let Some(q) = &self.q
            && !q.matches(entity)
        {
            return false;
        }
        if let Some((start, end)) = &self.time {
            let Some(time) = entity_time(entity) else {
                return false;
            };
            if start.is_some_and(|s| time < s) || end.is_some_and(|e| time > e) {
                return false;
            }
        }
        if let Some(geo) = &self.geo {
            let Some(instances) = entity.attrs.get(&geo.property) else {
                return false;
            };
            let fits = instances.iter().any(|i| {
                i.get("value")
                    .and_then(|v| super::geojson::parse(v).ok())
                    .is_some_and(|g| geo.test(&g).is_some())
            });
            if !fits {
                return false;
            }
        }
        true
    }

    /// Whether a `Yes` of the triples decides the whole query (a match may then be counted
    /// without reading it): candidates from the type index of a plain list of types, and no
    /// selector besides `idPattern` and `q`.
    fn decided_by_triples(&self) -> bool {
        self.ids.is_empty()
            && self.geo.is_none()
            && self.scope_q.is_none()
            && self.time.is_none()
            && self.attrs.is_empty()
            && self
                .types
                .as_ref()
                .is_some_and(|t| t.any.iter().all(|all| all.len() == 1))
    }

    /// What can be said of a candidate without reading its state: `id` and `idPattern` on
    /// its IRI, `q` on its plain triples ([`Probe`]). `No` only if [`Self::keep`] would
    /// refuse it; `Yes` only if it would keep it.
    fn verdict(
        &self,
        store: &Store,
        visible: &Visible,
        candidate: &NamedNode,
        decided: bool,
    ) -> Result<Verdict, NgsiLdError> {
        if !self.ids.is_empty() && !self.ids.iter().any(|id| id == candidate.as_str()) {
            return Ok(Verdict::No);
        }
        if let Some(pattern) = &self.id_pattern
            && !pattern.is_match(candidate.as_str())
        {
            return Ok(Verdict::No);
        }
        let verdict = match &self.q {
            Some(q) => Probe::new(store, visible, candidate).verdict(q)?,
            None => Verdict::Yes,
        };
        if verdict == Verdict::Yes && (!decided || is_history(store, visible, candidate)?) {
            return Ok(Verdict::Maybe);
        }
        Ok(verdict)
    }

    /// Runs the query over the graphs `visible` holds.
    pub fn run(
        &self,
        store: &Store,
        index: &GeoIndex,
        visible: &Visible,
        deadline: Instant,
    ) -> Result<Page, NgsiLdError> {
        let candidates = self.candidates(store, index, visible)?;
        let mut page = Page::default();
        let mut matched = 0usize;
        let mut seen: HashSet<NamedNode> = HashSet::new();
        let decided = self.decided_by_triples();
        for (n, candidate) in candidates.enumerate() {
            if n % 256 == 0 && Instant::now() > deadline {
                return Err(NgsiLdError::Timeout(
                    "the query took longer than sparql.query_timeout_secs; narrow it (type, q, geo)".into(),
                ));
            }
            let candidate = candidate?;
            if !seen.insert(candidate.clone()) {
                continue;
            }
            let verdict = self.verdict(store, visible, &candidate, decided)?;
            if verdict == Verdict::No {
                continue;
            }
            let in_page = matched >= self.offset && page.entities.len() < self.limit;
            if verdict == Verdict::Yes && !in_page {
                // Before `offset`, or counted past the page: nothing to show, so not read.
                matched += 1;
                continue;
            }
            let Some(stored) = read(store, &candidate, visible)? else {
                continue;
            };
            if !is_entity(&stored) {
                continue;
            }
            let entity = stored.entity();
            if !self.keep(&entity) {
                continue;
            }
            if matched >= self.offset && page.entities.len() < self.limit {
                page.entities.push(entity);
            }
            matched += 1;
            if !self.count && page.entities.len() >= self.limit {
                break;
            }
        }
        if self.count {
            page.count = Some(matched);
        }
        Ok(page)
    }

    /// Candidate entity ids, in a deterministic order.
    fn candidates<'a>(
        &'a self,
        store: &'a Store,
        index: &GeoIndex,
        visible: &'a Visible,
    ) -> Result<Box<dyn Iterator<Item = Result<NamedNode, NgsiLdError>> + 'a>, NgsiLdError> {
        if !self.ids.is_empty() {
            return Ok(Box::new(self.ids.iter().filter_map(|id| named(id)).map(Ok)));
        }
        if let Some(geo) = &self.geo {
            index.ensure_built(store)?;
            let mut found = geo.candidates(index);
            found.retain(|(e, _)| visible.sees(e.graph.as_ref().into()));
            found.sort_by(|(a, da), (b, db)| {
                da.total_cmp(db)
                    .then_with(|| a.entity.as_str().cmp(b.entity.as_str()))
            });
            return Ok(Box::new(found.into_iter().map(|(e, _)| Ok(e.entity))));
        }
        let predicates: Vec<(NamedNode, Option<NamedNode>)> = if let Some(types) = &self.types {
            types
                .names()
                .iter()
                .filter_map(|t| named(t))
                .map(|t| (NamedNode::new_unchecked(rdf::TYPE), Some(t)))
                .collect()
        } else {
            let mut attrs = self.attrs.clone();
            if let Some(q) = &self.q {
                let mut named_in_q = Vec::new();
                q.attributes(&mut named_in_q);
                // With OR, an entity may match without the first attribute: scan all of them.
                attrs.extend(named_in_q);
            }
            if attrs.is_empty() {
                // scopeQ or idPattern alone: every typed resource.
                vec![(NamedNode::new_unchecked(rdf::TYPE), None)]
            } else {
                attrs
                    .iter()
                    .filter_map(|a| {
                        let a = if a == LOCATION {
                            geo::HAS_GEOMETRY
                        } else {
                            a.as_str()
                        };
                        named(a)
                    })
                    .map(|p| (p, None))
                    .collect()
            }
        };
        let iter = predicates.into_iter().flat_map(move |(predicate, object)| {
            store
                .quads_for_pattern(
                    None,
                    Some(predicate.as_ref()),
                    object.as_ref().map(|o| o.as_ref().into()),
                    None,
                )
                .filter_map(move |quad| match quad {
                    Ok(quad) if visible.sees(quad.graph_name.as_ref()) => match quad.subject {
                        NamedOrBlankNode::NamedNode(s) => Some(Ok(s)),
                        _ => None,
                    },
                    Ok(_) => None,
                    Err(e) => Some(Err(NgsiLdError::from(e))),
                })
        });
        Ok(Box::new(iter))
    }
}

/// Whether `id` is typed, in a visible graph, as attribute history (see [`NOT_ENTITIES`]).
fn is_history(store: &Store, visible: &Visible, id: &NamedNode) -> Result<bool, NgsiLdError> {
    let rdf_type = NamedNode::new_unchecked(rdf::TYPE);
    for class in NOT_ENTITIES {
        let class = Term::from(NamedNode::new_unchecked(*class));
        if let Some(quad) = visible_quads(store, visible, id, Some(&rdf_type), Some(&class)).next()
        {
            quad?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Distinct entity types in the visible graphs (observations and aggregates aside).
pub fn types(
    store: &Store,
    visible: &Visible,
    deadline: Instant,
) -> Result<Vec<String>, NgsiLdError> {
    let mut found: Vec<String> = Vec::new();
    let rdf_type = NamedNode::new_unchecked(rdf::TYPE);
    for (n, quad) in store
        .quads_for_pattern(None, Some(rdf_type.as_ref()), None, None)
        .enumerate()
    {
        if n % 1024 == 0 && Instant::now() > deadline {
            return Err(NgsiLdError::Timeout("listing types took too long".into()));
        }
        let quad = quad?;
        if !visible.sees(quad.graph_name.as_ref()) {
            continue;
        }
        if let Term::NamedNode(t) = &quad.object
            && !NOT_ENTITIES.contains(&t.as_str())
            && found.last().is_none_or(|l| l != t.as_str())
            && !found.iter().any(|f| f == t.as_str())
        {
            found.push(t.as_str().to_owned());
        }
    }
    Ok(found)
}
