//! [`State`]: what `<id> hanse:ngsiLdState "…"^^rdf:JSON` holds — an entity's attributes as
//! sent (sub-attributes, `unitCode`, `observedAt`, `datasetId`s) and its system times — and
//! [`state_json`], which writes it straight from an [`Entity`] without copying the attributes.

use super::model::{Entity, Instance};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What `hanse:ngsiLdState` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Attribute IRI -> instances as sent.
    #[serde(default)]
    pub attrs: BTreeMap<String, Vec<Instance>>,
    /// `scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    /// `createdAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `modifiedAt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
}

/// [`State`] borrowed from an entity: the same JSON, without cloning every attribute value of
/// every entity a batch writes.
#[derive(Serialize)]
struct StateOf<'a> {
    attrs: &'a BTreeMap<String, Vec<Instance>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified_at: Option<&'a String>,
}

/// The state of `entity` as `hanse:ngsiLdState` stores it.
pub fn state_json(entity: &Entity) -> serde_json::Result<String> {
    serde_json::to_string(&StateOf {
        attrs: &entity.attrs,
        scope: entity.scope.as_ref(),
        created_at: entity.created_at.as_ref(),
        modified_at: entity.modified_at.as_ref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_borrowed_state_writes_what_the_state_reads() {
        let instance =
            |v: serde_json::Value| -> Instance { serde_json::from_value(v).unwrap_or_default() };
        let mut entity = Entity {
            id: "urn:ngsi-ld:Thing:1".into(),
            types: vec!["https://example.org/Thing".into()],
            scope: None,
            attrs: BTreeMap::from([(
                "https://example.org/no2".to_owned(),
                vec![instance(
                    json!({"type": "Property", "value": 22.5, "unitCode": "GQ"}),
                )],
            )]),
            created_at: None,
            modified_at: Some("2026-11-26T07:00:00Z".into()),
        };
        for scope in [None, Some(vec!["/Madrid".to_owned()])] {
            entity.scope = scope;
            let text = state_json(&entity).unwrap_or_default();
            let state: State = serde_json::from_str(&text).unwrap_or_default();
            assert_eq!(state.attrs, entity.attrs);
            assert_eq!(state.scope, entity.scope);
            assert_eq!(state.created_at, None);
            assert_eq!(state.modified_at, entity.modified_at);
            let owned = State {
                attrs: entity.attrs.clone(),
                scope: entity.scope.clone(),
                created_at: entity.created_at.clone(),
                modified_at: entity.modified_at.clone(),
            };
            assert_eq!(serde_json::to_string(&owned).unwrap_or_default(), text);
        }
    }
}
