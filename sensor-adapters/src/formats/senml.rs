//! SenML JSON packs (RFC 8428).
//!
//! Base fields (`bn`, `bt`, `bu`, `bv`) apply to the records that follow them. The device is
//! the base name without its trailing `:` or `/` (`urn:dev:ow:10e2073a01080063:` gives
//! `urn:dev:ow:10e2073a01080063`), or, without a base name, the name's part before its last
//! `:` or `/`, or else the topic's last level. Times below 2^28 are relative to now.

use super::{DecodeError, json};
use crate::reading::{RawValue, Reading, epoch_time};
use time::OffsetDateTime;

/// RFC 8428 §4.5.3: times below 2^28 seconds are relative to the current time.
const RELATIVE_TIME_LIMIT: f64 = 268_435_456.0;

pub(super) fn decode(
    topic: &str,
    payload: &[u8],
    received_at: OffsetDateTime,
) -> Result<Vec<Reading>, DecodeError> {
    let pack = json("SenML JSON", payload)?;
    let records = pack
        .as_array()
        .ok_or_else(|| DecodeError::Missing("a SenML pack (a JSON array of records)".into()))?;
    let topic_device = topic.rsplit('/').next().unwrap_or(topic);
    let (mut base_name, mut base_time, mut base_unit, mut base_value) =
        (String::new(), 0.0, None::<String>, 0.0);
    let mut readings = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let missing = |what: &str| DecodeError::Missing(format!("record {index}: {what}"));
        let record = record.as_object().ok_or_else(|| missing("a JSON object"))?;
        let number = |key: &str| -> Result<Option<f64>, DecodeError> {
            match record.get(key) {
                None => Ok(None),
                Some(v) => v.as_f64().map(Some).ok_or_else(|| missing(key)),
            }
        };
        let text = |key: &str| -> Result<Option<String>, DecodeError> {
            match record.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_owned()))
                    .ok_or_else(|| missing(key)),
            }
        };
        if let Some(bn) = text("bn")? {
            base_name = bn;
        }
        if let Some(bt) = number("bt")? {
            base_time = bt;
        }
        if let Some(bu) = text("bu")? {
            base_unit = Some(bu);
        }
        if let Some(bv) = number("bv")? {
            base_value = bv;
        }
        let value = if let Some(v) = number("v")? {
            RawValue::Number(base_value + v)
        } else if let Some(vs) = text("vs")? {
            RawValue::Text(vs)
        } else if let Some(vb) = record.get("vb") {
            RawValue::Boolean(vb.as_bool().ok_or_else(|| missing("vb"))?)
        } else if record.contains_key("bn") || record.contains_key("bt") {
            // A record carrying only base fields.
            continue;
        } else {
            return Err(missing("a value (v, vs or vb)"));
        };
        let name = format!("{base_name}{}", text("n")?.unwrap_or_default());
        let (device, field) = if !base_name.is_empty() {
            let device = base_name.trim_end_matches([':', '/']);
            (device.to_owned(), name[base_name.len()..].to_owned())
        } else if let Some(split) = name.rfind([':', '/']) {
            (name[..split].to_owned(), name[split + 1..].to_owned())
        } else {
            (topic_device.to_owned(), name.clone())
        };
        if field.is_empty() {
            return Err(missing("a name (n) for the value"));
        }
        let t = base_time + number("t")?.unwrap_or(0.0);
        let time = if t.abs() < RELATIVE_TIME_LIMIT {
            received_at + time::Duration::seconds_f64(t)
        } else {
            epoch_time(t).ok_or_else(|| DecodeError::Time(t.to_string()))?
        };
        readings.push(Reading {
            device,
            field,
            value,
            unit: text("u")?.or_else(|| base_unit.clone()),
            time: Some(time),
            location: None,
        });
    }
    Ok(readings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::{format_time, parse_time_text};

    #[test]
    fn base_fields_apply_to_the_records_that_follow() {
        let now = parse_time_text("2026-11-21T12:00:00Z").unwrap();
        let pack = br#"[
          {"bn":"urn:dev:ow:10e2073a01080063:","bt":1795262400,"bu":"Cel","n":"temp","v":-1.5},
          {"n":"hum","u":"%RH","v":81,"t":60},
          {"n":"ice","vb":true}
        ]"#;
        let r = decode("sensors/x", pack, now).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].device, "urn:dev:ow:10e2073a01080063");
        assert_eq!(r[0].field, "temp");
        assert_eq!(r[0].unit.as_deref(), Some("Cel"));
        assert_eq!(r[1].unit.as_deref(), Some("%RH"));
        assert_eq!(format_time(r[1].time.unwrap()), "2026-11-21T12:01:00Z");
        assert_eq!(r[2].value, RawValue::Boolean(true));
    }

    #[test]
    fn relative_times_and_topic_devices() {
        let now = parse_time_text("2026-11-21T12:00:00Z").unwrap();
        let r = decode("city/soil-4", br#"[{"n":"vwc","v":0.31,"t":-30}]"#, now).unwrap();
        assert_eq!(r[0].device, "soil-4");
        assert_eq!(format_time(r[0].time.unwrap()), "2026-11-21T11:59:30Z");
        let e = decode("t", br#"[{"n":"vwc"}]"#, now).unwrap_err();
        assert!(e.to_string().contains("a value"), "{e}");
        let e = decode("t", br#"{"n":"vwc"}"#, now).unwrap_err();
        assert!(e.to_string().contains("SenML pack"), "{e}");
    }
}
