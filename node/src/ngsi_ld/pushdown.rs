//! `q` pushed down to the plain triples: before a candidate entity's state is read and
//! rendered, each comparison of `q` is tried on the values of `<id> <attribute> ?value`
//! (one index lookup per attribute), so that entities `q` cannot match are skipped
//! without reading them.
//!
//! The test only ever says "certainly not" or "maybe": an entity it keeps is still read and
//! checked with the full evaluation ([`super::q::Query::matches`]), so results are those of
//! that evaluation. It says "certainly not" only where the entity's values are a subset of
//! the triples' values under the comparison: plain comparisons (`== > >= < <=`, ranges,
//! value lists, `~=`) of an attribute without sub-attribute or key paths, on numbers,
//! booleans, strings, IRIs and language-tagged texts. A comparison that holds for none of
//! those holds for no value the entity shows (attributes written through NGSI-LD show the
//! values the triples were made from; others are made from the triples). Everything else
//! (`!=`, `!~=`, existence, `a.b`, `a[b]`, structured values, date-times compared with
//! something that is not a time) answers "maybe".

use super::q::{Op, Operand, Query, Term as QTerm, holds};
use super::terms::term_to_json;
use crate::access::visibility::Visible;
use hanse_vocab::xsd;
use oxigraph::model::{NamedNode, Term};
use oxigraph::store::{StorageError, Store};
use serde_json::Value;

/// Whether `q` may match the entity `id` as `visible` shows it: `false` only if it
/// certainly does not.
pub fn may_match(
    store: &Store,
    visible: &Visible,
    id: &NamedNode,
    q: &Query,
) -> Result<bool, StorageError> {
    match q {
        Query::And(items) => {
            for item in items {
                if !may_match(store, visible, id, item)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Query::Or(items) => {
            for item in items {
                if may_match(store, visible, id, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Query::Term(term) => term_may_match(store, visible, id, term),
    }
}

fn term_may_match(
    store: &Store,
    visible: &Visible,
    id: &NamedNode,
    term: &QTerm,
) -> Result<bool, StorageError> {
    let Some((op, operand)) = &term.test else {
        return Ok(true);
    };
    if !term.sub.is_empty() || !term.path.is_empty() || matches!(op, Op::Ne | Op::NotMatch) {
        return Ok(true);
    }
    let Ok(predicate) = NamedNode::new(&term.attr) else {
        return Ok(true);
    };
    for quad in store.quads_for_pattern(
        Some(id.as_ref().into()),
        Some(predicate.as_ref()),
        None,
        None,
    ) {
        let quad = quad?;
        if !visible.sees(quad.graph_name.as_ref()) {
            continue;
        }
        match comparable(&quad.object, operand) {
            None => return Ok(true),
            Some(value) if holds(&value, *op, operand) => return Ok(true),
            Some(_) => {}
        }
    }
    Ok(false)
}

/// The value a comparison sees for `object`, or `None` where the entity may show a value
/// that compares differently.
fn comparable(object: &Term, operand: &Operand) -> Option<Value> {
    if let Term::Literal(literal) = object {
        let datatype = literal.datatype().as_str();
        // Date-times are stored canonical (`10:00:00Z` for `10:00:00.00Z` sent): equal as
        // times, not as texts.
        if (datatype == xsd::DATE_TIME || datatype.strip_prefix(xsd::NS) == Some("date"))
            && !(is_time(literal.value()) && operand_is_time(operand))
        {
            return None;
        }
    }
    match term_to_json(object) {
        Value::Object(map) => match map.get("@value") {
            Some(value @ Value::String(_)) => Some(value.clone()),
            _ => None,
        },
        Value::Array(_) | Value::Null => None,
        other => Some(other),
    }
}

fn is_time(text: &str) -> bool {
    text.len() > 9 && hanse_sensors::parse_time_text(text).is_some()
}

fn operand_is_time(operand: &Operand) -> bool {
    let time = |v: &Value| v.as_str().is_some_and(is_time);
    match operand {
        Operand::Value(v) => time(v),
        Operand::List(vs) => vs.iter().all(time),
        Operand::Range(lo, hi) => time(lo) && time(hi),
        Operand::Pattern(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ngsi_ld::context::ActiveContext;
    use crate::ngsi_ld::entity_store::{Scope, quads, read};
    use crate::ngsi_ld::model::Entity;
    use serde_json::json;

    const VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";

    fn q(text: &str) -> Query {
        let core: Value = serde_json::from_str(
            hanse_vocab::ngsi_ld::embedded_context(hanse_vocab::ngsi_ld::CORE_CONTEXT).unwrap(),
        )
        .unwrap();
        let ctx = ActiveContext::build(&[core["@context"].as_object().unwrap()]).unwrap();
        crate::ngsi_ld::q::parse(text, &ctx, 4096).unwrap()
    }

    #[test]
    fn the_triples_rule_out_only_what_the_full_evaluation_rules_out() {
        let store = Store::new().unwrap();
        let graph = NamedNode::new("https://example.org/g").unwrap();
        let mut entity = Entity {
            id: "urn:ngsi-ld:T:1".into(),
            types: vec![format!("{VOCAB}T")],
            ..Entity::default()
        };
        for (name, instance) in [
            ("level", json!({"type": "Property", "value": 4})),
            ("ratio", json!({"type": "Property", "value": 0.54})),
            ("name", json!({"type": "Property", "value": "Eiffel Tower"})),
            ("full", json!({"type": "Property", "value": false})),
            (
                "in",
                json!({"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"}),
            ),
            ("tags", json!({"type": "Property", "value": ["a", "b"]})),
            (
                "title",
                json!({"type": "LanguageProperty", "languageMap": {"en": "Tower", "fr": ["Tour"]}}),
            ),
            (
                "when",
                json!({"type": "Property", "value": {"@type": "DateTime", "@value": "2020-09-09T16:40:00.00Z"}}),
            ),
            (
                "address",
                json!({"type": "Property", "value": {"city": "Paris"}}),
            ),
            ("kind", json!({"type": "VocabProperty", "vocab": "Shop"})),
            (
                "location",
                json!({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.29, 48.85]}}),
            ),
        ] {
            entity.attrs.insert(
                format!("{VOCAB}{name}"),
                vec![instance.as_object().unwrap().clone()],
            );
        }
        let written = quads(&graph, &entity, &Scope::New, "2020-09-09T16:40:00Z");
        store.extend(written).unwrap();
        let id = NamedNode::new(&entity.id).unwrap();
        let shown = read(&store, &id, &Visible::All).unwrap().unwrap().entity();
        for text in [
            "level==4",
            "level==5",
            "level>3;level<=4",
            "level==1..3",
            "level==3,4",
            "level!=4",
            "ratio>0.5",
            "ratio<0.5",
            "name==\"Eiffel Tower\"",
            "name~=\"^Eif\"",
            "name~=\"^Pisa\"",
            "full==false",
            "full==true",
            "in==urn:ngsi-ld:City:Paris",
            "in==urn:ngsi-ld:City:Pisa",
            "tags==\"b\"",
            "tags==\"c\"",
            "title==\"Tower\"",
            "title==\"Tour\"",
            "when>2020-01-01T00:00:00Z",
            "when==2020-09-09T16:40:00Z",
            "when<2020-01-01T00:00:00Z",
            "when~=\"00.00Z\"",
            "address[city]==\"Paris\"",
            "address==\"Paris\"",
            "kind==\"Shop\"",
            "location==\"Point\"",
            "missing==1",
            "missing",
            "level==5|name==\"Eiffel Tower\"",
            "(level==5|name==\"Pisa\");full==false",
        ] {
            let query = q(text);
            let exact = query.matches(&shown);
            let maybe = may_match(&store, &Visible::All, &id, &query).unwrap();
            assert!(maybe || !exact, "{text}: the pushdown ruled out a match");
        }
        // What the benchmark and typical dashboards ask is decided on the triples alone.
        for text in [
            "level==5",
            "level>4",
            "name==\"Pisa\"",
            "full==true",
            "level==5;full==false",
        ] {
            assert!(
                !may_match(&store, &Visible::All, &id, &q(text)).unwrap(),
                "{text}"
            );
        }
        let nothing = Visible::Graphs(Default::default());
        assert!(!may_match(&store, &nothing, &id, &q("level==4")).unwrap());
    }
}
