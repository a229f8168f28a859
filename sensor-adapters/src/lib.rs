//! Sensor sources for hanse: payload decoders, the declarative mapping from payload fields
//! to SOSA observations and Smart Data Models entities. Pure: no network, no runtime (the
//! node owns the MQTT client).
//!
//! The crate does not store anything; the node feeds the [`Observation`]s it returns into
//! its store in batches and acknowledges messages after they are durable.
//!
//! - [`formats`]: The Things Network v3, FIWARE IoT Agent JSON and UltraLight 2.0, SenML
//!   JSON, generic JSON and CSV, each decoded into [`Reading`]s;
//! - [`source`]: a source's mapping file (TOML);
//! - [`Mapper`]: readings to [`Observation`]s, with units converted and values checked;
//! - [`observation`]: observations and device descriptions as RDF quads;
//! - [`units`]: UN/CEFACT unit codes, QUDT IRIs, conversions;

pub mod formats;
mod mapping;
pub mod observation;
mod reading;
pub mod source;
pub mod units;

pub use formats::{DecodeError, PayloadFormat};
pub use mapping::{CSV_TOPIC_PREFIX, Mapper, MappingError, PayloadError};
pub use observation::{DeviceDescription, Observation};
pub use reading::{RawValue, Reading, format_time, parse_time_text};
pub use source::{SourceConfig, SourceError};
pub use time::OffsetDateTime;
