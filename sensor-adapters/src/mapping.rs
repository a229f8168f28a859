//! The mapper: a source's mapping file, checked once, applied to every message.

use crate::formats::{CsvReader, DecodeError};
use crate::observation::{DeviceDescription, Observation, iri_segment};
use crate::reading::{RawValue, Reading, format_time};
use crate::source::{SourceConfig, SourceError, ValueKind};
use crate::units::{self, Unit, UnitError};
use hanse_vocab::sdm_models::{self, Model};
use hanse_vocab::xsd;
use oxrdf::{GraphName, Literal, NamedNode};
use std::collections::{BTreeSet, HashMap};
use time::OffsetDateTime;

/// Topic prefix of a CSV row kept on its own (`csv:{line}`).
pub const CSV_TOPIC_PREFIX: &str = "csv:";

/// A source's mapping, checked and ready to map messages.
#[derive(Debug, Clone)]
pub struct Mapper {
    config: SourceConfig,
    graph: GraphName,
    model: Model,
    fields: HashMap<String, MappedField>,
    static_attributes: Vec<(NamedNode, Literal)>,
}

#[derive(Debug, Clone)]
struct MappedField {
    property: NamedNode,
    kind: ValueKind,
    unit: Option<&'static Unit>,
    from_unit: Option<&'static Unit>,
    scale: f64,
    offset: f64,
    range: (f64, f64),
    values: Option<Vec<String>>,
}

/// Why a decoded message cannot be mapped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// A device the mapping does not list (and unknown devices are not allowed).
    #[error("unknown device `{0}`: add it under [devices] in the source's mapping")]
    UnknownDevice(String),
    /// A required field is absent.
    #[error("device `{device}`: required field `{field}` is missing")]
    MissingField {
        /// The device.
        device: String,
        /// The field.
        field: String,
    },
    /// None of the message's fields is mapped.
    #[error("no field of the message is mapped (message fields: {found}; mapped: {mapped})")]
    NothingMapped {
        /// The message's fields.
        found: String,
        /// The mapping's fields.
        mapped: String,
    },
    /// A value of the wrong type.
    #[error("field `{field}`: {value} is not a {expected}")]
    WrongType {
        /// The field.
        field: String,
        /// The value as received.
        value: String,
        /// What the mapping expects.
        expected: &'static str,
    },
    /// A number outside the physical or configured range.
    #[error("field `{field}`: {value} {unit} is out of range [{min}, {max}]")]
    OutOfRange {
        /// The field.
        field: String,
        /// The converted value.
        value: f64,
        /// Its unit.
        unit: String,
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
    /// A text value outside the allowed set.
    #[error("field `{field}`: `{value}` is not one of {allowed:?}")]
    NotAllowed {
        /// The field.
        field: String,
        /// The value.
        value: String,
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// A unit stated by the payload that cannot be converted.
    #[error("field `{field}`: {source}")]
    Unit {
        /// The field.
        field: String,
        /// The conversion problem.
        source: UnitError,
    },
}

/// Why a message was refused: it did not decode, or it did not map.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload does not have the source's format.
    #[error("cannot decode: {0}")]
    Decode(#[from] DecodeError),
    /// The payload decoded, but the mapping refuses it.
    #[error("cannot map: {0}")]
    Mapping(#[from] MappingError),
}

fn invalid(config: &SourceConfig, reason: String) -> SourceError {
    SourceError::Invalid {
        source_name: config.name.clone(),
        reason,
    }
}

fn unit_named(
    config: &SourceConfig,
    field: &str,
    name: &str,
) -> Result<&'static Unit, SourceError> {
    units::unit(name).ok_or_else(|| {
        invalid(
            config,
            format!("field `{field}`: {}", UnitError::Unknown(name.into())),
        )
    })
}

impl Mapper {
    /// Checks a mapping: the entity type, every IRI, unit and conversion.
    pub fn new(config: SourceConfig) -> Result<Mapper, SourceError> {
        config.check_name()?;
        let model = sdm_models::model(&config.entity_type).ok_or_else(|| {
            let known: Vec<&str> = sdm_models::MODELS.iter().map(|m| m.name).collect();
            invalid(
                &config,
                format!(
                    "unknown entity_type `{}` (known: {}, RoadSurfaceObserved)",
                    config.entity_type,
                    known.join(", ")
                ),
            )
        })?;
        let graph = NamedNode::new(&config.graph)
            .map_err(|e| invalid(&config, format!("graph `{}`: {e}", config.graph)))?;
        NamedNode::new(format!("{}x", config.base))
            .map_err(|e| invalid(&config, format!("base `{}`: {e}", config.base)))?;
        let attribute_iri = |name: &str| -> Result<NamedNode, SourceError> {
            let iri = if name.contains(':') {
                name.to_owned()
            } else {
                model.attribute(name)
            };
            NamedNode::new(&iri).map_err(|e| invalid(&config, format!("attribute `{name}`: {e}")))
        };
        let mut fields = HashMap::new();
        for (name, field) in &config.fields {
            let unit = field
                .unit
                .as_deref()
                .map(|u| unit_named(&config, name, u))
                .transpose()?;
            let from_unit = field
                .from_unit
                .as_deref()
                .map(|u| unit_named(&config, name, u))
                .transpose()?;
            if let (Some(from), Some(to)) = (from_unit, unit) {
                units::convert(0.0, from, to)
                    .map_err(|e| invalid(&config, format!("field `{name}`: {e}")))?;
            }
            if field.kind != ValueKind::Number && (unit.is_some() || from_unit.is_some()) {
                return Err(invalid(
                    &config,
                    format!("field `{name}`: only numbers have units"),
                ));
            }
            let physical = unit.map_or((f64::NEG_INFINITY, f64::INFINITY), |u| u.range);
            let range = (
                field.min.unwrap_or(physical.0),
                field.max.unwrap_or(physical.1),
            );
            if range.0 > range.1 {
                return Err(invalid(
                    &config,
                    format!("field `{name}`: min is above max"),
                ));
            }
            fields.insert(
                name.clone(),
                MappedField {
                    property: attribute_iri(&field.attribute)?,
                    kind: field.kind,
                    unit,
                    from_unit,
                    scale: field.scale.unwrap_or(1.0),
                    offset: field.offset.unwrap_or(0.0),
                    range,
                    values: field.values.clone(),
                },
            );
        }
        if fields.is_empty() {
            return Err(invalid(&config, "the mapping has no [fields]".into()));
        }
        let static_attributes = config
            .static_attributes
            .iter()
            .map(|(name, value)| Ok((attribute_iri(name)?, Literal::new_simple_literal(value))))
            .collect::<Result<_, SourceError>>()?;
        for (device, mapping) in &config.devices {
            if let Some(feature) = &mapping.feature {
                NamedNode::new(feature)
                    .map_err(|e| invalid(&config, format!("device `{device}`: feature: {e}")))?;
            }
        }
        Ok(Mapper {
            graph: graph.into(),
            model,
            fields,
            static_attributes,
            config,
        })
    }

    /// The mapping as loaded.
    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    /// The named graph the source writes to.
    pub fn graph(&self) -> &GraphName {
        &self.graph
    }

    /// Decodes and maps one message. A topic `csv:{line}` marks a CSV row kept on its own
    /// (a dead letter): its payload is a one-row CSV document, whatever the source's format.
    pub fn decode_and_map(
        &self,
        topic: &str,
        payload: &[u8],
        received_at: OffsetDateTime,
    ) -> Result<Vec<Observation>, PayloadError> {
        let readings = if topic.starts_with(CSV_TOPIC_PREFIX) {
            CsvReader::new(payload)
                .and_then(|mut reader| reader.next_row().ok_or(DecodeError::NoReadings)?.readings)
        } else {
            self.config.format.decode(topic, payload, received_at)
        };
        self.map_decoded(readings, received_at)
    }

    /// Maps what a decoder returned, passing its error on.
    pub fn map_decoded(
        &self,
        readings: Result<Vec<Reading>, DecodeError>,
        received_at: OffsetDateTime,
    ) -> Result<Vec<Observation>, PayloadError> {
        Ok(self.map(&readings?, received_at)?)
    }

    /// Maps decoded readings. Fields the mapping does not name are ignored (battery, RSSI…);
    /// anything else wrong refuses the whole message, so that a replay is all or nothing.
    pub fn map(
        &self,
        readings: &[Reading],
        received_at: OffsetDateTime,
    ) -> Result<Vec<Observation>, MappingError> {
        let mut observations = Vec::with_capacity(readings.len());
        let mut devices = BTreeSet::new();
        for reading in readings {
            let device = self.device_mapping(&reading.device)?;
            devices.insert(reading.device.as_str());
            let Some(field) = self.fields.get(&reading.field) else {
                continue;
            };
            let value = self.value(&reading.field, field, reading)?;
            let time = reading.time.unwrap_or(received_at);
            let location = reading
                .location
                .or(device.and_then(|d| d.location.map(|[lat, lon]| (lat, lon))));
            let segment = iri_segment(&reading.device);
            let local = field
                .property
                .as_str()
                .rsplit(['/', '#'])
                .next()
                .unwrap_or_default();
            observations.push(Observation {
                iri: NamedNode::new_unchecked(format!(
                    "{}observation/{segment}/{local}/{}",
                    self.config.base,
                    format_time(time)
                )),
                device: reading.device.clone(),
                sensor: self.sensor(&reading.device),
                feature: self.feature(&reading.device),
                property: field.property.clone(),
                value,
                unit: field.unit.map(|u| NamedNode::new_unchecked(u.qudt)),
                result_time: received_at,
                phenomenon_time: time,
                location,
            });
        }
        for device in devices {
            for (name, mapping) in &self.config.fields {
                if mapping.required
                    && !readings
                        .iter()
                        .any(|r| r.device == device && &r.field == name)
                {
                    return Err(MappingError::MissingField {
                        device: device.to_owned(),
                        field: name.clone(),
                    });
                }
            }
        }
        if observations.is_empty() {
            let found: BTreeSet<&str> = readings.iter().map(|r| r.field.as_str()).collect();
            return Err(MappingError::NothingMapped {
                found: found.into_iter().collect::<Vec<_>>().join(", "),
                mapped: self
                    .config
                    .fields
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(observations)
    }

    fn device_mapping(
        &self,
        device: &str,
    ) -> Result<Option<&crate::source::DeviceMapping>, MappingError> {
        match self.config.devices.get(device) {
            Some(mapping) => Ok(Some(mapping)),
            None if self.config.allow_unknown_devices => Ok(None),
            None => Err(MappingError::UnknownDevice(device.to_owned())),
        }
    }

    fn value(
        &self,
        name: &str,
        field: &MappedField,
        reading: &Reading,
    ) -> Result<Literal, MappingError> {
        let wrong = |expected| MappingError::WrongType {
            field: name.to_owned(),
            value: reading.value.to_string(),
            expected,
        };
        match field.kind {
            ValueKind::Number => {
                let raw = match &reading.value {
                    RawValue::Number(n) => *n,
                    RawValue::Text(t) => t.trim().parse::<f64>().map_err(|_| wrong("number"))?,
                    RawValue::Boolean(_) => return Err(wrong("number")),
                };
                if !raw.is_finite() {
                    return Err(wrong("finite number"));
                }
                let mut value = raw * field.scale + field.offset;
                // A unit in the payload (SenML) overrides the mapping's `from_unit`.
                let stated = match reading.unit.as_deref() {
                    Some(u) => Some(units::unit(u).ok_or_else(|| MappingError::Unit {
                        field: name.to_owned(),
                        source: UnitError::Unknown(u.to_owned()),
                    })?),
                    None => field.from_unit,
                };
                if let (Some(from), Some(to)) = (stated, field.unit) {
                    value =
                        units::convert(value, from, to).map_err(|source| MappingError::Unit {
                            field: name.to_owned(),
                            source,
                        })?;
                }
                let (min, max) = field.range;
                if value < min || value > max {
                    return Err(MappingError::OutOfRange {
                        field: name.to_owned(),
                        value,
                        unit: field.unit.map_or_else(String::new, |u| u.code.to_owned()),
                        min,
                        max,
                    });
                }
                Ok(Literal::new_typed_literal(
                    format!("{value:?}"),
                    NamedNode::new_unchecked(xsd::DOUBLE),
                ))
            }
            ValueKind::Text => {
                let text = match &reading.value {
                    RawValue::Text(t) => t.clone(),
                    RawValue::Number(n) => n.to_string(),
                    RawValue::Boolean(b) => b.to_string(),
                };
                if let Some(allowed) = &field.values
                    && !allowed.contains(&text)
                {
                    return Err(MappingError::NotAllowed {
                        field: name.to_owned(),
                        value: text,
                        allowed: allowed.clone(),
                    });
                }
                Ok(Literal::new_simple_literal(text))
            }
            ValueKind::Boolean => {
                let value = match &reading.value {
                    RawValue::Boolean(b) => *b,
                    RawValue::Text(t) if t == "true" || t == "1" => true,
                    RawValue::Text(t) if t == "false" || t == "0" => false,
                    RawValue::Number(n) if *n == 1.0 => true,
                    RawValue::Number(n) if *n == 0.0 => false,
                    _ => return Err(wrong("boolean")),
                };
                Ok(Literal::new_typed_literal(
                    value.to_string(),
                    NamedNode::new_unchecked(hanse_vocab::xsd::BOOLEAN),
                ))
            }
        }
    }

    fn sensor(&self, device: &str) -> NamedNode {
        NamedNode::new_unchecked(format!(
            "{}sensor/{}",
            self.config.base,
            iri_segment(device)
        ))
    }

    fn feature(&self, device: &str) -> NamedNode {
        match self
            .config
            .devices
            .get(device)
            .and_then(|d| d.feature.as_deref())
        {
            Some(feature) => NamedNode::new_unchecked(feature),
            None => NamedNode::new_unchecked(format!(
                "{}entity/{}",
                self.config.base,
                iri_segment(device)
            )),
        }
    }

    /// What is stored once per device; `location` is the newest position seen, if any.
    pub fn describe(&self, device: &str, location: Option<(f64, f64)>) -> DeviceDescription {
        let mapping = self.config.devices.get(device);
        DeviceDescription {
            sensor: self.sensor(device),
            feature: self.feature(device),
            entity_type: NamedNode::new_unchecked(self.model.iri()),
            label: mapping
                .and_then(|m| m.label.clone())
                .unwrap_or_else(|| format!("{} {device}", self.model.name)),
            static_attributes: self.static_attributes.clone(),
            location: location.or(mapping.and_then(|m| m.location.map(|[lat, lon]| (lat, lon)))),
        }
    }

    /// The entity attribute holding the time of the newest observation (`dateObserved`).
    pub fn date_observed(&self) -> NamedNode {
        NamedNode::new_unchecked(self.model.attribute("dateObserved"))
    }
}
