//! A query over what its caller may see: the dataset a query names (by `FROM` / `FROM
//! NAMED` or the protocol's graph parameters) is cut down to the visible graphs, and a query
//! that names none runs over all of them (their union as the default graph), whatever
//! `sparql.union_default_graph` says. `GRAPH ?g`, sub-queries, property paths and
//! `DESCRIBE` all evaluate inside that dataset, so nothing else can be reached.

use crate::store::visible::Visible;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::QueryDataset;

/// Restricts `spec` to what `visible` lets the caller read.
pub(super) fn restrict(spec: &mut QueryDataset, visible: &Visible) {
    let Visible::Graphs(graphs) = visible else {
        return;
    };
    // Sorted, so that the same view always gives the same plan and the same answer order.
    let mut all: Vec<&NamedNode> = graphs.iter().collect();
    all.sort();
    let named_by_query = spec.available_named_graphs().is_some();
    let default: Vec<GraphName> = match spec.default_graph_graphs() {
        // The store's default graph (the protocol's default) or the union of everything:
        // for a restricted caller, the union of what it may see.
        None => all.iter().map(|g| GraphName::from((*g).clone())).collect(),
        Some([GraphName::DefaultGraph]) if !named_by_query => {
            all.iter().map(|g| GraphName::from((*g).clone())).collect()
        }
        Some(listed) => listed
            .iter()
            .filter(|g| matches!(g, GraphName::NamedNode(n) if graphs.contains(n)))
            .cloned()
            .collect(),
    };
    let named: Vec<NamedOrBlankNode> = match spec.available_named_graphs() {
        None => all
            .iter()
            .map(|g| NamedOrBlankNode::from((*g).clone()))
            .collect(),
        Some(listed) => listed
            .iter()
            .filter(|g| matches!(g, NamedOrBlankNode::NamedNode(n) if graphs.contains(n)))
            .cloned()
            .collect(),
    };
    spec.set_default_graph(default);
    spec.set_available_named_graphs(named);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn node(iri: &str) -> NamedNode {
        NamedNode::new_unchecked(iri)
    }

    #[test]
    fn named_datasets_are_cut_and_unnamed_ones_become_the_visible_union() {
        let visible = Visible::Graphs(HashSet::from([node("urn:g:open"), node("urn:g:also")]));
        let mut spec = QueryDataset::new();
        restrict(&mut spec, &visible);
        assert_eq!(
            spec.default_graph_graphs().unwrap(),
            &[node("urn:g:also").into(), node("urn:g:open").into()]
        );
        assert_eq!(spec.available_named_graphs().unwrap().len(), 2);
        let mut spec = QueryDataset::new();
        spec.set_default_graph(vec![node("urn:g:open").into(), node("urn:g:secret").into()]);
        spec.set_available_named_graphs(vec![node("urn:g:secret").into()]);
        restrict(&mut spec, &visible);
        assert_eq!(
            spec.default_graph_graphs().unwrap(),
            &[node("urn:g:open").into()]
        );
        assert!(spec.available_named_graphs().unwrap().is_empty());
        let mut everything = QueryDataset::new();
        restrict(&mut everything, &Visible::All);
        assert!(everything.is_default_dataset());
        let mut nothing = QueryDataset::new();
        restrict(&mut nothing, &Visible::Graphs(HashSet::new()));
        assert!(nothing.default_graph_graphs().unwrap().is_empty());
        assert!(nothing.available_named_graphs().unwrap().is_empty());
    }
}
