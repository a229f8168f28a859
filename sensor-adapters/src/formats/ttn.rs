//! The Things Network v3 uplink messages (the `up` topic's JSON, as TTN's MQTT server and
//! webhooks publish it).
//!
//! Used: `end_device_ids.device_id`, `received_at`, `uplink_message.decoded_payload` (the
//! fields), `uplink_message.rx_metadata[].time` (when gateways heard the uplink, the best
//! available measurement time) and `uplink_message.locations` (a position set on the device
//! or resolved by the network).

use super::{DecodeError, json};
use crate::reading::{RawValue, Reading, parse_time};

pub(super) fn decode(payload: &[u8]) -> Result<Vec<Reading>, DecodeError> {
    let message = json("TTN v3 uplink JSON", payload)?;
    let device = message
        .pointer("/end_device_ids/device_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| DecodeError::Missing("end_device_ids.device_id".into()))?;
    let uplink = message
        .get("uplink_message")
        .ok_or_else(|| DecodeError::Missing("uplink_message".into()))?;
    let fields = uplink
        .get("decoded_payload")
        .and_then(|v| v.as_object())
        .ok_or_else(|| {
            DecodeError::Missing(
                "uplink_message.decoded_payload (is a payload formatter set for the device?)"
                    .into(),
            )
        })?;
    let received_at = message
        .get("received_at")
        .or_else(|| uplink.get("received_at"))
        .ok_or_else(|| DecodeError::Missing("received_at".into()))?;
    let received_at =
        parse_time(received_at).ok_or_else(|| DecodeError::Time(received_at.to_string()))?;
    // The earliest gateway time is closest to when the device measured.
    let heard = uplink
        .get("rx_metadata")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|gateway| gateway.get("time").and_then(parse_time))
        .min();
    let location = uplink
        .get("locations")
        .and_then(|v| v.as_object())
        .and_then(|locations| {
            // `user` (set in the console) is preferred over solved positions.
            locations.get("user").or_else(|| locations.values().next())
        })
        .and_then(|l| Some((l.get("latitude")?.as_f64()?, l.get("longitude")?.as_f64()?)));
    let time = Some(heard.unwrap_or(received_at));
    Ok(fields
        .iter()
        .filter_map(|(field, value)| {
            Some(Reading {
                device: device.to_owned(),
                field: field.clone(),
                value: RawValue::from_json(value)?,
                unit: None,
                time,
                location,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::format_time;

    pub(crate) const UPLINK: &str = r#"{
      "end_device_ids": {
        "device_id": "aq-grote-markt",
        "application_ids": {"application_id": "mechelen-air"},
        "dev_eui": "70B3D57ED005B1A2",
        "dev_addr": "260B1234"
      },
      "correlation_ids": ["as:up:01HZ"],
      "received_at": "2026-11-21T10:00:01.123456789Z",
      "uplink_message": {
        "session_key_id": "AXA=",
        "f_port": 1,
        "f_cnt": 4711,
        "frm_payload": "AQID",
        "decoded_payload": {"no2": 23.5, "pm10": 17, "battery": 3.6},
        "rx_metadata": [
          {"gateway_ids": {"gateway_id": "gw-stadhuis"}, "time": "2026-11-21T10:00:00.9Z", "rssi": -97, "snr": 7.5},
          {"gateway_ids": {"gateway_id": "gw-station"}, "time": "2026-11-21T10:00:00.95Z", "rssi": -110, "snr": -2}
        ],
        "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}, "frequency": "868100000"},
        "received_at": "2026-11-21T10:00:01.000Z",
        "locations": {"user": {"latitude": 51.0279, "longitude": 4.4777, "altitude": 10, "source": "SOURCE_REGISTRY"}}
      }
    }"#;

    #[test]
    fn uplinks_give_one_reading_per_decoded_field() {
        let readings = decode(UPLINK.as_bytes()).unwrap();
        assert_eq!(readings.len(), 3);
        let no2 = readings.iter().find(|r| r.field == "no2").unwrap();
        assert_eq!(no2.device, "aq-grote-markt");
        assert_eq!(no2.value, RawValue::Number(23.5));
        assert_eq!(format_time(no2.time.unwrap()), "2026-11-21T10:00:00.9Z");
        assert_eq!(no2.location, Some((51.0279, 4.4777)));
    }

    #[test]
    fn uplinks_without_a_decoded_payload_are_refused() {
        let err = decode(br#"{"end_device_ids":{"device_id":"x"},"received_at":"2026-11-21T10:00:00Z","uplink_message":{"frm_payload":"AQID"}}"#).unwrap_err();
        assert!(err.to_string().contains("decoded_payload"), "{err}");
        assert!(
            decode(b"not json")
                .unwrap_err()
                .to_string()
                .contains("not valid TTN")
        );
    }
}
