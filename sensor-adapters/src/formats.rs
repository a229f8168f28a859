//! Payload formats: each decoder turns one message (topic + bytes) into [`Reading`]s.
//!
//! Decoders only check that the payload has the format's shape; whether a device or field is
//! known, and whether a value makes sense, is the mapping's job.

mod csv;
mod generic_json;
mod iot_agent;
mod senml;
mod ttn;

pub use self::csv::{CsvReader, decode_csv_record};

use crate::reading::Reading;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most readings one message may carry; more is refused rather than buffered.
pub const MAX_READINGS_PER_MESSAGE: usize = 10_000;

/// The payload format of a source, as its mapping file's `[format]` table gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum PayloadFormat {
    /// The Things Network v3 uplink messages (`v3/{app}@{tenant}/devices/{device}/up`).
    TtnV3,
    /// FIWARE IoT Agent JSON measures on `/[json/]{apikey}/{device}/attrs[/{attribute}]`.
    IotAgentJson {
        /// The service group's API key; messages for other keys are refused.
        apikey: String,
    },
    /// FIWARE IoT Agent UltraLight 2.0 measures (`t|21.5|h|40`) on the same topics.
    IotAgentUl {
        /// The service group's API key.
        apikey: String,
    },
    /// SenML JSON (RFC 8428) packs.
    Senml,
    /// Any JSON object (or array of objects) with the device, time and fields at JSON
    /// pointers.
    Json(JsonLayout),
}

/// Where the parts of a generic JSON message are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonLayout {
    /// JSON pointer to the device id (e.g. `/deviceId`); without it, the last topic level.
    #[serde(default)]
    pub device: Option<String>,
    /// JSON pointer to the time (RFC 3339 or epoch seconds/milliseconds); without it, the
    /// time the message was received.
    #[serde(default)]
    pub time: Option<String>,
    /// JSON pointer to the object whose members are the fields (default: the whole message).
    #[serde(default)]
    pub fields: Option<String>,
    /// JSON pointers to latitude and longitude, if the message carries a position.
    #[serde(default)]
    pub latitude: Option<String>,
    /// See `latitude`.
    #[serde(default)]
    pub longitude: Option<String>,
}

impl PayloadFormat {
    /// The format's name as written in mapping files.
    pub fn name(&self) -> &'static str {
        match self {
            PayloadFormat::TtnV3 => "ttn-v3",
            PayloadFormat::IotAgentJson { .. } => "iot-agent-json",
            PayloadFormat::IotAgentUl { .. } => "iot-agent-ul",
            PayloadFormat::Senml => "senml",
            PayloadFormat::Json(_) => "json",
        }
    }

    /// Decodes one message; `received_at` stands in for times the payload does not give.
    pub fn decode(
        &self,
        topic: &str,
        payload: &[u8],
        received_at: OffsetDateTime,
    ) -> Result<Vec<Reading>, DecodeError> {
        let readings = match self {
            PayloadFormat::TtnV3 => ttn::decode(payload)?,
            PayloadFormat::IotAgentJson { apikey } => {
                iot_agent::decode_json(apikey, topic, payload, received_at)?
            }
            PayloadFormat::IotAgentUl { apikey } => {
                iot_agent::decode_ul(apikey, topic, payload, received_at)?
            }
            PayloadFormat::Senml => senml::decode(topic, payload, received_at)?,
            PayloadFormat::Json(layout) => {
                generic_json::decode(layout, topic, payload, received_at)?
            }
        };
        if readings.is_empty() {
            return Err(DecodeError::NoReadings);
        }
        if readings.len() > MAX_READINGS_PER_MESSAGE {
            return Err(DecodeError::TooManyReadings(readings.len()));
        }
        Ok(readings)
    }
}

/// Why a payload could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The payload is not JSON (or not UTF-8 for UltraLight).
    #[error("payload is not valid {format}: {reason}")]
    Syntax {
        /// The expected format.
        format: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// A member the format requires is missing or has the wrong type.
    #[error("missing or malformed `{0}`")]
    Missing(String),
    /// The topic does not have the format's shape.
    #[error("topic `{topic}` does not match {expected}")]
    Topic {
        /// The topic.
        topic: String,
        /// The expected shape.
        expected: &'static str,
    },
    /// An IoT Agent message for another service group.
    #[error("unknown API key `{0}`")]
    UnknownApiKey(String),
    /// A time that cannot be parsed.
    #[error("time `{0}` is neither RFC 3339 nor epoch seconds")]
    Time(String),
    /// The message holds no values at all.
    #[error("the message holds no measured values")]
    NoReadings,
    /// More values than [`MAX_READINGS_PER_MESSAGE`].
    #[error("the message holds {0} values, more than the limit of {MAX_READINGS_PER_MESSAGE}")]
    TooManyReadings(usize),
    /// A CSV file without the `device` or `time` column, or a bad row.
    #[error("CSV: {0}")]
    Csv(String),
}

pub(crate) fn json(format: &'static str, payload: &[u8]) -> Result<serde_json::Value, DecodeError> {
    serde_json::from_slice(payload).map_err(|e| DecodeError::Syntax {
        format,
        reason: e.to_string(),
    })
}
