//! The active JSON-LD context of a request, at the level NGSI-LD needs it: terms to IRIs
//! (attribute names, entity types) and back.
//!
//! Built from context definitions already loaded (see [`super::context_loader`]), applied
//! in order, with the NGSI-LD core context applied last so that its terms always win (as
//! the NGSI-LD API requires). Only term definitions matter here: values are kept as they
//! were sent, so scoped contexts are accepted and not applied.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Most terms an active context may hold.
pub const MAX_TERMS: usize = 50_000;

/// One term: its IRI and how its values are coerced.
#[derive(Debug, Clone, PartialEq)]
pub struct TermDef {
    /// The expanded IRI (or a keyword such as `@id`).
    pub iri: String,
    /// `@type` of the definition (`@id`, `@vocab`, `@json` or a datatype), if any.
    pub coercion: Option<String>,
    /// Whether the definition may serve as a prefix in compact IRIs.
    prefix: bool,
}

/// An active context: term definitions and `@vocab`.
#[derive(Debug, Default)]
pub struct ActiveContext {
    terms: HashMap<String, TermDef>,
    vocab: Option<String>,
    reverse: OnceLock<HashMap<String, String>>,
}

impl ActiveContext {
    /// Applies `definitions` (context objects, in order) to an empty context.
    pub fn build(definitions: &[&Map<String, Value>]) -> Result<Self, String> {
        // Raw definitions first; IRIs are resolved once every term is known, since terms
        // may refer to prefixes defined later in the same or a later context.
        let mut raw: HashMap<String, Value> = HashMap::new();
        let mut vocab: Option<String> = None;
        for definition in definitions {
            for (term, value) in definition.iter() {
                match term.as_str() {
                    "@vocab" => {
                        vocab = value.as_str().map(str::to_owned);
                    }
                    "@version" | "@protected" | "@language" | "@direction" | "@base"
                    | "@propagate" | "@import" => {}
                    t if t.starts_with('@') => {}
                    _ => {
                        if raw.len() >= MAX_TERMS {
                            return Err(format!(
                                "the @context defines more than {MAX_TERMS} terms"
                            ));
                        }
                        raw.insert(term.clone(), value.clone());
                    }
                }
            }
        }
        let mut context = ActiveContext {
            terms: HashMap::with_capacity(raw.len()),
            vocab: None,
            reverse: OnceLock::new(),
        };
        let resolver = Resolver {
            raw: &raw,
            vocab: vocab.as_deref(),
        };
        for (term, value) in &raw {
            if let Some(def) = resolver.definition(term, value) {
                context.terms.insert(term.clone(), def);
            }
        }
        context.vocab = vocab
            .as_deref()
            .map(|v| resolver.iri(v, 0).unwrap_or_else(|| v.to_owned()));
        Ok(context)
    }

    /// The definition of `term`, if the context has one.
    pub fn term(&self, term: &str) -> Option<&TermDef> {
        self.terms.get(term)
    }

    /// Expands a term used as a key or type (vocabulary-relative): a defined term, a compact
    /// IRI with a known prefix, an absolute IRI, or `@vocab` + term.
    pub fn expand(&self, term: &str) -> String {
        if term.starts_with('@') {
            return term.to_owned();
        }
        if let Some(def) = self.terms.get(term) {
            return def.iri.clone();
        }
        if let Some((prefix, suffix)) = term.split_once(':') {
            if suffix.starts_with("//") {
                return term.to_owned();
            }
            if let Some(def) = self.terms.get(prefix) {
                return format!("{}{suffix}", def.iri);
            }
            return term.to_owned();
        }
        match &self.vocab {
            Some(vocab) => format!("{vocab}{term}"),
            None => term.to_owned(),
        }
    }

    /// Compacts an IRI to the shortest term that expands to it, else a vocabulary-relative
    /// name, else a compact IRI, else the IRI itself.
    pub fn compact(&self, iri: &str) -> String {
        let reverse = self.reverse.get_or_init(|| self.reverse_map());
        if let Some(term) = reverse.get(iri) {
            return term.clone();
        }
        if let Some(vocab) = &self.vocab
            && let Some(suffix) = iri.strip_prefix(vocab.as_str())
            && !suffix.is_empty()
            && !suffix.contains(':')
            && !self.terms.contains_key(suffix)
        {
            return suffix.to_owned();
        }
        let mut best: Option<String> = None;
        for (term, def) in &self.terms {
            if !def.prefix || def.iri.len() >= iri.len() {
                continue;
            }
            if let Some(suffix) = iri.strip_prefix(def.iri.as_str()) {
                let candidate = format!("{term}:{suffix}");
                if best
                    .as_ref()
                    .is_none_or(|b| (candidate.len(), &candidate) < (b.len(), b))
                {
                    best = Some(candidate);
                }
            }
        }
        best.unwrap_or_else(|| iri.to_owned())
    }

    fn reverse_map(&self) -> HashMap<String, String> {
        let mut reverse: HashMap<String, String> = HashMap::with_capacity(self.terms.len());
        for (term, def) in &self.terms {
            if def.iri.starts_with('@') {
                continue;
            }
            match reverse.get(&def.iri) {
                Some(existing) if (existing.len(), existing) <= (term.len(), term) => {}
                _ => {
                    reverse.insert(def.iri.clone(), term.clone());
                }
            }
        }
        reverse
    }
}

struct Resolver<'a> {
    raw: &'a HashMap<String, Value>,
    vocab: Option<&'a str>,
}

/// Deepest chain of terms defined through other terms.
const MAX_TERM_DEPTH: usize = 16;

impl Resolver<'_> {
    fn definition(&self, term: &str, value: &Value) -> Option<TermDef> {
        match value {
            Value::String(iri) => Some(TermDef {
                iri: self.iri(iri, 0).unwrap_or_else(|| iri.clone()),
                coercion: None,
                prefix: iri.ends_with(['/', '#', ':', '?', '@', '[', ']']) && !term.contains(':'),
            }),
            Value::Object(map) => {
                let iri = match map.get("@id") {
                    Some(Value::String(id)) => self.iri(id, 0).unwrap_or_else(|| id.clone()),
                    Some(Value::Null) => return None,
                    _ => self.iri(term, 0).unwrap_or_else(|| term.to_owned()),
                };
                let coercion = map
                    .get("@type")
                    .and_then(Value::as_str)
                    .map(|t| self.iri(t, 0).unwrap_or_else(|| t.to_owned()));
                let prefix = map.get("@prefix").and_then(Value::as_bool).unwrap_or(false);
                Some(TermDef {
                    iri,
                    coercion,
                    prefix,
                })
            }
            _ => None,
        }
    }

    /// Resolves an IRI written in a context: keyword, compact IRI, term or absolute.
    fn iri(&self, value: &str, depth: usize) -> Option<String> {
        if depth > MAX_TERM_DEPTH {
            return None;
        }
        if value.starts_with('@') {
            return Some(value.to_owned());
        }
        if let Some((prefix, suffix)) = value.split_once(':') {
            if suffix.starts_with("//") {
                return Some(value.to_owned());
            }
            let base = match self.raw.get(prefix) {
                Some(Value::String(base)) => Some(base.clone()),
                Some(Value::Object(map)) => {
                    map.get("@id").and_then(Value::as_str).map(str::to_owned)
                }
                _ => None,
            };
            if let Some(base) = base {
                let base = self.iri(&base, depth + 1).unwrap_or(base);
                return Some(format!("{base}{suffix}"));
            }
            return Some(value.to_owned());
        }
        match self.raw.get(value) {
            Some(Value::String(target)) if target != value => self.iri(target, depth + 1),
            Some(Value::Object(map)) => match map.get("@id") {
                Some(Value::String(target)) if target != value => self.iri(target, depth + 1),
                _ => self.vocab.map(|v| format!("{v}{value}")),
            },
            _ => self.vocab.map(|v| format!("{v}{value}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(text: &str) -> ActiveContext {
        let value: Value = serde_json::from_str(text).unwrap();
        ActiveContext::build(&[value.as_object().unwrap()]).unwrap()
    }

    #[test]
    fn terms_prefixes_and_vocab_expand_and_compact_back() {
        let c = context(
            r#"{"ngsi-ld": "https://uri.etsi.org/ngsi-ld/", "Property": "ngsi-ld:Property",
                "name": {"@id": "https://schema.org/name"}, "@vocab": "https://example.org/v/",
                "loc": {"@id": "ngsi-ld:location", "@type": "@id"}}"#,
        );
        assert_eq!(
            c.expand("Property"),
            "https://uri.etsi.org/ngsi-ld/Property"
        );
        assert_eq!(c.expand("ngsi-ld:foo"), "https://uri.etsi.org/ngsi-ld/foo");
        assert_eq!(c.expand("name"), "https://schema.org/name");
        assert_eq!(c.expand("other"), "https://example.org/v/other");
        assert_eq!(c.expand("urn:ngsi-ld:x"), "urn:ngsi-ld:x");
        assert_eq!(c.expand("http://a.example/b"), "http://a.example/b");
        assert_eq!(c.expand("loc"), "https://uri.etsi.org/ngsi-ld/location");
        assert_eq!(c.compact("https://schema.org/name"), "name");
        assert_eq!(c.compact("https://example.org/v/other"), "other");
        assert_eq!(c.compact("https://uri.etsi.org/ngsi-ld/bar"), "ngsi-ld:bar");
        assert_eq!(
            c.compact("https://elsewhere.example/x"),
            "https://elsewhere.example/x"
        );
    }
}
