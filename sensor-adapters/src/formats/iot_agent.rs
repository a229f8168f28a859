//! FIWARE IoT Agent measures over MQTT, JSON and UltraLight 2.0.
//!
//! Topics: `/{apikey}/{device}/attrs` for several measures, `/{apikey}/{device}/attrs/{name}`
//! for one; the newer agents also accept a `/json` or `/ul` prefix. A `TimeInstant` measure
//! (JSON) or a leading timestamp in a measure group (UltraLight) gives the time.

use super::{DecodeError, json};
use crate::reading::{RawValue, Reading, parse_time, parse_time_text};
use time::OffsetDateTime;

const TOPIC_SHAPE: &str = "/[json/|ul/]{apikey}/{device}/attrs[/{attribute}]";

/// The (device, single attribute) a topic addresses, after checking its API key.
fn parse_topic<'t>(
    apikey: &str,
    topic: &'t str,
) -> Result<(&'t str, Option<&'t str>), DecodeError> {
    let bad = || DecodeError::Topic {
        topic: topic.to_owned(),
        expected: TOPIC_SHAPE,
    };
    let mut levels: Vec<&str> = topic.trim_start_matches('/').split('/').collect();
    if matches!(levels.first(), Some(&"json") | Some(&"ul")) {
        levels.remove(0);
    }
    match levels.as_slice() {
        [key, device, "attrs", rest @ ..] if rest.len() <= 1 && !device.is_empty() => {
            if *key != apikey {
                return Err(DecodeError::UnknownApiKey((*key).to_owned()));
            }
            Ok((device, rest.first().copied()))
        }
        _ => Err(bad()),
    }
}

pub(super) fn decode_json(
    apikey: &str,
    topic: &str,
    payload: &[u8],
    received_at: OffsetDateTime,
) -> Result<Vec<Reading>, DecodeError> {
    let (device, attribute) = parse_topic(apikey, topic)?;
    let message = json("IoT Agent JSON", payload)?;
    let reading = |field: &str, value: &serde_json::Value, time| {
        Some(Reading {
            device: device.to_owned(),
            field: field.to_owned(),
            value: RawValue::from_json(value)?,
            unit: None,
            time: Some(time),
            location: None,
        })
    };
    if let Some(attribute) = attribute {
        return Ok(reading(attribute, &message, received_at)
            .into_iter()
            .collect());
    }
    // Several measure groups may come as an array of objects.
    let groups = match &message {
        serde_json::Value::Array(groups) => groups.iter().collect(),
        other => vec![other],
    };
    let mut readings = Vec::new();
    for group in groups {
        let object = group
            .as_object()
            .ok_or_else(|| DecodeError::Missing("a JSON object of measures".into()))?;
        let time = match object.get("TimeInstant") {
            Some(t) => parse_time(t).ok_or_else(|| DecodeError::Time(t.to_string()))?,
            None => received_at,
        };
        readings.extend(
            object
                .iter()
                .filter(|(name, _)| *name != "TimeInstant")
                .filter_map(|(name, value)| reading(name, value, time)),
        );
    }
    Ok(readings)
}

pub(super) fn decode_ul(
    apikey: &str,
    topic: &str,
    payload: &[u8],
    received_at: OffsetDateTime,
) -> Result<Vec<Reading>, DecodeError> {
    let (device, attribute) = parse_topic(apikey, topic)?;
    let text = std::str::from_utf8(payload).map_err(|e| DecodeError::Syntax {
        format: "UltraLight 2.0",
        reason: e.to_string(),
    })?;
    let reading = |field: &str, value: &str, time| Reading {
        device: device.to_owned(),
        field: field.to_owned(),
        value: RawValue::Text(value.trim().to_owned()),
        unit: None,
        time: Some(time),
        location: None,
    };
    if let Some(attribute) = attribute {
        return Ok(vec![reading(attribute, text, received_at)]);
    }
    let mut readings = Vec::new();
    // Measure groups are separated by `#`; each is `key|value|key|value…`, optionally led by
    // a timestamp.
    for group in text.trim().split('#').filter(|g| !g.trim().is_empty()) {
        let mut parts: Vec<&str> = group.split('|').collect();
        let mut time = received_at;
        if parts.len() % 2 == 1 {
            let first = parts.remove(0);
            time = parse_time_text(first).ok_or_else(|| DecodeError::Syntax {
                format: "UltraLight 2.0",
                reason: format!(
                    "`{group}` has an odd number of parts and `{first}` is not a timestamp"
                ),
            })?;
        }
        for pair in parts.chunks(2) {
            let key = pair[0].trim();
            if key.is_empty() {
                return Err(DecodeError::Syntax {
                    format: "UltraLight 2.0",
                    reason: format!("empty measure name in `{group}`"),
                });
            }
            readings.push(reading(key, pair[1], time));
        }
    }
    Ok(readings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::format_time;

    fn now() -> OffsetDateTime {
        parse_time_text("2026-11-21T12:00:00Z").unwrap()
    }

    #[test]
    fn json_measures_with_time_instant() {
        let r = decode_json(
            "k3y",
            "/json/k3y/bin-17/attrs",
            br#"{"fillingLevel": 0.8, "TimeInstant": "2026-11-21T11:00:00Z"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].device, "bin-17");
        assert_eq!(r[0].value, RawValue::Number(0.8));
        assert_eq!(format_time(r[0].time.unwrap()), "2026-11-21T11:00:00Z");
        let single = decode_json("k3y", "/k3y/bin-17/attrs/fillingLevel", b"0.5", now()).unwrap();
        assert_eq!(single[0].field, "fillingLevel");
    }

    #[test]
    fn ultralight_groups_and_timestamps() {
        let r = decode_ul(
            "k3y",
            "/k3y/road-3/attrs",
            b"2026-11-21T06:00:00Z|t|-1.5|h|80#t|-1.0",
            now(),
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].value, RawValue::Text("-1.5".into()));
        assert_eq!(format_time(r[0].time.unwrap()), "2026-11-21T06:00:00Z");
        assert_eq!(format_time(r[2].time.unwrap()), "2026-11-21T12:00:00Z");
    }

    #[test]
    fn foreign_api_keys_and_bad_topics_are_refused() {
        let e = decode_ul("k3y", "/other/road-3/attrs", b"t|1", now()).unwrap_err();
        assert!(matches!(e, DecodeError::UnknownApiKey(k) if k == "other"));
        let e = decode_ul("k3y", "/k3y/road-3/cmd", b"t|1", now()).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let e = decode_ul("k3y", "/k3y/road-3/attrs", b"t|1|h", now()).unwrap_err();
        assert!(e.to_string().contains("odd number"), "{e}");
    }
}
