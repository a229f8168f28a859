//! Entities in hanse's expanded form: attribute and type names are IRIs (expanded with the
//! request's @context), each attribute a list of instances (several with `datasetId`s), each
//! instance a JSON object whose core members (`type`, `value`, `object`, `observedAt`, …)
//! keep their names and values as sent and whose sub-attributes are keyed by IRI.
//!
//! Parsing checks what NGSI-LD requires (an `id` URI, a `type`, well-formed attributes) and
//! bounds sizes; nothing here touches the store.

use super::context::ActiveContext;
use super::error::NgsiLdError;
use super::geojson;
use hanse_vocab::ngsi_ld::NS;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One attribute instance (see the module documentation).
pub type Instance = Map<String, Value>;

/// An entity in expanded form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entity {
    /// The entity's id (an absolute URI).
    pub id: String,
    /// Expanded type IRIs.
    pub types: Vec<String>,
    /// `scope` values, if any.
    pub scope: Option<Vec<String>>,
    /// Attribute IRI -> instances (never empty).
    pub attrs: BTreeMap<String, Vec<Instance>>,
    /// System attribute `createdAt`.
    pub created_at: Option<String>,
    /// System attribute `modifiedAt`.
    pub modified_at: Option<String>,
}

/// Members of an attribute instance that are NGSI-LD core members, not sub-attributes.
pub const CORE_MEMBERS: &[&str] = &[
    "type",
    "value",
    "object",
    "languageMap",
    "observedAt",
    "unitCode",
    "datasetId",
    "createdAt",
    "modifiedAt",
    "instanceId",
    "objectType",
    "vocab",
    "json",
    "valueList",
    "objectList",
    "entity",
    "lang",
];

/// Members of an entity that are not attributes.
const ENTITY_MEMBERS: &[&str] = &["id", "type", "@context", "scope", "createdAt", "modifiedAt"];

/// The attribute kinds NGSI-LD defines.
pub const KINDS: &[&str] = &[
    "Property",
    "Relationship",
    "GeoProperty",
    "LanguageProperty",
    "JsonProperty",
    "VocabProperty",
    "ListProperty",
    "ListRelationship",
];

/// Whether `text` is an absolute URI (a scheme, a colon, something after it).
pub fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme.len() < 32
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !text.chars().any(|c| {
            c.is_whitespace() || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// Checks an attribute name as written (before expansion): no characters the API forbids.
pub fn check_name(name: &str) -> Result<(), NgsiLdError> {
    if name.is_empty()
        || name.len() > 1024
        || name.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '\'' | '=' | ';' | '(' | ')')
        })
    {
        return Err(NgsiLdError::BadRequestData(format!(
            "`{name}` is not a valid attribute name"
        )));
    }
    Ok(())
}

/// Depth of a JSON value's nesting.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Expands a type name; keywords are not types.
pub fn expand_type(name: &str, context: &ActiveContext) -> Result<String, NgsiLdError> {
    let iri = context.expand(name);
    if iri.starts_with('@') || !is_uri(&iri) || name.is_empty() {
        return Err(NgsiLdError::BadRequestData(format!(
            "`{name}` is not a valid entity type"
        )));
    }
    Ok(iri)
}

/// The entity's types from a `type` member (a string or an array of strings).
pub fn parse_types(value: &Value, context: &ActiveContext) -> Result<Vec<String>, NgsiLdError> {
    let names: Vec<&str> = match value {
        Value::String(t) => vec![t],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().ok_or(()))
            .collect::<Result<_, _>>()
            .map_err(|_| NgsiLdError::BadRequestData("entity types must be strings".into()))?,
        _ => {
            return Err(NgsiLdError::BadRequestData(
                "`type` must be a string or a non-empty array of strings".into(),
            ));
        }
    };
    let mut types = Vec::new();
    for name in names {
        let iri = expand_type(name, context)?;
        if !types.contains(&iri) {
            types.push(iri);
        }
    }
    Ok(types)
}

fn parse_scope(value: &Value) -> Result<Vec<String>, NgsiLdError> {
    let scopes: Vec<String> = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(()))
            .collect::<Result<_, _>>()
            .map_err(|_| NgsiLdError::BadRequestData("`scope` values must be strings".into()))?,
        _ => {
            return Err(NgsiLdError::BadRequestData(
                "`scope` must be a string or an array".into(),
            ));
        }
    };
    for scope in &scopes {
        if !scope.starts_with('/') || scope.contains(['+', '#']) {
            return Err(NgsiLdError::BadRequestData(format!(
                "scope `{scope}` must start with `/` and hold no wildcard"
            )));
        }
    }
    Ok(scopes)
}

/// What an entity payload must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A whole entity: `id` and `type` required.
    Entity,
    /// An entity in a batch update: `id` required, `type` optional.
    Update,
    /// A fragment (attributes only, `type` allowed, no `id` needed).
    Fragment,
}

/// Parses an entity (or fragment) payload already checked to be a JSON object.
pub fn parse_entity(
    body: &Map<String, Value>,
    context: &ActiveContext,
    shape: Shape,
) -> Result<Entity, NgsiLdError> {
    let mut entity = Entity::default();
    match body.get("id").or_else(|| body.get("@id")) {
        Some(Value::String(id)) if is_uri(id) => entity.id = id.clone(),
        Some(Value::String(id)) => {
            return Err(NgsiLdError::BadRequestData(format!(
                "entity id `{id}` is not a URI"
            )));
        }
        Some(_) => {
            return Err(NgsiLdError::BadRequestData(
                "entity id must be a string".into(),
            ));
        }
        None if shape == Shape::Fragment => {}
        None => return Err(NgsiLdError::BadRequestData("the entity has no `id`".into())),
    }
    match body.get("type").or_else(|| body.get("@type")) {
        Some(value) => entity.types = parse_types(value, context)?,
        None if shape == Shape::Entity => {
            return Err(NgsiLdError::BadRequestData(
                "the entity has no `type`".into(),
            ));
        }
        None => {}
    }
    if let Some(scope) = body.get("scope") {
        entity.scope = Some(parse_scope(scope)?);
    }
    for (name, value) in body {
        if ENTITY_MEMBERS.contains(&name.as_str()) || name.starts_with('@') {
            continue;
        }
        check_name(name)?;
        let iri = context.expand(name);
        if iri.starts_with('@') {
            return Err(NgsiLdError::BadRequestData(format!(
                "`{name}` is a JSON-LD keyword, not an attribute"
            )));
        }
        let instances = parse_attribute(name, &iri, value, context)?;
        entity.attrs.insert(iri, instances);
    }
    Ok(entity)
}

/// Parses an attribute's value: one instance or an array of instances.
pub fn parse_attribute(
    name: &str,
    iri: &str,
    value: &Value,
    context: &ActiveContext,
) -> Result<Vec<Instance>, NgsiLdError> {
    let instances = match value {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => items
            .iter()
            .map(|item| parse_instance(name, iri, item, context))
            .collect::<Result<Vec<_>, _>>()?,
        other => vec![parse_instance(name, iri, other, context)?],
    };
    let mut seen = Vec::new();
    for instance in &instances {
        let dataset = instance.get("datasetId").and_then(Value::as_str);
        if seen.contains(&dataset) {
            return Err(NgsiLdError::BadRequestData(format!(
                "attribute `{name}` has two instances with the same datasetId"
            )));
        }
        seen.push(dataset);
    }
    Ok(instances)
}

fn kind_of(instance_type: &str, context: &ActiveContext) -> Option<&'static str> {
    let iri = context.expand(instance_type);
    KINDS
        .iter()
        .copied()
        .find(|k| *k == instance_type || iri == format!("{NS}{k}"))
}

/// Parses one attribute instance (normalized form; a plain value is a Property, as in the
/// concise form).
pub fn parse_instance(
    name: &str,
    iri: &str,
    value: &Value,
    context: &ActiveContext,
) -> Result<Instance, NgsiLdError> {
    parse_member(name, iri, value, context, false)
}

/// Parses the members of a partial attribute update: only what is given, checked.
pub fn parse_partial(
    name: &str,
    iri: &str,
    value: &Value,
    context: &ActiveContext,
) -> Result<Instance, NgsiLdError> {
    parse_member(name, iri, value, context, true)
}

fn parse_member(
    name: &str,
    iri: &str,
    value: &Value,
    context: &ActiveContext,
    partial: bool,
) -> Result<Instance, NgsiLdError> {
    let bad = |why: &str| NgsiLdError::BadRequestData(format!("attribute `{name}`: {why}"));
    let Value::Object(map) = value else {
        if value.is_null() {
            return Err(bad("null is not a value"));
        }
        let mut instance = Instance::new();
        instance.insert("type".into(), "Property".into());
        instance.insert("value".into(), value.clone());
        return Ok(instance);
    };
    let kind = match map.get("type") {
        Some(Value::String(t)) => match kind_of(t, context) {
            Some(kind) => kind,
            None if geojson::is_geometry_type(t) && map.contains_key("coordinates") => {
                let mut instance = Instance::new();
                geojson::check(value).map_err(|e| bad(&e))?;
                instance.insert("type".into(), "GeoProperty".into());
                instance.insert("value".into(), value.clone());
                return Ok(instance);
            }
            None => return Err(bad(&format!("`{t}` is not an attribute type"))),
        },
        Some(_) => return Err(bad("`type` must be a string")),
        None if map.contains_key("object") => "Relationship",
        None if map.contains_key("languageMap") => "LanguageProperty",
        None if partial => "",
        None if map.contains_key("value") => "Property",
        None => return Err(bad("no `type`, `value`, `object` or `languageMap`")),
    };
    let mut instance = Instance::new();
    if !kind.is_empty() && (!partial || map.contains_key("type")) {
        instance.insert("type".into(), kind.into());
    }
    match kind {
        _ if partial => {}
        "Relationship" => {
            let object = map
                .get("object")
                .ok_or_else(|| bad("a Relationship needs an `object`"))?;
            let ok = match object {
                Value::String(s) => is_uri(s),
                Value::Array(items) => {
                    !items.is_empty() && items.iter().all(|v| v.as_str().is_some_and(is_uri))
                }
                _ => false,
            };
            if !ok {
                return Err(bad(
                    "the `object` of a Relationship must be a URI (or URIs)",
                ));
            }
        }
        "LanguageProperty" => {
            let ok = map
                .get("languageMap")
                .and_then(Value::as_object)
                .is_some_and(|m| {
                    m.values().all(|v| {
                        v.is_string()
                            || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
                    })
                });
            if !ok {
                return Err(bad("a LanguageProperty needs a `languageMap` of strings"));
            }
        }
        "GeoProperty" => {
            let value = map
                .get("value")
                .ok_or_else(|| bad("a GeoProperty needs a `value`"))?;
            geojson::check(value).map_err(|e| bad(&e))?;
        }
        "Property" => match map.get("value") {
            None => return Err(bad("a Property needs a `value`")),
            Some(Value::Null) => return Err(bad("null is not a value")),
            Some(_) => {}
        },
        _ => {}
    }
    // Some published models (Smart Data Models' DeviceMeasurement) send `location` as a
    // Property holding a GeoJSON geometry: accepted, and stored as a geometry.
    let geometry_value = map.get("value").is_some_and(|v| geojson::check(v).is_ok());
    if is_geo_name(iri)
        && kind != "GeoProperty"
        && !partial
        && !(kind == "Property" && geometry_value)
    {
        return Err(bad(
            "location, observationSpace and operationSpace must be GeoProperties",
        ));
    }
    for (member, member_value) in map {
        if member == "type" {
            continue;
        }
        if CORE_MEMBERS.contains(&member.as_str()) {
            check_core_member(name, member, member_value)?;
            instance.insert(member.clone(), member_value.clone());
            continue;
        }
        if member.starts_with('@') {
            continue;
        }
        check_name(member)?;
        let sub_iri = context.expand(member);
        let sub = parse_instance(member, &sub_iri, member_value, context)?;
        instance.insert(sub_iri, Value::Object(sub));
    }
    Ok(instance)
}

fn check_core_member(name: &str, member: &str, value: &Value) -> Result<(), NgsiLdError> {
    let bad = |why: String| NgsiLdError::BadRequestData(format!("attribute `{name}`: {why}"));
    match member {
        "observedAt" => match value.as_str() {
            Some(text) if hanse_sensors::parse_time_text(text).is_some() => Ok(()),
            _ => Err(bad("`observedAt` must be a date-time".into())),
        },
        "datasetId" => match value.as_str() {
            Some(text) if is_uri(text) => Ok(()),
            _ => Err(bad("`datasetId` must be a URI".into())),
        },
        "unitCode" => match value {
            Value::String(_) => Ok(()),
            _ => Err(bad("`unitCode` must be a string".into())),
        },
        _ => Ok(()),
    }
}

/// Whether an attribute IRI is one of NGSI-LD's GeoProperties by definition.
pub fn is_geo_name(iri: &str) -> bool {
    matches!(
        iri.strip_prefix(NS),
        Some("location" | "observationSpace" | "operationSpace")
    )
}

/// Whether an instance is stored as a geometry: a GeoProperty, or a Property of one of the
/// geo attributes whose value is a GeoJSON geometry.
pub fn is_geo_instance(attr: &str, instance: &Instance) -> bool {
    match kind(instance) {
        "GeoProperty" => true,
        "Property" => {
            is_geo_name(attr)
                && instance
                    .get("value")
                    .is_some_and(|v| geojson::check(v).is_ok())
        }
        _ => false,
    }
}

/// The instance's `datasetId`, if any.
pub fn dataset_id(instance: &Instance) -> Option<&str> {
    instance.get("datasetId").and_then(Value::as_str)
}

/// The instance's kind (`Property`, `Relationship`, …).
pub fn kind(instance: &Instance) -> &str {
    instance
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Property")
}
