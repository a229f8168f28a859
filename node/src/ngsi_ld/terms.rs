//! NGSI-LD values as RDF terms and back: the plain triples SPARQL users query
//! (`?entity <attribute> ?value`), one per value.

use super::model::{Instance, kind};
use hanse_vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Term};
use serde_json::{Map, Number, Value};

fn typed(value: impl Into<String>, datatype: &str) -> Term {
    Literal::new_typed_literal(value, NamedNode::new_unchecked(datatype)).into()
}

/// A JSON value as a literal: numbers, booleans, strings, `{"@type": "DateTime", …}`,
/// `{"@value", "@language"}`; anything else as an `rdf:JSON` literal of its text.
pub fn json_to_term(value: &Value) -> Term {
    match value {
        Value::Bool(b) => typed(b.to_string(), xsd::BOOLEAN),
        Value::Number(n) if n.is_i64() || n.is_u64() => typed(n.to_string(), xsd::INTEGER),
        Value::Number(n) => typed(
            n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
            xsd::DOUBLE,
        ),
        Value::String(s) => Literal::new_simple_literal(s).into(),
        Value::Object(map) => match (map.get("@type"), map.get("@value"), map.get("@language")) {
            (Some(Value::String(t)), Some(Value::String(v)), None)
                if map.len() == 2
                    && (t == "DateTime"
                        || t.ends_with("#dateTime")
                        || t.ends_with("/DateTime")) =>
            {
                typed(v.clone(), xsd::DATE_TIME)
            }
            (Some(Value::String(t)), Some(Value::String(v)), None)
                if map.len() == 2
                    && (t == "Date" || t.ends_with("#date") || t.ends_with("/Date")) =>
            {
                typed(v.clone(), xsd::DATE)
            }
            (None, Some(Value::String(v)), Some(Value::String(l))) if map.len() == 2 => {
                Literal::new_language_tagged_literal(v.clone(), l.to_ascii_lowercase())
                    .map(Term::from)
                    .unwrap_or_else(|_| typed(value.to_string(), rdf::JSON))
            }
            _ => typed(value.to_string(), rdf::JSON),
        },
        Value::Array(_) | Value::Null => typed(value.to_string(), rdf::JSON),
    }
}

/// A literal as the JSON value NGSI-LD shows for it.
pub fn term_to_json(term: &Term) -> Value {
    let literal = match term {
        Term::NamedNode(n) => return Value::String(n.as_str().to_owned()),
        Term::BlankNode(b) => return Value::String(format!("_:{}", b.as_str())),
        Term::Literal(l) => l,
        #[allow(unreachable_patterns)]
        _ => return Value::Null,
    };
    let text = literal.value();
    if let Some(language) = literal.language() {
        return serde_json::json!({"@value": text, "@language": language});
    }
    let datatype = literal.datatype().as_str();
    let short = datatype.strip_prefix(xsd::NS).unwrap_or("");
    match short {
        "integer" | "int" | "long" | "short" | "byte" | "nonNegativeInteger"
        | "positiveInteger" | "unsignedInt" | "unsignedLong" | "negativeInteger"
        | "nonPositiveInteger" => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        "double" | "float" | "decimal" => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_owned())),
        "boolean" => Value::Bool(text == "true" || text == "1"),
        "dateTime" => serde_json::json!({"@type": "DateTime", "@value": text}),
        "date" => serde_json::json!({"@type": "Date", "@value": text}),
        _ if datatype == rdf::JSON => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
        }
        _ => Value::String(text.to_owned()),
    }
}

/// The plain terms of one non-geo instance: its values (or objects, or texts per language).
pub fn instance_terms(instance: &Instance, out: &mut Vec<Term>) {
    let each = |value: &Value, out: &mut Vec<Term>| match value {
        Value::Array(items) => out.extend(items.iter().map(json_to_term)),
        other => out.push(json_to_term(other)),
    };
    match kind(instance) {
        "Relationship" => match instance.get("object") {
            Some(Value::String(iri)) => out.extend(object_term(iri)),
            Some(Value::Array(items)) => out.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .filter_map(object_term),
            ),
            _ => {}
        },
        "LanguageProperty" => {
            if let Some(Value::Object(map)) = instance.get("languageMap") {
                language_terms(map, out);
            }
        }
        "JsonProperty" => {
            if let Some(json) = instance.get("json") {
                out.push(typed(json.to_string(), rdf::JSON));
            }
        }
        "VocabProperty" => {
            if let Some(vocab) = instance.get("vocab") {
                each(vocab, out);
            }
        }
        _ => {
            if let Some(value) = instance.get("value") {
                each(value, out);
            }
        }
    }
}

fn object_term(iri: &str) -> Option<Term> {
    NamedNode::new(iri).ok().map(Term::from)
}

fn language_terms(map: &Map<String, Value>, out: &mut Vec<Term>) {
    for (language, texts) in map {
        let texts: Vec<&str> = match texts {
            Value::String(s) => vec![s],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for text in texts {
            let term = if language == "@none" {
                Literal::new_simple_literal(text)
            } else {
                Literal::new_language_tagged_literal(text, language.to_ascii_lowercase())
                    .unwrap_or_else(|_| Literal::new_simple_literal(text))
            };
            out.push(term.into());
        }
    }
}

/// An attribute instance made from plain triples (data hanse did not get through NGSI-LD,
/// e.g. from sensor ingest or SPARQL Update).
pub fn instance_from_terms(terms: &[&Term]) -> Instance {
    let mut instance = Instance::new();
    if !terms.is_empty() && terms.iter().all(|t| matches!(t, Term::NamedNode(_))) {
        instance.insert("type".into(), "Relationship".into());
        let objects: Vec<Value> = terms.iter().map(|t| term_to_json(t)).collect();
        instance.insert("object".into(), one_or_many(objects));
        return instance;
    }
    if !terms.is_empty()
        && terms
            .iter()
            .all(|t| matches!(t, Term::Literal(l) if l.language().is_some()))
    {
        let mut map = Map::new();
        for term in terms {
            if let Term::Literal(l) = term {
                let language = l.language().unwrap_or("@none").to_owned();
                map.insert(language, Value::String(l.value().to_owned()));
            }
        }
        instance.insert("type".into(), "LanguageProperty".into());
        instance.insert("languageMap".into(), Value::Object(map));
        return instance;
    }
    instance.insert("type".into(), "Property".into());
    let values: Vec<Value> = terms.iter().map(|t| term_to_json(t)).collect();
    instance.insert("value".into(), one_or_many(values));
    instance
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_survive_the_trip_through_terms() {
        for value in [
            json!(4),
            json!(0.54),
            json!(false),
            json!("Eiffel Tower"),
            json!({"@type": "DateTime", "@value": "2020-09-09T16:40:00.000Z"}),
            json!({"streetAddress": "Plaza", "type": "PostalAddress"}),
        ] {
            assert_eq!(term_to_json(&json_to_term(&value)), value, "{value}");
        }
    }
}
