//! Temporal entities out, compacted with the request's @context, in the representation the
//! request asks for: normalized (each attribute an array of instances with `instanceId`),
//! `temporalValues` (`values: [[value, time], …]`) or aggregated (`avg: [[value, start,
//! end], …]` per method).

use super::aggregate::{Aggregation, aggregate};
use super::{History, TemporalInstance, TimeProperty};
use crate::ngsi_ld::context::ActiveContext;
use crate::ngsi_ld::error::NgsiLdError;
use crate::ngsi_ld::terms::term_to_json;
use oxigraph::model::Term;
use oxsdatatypes::DateTime;
use serde_json::{Map, Value, json};

/// How a temporal entity is shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Representation {
    /// Every instance in full.
    #[default]
    Normalized,
    /// `options=temporalValues`: value and time pairs.
    TemporalValues,
    /// `aggrMethods`: values per period.
    Aggregated(Aggregation),
}

/// `history` as a temporal entity (without `@context`).
pub fn temporal_entity(
    history: &History,
    context: &ActiveContext,
    representation: &Representation,
    time_property: TimeProperty,
    window_start: Option<DateTime>,
) -> Result<Map<String, Value>, NgsiLdError> {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(history.id.clone()));
    let mut types: Vec<Value> = history
        .types
        .iter()
        .map(|t| Value::String(context.compact(t)))
        .collect();
    out.insert(
        "type".into(),
        if types.len() == 1 {
            types.remove(0)
        } else {
            Value::Array(types)
        },
    );
    for (attribute, instances) in &history.attributes {
        let name = context.compact(attribute);
        let value = match representation {
            Representation::Normalized => Value::Array(
                instances
                    .iter()
                    .map(|i| normalized(i, time_property))
                    .collect(),
            ),
            Representation::TemporalValues => {
                let values: Vec<Value> = instances
                    .iter()
                    .map(|i| json!([value_of(&i.value), i.at.to_string()]))
                    .collect();
                json!({"type": kind(instances), "values": values})
            }
            Representation::Aggregated(aggregation) => {
                let mut member = Map::new();
                member.insert("type".into(), Value::String(kind(instances).into()));
                for (method, rows) in aggregate(instances, aggregation, window_start)? {
                    member.insert(method.name().into(), Value::Array(rows));
                }
                Value::Object(member)
            }
        };
        out.insert(name, value);
    }
    Ok(out)
}

/// One instance in full: its value (or object), time and `instanceId`.
fn normalized(instance: &TemporalInstance, time_property: TimeProperty) -> Value {
    let mut member = Map::new();
    match &instance.value {
        Term::NamedNode(object) => {
            member.insert("type".into(), "Relationship".into());
            member.insert("object".into(), object.as_str().into());
        }
        value => {
            member.insert("type".into(), "Property".into());
            member.insert("value".into(), value_of(value));
        }
    }
    member.insert(
        time_property.member().into(),
        Value::String(instance.at.to_string()),
    );
    member.insert(
        "instanceId".into(),
        Value::String(instance.instance_id.as_str().to_owned()),
    );
    Value::Object(member)
}

/// A value as NGSI-LD writes it (times as their text, not as typed JSON-LD values).
fn value_of(term: &Term) -> Value {
    match term_to_json(term) {
        Value::Object(typed) if typed.contains_key("@type") => {
            typed.get("@value").cloned().unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// `Relationship` when every instance names an object, else `Property`.
fn kind(instances: &[TemporalInstance]) -> &'static str {
    if !instances.is_empty()
        && instances
            .iter()
            .all(|i| matches!(i.value, Term::NamedNode(_)))
    {
        "Relationship"
    } else {
        "Property"
    }
}
