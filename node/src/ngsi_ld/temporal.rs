//! The temporal API's reads (`/temporal/entities/{id}`): an entity's history *is* the SOSA
//! observations whose feature of interest it is. NGSI-LD writes with `observedAt` and sensor
//! ingest both record one observation per value, so the history is what SPARQL users query,
//! in the graphs the caller may see.
//!
//! A history is read from the [`ObservationIndex`] (the same observations in time order)
//! when it is fresh and the query orders by `observedAt`, else from the store's triples.
//! [`aggregate`] folds a history into periods (`aggrMethods`, `aggrPeriodDuration`);
//! [`daily`] answers the same from the index's daily statistics where the periods are
//! whole UTC days; [`render`] writes the three temporal representations.

pub mod aggregate;
pub mod daily;
mod instance;
pub mod render;

pub use instance::TemporalInstance;

use super::entity_store::read;
use super::error::NgsiLdError;
use super::query::is_entity;
use crate::store::observation_index::{ObservationIndex, TimeRange};
use crate::store::visible::Visible;
use aggregate::{Aggregated, Aggregation};
use hanse_vocab::{qudt, sosa};
use oxigraph::model::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use oxigraph::store::Store;
use oxsdatatypes::DateTime;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Instant;

/// Which time of an instance `timerel` compares and the answer shows (`timeproperty`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeProperty {
    /// When the value was measured (`sosa:phenomenonTime`), the default.
    #[default]
    ObservedAt,
    /// When the node stored it (`sosa:resultTime`); `createdAt` and `modifiedAt` alike, as
    /// an observation is never modified.
    CreatedAt,
}

impl TimeProperty {
    /// The `timeproperty` parameter's value.
    pub fn parse(text: &str) -> Result<Self, NgsiLdError> {
        match text {
            "observedAt" => Ok(Self::ObservedAt),
            "createdAt" | "modifiedAt" => Ok(Self::CreatedAt),
            other => Err(NgsiLdError::BadRequestData(format!(
                "timeproperty `{other}` is not one of observedAt, createdAt, modifiedAt"
            ))),
        }
    }

    /// The member the answer names the time with.
    pub fn member(self) -> &'static str {
        match self {
            Self::ObservedAt => "observedAt",
            Self::CreatedAt => "createdAt",
        }
    }

    fn predicate(self) -> &'static str {
        match self {
            Self::ObservedAt => sosa::PHENOMENON_TIME,
            Self::CreatedAt => sosa::RESULT_TIME,
        }
    }
}

/// The time window of a temporal query (`timerel`, `timeAt`, `endTimeAt`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeRel {
    /// Strictly before `timeAt`.
    Before(DateTime),
    /// Strictly after `timeAt`.
    After(DateTime),
    /// From `timeAt` (included) to `endTimeAt` (excluded).
    Between(DateTime, DateTime),
}

impl TimeRel {
    /// Reads `timerel`, `timeAt` and `endTimeAt`; none of them means no window.
    pub fn parse(
        timerel: Option<&str>,
        time_at: Option<&str>,
        end_time_at: Option<&str>,
    ) -> Result<Option<Self>, NgsiLdError> {
        let Some(timerel) = timerel else {
            if time_at.is_some() || end_time_at.is_some() {
                return Err(bad("timeAt and endTimeAt need a timerel"));
            }
            return Ok(None);
        };
        let time_at = time_at.ok_or_else(|| bad(&format!("timerel={timerel} needs timeAt")))?;
        let start = date_time("timeAt", time_at)?;
        match timerel {
            "before" => Ok(Some(Self::Before(start))),
            "after" => Ok(Some(Self::After(start))),
            "between" => {
                let end = end_time_at.ok_or_else(|| bad("timerel=between needs endTimeAt"))?;
                let end = date_time("endTimeAt", end)?;
                if end <= start {
                    return Err(bad("endTimeAt must be after timeAt"));
                }
                Ok(Some(Self::Between(start, end)))
            }
            other => Err(bad(&format!(
                "timerel `{other}` is not one of before, after, between"
            ))),
        }
    }

    /// Whether an instance at `t` is inside the window.
    pub fn holds(&self, t: DateTime) -> bool {
        match *self {
            Self::Before(at) => t < at,
            Self::After(at) => t > at,
            Self::Between(start, end) => start <= t && t < end,
        }
    }

    /// Where the window starts, if it has a start (aggregation periods count from it).
    pub fn start(&self) -> Option<DateTime> {
        match *self {
            Self::Before(_) => None,
            Self::After(at) | Self::Between(at, _) => Some(at),
        }
    }

    /// The window as the index's time range.
    fn range(window: Option<Self>) -> TimeRange {
        match window {
            None => TimeRange::default(),
            Some(Self::Before(at)) => TimeRange {
                until: Some(at),
                ..TimeRange::default()
            },
            Some(Self::After(at)) => TimeRange {
                from: Some(at),
                from_excluded: true,
                until: None,
            },
            Some(Self::Between(start, end)) => TimeRange {
                from: Some(start),
                from_excluded: false,
                until: Some(end),
            },
        }
    }
}

fn bad(message: &str) -> NgsiLdError {
    NgsiLdError::BadRequestData(message.to_owned())
}

/// An `xsd:dateTime` parameter; a time without a zone is refused (it names no instant).
pub fn date_time(name: &str, text: &str) -> Result<DateTime, NgsiLdError> {
    DateTime::from_str(text)
        .ok()
        .filter(|t| t.timezone_offset().is_some())
        .ok_or_else(|| {
            bad(&format!(
                "{name} `{text}` is not a date-time with a zone (e.g. 2026-11-03T08:00:00Z)"
            ))
        })
}

/// What a temporal query asks for.
#[derive(Debug, Clone, Default)]
pub struct TemporalQuery {
    /// `attrs` (expanded); empty for every attribute.
    pub attrs: Vec<String>,
    /// The time window.
    pub timerel: Option<TimeRel>,
    /// Which time the window and the answer use.
    pub time_property: TimeProperty,
    /// `lastN`: only the latest N instances of each attribute.
    pub last_n: Option<usize>,
    /// Most instances of one attribute in an answer; past it the answer is cut (206).
    pub max_instances: usize,
    /// `aggrMethods` and `aggrPeriodDuration`, when the answer is aggregated.
    pub aggregation: Option<Aggregation>,
}

/// An entity's history as a caller may see it.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The entity's id.
    pub id: String,
    /// Its type IRIs.
    pub types: Vec<String>,
    /// Attribute IRI -> its instances, oldest first.
    pub attributes: BTreeMap<String, Vec<TemporalInstance>>,
    /// Whether an attribute had more instances than `max_instances` (the oldest were kept,
    /// or with `lastN` the latest).
    pub truncated: bool,
    /// Attribute IRI -> its aggregated values, when the query aggregates.
    pub aggregated: BTreeMap<String, Aggregated>,
}

/// The history of entity `id` in the graphs `visible` lets the caller read; `None` when the
/// caller sees no such entity.
pub fn history(
    store: &Store,
    index: Option<&ObservationIndex>,
    id: &NamedNode,
    visible: &Visible,
    query: &TemporalQuery,
    deadline: Instant,
) -> Result<Option<History>, NgsiLdError> {
    let Some(stored) = read(store, id, visible)?.filter(is_entity) else {
        return Ok(None);
    };
    observed(store, index, id, stored.types, visible, query, deadline).map(Some)
}

/// The history of entity `id` (of `types`), which the caller is known to see: its
/// observations in the graphs `visible` lets it read, aggregated if the query asks. `index`
/// is given when it is [readable](ObservationIndex::readable).
pub fn observed(
    store: &Store,
    index: Option<&ObservationIndex>,
    id: &NamedNode,
    types: Vec<String>,
    visible: &Visible,
    query: &TemporalQuery,
    deadline: Instant,
) -> Result<History, NgsiLdError> {
    // The index orders by observedAt; createdAt histories are read from the store.
    let index = index.filter(|_| query.time_property == TimeProperty::ObservedAt);
    if let (Some(index), Some(aggregation)) = (index, &query.aggregation)
        && let Some(history) = daily::aggregated(index, id, &types, visible, query, aggregation)?
    {
        return Ok(history);
    }
    let asked = Asked {
        visible,
        query,
        deadline,
    };
    let mut history = match index {
        Some(index) => indexed(index, id, types, &asked)?,
        None => scanned(store, id, types, &asked)?,
    };
    if let Some(aggregation) = &query.aggregation {
        let window_start = query.timerel.and_then(|w| w.start());
        for (attribute, instances) in &history.attributes {
            let rows = aggregate::aggregate(instances, aggregation, window_start)?;
            history
                .aggregated
                .insert(attribute.clone(), Aggregated::of(instances, rows));
        }
    }
    Ok(history)
}

/// Who asks what, until when: what every way of reading a history needs.
#[derive(Clone, Copy)]
struct Asked<'a> {
    visible: &'a Visible,
    query: &'a TemporalQuery,
    deadline: Instant,
}

/// How many instances of one attribute to keep, and whether more than that means a cut.
fn keep(query: &TemporalQuery) -> usize {
    query.last_n.unwrap_or(usize::MAX).min(query.max_instances)
}

/// Whether an attribute with more than [`keep`] instances makes the answer a cut one.
fn cut(query: &TemporalQuery) -> bool {
    query.last_n.is_none_or(|n| n > keep(query))
}

/// The history read from the index: per attribute one range scan, newest first for `lastN`.
fn indexed(
    index: &ObservationIndex,
    id: &NamedNode,
    types: Vec<String>,
    asked: &Asked<'_>,
) -> Result<History, NgsiLdError> {
    let (visible, query, deadline) = (asked.visible, asked.query, asked.deadline);
    let attributes = asked_attributes(index, id, query)?;
    let range = TimeRel::range(query.timerel);
    let keep = keep(query);
    let mut history = History {
        id: id.as_str().to_owned(),
        types,
        ..History::default()
    };
    for attribute in attributes {
        let newest_first = query.last_n.is_some();
        let mut instances = Vec::new();
        // One more than kept tells whether there were more.
        for (seen, read) in index
            .instances(id.as_str(), &attribute, range, newest_first, visible)
            .take(keep.saturating_add(1))
            .enumerate()
        {
            if seen % 1024 == 1023 && Instant::now() > deadline {
                return Err(timeout());
            }
            let read = read.map_err(index_error)?;
            instances.push(TemporalInstance {
                value: read.value,
                at: read.at,
                instance_id: read.observation,
                unit: read.unit,
            });
        }
        if instances.len() > keep {
            instances.truncate(keep);
            history.truncated |= cut(query);
        }
        if newest_first {
            instances.reverse();
        }
        if !instances.is_empty() {
            history.attributes.insert(attribute, instances);
        }
    }
    Ok(history)
}

/// The attributes a query asks for: `attrs`, or every one the entity has instances of.
fn asked_attributes(
    index: &ObservationIndex,
    id: &NamedNode,
    query: &TemporalQuery,
) -> Result<Vec<String>, NgsiLdError> {
    if query.attrs.is_empty() {
        index.attributes(id.as_str()).map_err(index_error)
    } else {
        Ok(query.attrs.clone())
    }
}

fn index_error(e: crate::store::observation_index::IndexError) -> NgsiLdError {
    NgsiLdError::Internal(e.to_string())
}

fn timeout() -> NgsiLdError {
    NgsiLdError::Timeout(
        "the history took longer than sparql.query_timeout_secs; narrow it (timerel, attrs, lastN)"
            .into(),
    )
}

/// The history read from the store's triples: every observation of the entity, each
/// gathered from its own triples.
fn scanned(
    store: &Store,
    id: &NamedNode,
    types: Vec<String>,
    asked: &Asked<'_>,
) -> Result<History, NgsiLdError> {
    let (visible, query, deadline) = (asked.visible, asked.query, asked.deadline);
    let feature = NamedNodeRef::new_unchecked(sosa::HAS_FEATURE_OF_INTEREST);
    let mut attributes: BTreeMap<String, Vec<TemporalInstance>> = BTreeMap::new();
    let observations = store.quads_for_pattern(None, Some(feature), Some(id.as_ref().into()), None);
    for (seen, quad) in observations.enumerate() {
        let quad = quad?;
        if seen % 1024 == 0 && Instant::now() > deadline {
            return Err(timeout());
        }
        if !visible.sees(quad.graph_name.as_ref()) {
            continue;
        }
        let NamedOrBlankNode::NamedNode(observation) = quad.subject else {
            continue;
        };
        if let Some((attribute, instance)) = instance(store, &observation, &quad.graph_name, query)?
        {
            attributes.entry(attribute).or_default().push(instance);
        }
    }
    let mut truncated = false;
    for instances in attributes.values_mut() {
        instances.sort_by(|a, b| {
            // Every kept time has a zone, so any two compare.
            a.at.partial_cmp(&b.at)
                .unwrap_or(Ordering::Equal)
                .then(a.instance_id.cmp(&b.instance_id))
        });
        let keep = keep(query);
        if instances.len() > keep {
            // lastN keeps the latest; a cut without it keeps the oldest (the next page's
            // timeAt is then the last one shown).
            if query.last_n.is_some() {
                instances.drain(..instances.len() - keep);
            } else {
                instances.truncate(keep);
            }
            truncated |= cut(query);
        }
    }
    Ok(History {
        id: id.as_str().to_owned(),
        types,
        attributes,
        truncated,
        aggregated: BTreeMap::new(),
    })
}

/// The attribute and instance observation `iri` in `graph` records, if it is one the query
/// asks for.
fn instance(
    store: &Store,
    iri: &NamedNode,
    graph: &oxigraph::model::GraphName,
    query: &TemporalQuery,
) -> Result<Option<(String, TemporalInstance)>, NgsiLdError> {
    let (mut property, mut value, mut at, mut unit) = (None, None, None, None);
    let time = query.time_property.predicate();
    for quad in store.quads_for_pattern(Some(iri.as_ref().into()), None, None, Some(graph.as_ref()))
    {
        let quad = quad?;
        match (quad.predicate.as_str(), quad.object) {
            (sosa::OBSERVED_PROPERTY, Term::NamedNode(p)) => property = Some(p),
            (sosa::HAS_SIMPLE_RESULT, object) => value = Some(object),
            (qudt::UNIT, Term::NamedNode(u)) => unit = Some(u),
            (p, Term::Literal(t)) if p == time => {
                // A time without a zone names no instant: such an instance is not shown.
                at = DateTime::from_str(t.value())
                    .ok()
                    .filter(|t| t.timezone_offset().is_some());
            }
            _ => {}
        }
    }
    let (Some(property), Some(value), Some(at)) = (property, value, at) else {
        return Ok(None);
    };
    if !query.attrs.is_empty() && !query.attrs.iter().any(|a| a == property.as_str()) {
        return Ok(None);
    }
    if query.timerel.is_some_and(|window| !window.holds(at)) {
        return Ok(None);
    }
    Ok(Some((
        property.into_string(),
        TemporalInstance {
            value,
            at,
            instance_id: iri.clone(),
            unit,
        },
    )))
}

#[cfg(test)]
mod tests;
