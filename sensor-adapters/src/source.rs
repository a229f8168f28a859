//! A source's mapping file: where messages come from, their format, and how devices and
//! fields become observations. One TOML file per source (see `docs/ingest.md`).

use crate::formats::PayloadFormat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest mapping file read.
const MAX_MAPPING_BYTES: u64 = 4 * 1024 * 1024;

/// One source, as its mapping file describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The source's name (`[a-z0-9-]`); defaults to the file name without `.toml`.
    #[serde(default)]
    pub name: String,
    /// How its payloads are encoded.
    pub format: PayloadFormat,
    /// The named graph its observations go to (a dataset's graph, to be published).
    pub graph: String,
    /// Base IRI for the IRIs of its sensors, observations and entities.
    pub base: String,
    /// The Smart Data Models type of its devices' latest-state entities.
    pub entity_type: String,
    /// Attributes every entity of this source carries (e.g. `vehicleType = "bicycle"`).
    #[serde(default)]
    pub static_attributes: BTreeMap<String, String>,
    /// Accept devices the `devices` table does not list (their entity gets a default IRI and
    /// no location). Off by default: an unknown device is a dead letter.
    #[serde(default)]
    pub allow_unknown_devices: bool,
    /// Subscribe to an MQTT broker.
    #[serde(default)]
    pub mqtt: Option<MqttSettings>,
    /// Accept `POST /api/ingest/{name}`.
    #[serde(default)]
    pub http: Option<HttpSettings>,
    /// Keep raw observations this long and hourly aggregates beyond.
    #[serde(default)]
    pub retention: Option<Retention>,
    /// Known devices, by the id their payloads use.
    #[serde(default)]
    pub devices: BTreeMap<String, DeviceMapping>,
    /// Mapped payload fields, by the name their payloads use. Other fields are ignored.
    pub fields: BTreeMap<String, FieldMapping>,
}

/// The MQTT subscription of a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSettings {
    /// `mqtt://host:port` or, with TLS, `mqtts://host:port`.
    pub url: String,
    /// Topic filters to subscribe to (QoS 1).
    pub topics: Vec<String>,
    /// Client id; the broker keeps the session (and messages queued while the node is
    /// down) under it. Default: `hanse-{source}`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// User name for the broker.
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password (keep it 0600), relative to the node directory.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// CA certificate (PEM) for `mqtts://`; without it, the system's roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Keep-alive interval in seconds.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u64,
    /// Parallel sessions sharing the subscription (1 to 16). Above 1, session `i` connects as
    /// `{client_id}-{i}` and subscribes to `$share/{client_id}/{filter}`, which needs a
    /// broker with shared subscriptions that keeps a persistent session's in-flight messages
    /// (Mosquitto 1.6+, EMQX, HiveMQ; not rumqttd 0.20, which panics when such a session
    /// reconnects). A broker lets each session hold only a window of unacknowledged messages
    /// (Mosquitto: 20 by default, rumqttd: 100), and the node acknowledges after the
    /// commit, so this window bounds a write batch: more sessions, larger batches.
    #[serde(default = "default_connections")]
    pub connections: usize,
}

fn default_keep_alive() -> u64 {
    30
}

fn default_connections() -> usize {
    1
}

/// Most parallel sessions of one MQTT source.
pub const MAX_MQTT_CONNECTIONS: usize = 16;

/// HTTP push for a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// File holding the source's bearer token, relative to the node directory; created
    /// (0600) with a random token if missing.
    pub token_file: PathBuf,
}

/// How long observations are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Raw observations older than this many days are deleted (after aggregation).
    pub raw_days: u32,
    /// Keep hourly aggregates (count, min, max, mean) of numeric fields.
    #[serde(default = "yes")]
    pub hourly: bool,
}

fn yes() -> bool {
    true
}

/// What the source knows about one device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceMapping {
    /// The IRI of the thing it observes (its latest-state entity); default
    /// `{base}entity/{device}`.
    #[serde(default)]
    pub feature: Option<String>,
    /// Where it is, `[latitude, longitude]`; a position in the payload takes precedence.
    #[serde(default)]
    pub location: Option<[f64; 2]>,
    /// A human-readable name.
    #[serde(default)]
    pub label: Option<String>,
}

/// How one payload field becomes an observed property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// The entity type's attribute (`no2`, `fillingLevel`…) or a full property IRI.
    pub attribute: String,
    /// The unit stored (UN/CEFACT code or alias); numeric fields only.
    #[serde(default)]
    pub unit: Option<String>,
    /// The unit the payload uses, converted to `unit`; SenML records may state it instead.
    #[serde(default)]
    pub from_unit: Option<String>,
    /// Applied before unit conversion: `value * scale + offset` (e.g. raw ADC counts).
    #[serde(default)]
    pub scale: Option<f64>,
    /// See `scale`.
    #[serde(default)]
    pub offset: Option<f64>,
    /// Smallest plausible value (in `unit`); default the unit's physical limit.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest plausible value (in `unit`).
    #[serde(default)]
    pub max: Option<f64>,
    /// The value's type.
    #[serde(default)]
    pub kind: ValueKind,
    /// For text values: the allowed values (e.g. `free`, `occupied`).
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// A message of this source without this field is a dead letter.
    #[serde(default)]
    pub required: bool,
}

/// The type of a field's values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    /// A number (`xsd:double`).
    #[default]
    Number,
    /// Text (`xsd:string`).
    Text,
    /// `true` / `false` (`xsd:boolean`).
    Boolean,
}

/// Why a mapping file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than a mapping can reasonably be.
    #[error("{0} is larger than {MAX_MAPPING_BYTES} bytes")]
    TooLarge(PathBuf),
    /// Not valid TOML, or unknown / missing keys.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message (it names the key and line).
        source: toml::de::Error,
    },
    /// Valid TOML, but a value that cannot work.
    #[error("source `{source_name}`: {reason}")]
    Invalid {
        /// The source.
        source_name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

impl SourceConfig {
    /// Reads a mapping file; the name defaults to the file stem.
    pub fn load(path: &Path) -> Result<SourceConfig, SourceError> {
        let io = |source| SourceError::Io {
            path: path.to_owned(),
            source,
        };
        if std::fs::metadata(path).map_err(io)?.len() > MAX_MAPPING_BYTES {
            return Err(SourceError::TooLarge(path.to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut config = Self::parse(&text).map_err(|source| SourceError::Toml {
            path: path.to_owned(),
            source,
        })?;
        if config.name.is_empty() {
            config.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        Ok(config)
    }

    /// Parses a mapping from TOML text.
    pub fn parse(text: &str) -> Result<SourceConfig, toml::de::Error> {
        toml::from_str(text)
    }

    /// Checks the name; other checks happen when a [`crate::Mapper`] is built.
    pub fn check_name(&self) -> Result<(), SourceError> {
        let valid = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(())
        } else {
            Err(SourceError::Invalid {
                source_name: self.name.clone(),
                reason: "a source name is 1 to 64 characters of a-z, 0-9 and `-`".into(),
            })
        }
    }
}
