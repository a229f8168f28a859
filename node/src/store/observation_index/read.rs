//! Reading the index: an entity's attributes, a series' instances in a time range, and its
//! days' statistics, each through the caller's graphs.

use super::keys::{self, DayStats, TimeRange, bounds, successor};
use super::{IndexError, ObservationIndex};
use crate::store::visible::{GraphFilter, Visible};
use oxigraph::model::{NamedNode, Term};
use oxsdatatypes::DateTime;

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

impl ObservationIndex {
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
