//! Collections (one per entity type) and features (one per entity).

use crate::ngsi_ld::geojson;
use crate::ngsi_ld::model::{Entity, kind};
use crate::ngsi_ld::query::entity_time;
use geo::BoundingRect;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The last segment of an IRI (after `/`, `#` or `:`).
pub fn local_name(iri: &str) -> &str {
    iri.rsplit(['/', '#', ':'])
        .find(|s| !s.is_empty())
        .unwrap_or(iri)
}

/// Collection id -> type IRI: the type's local name, made unique with a number.
pub fn collection_ids(types: &[String]) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    let mut sorted: Vec<&String> = types.iter().collect();
    sorted.sort();
    for iri in sorted {
        let base: String = local_name(iri)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while ids.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(id, iri.clone());
    }
    ids
}

/// An entity as a GeoJSON feature: its `location` as geometry, every other attribute's
/// value under its local name.
pub fn feature(entity: &Entity, base: &str, collection: &str) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "type".into(),
        Value::String(
            entity
                .types
                .first()
                .map(|t| local_name(t).to_owned())
                .unwrap_or_default(),
        ),
    );
    let mut geometry = Value::Null;
    for (attr, instances) in &entity.attrs {
        let Some(instance) = instances.first() else {
            continue;
        };
        if attr == hanse_vocab::ngsi_ld::LOCATION {
            geometry = instance.get("value").cloned().unwrap_or(Value::Null);
            continue;
        }
        let value = match kind(instance) {
            "Relationship" => instance.get("object"),
            "LanguageProperty" => instance.get("languageMap"),
            _ => instance.get("value"),
        };
        let mut name = local_name(attr).to_owned();
        if properties.contains_key(&name) {
            name = attr.clone();
        }
        properties.insert(name, value.cloned().unwrap_or(Value::Null));
    }
    if let Some(time) = entity_time(entity) {
        properties.insert(
            "datetime".into(),
            Value::String(hanse_sensors::format_time(time)),
        );
    }
    let id_segment: String = form_urlencoded::byte_serialize(entity.id.as_bytes()).collect();
    json!({
        "type": "Feature",
        "id": entity.id,
        "geometry": geometry,
        "properties": properties,
        "links": [{
            "href": format!("{base}/collections/{collection}/items/{id_segment}"),
            "rel": "self",
            "type": "application/geo+json",
        }],
    })
}

/// The extent of a set of entities' locations, `[minx, miny, maxx, maxy]`.
pub fn extent(entities: &[Entity]) -> Option<[f64; 4]> {
    let mut bbox: Option<[f64; 4]> = None;
    for entity in entities {
        let Some(value) = entity
            .attrs
            .get(hanse_vocab::ngsi_ld::LOCATION)
            .and_then(|i| i.first())
            .and_then(|i| i.get("value"))
        else {
            continue;
        };
        let Some(rect) = geojson::parse(value).ok().and_then(|g| g.bounding_rect()) else {
            continue;
        };
        let b = bbox.get_or_insert([rect.min().x, rect.min().y, rect.max().x, rect.max().y]);
        b[0] = b[0].min(rect.min().x);
        b[1] = b[1].min(rect.min().y);
        b[2] = b[2].max(rect.max().x);
        b[3] = b[3].max(rect.max().y);
    }
    bbox
}
