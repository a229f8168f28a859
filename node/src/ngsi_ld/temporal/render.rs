//! Temporal entities out, compacted with the request's @context, in the representation the
//! request asks for: normalized (each attribute an array of instances with `instanceId`),
//! `temporalValues` (`values: [[value, time], …]`) or aggregated (`avg: [[value, start,
//! end], …]` per method).

use super::aggregate::kind;
use super::{History, TemporalInstance, TimeProperty};
use crate::ngsi_ld::context::ActiveContext;
use crate::ngsi_ld::terms::term_to_json;
use oxigraph::model::Term;
use serde_json::{Map, Value, json};

/// How a temporal entity is shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Representation {
    /// Every instance in full.
    #[default]
    Normalized,
    /// `options=temporalValues`: value and time pairs.
    TemporalValues,
    /// `aggrMethods`: values per period (the query's aggregation).
    Aggregated,
}

/// `history` as a temporal entity (without `@context`).
pub fn temporal_entity(
    history: &History,
    context: &ActiveContext,
    representation: &Representation,
    time_property: TimeProperty,
) -> Map<String, Value> {
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
    if *representation == Representation::Aggregated {
        for (attribute, aggregated) in &history.aggregated {
            let mut member = Map::new();
            member.insert("type".into(), Value::String(aggregated.kind.into()));
            for (method, rows) in &aggregated.rows {
                member.insert(method.name().into(), Value::Array(rows.clone()));
            }
            out.insert(context.compact(attribute), Value::Object(member));
        }
        return out;
    }
    for (attribute, instances) in &history.attributes {
        let name = context.compact(attribute);
        let value = match representation {
            Representation::TemporalValues => {
                let values: Vec<Value> = instances
                    .iter()
                    .map(|i| json!([value_of(&i.value), i.at.to_string()]))
                    .collect();
                json!({"type": kind_of(instances), "values": values})
            }
            _ => Value::Array(
                instances
                    .iter()
                    .map(|i| normalized(i, time_property))
                    .collect(),
            ),
        };
        out.insert(name, value);
    }
    out
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
fn kind_of(instances: &[TemporalInstance]) -> &'static str {
    kind(
        !instances.is_empty()
            && instances
                .iter()
                .all(|i| matches!(i.value, Term::NamedNode(_))),
    )
}
