//! How the observation index lays out its sled trees.
//!
//! - **instances**: `entity 0 attribute 0 time(16) observation 0 zone(2) graph` ->
//!   `len(4) value unit`. `time` is the instant as oxsdatatypes keeps it (seconds since
//!   0001-01-01T00:00:00Z, 18 decimals, as a big-endian i128 with its sign bit flipped), so
//!   sled's byte order is time order, ties broken by the observation's IRI as the temporal
//!   API orders them; `zone` is the written time's offset, so the time reads back exactly.
//! - **days**: `entity 0 attribute 0 day(8) graph` -> [`DayStats`] of that UTC day's
//!   instances in that graph.
//!
//! IRIs hold no NUL byte, so `0` ends one and the fixed-size parts follow it.

use oxigraph::model::{NamedNode, Term};
use oxsdatatypes::{DateTime, TimezoneOffset};
use std::str::FromStr;

/// Seconds as oxsdatatypes' decimals count them (18 fractional digits).
const SECOND: i128 = 1_000_000_000_000_000_000;
/// One day in those units.
const DAY: i128 = 86_400 * SECOND;

/// The prefix of one (entity, attribute) series in both trees.
pub fn series(entity: &str, attribute: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(entity.len() + attribute.len() + 2);
    key.extend_from_slice(entity.as_bytes());
    key.push(0);
    key.extend_from_slice(attribute.as_bytes());
    key.push(0);
    key
}

/// The instant of `t` as an integer of oxsdatatypes' units, and its zone.
fn instant(t: DateTime) -> (i128, [u8; 2]) {
    let bytes = t.to_be_bytes();
    let mut value = [0; 16];
    value.copy_from_slice(&bytes[..16]);
    (i128::from_be_bytes(value), [bytes[16], bytes[17]])
}

/// `value` as bytes whose order is the integers' order.
fn sortable(value: i128) -> [u8; 16] {
    ((value as u128) ^ (1 << 127)).to_be_bytes()
}

fn unsortable(bytes: [u8; 16]) -> i128 {
    (u128::from_be_bytes(bytes) ^ (1 << 127)) as i128
}

/// The instances key of an observation.
pub fn instance_key(series: &[u8], at: DateTime, observation: &str, graph: &str) -> Vec<u8> {
    let (value, zone) = instant(at);
    let mut key = Vec::with_capacity(series.len() + 16 + observation.len() + 3 + graph.len());
    key.extend_from_slice(series);
    key.extend_from_slice(&sortable(value));
    key.extend_from_slice(observation.as_bytes());
    key.push(0);
    key.extend_from_slice(&zone);
    key.extend_from_slice(graph.as_bytes());
    key
}

/// The first instances key of a series at or after `at` (exclusive ends use it too).
pub fn time_bound(series: &[u8], at: DateTime) -> Vec<u8> {
    let mut key = series.to_vec();
    key.extend_from_slice(&sortable(instant(at).0));
    key
}

/// The first instances key strictly after every instance at `at`.
pub fn after_bound(series: &[u8], at: DateTime) -> Vec<u8> {
    let mut key = series.to_vec();
    key.extend_from_slice(&sortable(instant(at).0.saturating_add(1)));
    key
}

/// An instances key past its series prefix: time, observation IRI and graph.
pub struct InstanceKey<'a> {
    /// When.
    pub at: DateTime,
    /// The observation's IRI.
    pub observation: &'a str,
    /// Its graph's IRI, empty for the default graph.
    pub graph: &'a str,
}

impl<'a> InstanceKey<'a> {
    /// Reads the part of a key after the series prefix; `None` if it is not one.
    pub fn parse(rest: &'a [u8]) -> Option<Self> {
        let (time, rest) = rest.split_at_checked(16)?;
        let end = rest.iter().position(|b| *b == 0)?;
        let observation = std::str::from_utf8(&rest[..end]).ok()?;
        let (zone, graph) = rest[end + 1..].split_at_checked(2)?;
        let mut bytes = [0; 18];
        bytes[..16].copy_from_slice(&unsortable(time.try_into().ok()?).to_be_bytes());
        bytes[16..].copy_from_slice(zone);
        Some(Self {
            at: DateTime::from_be_bytes(bytes),
            observation,
            graph: std::str::from_utf8(graph).ok()?,
        })
    }
}

/// The instances value: the result as an N-Triples term, then the unit's IRI (if any).
pub fn instance_value(value: &Term, unit: Option<&NamedNode>) -> Vec<u8> {
    let text = value.to_string();
    let mut bytes = Vec::with_capacity(4 + text.len() + unit.map_or(0, |u| u.as_str().len()));
    bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
    bytes.extend_from_slice(text.as_bytes());
    if let Some(unit) = unit {
        bytes.extend_from_slice(unit.as_str().as_bytes());
    }
    bytes
}

/// Reads an instances value back; `None` if it is not one.
pub fn parse_instance_value(bytes: &[u8]) -> Option<(Term, Option<NamedNode>)> {
    let (len, rest) = bytes.split_at_checked(4)?;
    let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    let (text, unit) = rest.split_at_checked(len)?;
    let value = Term::from_str(std::str::from_utf8(text).ok()?).ok()?;
    let unit = if unit.is_empty() {
        None
    } else {
        Some(NamedNode::new(std::str::from_utf8(unit).ok()?).ok()?)
    };
    Some((value, unit))
}

/// The UTC day (days since 0001-01-01) holding `at`.
pub fn day_of(at: DateTime) -> i64 {
    instant(at).0.div_euclid(DAY) as i64
}

/// Whether `at` is a UTC midnight.
pub fn is_midnight(at: DateTime) -> bool {
    instant(at).0.rem_euclid(DAY) == 0
}

/// A days key.
pub fn day_key(series: &[u8], day: i64, graph: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(series.len() + 8 + graph.len());
    key.extend_from_slice(series);
    key.extend_from_slice(&((day as u64) ^ (1 << 63)).to_be_bytes());
    key.extend_from_slice(graph.as_bytes());
    key
}

/// A days key past its series prefix: the day and the graph.
pub fn parse_day_key(rest: &[u8]) -> Option<(i64, &str)> {
    let (day, graph) = rest.split_at_checked(8)?;
    let day = (u64::from_be_bytes(day.try_into().ok()?) ^ (1 << 63)) as i64;
    Some((day, std::str::from_utf8(graph).ok()?))
}

/// Midnight (UTC) starting `day`.
pub fn midnight(day: i64) -> DateTime {
    let mut bytes = [0; 18];
    bytes[..16].copy_from_slice(&(i128::from(day) * DAY).to_be_bytes());
    bytes[16..].copy_from_slice(&TimezoneOffset::UTC.to_be_bytes());
    DateTime::from_be_bytes(bytes)
}

/// A numeric literal's value (the numbers `sum`, `avg`, `min`, … fold).
pub fn number(term: &Term) -> Option<f64> {
    let Term::Literal(literal) = term else {
        return None;
    };
    let numeric = matches!(
        literal.datatype().as_str(),
        "http://www.w3.org/2001/XMLSchema#double"
            | "http://www.w3.org/2001/XMLSchema#float"
            | "http://www.w3.org/2001/XMLSchema#decimal"
            | "http://www.w3.org/2001/XMLSchema#integer"
            | "http://www.w3.org/2001/XMLSchema#int"
            | "http://www.w3.org/2001/XMLSchema#long"
    );
    numeric
        .then(|| literal.value().parse::<f64>().ok())
        .flatten()
        .filter(|v| v.is_finite())
}

/// What one day of a series holds in one graph: enough for every aggregation method but
/// `distinctCount`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DayStats {
    /// Instances.
    pub total: u64,
    /// Instances whose value names an object (a Relationship's).
    pub objects: u64,
    /// Instances with a numeric value.
    pub numbers: u64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sumsq: f64,
    /// Their mean.
    pub mean: f64,
    /// The sum of squared distances from the mean (Welford), for a stable `stddev`.
    pub m2: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl DayStats {
    const LEN: usize = 72;

    /// Counts one more instance.
    pub fn add(&mut self, value: &Term) {
        self.total += 1;
        if matches!(value, Term::NamedNode(_)) {
            self.objects += 1;
        }
        if let Some(x) = number(value) {
            self.merge(&DayStats {
                numbers: 1,
                sum: x,
                sumsq: x * x,
                mean: x,
                m2: 0.0,
                min: x,
                max: x,
                ..DayStats::default()
            });
        }
    }

    /// Adds `other`'s instances (Chan et al.'s pairwise update for the spread).
    pub fn merge(&mut self, other: &DayStats) {
        self.total += other.total;
        self.objects += other.objects;
        if other.numbers == 0 {
            return;
        }
        if self.numbers == 0 {
            (self.min, self.max) = (other.min, other.max);
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        let (a, b) = (self.numbers as f64, other.numbers as f64);
        let n = a + b;
        let delta = other.mean - self.mean;
        self.mean += delta * b / n;
        self.m2 += other.m2 + delta * delta * a * b / n;
        self.numbers += other.numbers;
        self.sum += other.sum;
        self.sumsq += other.sumsq;
    }

    /// The stored form.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let mut bytes = [0; Self::LEN];
        let parts = [
            self.total.to_be_bytes(),
            self.objects.to_be_bytes(),
            self.numbers.to_be_bytes(),
            self.sum.to_be_bytes(),
            self.sumsq.to_be_bytes(),
            self.mean.to_be_bytes(),
            self.m2.to_be_bytes(),
            self.min.to_be_bytes(),
            self.max.to_be_bytes(),
        ];
        for (i, part) in parts.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(part);
        }
        bytes
    }

    /// Reads the stored form; `None` if it is not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != Self::LEN {
            return None;
        }
        let word = |i: usize| -> [u8; 8] {
            let mut w = [0; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            w
        };
        let float = |i| f64::from_be_bytes(word(i));
        Some(Self {
            total: u64::from_be_bytes(word(0)),
            objects: u64::from_be_bytes(word(1)),
            numbers: u64::from_be_bytes(word(2)),
            sum: float(3),
            sumsq: float(4),
            mean: float(5),
            m2: float(6),
            min: float(7),
            max: float(8),
        })
    }
}

/// The times a read covers: from `from` (excluded when `from_excluded`) until `until`
/// (excluded).
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    /// The earliest time, if any.
    pub from: Option<DateTime>,
    /// Whether an instance exactly at `from` is left out.
    pub from_excluded: bool,
    /// The first time past the range, if any.
    pub until: Option<DateTime>,
}

/// The sled range of a series' instances in `range`.
pub fn bounds(series: &[u8], range: TimeRange) -> std::ops::Range<Vec<u8>> {
    let start = match range.from {
        Some(from) if range.from_excluded => after_bound(series, from),
        Some(from) => time_bound(series, from),
        None => series.to_vec(),
    };
    let end = match range.until {
        Some(until) => time_bound(series, until),
        None => successor(series),
    };
    let end = end.max(start.clone());
    start..end
}

/// The first key past every key starting with `prefix` (which ends with a 0 byte).
pub fn successor(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last = 1;
    }
    end
}
