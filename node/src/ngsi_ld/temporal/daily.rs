//! Aggregations answered from the observation index's daily statistics. When every period
//! is a whole number of days (or months) starting at a UTC midnight and the window's edges
//! are midnights, a period's count, sum, mean, spread, minimum and maximum are those of its
//! days merged: a year of hourly readings is 365 entries per series, not 8,760 instances.
//! Anything else (`distinctCount`, `lastN`, a window edge or a first instance inside a day,
//! an answer that would be cut) is left to the instances, which give the same rows.

use super::aggregate::{Aggregated, Aggregation, MAX_PERIODS, Method, kind, skip_to, too_far};
use super::{History, TemporalQuery, TimeRel, asked_attributes, index_error};
use crate::ngsi_ld::error::NgsiLdError;
use crate::store::observation_index::{DayStats, ObservationIndex, day_of, is_midnight, midnight};
use crate::store::visible::Visible;
use oxigraph::model::NamedNode;
use oxsdatatypes::{DateTime, Decimal, Duration};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The aggregated history of `id` from daily statistics; `None` when the query's periods or
/// window do not fall on day boundaries (then the instances answer).
pub fn aggregated(
    index: &ObservationIndex,
    id: &NamedNode,
    types: &[String],
    visible: &Visible,
    query: &TemporalQuery,
    aggregation: &Aggregation,
) -> Result<Option<History>, NgsiLdError> {
    if query.last_n.is_some() || aggregation.methods.contains(&Method::DistinctCount) {
        return Ok(None);
    }
    if aggregation.period.is_some_and(|p| !whole_days(p)) {
        return Ok(None);
    }
    let (from_day, until_day) = match query.timerel {
        None => (None, None),
        Some(TimeRel::Before(at)) if is_midnight(at) => (None, Some(day_of(at))),
        Some(TimeRel::Between(start, end)) if is_midnight(start) && is_midnight(end) => {
            (Some(day_of(start)), Some(day_of(end)))
        }
        Some(_) => return Ok(None),
    };
    let attributes = asked_attributes(index, id, query)?;
    let range = TimeRel::range(query.timerel);
    let mut history = History {
        id: id.as_str().to_owned(),
        types: types.to_vec(),
        ..History::default()
    };
    for attribute in attributes {
        let days = index
            .days(id.as_str(), &attribute, from_day, until_day, visible)
            .map_err(index_error)?;
        let total: u64 = days.iter().map(|(_, s)| s.total).sum();
        if total == 0 {
            continue;
        }
        if total > query.max_instances as u64 {
            // The instances' answer is cut at max_instances (206); let them give it.
            return Ok(None);
        }
        // The first and the last instance bound the periods, as for instances.
        let ends = |newest_first| {
            index
                .instances(id.as_str(), &attribute, range, newest_first, visible)
                .next()
                .transpose()
                .map_err(index_error)
        };
        let (Some(first), Some(last)) = (ends(false)?, ends(true)?) else {
            continue;
        };
        let start = match query.timerel.and_then(|w| w.start()) {
            Some(window) if window < first.at => window,
            _ => first.at,
        };
        let rows = match aggregation.period {
            None => {
                let mut all = DayStats::default();
                for (_, stats) in &days {
                    all.merge(stats);
                }
                let mut rows = empty_rows(aggregation);
                push_rows(&mut rows, &all, start, last.at);
                rows
            }
            Some(period) if is_midnight(start) => match periods(&days, start, period, aggregation)?
            {
                Some(rows) => rows,
                None => return Ok(None),
            },
            Some(_) => return Ok(None),
        };
        let objects: u64 = days.iter().map(|(_, s)| s.objects).sum();
        history.aggregated.insert(
            attribute,
            Aggregated {
                kind: kind(objects == total),
                rows,
            },
        );
    }
    Ok(Some(history))
}

/// Whether `period` moves a midnight to a midnight: whole days and months, no hours.
fn whole_days(period: Duration) -> bool {
    period.hours() == 0 && period.minutes() == 0 && period.seconds() == Decimal::from(0)
}

fn empty_rows(aggregation: &Aggregation) -> BTreeMap<Method, Vec<Value>> {
    aggregation
        .methods
        .iter()
        .map(|m| (*m, Vec::new()))
        .collect()
}

/// The rows of consecutive periods from `start` over `days` (in day order); `None` past
/// [`MAX_PERIODS`] (the instances' answer says why).
fn periods(
    days: &[(i64, DayStats)],
    start: DateTime,
    period: Duration,
    aggregation: &Aggregation,
) -> Result<Option<BTreeMap<Method, Vec<Value>>>, NgsiLdError> {
    let add = |t: DateTime| t.checked_add_duration(period).ok_or_else(too_far);
    let mut rows = empty_rows(aggregation);
    let (mut period_start, mut period_end) = (start, add(start)?);
    let mut current = DayStats::default();
    let mut count = 0;
    for (day, stats) in days {
        let at = midnight(*day);
        if at >= period_end {
            if current.total > 0 {
                push_rows(&mut rows, &current, period_start, period_end);
                count += 1;
            }
            current = DayStats::default();
            period_start = skip_to(period_end, period, at)?;
            period_end = add(period_start)?;
            while at >= period_end {
                period_start = period_end;
                period_end = add(period_start)?;
            }
        }
        current.merge(stats);
    }
    if current.total > 0 {
        push_rows(&mut rows, &current, period_start, period_end);
        count += 1;
    }
    Ok((count <= MAX_PERIODS).then_some(rows))
}

/// One period's row per method, as [`super::aggregate::aggregate`] writes it.
fn push_rows(
    rows: &mut BTreeMap<Method, Vec<Value>>,
    stats: &DayStats,
    start: DateTime,
    end: DateTime,
) {
    let numbers = stats.numbers > 0;
    let n = stats.numbers as f64;
    for (method, out) in rows.iter_mut() {
        let value = match method {
            Method::TotalCount => Some(json!(stats.total)),
            Method::Sum => numbers.then(|| json!(stats.sum)),
            Method::Sumsq => numbers.then(|| json!(stats.sumsq)),
            Method::Min => numbers.then(|| json!(stats.min)),
            Method::Max => numbers.then(|| json!(stats.max)),
            Method::Avg => numbers.then(|| json!(stats.sum / n)),
            Method::Stddev => numbers.then(|| json!((stats.m2 / n).max(0.0).sqrt())),
            // Not kept per day: such queries are answered from the instances.
            Method::DistinctCount => None,
        };
        if let Some(value) = value {
            out.push(json!([value, start.to_string(), end.to_string()]));
        }
    }
}
