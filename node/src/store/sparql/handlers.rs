//! SERVICE handlers a query can be evaluated with: members over the network, and tables the
//! federation computed beforehand.

use crate::store::solutions::SolutionTable;
use oxigraph::model::NamedNode;
use oxigraph::sparql::{
    DefaultServiceHandler, QueryEvaluationError, QuerySolutionIter, ServiceHandler,
};
use spargebra::algebra::GraphPattern;
use std::sync::Arc;

/// SERVICE handlers for [`SparqlService::query_with_services`].
#[derive(Default)]
pub struct ServiceHandlers {
    /// Handlers for exactly named services.
    pub named: Vec<(NamedNode, TableService)>,
    /// The handler for every other service name.
    pub default: Option<Box<dyn DefaultServiceHandler<Error = QueryEvaluationError>>>,
}

/// Lets a boxed handler be registered (oxigraph wants a sized one).
pub(crate) struct BoxedService(
    pub(crate) Box<dyn DefaultServiceHandler<Error = QueryEvaluationError>>,
);

impl DefaultServiceHandler for BoxedService {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        service_name: &NamedNode,
        pattern: &GraphPattern,
        base_iri: Option<&oxiri::Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, QueryEvaluationError> {
        self.0.handle(service_name, pattern, base_iri)
    }
}

/// A SERVICE that answers with a table computed beforehand.
pub struct TableService(pub Arc<SolutionTable>);

impl ServiceHandler for TableService {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        _pattern: &GraphPattern,
        _base_iri: Option<&oxiri::Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, QueryEvaluationError> {
        Ok(SolutionTable::clone(&self.0).into_solutions())
    }
}
