//! The observations a set of quads makes whole, as the index keeps them: what the writers
//! that only have triples (NGSI-LD writes, retention, a rebuild) tell the index.

use hanse_vocab::{qudt, sosa};
use oxigraph::model::{GraphNameRef, NamedNode, NamedOrBlankNodeRef, QuadRef, Term, TermRef};
use oxsdatatypes::DateTime;
use std::collections::HashMap;
use std::str::FromStr;

/// One observation as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedObservation {
    /// The feature of interest (the NGSI-LD entity).
    pub entity: String,
    /// The observed property (the attribute).
    pub attribute: String,
    /// The observation's IRI.
    pub observation: String,
    /// Its graph's IRI, empty for the default graph.
    pub graph: String,
    /// `sosa:phenomenonTime`.
    pub at: DateTime,
    /// `sosa:hasSimpleResult`.
    pub value: Term,
    /// `qudt:unit`.
    pub unit: Option<NamedNode>,
}

/// The observations `quads` make whole: a named subject with a feature of interest, an
/// observed property, a simple result and a phenomenon time with a zone (the ones the
/// temporal API shows). Others, hourly aggregates among them, are not indexed.
pub fn observations_in<'a>(
    quads: impl IntoIterator<Item = QuadRef<'a>>,
) -> Vec<IndexedObservation> {
    #[derive(Default)]
    struct Parts<'a> {
        entity: Option<&'a str>,
        attribute: Option<&'a str>,
        value: Option<TermRef<'a>>,
        at: Option<DateTime>,
        unit: Option<&'a str>,
    }
    let mut parts: HashMap<(&str, GraphNameRef<'a>), Parts<'a>> = HashMap::new();
    for quad in quads {
        let NamedOrBlankNodeRef::NamedNode(subject) = quad.subject else {
            continue;
        };
        let slot = || (subject.as_str(), quad.graph_name);
        match (quad.predicate.as_str(), quad.object) {
            (sosa::HAS_FEATURE_OF_INTEREST, TermRef::NamedNode(entity)) => {
                parts.entry(slot()).or_default().entity = Some(entity.as_str());
            }
            (sosa::OBSERVED_PROPERTY, TermRef::NamedNode(attribute)) => {
                parts.entry(slot()).or_default().attribute = Some(attribute.as_str());
            }
            (sosa::HAS_SIMPLE_RESULT, value) => {
                parts.entry(slot()).or_default().value = Some(value);
            }
            (sosa::PHENOMENON_TIME, TermRef::Literal(time)) => {
                parts.entry(slot()).or_default().at = DateTime::from_str(time.value())
                    .ok()
                    .filter(|t| t.timezone_offset().is_some());
            }
            (qudt::UNIT, TermRef::NamedNode(unit)) => {
                parts.entry(slot()).or_default().unit = Some(unit.as_str());
            }
            _ => {}
        }
    }
    let mut observations: Vec<IndexedObservation> = parts
        .into_iter()
        .filter_map(|((observation, graph), p)| {
            Some(IndexedObservation {
                entity: p.entity?.to_owned(),
                attribute: p.attribute?.to_owned(),
                observation: observation.to_owned(),
                graph: match graph {
                    GraphNameRef::NamedNode(g) => g.as_str().to_owned(),
                    _ => String::new(),
                },
                at: p.at?,
                value: p.value?.into_owned(),
                unit: p.unit.map(NamedNode::new_unchecked),
            })
        })
        .collect();
    // A stable order, so a batch's day statistics add up the same way each time.
    observations.sort_by(|a, b| {
        (&a.entity, &a.attribute, &a.observation).cmp(&(&b.entity, &b.attribute, &b.observation))
    });
    observations
}
