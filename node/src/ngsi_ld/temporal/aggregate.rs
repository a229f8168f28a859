//! Aggregated temporal values (`aggrMethods`, `aggrPeriodDuration`): an attribute's
//! instances folded into consecutive periods, each answered as `[value, start, end]` per
//! method. Periods start at the window's start (`timeAt`) or else at the first instance;
//! periods without instances are left out.

use super::instance::TemporalInstance;
use crate::ngsi_ld::error::NgsiLdError;
use crate::store::observation_index::number;
use oxigraph::model::Term;
use oxsdatatypes::{DateTime, DayTimeDuration, Decimal, Double, Duration};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

/// Most periods one attribute's answer may hold (a tiny period over a long window is refused
/// rather than answered with millions of rows).
pub const MAX_PERIODS: usize = 100_000;

/// An aggregation method of NGSI-LD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// Instances in the period.
    TotalCount,
    /// Distinct values in the period.
    DistinctCount,
    /// Sum of the numbers.
    Sum,
    /// Their mean.
    Avg,
    /// The smallest.
    Min,
    /// The largest.
    Max,
    /// Their population standard deviation.
    Stddev,
    /// The sum of their squares.
    Sumsq,
}

impl Method {
    /// Every method, as `aggrMethods` names them.
    pub const ALL: [(&'static str, Method); 8] = [
        ("totalCount", Method::TotalCount),
        ("distinctCount", Method::DistinctCount),
        ("sum", Method::Sum),
        ("avg", Method::Avg),
        ("min", Method::Min),
        ("max", Method::Max),
        ("stddev", Method::Stddev),
        ("sumsq", Method::Sumsq),
    ];

    /// The `aggrMethods` list.
    pub fn parse_list(text: &str) -> Result<Vec<Method>, NgsiLdError> {
        let mut methods = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let Some((_, method)) = Self::ALL.iter().find(|(n, _)| *n == name) else {
                return Err(NgsiLdError::BadRequestData(format!(
                    "aggrMethods: `{name}` is not one of totalCount, distinctCount, sum, avg, min, max, stddev, sumsq"
                )));
            };
            if !methods.contains(method) {
                methods.push(*method);
            }
        }
        if methods.is_empty() {
            return Err(NgsiLdError::BadRequestData(
                "aggrMethods names no method".into(),
            ));
        }
        Ok(methods)
    }

    /// The member the answer uses for it.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("", |(n, _)| n)
    }
}

/// How to aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// `aggrMethods`.
    pub methods: Vec<Method>,
    /// `aggrPeriodDuration`; none for one period over the whole answer.
    pub period: Option<Duration>,
}

impl Aggregation {
    /// Reads `aggrPeriodDuration` (an `xsd:duration` such as `P1D` or `PT1H`).
    pub fn parse_period(text: &str) -> Result<Duration, NgsiLdError> {
        let bad = || {
            NgsiLdError::BadRequestData(format!(
                "aggrPeriodDuration `{text}` is not a positive duration (e.g. PT1H, P1D, P1M)"
            ))
        };
        let period = Duration::from_str(text).map_err(|_| bad())?;
        // Positive: it moves a time forward (P1M and PT720H differ, so compare on a date).
        let reference = DateTime::from_str("2000-01-01T00:00:00Z").map_err(|_| bad())?;
        match reference.checked_add_duration(period) {
            Some(later) if later > reference => Ok(period),
            _ => Err(bad()),
        }
    }
}

/// One attribute's aggregated values: what it is and its rows per method.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
    /// `Property`, or `Relationship` when every instance names an object.
    pub kind: &'static str,
    /// `[value, start, end]` rows per method.
    pub rows: BTreeMap<Method, Vec<Value>>,
}

impl Aggregated {
    /// The rows of `instances`.
    pub fn of(instances: &[TemporalInstance], rows: BTreeMap<Method, Vec<Value>>) -> Self {
        let objects = instances
            .iter()
            .all(|i| matches!(i.value, Term::NamedNode(_)));
        Self {
            kind: kind(!instances.is_empty() && objects),
            rows,
        }
    }
}

/// The type member of an attribute whose instances all name objects (or not).
pub fn kind(all_objects: bool) -> &'static str {
    if all_objects {
        "Relationship"
    } else {
        "Property"
    }
}

/// `[value, start, end]` rows per method for one attribute's `instances` (oldest first).
pub fn aggregate(
    instances: &[TemporalInstance],
    aggregation: &Aggregation,
    window_start: Option<DateTime>,
) -> Result<BTreeMap<Method, Vec<Value>>, NgsiLdError> {
    let mut rows: BTreeMap<Method, Vec<Value>> = aggregation
        .methods
        .iter()
        .map(|m| (*m, Vec::new()))
        .collect();
    let (Some(first), Some(last)) = (instances.first(), instances.last()) else {
        return Ok(rows);
    };
    let mut start = match window_start {
        Some(window) if window < first.at => window,
        _ => first.at,
    };
    let mut periods = 0;
    let mut index = 0;
    while index < instances.len() {
        let end = match aggregation.period {
            Some(period) => start.checked_add_duration(period).ok_or_else(too_far)?,
            // One period over everything: it ends just after the last instance.
            None => last
                .at
                .checked_add_day_time_duration(DayTimeDuration::new(Decimal::from(1)))
                .ok_or_else(too_far)?,
        };
        let from = index;
        while index < instances.len() && instances[index].at < end {
            index += 1;
        }
        if index > from {
            periods += 1;
            if periods > MAX_PERIODS {
                return Err(NgsiLdError::BadRequestData(format!(
                    "the aggregation has more than {MAX_PERIODS} periods: choose a longer aggrPeriodDuration or a shorter window"
                )));
            }
            let period_end = if aggregation.period.is_some() {
                end
            } else {
                last.at
            };
            for (method, out) in &mut rows {
                if let Some(value) = fold(*method, &instances[from..index]) {
                    out.push(json!([value, start.to_string(), period_end.to_string()]));
                }
            }
        }
        start = match (aggregation.period, instances.get(index)) {
            (Some(period), Some(next)) => skip_to(end, period, next.at)?,
            _ => end,
        };
    }
    Ok(rows)
}

pub(super) fn too_far() -> NgsiLdError {
    NgsiLdError::BadRequestData("an aggregation period ends past the representable time".into())
}

/// The start of the period holding `t`, stepping from `start` (a period boundary) by
/// `period` without visiting empty periods one by one where the period has a fixed length.
pub(super) fn skip_to(
    start: DateTime,
    period: Duration,
    t: DateTime,
) -> Result<DateTime, NgsiLdError> {
    if t < start {
        return Ok(start);
    }
    if let Ok(fixed) = DayTimeDuration::try_from(period) {
        let length = f64::from(Double::from(fixed.as_seconds()));
        let gap = t
            .checked_sub(start)
            .map(|d| f64::from(Double::from(d.as_seconds())))
            .ok_or_else(too_far)?;
        let steps = (gap / length).floor();
        if steps >= 1.0 {
            let skipped = DayTimeDuration::new(
                fixed
                    .as_seconds()
                    .checked_mul(Decimal::from(steps as i64))
                    .ok_or_else(too_far)?,
            );
            let candidate = start
                .checked_add_day_time_duration(skipped)
                .ok_or_else(too_far)?;
            // Floating point may land one period late: step back when it did.
            if candidate <= t {
                return Ok(candidate);
            }
        }
        return Ok(start);
    }
    // Months and years differ in length: step (bounded by MAX_PERIODS).
    let mut at = start;
    for _ in 0..MAX_PERIODS {
        let next = at.checked_add_duration(period).ok_or_else(too_far)?;
        if next > t {
            return Ok(at);
        }
        at = next;
    }
    Err(NgsiLdError::BadRequestData(format!(
        "the aggregation has more than {MAX_PERIODS} periods: choose a longer aggrPeriodDuration or a shorter window"
    )))
}

/// One method over one period's instances; none when it has nothing to say (no numbers).
fn fold(method: Method, instances: &[TemporalInstance]) -> Option<Value> {
    let numbers = || instances.iter().filter_map(|i| number(&i.value));
    match method {
        Method::TotalCount => Some(json!(instances.len())),
        Method::DistinctCount => {
            let distinct: HashSet<String> = instances.iter().map(|i| i.value.to_string()).collect();
            Some(json!(distinct.len()))
        }
        Method::Sum => numbers().reduce(|a, b| a + b).map(|s| json!(s)),
        Method::Sumsq => numbers()
            .map(|v| v * v)
            .reduce(|a, b| a + b)
            .map(|s| json!(s)),
        Method::Min => numbers().reduce(f64::min).map(|v| json!(v)),
        Method::Max => numbers().reduce(f64::max).map(|v| json!(v)),
        Method::Avg => {
            let (sum, n) = numbers().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            (n > 0).then(|| json!(sum / n as f64))
        }
        Method::Stddev => {
            let values: Vec<f64> = numbers().collect();
            if values.is_empty() {
                return None;
            }
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            Some(json!(variance.sqrt()))
        }
    }
}
