//! Any JSON message, with the device, time and fields located by JSON pointers.

use super::{DecodeError, JsonLayout, json};
use crate::reading::{RawValue, Reading, parse_time};
use time::OffsetDateTime;

pub(super) fn decode(
    layout: &JsonLayout,
    topic: &str,
    payload: &[u8],
    received_at: OffsetDateTime,
) -> Result<Vec<Reading>, DecodeError> {
    let message = json("JSON", payload)?;
    // A batch of messages may come as one array.
    let messages = match &message {
        serde_json::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut readings = Vec::new();
    for message in messages {
        let at = |pointer: &Option<String>| {
            pointer
                .as_deref()
                .map(|p| {
                    message
                        .pointer(p)
                        .ok_or_else(|| DecodeError::Missing(p.to_owned()))
                })
                .transpose()
        };
        let device = match at(&layout.device)? {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(_) => return Err(DecodeError::Missing(format!("{:?} as text", layout.device))),
            None => topic.rsplit('/').next().unwrap_or(topic).to_owned(),
        };
        let time = match at(&layout.time)? {
            Some(t) => parse_time(t).ok_or_else(|| DecodeError::Time(t.to_string()))?,
            None => received_at,
        };
        let location = match (at(&layout.latitude)?, at(&layout.longitude)?) {
            (Some(lat), Some(lon)) => lat.as_f64().zip(lon.as_f64()),
            _ => None,
        };
        let fields = match &layout.fields {
            Some(pointer) => message
                .pointer(pointer)
                .ok_or_else(|| DecodeError::Missing(pointer.clone()))?,
            None => message,
        };
        let fields = fields
            .as_object()
            .ok_or_else(|| DecodeError::Missing("a JSON object of fields".into()))?;
        readings.extend(fields.iter().filter_map(|(field, value)| {
            Some(Reading {
                device: device.clone(),
                field: field.clone(),
                value: RawValue::from_json(value)?,
                unit: None,
                time: Some(time),
                location,
            })
        }));
    }
    Ok(readings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::parse_time_text;

    #[test]
    fn pointers_locate_device_time_and_fields() {
        let layout = JsonLayout {
            device: Some("/meta/id".into()),
            time: Some("/meta/ts".into()),
            fields: Some("/data".into()),
            latitude: None,
            longitude: None,
        };
        let now = parse_time_text("2026-11-21T12:00:00Z").unwrap();
        let r = decode(
            &layout,
            "x",
            br#"[{"meta":{"id":"p-1","ts":1795262400},"data":{"status":"free"}}]"#,
            now,
        )
        .unwrap();
        assert_eq!(r[0].device, "p-1");
        assert_eq!(r[0].value, RawValue::Text("free".into()));
        let e = decode(&layout, "x", br#"{"meta":{"id":"p-1"}}"#, now).unwrap_err();
        assert!(e.to_string().contains("/meta/ts"), "{e}");
    }
}
