//! GeoSPARQL functions (`geof:sfWithin`, `geof:distance`, …, from oxigraph's `spargeo`) on
//! every evaluator the node builds, so SPARQL users can filter the geometries NGSI-LD and
//! sensor ingest store as `geo:asWKT`.

use oxigraph::sparql::SparqlEvaluator;

/// A new evaluator with the GeoSPARQL extension functions registered.
pub fn evaluator() -> SparqlEvaluator {
    spargeo::GEOSPARQL_EXTENSION_FUNCTIONS
        .iter()
        .fold(SparqlEvaluator::new(), |evaluator, (name, function)| {
            evaluator.with_custom_function(name.into_owned(), *function)
        })
}
