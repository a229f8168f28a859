//! Discovery: `GET /types`, `/types/{type}`, `/attributes`, `/attributes/{attr}` over the
//! entities a caller may see.

use super::entity_store::read;
use super::error::NgsiLdError;
use super::model::kind;
use super::query::{is_entity, types};
use super::service::NgsiLdService;
use crate::access::visibility::Rights;
use hanse_vocab::rdf;
use oxigraph::model::{NamedNode, NamedOrBlankNode};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// What discovery knows about one type.
#[derive(Debug, Default, Clone)]
pub struct TypeInfo {
    /// Entities of the type.
    pub count: usize,
    /// Attribute IRI -> attribute kinds seen.
    pub attributes: BTreeMap<String, BTreeSet<String>>,
}

/// Every visible type with its entities' attributes.
pub type Catalogue = BTreeMap<String, TypeInfo>;

impl NgsiLdService {
    /// The entity types a caller may see.
    pub async fn type_names(&self, rights: &Rights) -> Result<Vec<String>, NgsiLdError> {
        let visible = rights.read.clone();
        self.blocking(move |inner, deadline| types(&inner.store, &visible, deadline))
            .await
    }

    /// Types with their attributes (`only`: just this type).
    pub async fn discover(
        &self,
        rights: &Rights,
        only: Option<String>,
    ) -> Result<Catalogue, NgsiLdError> {
        let visible = rights.read.clone();
        self.blocking(move |inner, deadline| {
            let names = match only {
                Some(t) => vec![t],
                None => types(&inner.store, &visible, deadline)?,
            };
            let mut catalogue = Catalogue::new();
            let rdf_type = NamedNode::new_unchecked(rdf::TYPE);
            for name in names {
                let Ok(type_node) = NamedNode::new(&name) else {
                    continue;
                };
                let mut info = TypeInfo::default();
                let mut seen = BTreeSet::new();
                for quad in inner.store.quads_for_pattern(
                    None,
                    Some(rdf_type.as_ref()),
                    Some(type_node.as_ref().into()),
                    None,
                ) {
                    if Instant::now() > deadline {
                        return Err(NgsiLdError::Timeout("discovery took too long".into()));
                    }
                    let quad = quad?;
                    if !visible.sees(quad.graph_name.as_ref()) {
                        continue;
                    }
                    let NamedOrBlankNode::NamedNode(subject) = quad.subject else {
                        continue;
                    };
                    if !seen.insert(subject.clone()) {
                        continue;
                    }
                    let Some(stored) = read(&inner.store, &subject, &visible)? else {
                        continue;
                    };
                    if !is_entity(&stored) {
                        continue;
                    }
                    info.count += 1;
                    for (attr, instances) in stored.entity().attrs {
                        let kinds = info.attributes.entry(attr).or_default();
                        for instance in &instances {
                            kinds.insert(kind(instance).to_owned());
                        }
                    }
                }
                if info.count > 0 {
                    catalogue.insert(name, info);
                }
            }
            Ok(catalogue)
        })
        .await
    }
}

/// Attribute IRI -> (instances, kinds, type IRIs), from a type catalogue.
pub fn attributes(
    catalogue: &Catalogue,
) -> BTreeMap<String, (usize, BTreeSet<String>, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (usize, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for (type_iri, info) in catalogue {
        for (attr, kinds) in &info.attributes {
            let entry = out.entry(attr.clone()).or_default();
            entry.0 += 1;
            entry.1.extend(kinds.iter().cloned());
            entry.2.insert(type_iri.clone());
        }
    }
    out
}
