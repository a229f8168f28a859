//! `q` pushed down to the plain triples: before a candidate entity's state is read and
//! rendered, each comparison of `q` is tried on the values of `<id> <attribute> ?value`
//! (one index lookup per attribute), so that entities `q` cannot match are skipped without
//! reading them, and entities it certainly matches are counted (`offset`, `count=true`)
//! without reading them.
//!
//! The verdict is [`Verdict::No`] only where the entity's values are, for the comparison,
//! a subset of the triples' values: a plain comparison (`== > >= < <=`, ranges, value lists,
//! `~=`) of an attribute without sub-attribute or key paths, on numbers, booleans, strings,
//! IRIs and language-tagged texts, that holds for none of them holds for no value the entity
//! shows (attributes written through NGSI-LD show the values the triples were made from;
//! others are made from the triples). It is [`Verdict::Yes`] only where they are the same
//! values: besides, no language-tagged texts or geometries among them, and the entity's
//! state holds no kind of attribute whose values `q` reads differently from its triples
//! (`LanguageProperty`, `VocabProperty`, `JsonProperty`). Everything else (`a.b`, `a[b]`,
//! structured values, date-times) is [`Verdict::Maybe`]: such a candidate is read and
//! checked with the full evaluation ([`super::q::Query::matches`]).

use super::entity_store::{geometry_prefix, visible_quads};
use super::q::{Op, Query, Term as QTerm, holds};
use super::terms::term_to_json;
use crate::access::visibility::Visible;
use hanse_vocab::{hanse, xsd};
use oxigraph::model::{NamedNode, Term};
use oxigraph::store::{StorageError, Store};
use serde_json::Value;

/// What the triples say about whether `q` matches an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It certainly does not.
    No,
    /// The full evaluation must decide.
    Maybe,
    /// It certainly does.
    Yes,
}

/// One candidate entity as the triples show it to a caller.
pub struct Probe<'a> {
    store: &'a Store,
    visible: &'a Visible,
    id: &'a NamedNode,
    /// Whether the entity's state holds only attribute kinds whose `q` values are their
    /// triples' values (looked up once, when a `Yes` depends on it).
    plain_state: Option<bool>,
}

impl<'a> Probe<'a> {
    /// A probe of `id` within the graphs `visible` holds.
    pub fn new(store: &'a Store, visible: &'a Visible, id: &'a NamedNode) -> Self {
        Self {
            store,
            visible,
            id,
            plain_state: None,
        }
    }

    /// Three-valued AND (`decisive` No, `neutral` Yes) or OR (the reverse) over `items`.
    fn combine(
        &mut self,
        items: &[Query],
        decisive: Verdict,
        neutral: Verdict,
    ) -> Result<Verdict, StorageError> {
        let mut result = neutral;
        for item in items {
            match self.verdict(item)? {
                v if v == decisive => return Ok(decisive),
                Verdict::Maybe => result = Verdict::Maybe,
                _ => {}
            }
        }
        Ok(result)
    }

    /// The verdict on `q`.
    pub fn verdict(&mut self, q: &Query) -> Result<Verdict, StorageError> {
        match q {
            Query::And(items) => self.combine(items, Verdict::No, Verdict::Yes),
            Query::Or(items) => self.combine(items, Verdict::Yes, Verdict::No),
            Query::Term(term) => self.term(term),
        }
    }

    /// `Yes` if the entity's values are the triples' ones, else `Maybe`.
    fn certain(&mut self, same_values: bool) -> Result<Verdict, StorageError> {
        Ok(if same_values && self.plain_state()? {
            Verdict::Yes
        } else {
            Verdict::Maybe
        })
    }

    fn plain_state(&mut self) -> Result<bool, StorageError> {
        if let Some(plain) = self.plain_state {
            return Ok(plain);
        }
        let predicate = NamedNode::new_unchecked(hanse::NGSI_LD_STATE);
        let mut plain = true;
        for quad in visible_quads(self.store, self.visible, self.id, Some(&predicate), None) {
            let quad = quad?;
            if let Term::Literal(state) = &quad.object
                && ["LanguageProperty", "VocabProperty", "JsonProperty"]
                    .iter()
                    .any(|kind| state.value().contains(kind))
            {
                plain = false;
            }
        }
        self.plain_state = Some(plain);
        Ok(plain)
    }

    fn term(&mut self, term: &QTerm) -> Result<Verdict, StorageError> {
        if !term.sub.is_empty() || !term.path.is_empty() {
            return Ok(Verdict::Maybe);
        }
        let Ok(predicate) = NamedNode::new(&term.attr) else {
            return Ok(Verdict::Maybe);
        };
        let geometry_prefix = geometry_prefix(self.id.as_str());
        // The comparable values, whether each is exactly what the entity shows, and
        // whether some value could not be compared at all.
        let mut values: Vec<Value> = Vec::new();
        let (mut same_values, mut unknown) = (true, false);
        for quad in visible_quads(self.store, self.visible, self.id, Some(&predicate), None) {
            let quad = quad?;
            match comparable(&quad.object, &geometry_prefix) {
                Comparable::Same(value) => values.push(value),
                Comparable::AtMost(value) => {
                    values.push(value);
                    same_values = false;
                }
                Comparable::Unknown => {
                    unknown = true;
                    same_values = false;
                }
            }
        }
        // No triples: a GeoProperty (or an empty value) may still show; let the full
        // evaluation say.
        if values.is_empty() && !unknown && term.test.is_none() {
            return Ok(Verdict::Maybe);
        }
        let Some((op, operand)) = &term.test else {
            return self.certain(same_values);
        };
        let any_holds = values.iter().any(|v| holds(v, *op, operand));
        if matches!(op, Op::Ne | Op::NotMatch) {
            // Not monotone: only decided when the values are exactly the entity's.
            if values.is_empty() || !same_values {
                return Ok(Verdict::Maybe);
            }
            return match self.certain(true)? {
                Verdict::Yes if any_holds => Ok(Verdict::Yes),
                Verdict::Yes => Ok(Verdict::No),
                other => Ok(other),
            };
        }
        if any_holds {
            self.certain(same_values)
        } else if unknown {
            Ok(Verdict::Maybe)
        } else {
            Ok(Verdict::No)
        }
    }
}

/// How a triple's object compares.
enum Comparable {
    /// As this value, which the entity shows as is.
    Same(Value),
    /// As this value, which the entity shows at most (a text of a language map, where a
    /// language may have several).
    AtMost(Value),
    /// Not known without the entity (structured values, date-times, geometries).
    Unknown,
}

fn comparable(object: &Term, geometry_prefix: &str) -> Comparable {
    match object {
        Term::NamedNode(iri) if iri.as_str().starts_with(geometry_prefix) => Comparable::Unknown,
        Term::NamedNode(iri) => Comparable::Same(Value::String(iri.as_str().to_owned())),
        Term::Literal(literal) if literal.language().is_some() => {
            Comparable::AtMost(Value::String(literal.value().to_owned()))
        }
        Term::Literal(literal) => {
            let datatype = literal.datatype().as_str();
            let value = term_to_json(object);
            match value {
                // Texts of other datatypes: numbers too large for i64, `NaN`, date-times
                // stored canonical (`10:00:00Z` for `10:00:00.00Z` sent)…
                Value::String(_) if datatype != xsd::STRING => Comparable::Unknown,
                Value::Object(_) | Value::Array(_) | Value::Null => Comparable::Unknown,
                other => Comparable::Same(other),
            }
        }
        _ => Comparable::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ngsi_ld::context::ActiveContext;
    use crate::ngsi_ld::entity_quads::{Scope, quads};
    use crate::ngsi_ld::entity_store::read;
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

    /// Stores an entity with these attributes and returns it as a read shows it.
    fn stored(store: &Store, id: &str, attrs: Value) -> Entity {
        let graph = NamedNode::new("https://example.org/g").unwrap();
        let mut entity = Entity {
            id: id.into(),
            types: vec![format!("{VOCAB}T")],
            ..Entity::default()
        };
        for (name, instance) in attrs.as_object().unwrap() {
            entity.attrs.insert(
                format!("{VOCAB}{name}"),
                vec![instance.as_object().unwrap().clone()],
            );
        }
        store
            .extend(quads(&graph, &entity, &Scope::New, "2020-09-09T16:40:00Z"))
            .unwrap();
        let id = NamedNode::new(id).unwrap();
        read(store, &id, &Visible::All).unwrap().unwrap().entity()
    }

    #[test]
    fn the_triples_decide_only_what_the_full_evaluation_decides_the_same_way() {
        let store = Store::new().unwrap();
        let plain = json!({
            "level": {"type": "Property", "value": 4},
            "ratio": {"type": "Property", "value": 0.54},
            "name": {"type": "Property", "value": "Eiffel Tower"},
            "full": {"type": "Property", "value": false},
            "in": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
            "tags": {"type": "Property", "value": ["a", "b"]},
            "when": {"type": "Property", "value": {"@type": "DateTime", "@value": "2020-09-09T16:40:00.00Z"}},
            "address": {"type": "Property", "value": {"city": "Paris"}},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [2.29, 48.85]}}
        });
        let mut rich = plain.clone();
        rich["title"] =
            json!({"type": "LanguageProperty", "languageMap": {"en": "Tower", "fr": ["Tour"]}});
        rich["kind"] = json!({"type": "VocabProperty", "vocab": "Shop"});
        let entities = [
            (
                "urn:ngsi-ld:T:plain",
                stored(&store, "urn:ngsi-ld:T:plain", plain),
            ),
            (
                "urn:ngsi-ld:T:rich",
                stored(&store, "urn:ngsi-ld:T:rich", rich),
            ),
        ];
        for (id, shown) in &entities {
            let id = NamedNode::new(*id).unwrap();
            for text in [
                "level==4",
                "level==5",
                "level>3;level<=4",
                "level==1..3",
                "level==3,4",
                "level!=4",
                "level!=5",
                "ratio>0.5",
                "ratio<0.5",
                "name==\"Eiffel Tower\"",
                "name~=\"^Eif\"",
                "name~=\"^Pisa\"",
                "name!~=\"^Pisa\"",
                "full==false",
                "full==true",
                "in==urn:ngsi-ld:City:Paris",
                "in==urn:ngsi-ld:City:Pisa",
                "tags==\"b\"",
                "tags==\"c\"",
                "tags!=\"a\"",
                "title==\"Tower\"",
                "title==\"Tour\"",
                "title!=\"Tour\"",
                "when>2020-01-01T00:00:00Z",
                "when==2020-09-09T16:40:00Z",
                "when<2020-01-01T00:00:00Z",
                "when~=\"00.00Z\"",
                "address[city]==\"Paris\"",
                "address==\"Paris\"",
                "kind==\"Shop\"",
                "kind",
                "location==\"Point\"",
                "location!=\"Point\"",
                "location",
                "missing==1",
                "missing!=1",
                "missing",
                "level==5|name==\"Eiffel Tower\"",
                "(level==5|name==\"Pisa\");full==false",
            ] {
                let query = q(text);
                let exact = query.matches(shown);
                match Probe::new(&store, &Visible::All, &id)
                    .verdict(&query)
                    .unwrap()
                {
                    Verdict::No => assert!(!exact, "{text}: ruled out a match"),
                    Verdict::Yes => assert!(exact, "{text}: said yes to a non-match"),
                    Verdict::Maybe => {}
                }
            }
        }
        // What the benchmark and typical dashboards ask is decided on the triples alone.
        let id = NamedNode::new("urn:ngsi-ld:T:plain").unwrap();
        for (text, expected) in [
            ("level==5", Verdict::No),
            ("level>4", Verdict::No),
            ("name==\"Pisa\"", Verdict::No),
            ("full==true", Verdict::No),
            ("level==5;full==false", Verdict::No),
            ("level==4;full==false", Verdict::Yes),
            ("level!=4", Verdict::No),
            ("level==5|name==\"Eiffel Tower\"", Verdict::Yes),
            ("level", Verdict::Yes),
        ] {
            let mut probe = Probe::new(&store, &Visible::All, &id);
            assert_eq!(probe.verdict(&q(text)).unwrap(), expected, "{text}");
        }
        // The rich entity's state has kinds whose values differ from the triples'.
        let rich = NamedNode::new("urn:ngsi-ld:T:rich").unwrap();
        let mut probe = Probe::new(&store, &Visible::All, &rich);
        assert_eq!(probe.verdict(&q("level==4")).unwrap(), Verdict::Maybe);
        let nothing = Visible::Graphs(Default::default());
        let mut probe = Probe::new(&store, &nothing, &id);
        assert_eq!(probe.verdict(&q("level==4")).unwrap(), Verdict::No);
    }
}
