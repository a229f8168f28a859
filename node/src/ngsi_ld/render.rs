//! Entities out: compacted with the request's @context, normalized or simplified
//! (`keyValues`), with or without system attributes, or as GeoJSON features.

use super::context::ActiveContext;
use super::model::{CORE_MEMBERS, Entity, Instance, kind};
use serde_json::{Map, Value, json};

/// How to render.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `options=keyValues` (or `simplified`).
    pub key_values: bool,
    /// `options=sysAttrs`.
    pub sys_attrs: bool,
    /// `attrs=`: only these attributes (expanded); empty for all.
    pub attrs: Vec<String>,
    /// `geometryProperty` for GeoJSON (expanded).
    pub geometry_property: Option<String>,
}

fn compact_instance(instance: &Instance, context: &ActiveContext, options: &Options) -> Map<String, Value> {
    let mut out = Map::new();
    for (member, value) in instance {
        if CORE_MEMBERS.contains(&member.as_str()) {
            if matches!(member.as_str(), "createdAt" | "modifiedAt") && !options.sys_attrs {
                continue;
            }
            out.insert(member.clone(), value.clone());
        } else if let Value::Object(sub) = value {
            out.insert(context.compact(member), Value::Object(compact_instance(sub, context, options)));
        } else {
            out.insert(context.compact(member), value.clone());
        }
    }
    out
}

/// The simplified value of an instance.
fn simple_value(instance: &Instance) -> Value {
    let field = match kind(instance) {
        "Relationship" => "object",
        "LanguageProperty" => "languageMap",
        "JsonProperty" => "json",
        "VocabProperty" => "vocab",
        _ => "value",
    };
    let value = instance.get(field).cloned().unwrap_or(Value::Null);
    if field == "languageMap" {
        return json!({ "languageMap": value });
    }
    value
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 { values.remove(0) } else { Value::Array(values) }
}

/// The entity's types as NGSI-LD shows them: one string, or an array.
pub fn types(entity: &Entity, context: &ActiveContext) -> Value {
    one_or_many(entity.types.iter().map(|t| Value::String(context.compact(t))).collect())
}

/// An entity as a JSON object (without `@context`).
pub fn entity(entity: &Entity, context: &ActiveContext, options: &Options) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), Value::String(entity.id.clone()));
    out.insert("type".into(), types(entity, context));
    if let Some(scope) = &entity.scope {
        out.insert(
            "scope".into(),
            one_or_many(scope.iter().map(|s| Value::String(s.clone())).collect()),
        );
    }
    for (attr, instances) in &entity.attrs {
        if !options.attrs.is_empty() && !options.attrs.contains(attr) {
            continue;
        }
        let name = context.compact(attr);
        let rendered: Vec<Value> = instances
            .iter()
            .map(|i| {
                if options.key_values {
                    simple_value(i)
                } else {
                    Value::Object(compact_instance(i, context, options))
                }
            })
            .collect();
        out.insert(name, one_or_many(rendered));
    }
    if options.sys_attrs {
        if let Some(t) = &entity.created_at {
            out.insert("createdAt".into(), Value::String(t.clone()));
        }
        if let Some(t) = &entity.modified_at {
            out.insert("modifiedAt".into(), Value::String(t.clone()));
        }
    }
    out
}

/// An entity as a GeoJSON Feature: its geometry from `geometryProperty` (default
/// `location`), every attribute under `properties`.
pub fn feature(entity_value: &Entity, context: &ActiveContext, options: &Options) -> Value {
    let property = options
        .geometry_property
        .clone()
        .unwrap_or_else(|| hanse_vocab::ngsi_ld::LOCATION.to_owned());
    let geometry = entity_value
        .attrs
        .get(&property)
        .and_then(|instances| instances.first())
        .and_then(|i| i.get("value").cloned())
        .unwrap_or(Value::Null);
    let mut properties = entity(entity_value, context, options);
    let id = properties.remove("id").unwrap_or(Value::Null);
    json!({ "id": id, "type": "Feature", "geometry": geometry, "properties": properties })
}
