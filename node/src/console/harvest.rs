//! The public part of the node's catalogue, as portals harvest it: the signed catalogue
//! without non-public datasets, every `hanse://<me>/` IRI replaced by its HTTP(S) name
//! (with `owl:sameAs` back to the `hanse:` name, which stays the consortium's identifier),
//! paged with Hydra.

use crate::catalog::NodeIris;
use hanse_vocab::{dcat, dct, eu, hydra, owl, rdf, xsd};
use oxigraph::model::{
    Graph, Literal, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple,
};
use std::collections::{BTreeSet, HashSet, VecDeque};

/// Datasets per page of the harvestable catalogue.
pub const PAGE_SIZE: usize = 100;

fn named(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

/// The node's datasets that may be shown publicly (not `NON_PUBLIC`), in IRI order.
pub fn public_datasets(document: &Graph, iris: &NodeIris) -> Vec<String> {
    let non_public = format!("{}NON_PUBLIC", eu::ACCESS_RIGHT);
    let mut datasets: Vec<String> = document
        .objects_for_subject_predicate(&named(&iris.catalog()), &named(dcat::DATASET_PROPERTY))
        .filter_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .filter(|d| {
            !document
                .objects_for_subject_predicate(&named(d), &named(dct::ACCESS_RIGHTS))
                .any(|t| matches!(t, TermRef::NamedNode(n) if n.as_str() == non_public))
        })
        .collect();
    datasets.sort();
    datasets
}

/// The triples reachable from `roots`, never entering this node's resources outside
/// `allowed` (other datasets, the catalogue's other parts): a resource's description with
/// its blank nodes (policies) and the vocabulary terms it uses.
pub fn reachable(
    document: &Graph,
    iris: &NodeIris,
    roots: &[String],
    allowed: &dyn Fn(&str) -> bool,
) -> Graph {
    let mut seen: HashSet<NamedOrBlankNode> = HashSet::new();
    let mut queue: VecDeque<NamedOrBlankNode> = roots
        .iter()
        .map(|r| NamedOrBlankNode::from(named(r)))
        .collect();
    let mut out = Graph::new();
    let dataset_prefix = iris.dataset("");
    while let Some(subject) = queue.pop_front() {
        if !seen.insert(subject.clone()) {
            continue;
        }
        for triple in document.triples_for_subject(NamedOrBlankNodeRef::from(&subject)) {
            let (own, wanted) = match triple.object {
                TermRef::NamedNode(n) => (iris.path_of(n.as_str()).is_some(), allowed(n.as_str())),
                _ => (false, true),
            };
            // A link to a dataset left out (another page's, a non-public one) goes too; links
            // to the node's other resources stay, without their descriptions.
            if own
                && !wanted
                && triple
                    .object
                    .to_string()
                    .starts_with(&format!("<{dataset_prefix}"))
            {
                continue;
            }
            out.insert(triple);
            let next = match triple.object {
                TermRef::NamedNode(_) if own && !wanted => continue,
                TermRef::NamedNode(n) => NamedOrBlankNode::from(n.into_owned()),
                TermRef::BlankNode(b) => NamedOrBlankNode::from(b.into_owned()),
                _ => continue,
            };
            if !seen.contains(&next) {
                queue.push_back(next);
            }
        }
    }
    out
}

/// Whether `iri` is `dataset` or one of its parts (`/distribution`, `#offer`).
fn within(iri: &str, dataset: &str) -> bool {
    iri == dataset
        || iri
            .strip_prefix(dataset)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('#'))
}

/// Page `page` (from 1) of the public catalogue, with HTTP(S) names and Hydra paging.
/// `None` when the page does not exist.
pub fn catalogue_page(document: &Graph, iris: &NodeIris, page: usize) -> Option<Graph> {
    let datasets = public_datasets(document, iris);
    let pages = datasets.len().div_ceil(PAGE_SIZE).max(1);
    if page == 0 || page > pages {
        return None;
    }
    let on_page: BTreeSet<&String> = datasets
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let dataset_prefix = iris.dataset("");
    let allowed = |iri: &str| {
        if iri.starts_with(&dataset_prefix) {
            on_page.iter().any(|d| within(iri, d))
        } else {
            true
        }
    };
    let mut graph = reachable(document, iris, &[iris.catalog()], &allowed);
    let catalog = iris.catalog();
    for dataset in &on_page {
        graph.insert(&Triple::new(
            named(dataset),
            named(owl::SAME_AS),
            named(dataset),
        ));
    }
    graph.insert(&Triple::new(
        named(&catalog),
        named(owl::SAME_AS),
        named(&catalog),
    ));
    let mut graph = to_http(&graph, iris);
    if let Some(http) = iris.to_http(&catalog) {
        let view = |n: usize| format!("{http}?page={n}");
        let count = |n: usize| Literal::new_typed_literal(n.to_string(), named(xsd::INTEGER));
        let this = view(page);
        graph.insert(&Triple::new(named(&http), named(hydra::VIEW), named(&this)));
        graph.insert(&Triple::new(
            named(&http),
            named(hydra::TOTAL_ITEMS),
            count(datasets.len()),
        ));
        graph.insert(&Triple::new(
            named(&this),
            named(rdf::TYPE),
            named(hydra::PARTIAL_COLLECTION_VIEW),
        ));
        graph.insert(&Triple::new(
            named(&this),
            named(hydra::ITEMS_PER_PAGE),
            count(PAGE_SIZE),
        ));
        graph.insert(&Triple::new(
            named(&this),
            named(hydra::FIRST),
            named(&view(1)),
        ));
        graph.insert(&Triple::new(
            named(&this),
            named(hydra::LAST),
            named(&view(pages)),
        ));
        if page > 1 {
            graph.insert(&Triple::new(
                named(&this),
                named(hydra::PREVIOUS),
                named(&view(page - 1)),
            ));
        }
        if page < pages {
            graph.insert(&Triple::new(
                named(&this),
                named(hydra::NEXT),
                named(&view(page + 1)),
            ));
        }
    }
    Some(graph)
}

/// One public resource of the node (a dataset, its parts, the publisher, the contact), with
/// HTTP(S) names; `None` if it is not in the public catalogue.
pub fn describe(document: &Graph, iris: &NodeIris, resource: &str) -> Option<Graph> {
    let public = public_datasets(document, iris);
    let dataset_prefix = iris.dataset("");
    let owner = public.iter().find(|d| within(resource, d));
    if resource.starts_with(&dataset_prefix) && owner.is_none() {
        return None;
    }
    let allowed = |iri: &str| match owner {
        Some(dataset) => within(iri, dataset),
        None => iri == resource,
    };
    let mut graph = reachable(document, iris, &[resource.to_owned()], &allowed);
    if graph.is_empty() {
        return None;
    }
    graph.insert(&Triple::new(
        named(resource),
        named(owl::SAME_AS),
        named(resource),
    ));
    Some(to_http(&graph, iris))
}

/// Replaces this node's `hanse:` IRIs by their HTTP(S) names, except as the object of
/// `owl:sameAs` (the link back to the consortium's name).
pub fn to_http(graph: &Graph, iris: &NodeIris) -> Graph {
    let map = |n: &NamedNode| {
        iris.to_http(n.as_str())
            .map(|s| named(&s))
            .unwrap_or_else(|| n.clone())
    };
    graph
        .iter()
        .map(|t| {
            let subject = match t.subject {
                NamedOrBlankNodeRef::NamedNode(n) => NamedOrBlankNode::from(map(&n.into_owned())),
                other => other.into_owned(),
            };
            let same_as = t.predicate.as_str() == owl::SAME_AS;
            let object = match t.object {
                TermRef::NamedNode(n) if !same_as => Term::from(map(&n.into_owned())),
                other => other.into_owned(),
            };
            Triple::new(subject, t.predicate.into_owned(), object)
        })
        .filter(|t| {
            !(t.predicate.as_str() == owl::SAME_AS && Term::from(t.subject.clone()) == t.object)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::PeerId;

    fn document(iris: &NodeIris) -> Graph {
        let mut g = Graph::new();
        let catalog = iris.catalog();
        let add = |g: &mut Graph, s: &str, p: &str, o: &str| {
            g.insert(&Triple::new(named(s), named(p), named(o)));
        };
        for (id, rights) in [("open", "PUBLIC"), ("secret", "NON_PUBLIC")] {
            let d = iris.dataset(id);
            add(&mut g, &catalog, dcat::DATASET_PROPERTY, &d);
            add(
                &mut g,
                &d,
                dct::ACCESS_RIGHTS,
                &format!("{}{rights}", eu::ACCESS_RIGHT),
            );
            add(
                &mut g,
                &d,
                dcat::DISTRIBUTION_PROPERTY,
                &iris.dataset_part(id, "distribution"),
            );
            add(
                &mut g,
                &iris.dataset_part(id, "distribution"),
                dcat::ACCESS_URL,
                &iris.sparql_service(),
            );
            add(&mut g, &iris.sparql_service(), dcat::SERVES_DATASET, &d);
        }
        add(&mut g, &catalog, dcat::SERVICE, &iris.sparql_service());
        g
    }

    #[test]
    fn non_public_datasets_are_left_out_and_names_are_http() {
        let iris = NodeIris::new(&PeerId::random()).with_public_base("https://data.city.example/");
        let page = catalogue_page(&document(&iris), &iris, 1).unwrap();
        let text = page.to_string();
        assert!(
            text.contains("<https://data.city.example/dataset/open>"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        assert!(
            text.contains(&format!("<{}>", iris.dataset("open"))),
            "sameAs kept: {text}"
        );
        assert!(
            text.contains("https://data.city.example/catalog?page=1"),
            "{text}"
        );
        assert!(catalogue_page(&document(&iris), &iris, 2).is_none());
        assert!(describe(&document(&iris), &iris, &iris.dataset("secret")).is_none());
        let open = describe(&document(&iris), &iris, &iris.dataset("open"))
            .unwrap()
            .to_string();
        assert!(
            open.contains("https://data.city.example/dataset/open/distribution"),
            "{open}"
        );
        assert!(!open.contains("secret"), "{open}");
    }
}
