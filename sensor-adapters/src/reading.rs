//! What a decoder extracts from a payload, before any mapping: device, field, raw value, time.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One measured value as the payload carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The device's id as the payload or topic names it (TTN `device_id`, IoT Agent device id,
    /// SenML base name, the mapping's device field).
    pub device: String,
    /// The payload's name for the measured quantity (`no2`, `t`, `temp`…).
    pub field: String,
    /// The value, untyped until the mapping says what the field is.
    pub value: RawValue,
    /// The unit the payload states (SenML `u`), if any.
    pub unit: Option<String>,
    /// When the phenomenon was measured, if the payload says.
    pub time: Option<OffsetDateTime>,
    /// Where, as (latitude, longitude), if the payload says.
    pub location: Option<(f64, f64)>,
}

/// A value before mapping: payloads disagree on types (UltraLight sends everything as text).
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// A JSON number.
    Number(f64),
    /// Text, which may still hold a number.
    Text(String),
    /// A JSON or SenML boolean.
    Boolean(bool),
}

impl RawValue {
    /// The value from a JSON value; `None` for null, arrays and objects.
    pub fn from_json(value: &serde_json::Value) -> Option<RawValue> {
        match value {
            serde_json::Value::Number(n) => n.as_f64().map(RawValue::Number),
            serde_json::Value::String(s) => Some(RawValue::Text(s.clone())),
            serde_json::Value::Bool(b) => Some(RawValue::Boolean(*b)),
            _ => None,
        }
    }
}

impl std::fmt::Display for RawValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RawValue::Number(n) => write!(f, "{n}"),
            RawValue::Text(s) => write!(f, "{s:?}"),
            RawValue::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// Parses a time as payloads write it: RFC 3339 text, or seconds / milliseconds since the
/// Unix epoch (a number above 10^11 is taken as milliseconds).
pub fn parse_time(value: &serde_json::Value) -> Option<OffsetDateTime> {
    match value {
        serde_json::Value::String(text) => parse_time_text(text),
        serde_json::Value::Number(n) => n.as_f64().and_then(epoch_time),
        _ => None,
    }
}

/// Parses RFC 3339 text, or an epoch number written as text.
pub fn parse_time_text(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(epoch_time))
}

/// Seconds (or, above 10^11, milliseconds) since the epoch.
pub fn epoch_time(value: f64) -> Option<OffsetDateTime> {
    if !value.is_finite() {
        return None;
    }
    let seconds = if value.abs() > 1e11 {
        value / 1000.0
    } else {
        value
    };
    OffsetDateTime::from_unix_timestamp_nanos((seconds * 1e9).round() as i128).ok()
}

/// A time as `xsd:dateTime` text in UTC (`2026-11-21T10:00:00Z`, fractions when present).
pub fn format_time(time: OffsetDateTime) -> String {
    time.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| time.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_from_text_seconds_and_milliseconds() {
        let text = parse_time(&serde_json::json!("2026-11-21T10:00:00+01:00")).unwrap();
        assert_eq!(format_time(text), "2026-11-21T09:00:00Z");
        let seconds = parse_time(&serde_json::json!(1_795_000_000)).unwrap();
        let millis = parse_time(&serde_json::json!(1_795_000_000_000u64)).unwrap();
        assert_eq!(seconds, millis);
        assert_eq!(parse_time(&serde_json::json!("yesterday")), None);
        assert_eq!(epoch_time(f64::NAN), None);
    }
}
