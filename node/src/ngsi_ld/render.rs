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
    /// `lang`: languages in order of preference (`*` for any); LanguageProperties are
    /// then shown as a Property in the best of them.
    pub lang: Option<Vec<String>>,
}

/// The languages of a `lang` parameter (`fr-CH,fr;q=0.9,*;q=0.5`), most preferred first.
pub fn languages(text: &str) -> Vec<String> {
    let mut ranked: Vec<(f32, usize, String)> = text
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim().to_owned();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty()).then_some((q, i, tag))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, _, tag)| tag).collect()
}

/// A LanguageProperty shown in one language: `(language, text)`.
fn pick_language<'a>(
    map: &'a Map<String, Value>,
    wanted: &[String],
) -> Option<(&'a str, &'a Value)> {
    for tag in wanted {
        if tag == "*" {
            return map
                .iter()
                .find(|(k, _)| *k != "@none")
                .or_else(|| map.iter().next())
                .map(|(k, v)| (k.as_str(), v));
        }
        if let Some((k, v)) = map.get_key_value(tag.as_str()) {
            return Some((k.as_str(), v));
        }
        let base = tag.split('-').next().unwrap_or(tag);
        if let Some((k, v)) = map.iter().find(|(k, _)| k.split('-').next() == Some(base)) {
            return Some((k.as_str(), v));
        }
    }
    map.get_key_value("@none").map(|(k, v)| (k.as_str(), v))
}

/// The instance as shown under `lang`: a LanguageProperty becomes a Property.
fn in_language(instance: &Instance, options: &Options) -> Option<Instance> {
    let wanted = options.lang.as_ref()?;
    if kind(instance) != "LanguageProperty" {
        return None;
    }
    let map = instance.get("languageMap")?.as_object()?;
    let (language, text) = pick_language(map, wanted)?;
    let mut out = Instance::new();
    for (member, value) in instance {
        match member.as_str() {
            "type" => {
                out.insert("type".into(), Value::String("Property".into()));
            }
            "languageMap" => {
                out.insert("value".into(), text.clone());
                if language != "@none" {
                    out.insert("lang".into(), Value::String(language.to_owned()));
                }
            }
            _ => {
                out.insert(member.clone(), value.clone());
            }
        }
    }
    Some(out)
}

fn compact_instance(
    instance: &Instance,
    context: &ActiveContext,
    options: &Options,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (member, value) in instance {
        if CORE_MEMBERS.contains(&member.as_str()) {
            if matches!(member.as_str(), "createdAt" | "modifiedAt") && !options.sys_attrs {
                continue;
            }
            out.insert(member.clone(), value.clone());
        } else if let Value::Object(sub) = value {
            out.insert(
                context.compact(member),
                Value::Object(compact_instance(sub, context, options)),
            );
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
    if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    }
}

/// The entity's types as NGSI-LD shows them: one string, or an array.
pub fn types(entity: &Entity, context: &ActiveContext) -> Value {
    one_or_many(
        entity
            .types
            .iter()
            .map(|t| Value::String(context.compact(t)))
            .collect(),
    )
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
                let localised = in_language(i, options);
                let i = localised.as_ref().unwrap_or(i);
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
