//! [`SparqlService`]: the store plus its limits. Query texts are admitted by the shape limits
//! before they are parsed ([`super::limits`]); parsing, evaluation and serialisation run on a
//! query thread whose stack fits what the limits admit (oxigraph and RocksDB block, and
//! recurse over the query); the result is serialised into memory, at most
//! `max_result_rows` solutions, so that a limit or timeout can still be reported with a
//! proper status instead of a truncated body.

use super::error::{SparqlError, from_evaluation, from_update};
use super::geosparql;
use super::handlers::{BoxedService, ServiceHandlers};
use super::limits::{QueryShape, QueryShapeLimits, check_query, check_update};
use super::parse::{parse_query, parse_update};
use super::query_thread;
use super::request::{DatasetParams, ResultFormat, has_service, query_form, query_pattern};
use super::results::{collect_table, write_results};
use super::view::restrict;
use crate::config::SparqlSection;
use crate::store::solutions::SolutionTable;
use crate::store::visible::Visible;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::{CancellationToken, PreparedSparqlQuery, SparqlEvaluator};
use oxigraph::store::Store;
use spargebra::{GraphUpdateOperation, Query, Update};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The SPARQL engine of a node: the store plus its limits.
#[derive(Clone)]
pub struct SparqlService {
    store: Store,
    limits: SparqlSection,
    shape: QueryShapeLimits,
    // Bounds evaluations in flight; a permit travels with the blocking task, so a query that
    // timed out keeps its slot until its thread has actually stopped.
    permits: Arc<Semaphore>,
}

impl SparqlService {
    /// A service over `store` with the given limits and concurrency.
    pub fn new(store: Store, limits: SparqlSection, max_concurrent: usize) -> Self {
        Self {
            store,
            shape: QueryShapeLimits::from(&limits),
            limits,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// The shape limits every query and update text passes.
    pub fn shape_limits(&self) -> &QueryShapeLimits {
        &self.shape
    }

    /// Parses a query from outside the process within this node's shape limits (see
    /// [`parse_query`]).
    pub async fn parse_query(&self, text: &str) -> Result<Query, SparqlError> {
        parse_query(text, &self.shape).await
    }

    /// Parses an update from outside the process within this node's shape limits (see
    /// [`parse_update`]).
    pub async fn parse_update(&self, text: &str) -> Result<Update, SparqlError> {
        parse_update(text, &self.shape).await
    }

    /// Checks a query built or rewritten inside the node before it is evaluated, so nothing
    /// deeper than the limits reaches the evaluator however it was made.
    fn admit(&self, query: &Query) -> Result<QueryShape, SparqlError> {
        Ok(check_query(query, &self.shape)?)
    }

    /// The store queries run against.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configured limits.
    pub fn limits(&self) -> &SparqlSection {
        &self.limits
    }

    /// Evaluates `query` and writes its result in `format`.
    ///
    /// `dataset` overrides the query's own `FROM` / `FROM NAMED`, as the SPARQL protocol
    /// says. The result holds at most `max_result_rows` rows, else [`SparqlError::TooManyResults`].
    #[tracing::instrument(skip_all, fields(form = ?query_form(&query)))]
    pub async fn query(
        &self,
        query: Query,
        dataset: &DatasetParams,
        format: ResultFormat,
    ) -> Result<Vec<u8>, SparqlError> {
        self.query_with(query, dataset, &Visible::All, format, false)
            .await
    }

    /// [`Self::query`] over only the graphs `visible` lets the caller read: the dataset the
    /// query or `dataset` names is cut down to them, and without one the default graph is
    /// their union (see `view`).
    #[tracing::instrument(skip_all, fields(form = ?query_form(&query)))]
    pub async fn query_visible(
        &self,
        query: Query,
        dataset: &DatasetParams,
        visible: &Visible,
        format: ResultFormat,
    ) -> Result<Vec<u8>, SparqlError> {
        self.query_with(query, dataset, visible, format, false)
            .await
    }

    /// `query`, where `force_dataset` applies `dataset` even when it is empty (an empty
    /// restricted dataset must stay empty rather than fall back to the whole store).
    async fn query_with(
        &self,
        query: Query,
        dataset: &DatasetParams,
        visible: &Visible,
        format: ResultFormat,
        force_dataset: bool,
    ) -> Result<Vec<u8>, SparqlError> {
        let timeout = self.limits.query_timeout();
        let max_rows = self.limits.max_result_rows;
        let shape = self.admit(&query)?;
        if has_service(query_pattern(&query)) {
            return Err(SparqlError::Unsupported(
                "SERVICE calls are not allowed on this endpoint".into(),
            ));
        }
        let cancel = CancellationToken::new();
        let evaluator = geosparql::evaluator().with_cancellation_token(cancel.clone());
        let mut prepared = self.prepare(evaluator, query, shape, dataset, force_dataset)?;
        restrict(prepared.dataset_mut(), visible);
        let store = self.store.clone();
        self.write_blocking(prepared, store, cancel, timeout, format, max_rows)
            .await
    }

    /// Evaluates a prepared query on a blocking thread and writes its result in `format`.
    async fn write_blocking(
        &self,
        prepared: PreparedSparqlQuery,
        store: Store,
        cancel: CancellationToken,
        timeout: Duration,
        format: ResultFormat,
        max_rows: usize,
    ) -> Result<Vec<u8>, SparqlError> {
        self.run_blocking(cancel, timeout, move || {
            let results = prepared
                .on_store(&store)
                .execute()
                .map_err(|e| from_evaluation(e, timeout))?;
            write_results(results, format, max_rows, timeout)
        })
        .await
    }

    /// Prepares `query` with `evaluator` over the dataset the protocol parameters name;
    /// without the optimiser when the query's `shape` is too wide or deep for it to plan in
    /// bounded time.
    fn prepare(
        &self,
        evaluator: SparqlEvaluator,
        query: Query,
        shape: QueryShape,
        dataset: &DatasetParams,
        force_dataset: bool,
    ) -> Result<PreparedSparqlQuery, SparqlError> {
        let (default_graphs, named_graphs) =
            dataset.parse("default-graph-uri", "named-graph-uri")?;
        let evaluator = if shape.optimizable(&self.shape) {
            evaluator
        } else {
            tracing::info!(
                widest_join = shape.widest_join,
                depth = shape.depth,
                "query evaluated in written order, without the optimiser (sparql.max_optimized_width)"
            );
            evaluator.without_optimizations()
        };
        let mut prepared = evaluator.for_query(query);
        let spec = prepared.dataset_mut();
        if force_dataset || !default_graphs.is_empty() || !named_graphs.is_empty() {
            spec.set_default_graph(default_graphs.into_iter().map(GraphName::from).collect());
            spec.set_available_named_graphs(
                named_graphs
                    .into_iter()
                    .map(NamedOrBlankNode::from)
                    .collect(),
            );
        } else if self.limits.union_default_graph && spec.is_default_dataset() {
            spec.set_default_graph_as_union();
        }
        Ok(prepared)
    }

    /// Evaluates a SELECT or ASK over the restricted dataset of `permitted` graphs (see
    /// [`Self::query_restricted`]) into a table of at most `max_rows` rows (never more than
    /// `sparql.max_result_rows`), within `timeout` (never more than `sparql.query_timeout_secs`).
    /// ASK answers as a table without columns: one row for true, none for false. The flag
    /// says whether rows were cut.
    #[tracing::instrument(skip_all, fields(graphs = permitted.len()))]
    pub async fn select_restricted(
        &self,
        query: Query,
        permitted: &[NamedNode],
        max_rows: usize,
        timeout: Duration,
    ) -> Result<(SolutionTable, bool), SparqlError> {
        let shape = self.admit(&query)?;
        if has_service(query_pattern(&query)) {
            return Err(SparqlError::Unsupported(
                "SERVICE calls are not allowed in remote queries".into(),
            ));
        }
        if !matches!(query, Query::Select { .. } | Query::Ask { .. }) {
            return Err(SparqlError::Unsupported(
                "remote queries must be SELECT or ASK".into(),
            ));
        }
        let timeout = timeout.min(self.limits.query_timeout());
        let max_rows = max_rows.min(self.limits.max_result_rows);
        let cancel = CancellationToken::new();
        let evaluator = geosparql::evaluator().with_cancellation_token(cancel.clone());
        let dataset = DatasetParams::restricted(permitted);
        let prepared = self.prepare(evaluator, query, shape, &dataset, true)?;
        let store = self.store.clone();
        self.run_blocking(cancel, timeout, move || {
            let results = prepared
                .on_store(&store)
                .execute()
                .map_err(|e| from_evaluation(e, timeout))?;
            collect_table(results, max_rows, timeout)
        })
        .await
    }

    /// Evaluates `query` with SERVICE calls answered by `services` (members over the network,
    /// tables computed by the federation), over `store` (the node's own store, of which the
    /// query sees only the `visible` graphs, or an empty one when every source is a
    /// service), and writes the result in `format`.
    pub async fn query_with_services(
        &self,
        query: Query,
        store: Store,
        visible: &Visible,
        services: ServiceHandlers,
        format: ResultFormat,
        timeout: Duration,
    ) -> Result<Vec<u8>, SparqlError> {
        let max_rows = self.limits.max_result_rows;
        let shape = self.admit(&query)?;
        let cancel = CancellationToken::new();
        let mut evaluator = geosparql::evaluator().with_cancellation_token(cancel.clone());
        for (name, handler) in services.named {
            evaluator = evaluator.with_service_handler(name, handler);
        }
        if let Some(default) = services.default {
            evaluator = evaluator.with_default_service_handler(BoxedService(default));
        }
        let mut prepared =
            self.prepare(evaluator, query, shape, &DatasetParams::default(), false)?;
        restrict(prepared.dataset_mut(), visible);
        self.write_blocking(prepared, store, cancel, timeout, format, max_rows)
            .await
    }

    /// Evaluates `query` over a restricted dataset holding only `permitted` graphs, whatever
    /// the query text says.
    ///
    /// This is the enforcement path for remote requests: the default graph is the union of
    /// the permitted graphs and they are the only named graphs, so `GRAPH ?g`, `FROM` /
    /// `FROM NAMED`, `VALUES`-bound graph names, sub-queries, property paths and `DESCRIBE`
    /// all see nothing else; `SERVICE` is refused. An empty `permitted` list yields an empty
    /// dataset.
    #[tracing::instrument(skip_all, fields(graphs = permitted.len()))]
    pub async fn query_restricted(
        &self,
        query: Query,
        permitted: &[NamedNode],
        format: ResultFormat,
    ) -> Result<Vec<u8>, SparqlError> {
        let dataset = DatasetParams::restricted(permitted);
        self.query_with(query, &dataset, &Visible::All, format, true)
            .await
    }

    /// Executes an update atomically (all of it or nothing).
    #[tracing::instrument(skip_all)]
    pub async fn update(&self, update: Update, dataset: &DatasetParams) -> Result<(), SparqlError> {
        let timeout = self.limits.query_timeout();
        let shape = check_update(&update, &self.shape)?;
        let mut update = update;
        if !dataset.is_empty() {
            let (default_graphs, named_graphs) =
                dataset.parse("using-graph-uri", "using-named-graph-uri")?;
            for operation in &mut update.operations {
                if let GraphUpdateOperation::DeleteInsert { using, .. } = operation {
                    // The protocol parameters apply where the update names no USING itself.
                    if using.is_none() {
                        *using = Some(spargebra::algebra::QueryDataset {
                            default: default_graphs.clone(),
                            named: Some(named_graphs.clone()),
                        });
                    }
                }
            }
        }
        let cancel = CancellationToken::new();
        let mut evaluator = geosparql::evaluator().with_cancellation_token(cancel.clone());
        if !shape.optimizable(&self.shape) {
            evaluator = evaluator.without_optimizations();
        }
        let prepared = evaluator.for_update(update);
        let store = self.store.clone();
        self.run_blocking(cancel, timeout, move || {
            prepared.on_store(&store).execute().map_err(from_update)
        })
        .await
    }

    /// Runs `work` on a query thread under a concurrency permit and the timeout.
    async fn run_blocking<T: Send + 'static>(
        &self,
        cancel: CancellationToken,
        timeout: Duration,
        work: impl FnOnce() -> Result<T, SparqlError> + Send + 'static,
    ) -> Result<T, SparqlError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let permit = tokio::time::timeout_at(deadline, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| SparqlError::Timeout { limit: timeout })?
            .map_err(|e| SparqlError::Internal(e.to_string()))?;
        let task = query_thread::run(self.shape.stack_bytes(), move || {
            let _permit = permit;
            work()
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(thread)) => Err(thread),
            Err(_) => {
                // The thread notices the token at its next step and frees its permit.
                cancel.cancel();
                Err(SparqlError::Timeout { limit: timeout })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_query(text: &str) -> Result<Query, spargebra::SparqlSyntaxError> {
        spargebra::SparqlParser::new().parse_query(text)
    }
    use oxigraph::io::RdfFormat;
    use oxigraph::model::{Literal, QuadRef};
    use oxigraph::sparql::results::QueryResultsFormat;

    fn service(rows: usize, max_rows: usize) -> SparqlService {
        let store = Store::new().unwrap();
        let p = NamedNode::new("http://example.org/p").unwrap();
        for i in 0..rows {
            let s = NamedNode::new(format!("http://example.org/s{i}")).unwrap();
            let o = Literal::from(i as i64);
            store
                .insert(QuadRef::new(&s, &p, &o, GraphName::DefaultGraph.as_ref()))
                .unwrap();
        }
        let limits = SparqlSection {
            max_result_rows: max_rows,
            ..SparqlSection::default()
        };
        SparqlService::new(store, limits, 2)
    }

    const JSON: ResultFormat = ResultFormat::Results(QueryResultsFormat::Json);

    #[tokio::test]
    async fn result_limit_is_enforced_exactly() {
        let sparql = service(10, 10);
        let q = parse_query("SELECT * { ?s ?p ?o }").unwrap();
        sparql
            .query(q, &DatasetParams::default(), JSON)
            .await
            .unwrap();
        let sparql = service(11, 10);
        let q = parse_query("SELECT * { ?s ?p ?o }").unwrap();
        let err = sparql
            .query(q, &DatasetParams::default(), JSON)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SparqlError::TooManyResults { limit: 10 }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn service_calls_are_refused() {
        let sparql = service(1, 10);
        let q =
            parse_query("SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }").unwrap();
        let err = sparql
            .query(q, &DatasetParams::default(), JSON)
            .await
            .unwrap_err();
        assert!(matches!(err, SparqlError::Unsupported(_)), "{err}");
    }

    /// Found by the `sparql_query` and `sparql_update` fuzz targets: a cast called with no
    /// argument was a 500 ("query evaluation failed"); it is the client's mistake.
    #[tokio::test]
    async fn a_function_called_with_the_wrong_arity_is_a_client_error() {
        let sparql = service(1, 10);
        let q =
            parse_query("SELECT ?x { BIND(<http://www.w3.org/2001/XMLSchema#string>() AS ?x) }")
                .unwrap();
        let err = sparql
            .query(q, &DatasetParams::default(), JSON)
            .await
            .unwrap_err();
        assert!(matches!(err, SparqlError::Invalid(_)), "{err}");
        assert!(err.is_client_error());
        assert!(
            err.to_string()
                .contains("requires between 1 and 1 arguments"),
            "{err}"
        );
        let u = spargebra::SparqlParser::new().parse_update(
            "INSERT { <http://e/s> <http://e/p> ?x } WHERE { BIND(<http://www.w3.org/2001/XMLSchema#string>() AS ?x) }",
        )
        .unwrap();
        let err = sparql
            .update(u, &DatasetParams::default())
            .await
            .unwrap_err();
        assert!(matches!(err, SparqlError::Invalid(_)), "{err}");
        assert!(err.is_client_error());
    }

    /// A store with an open graph and a secret one; only the open graph is permitted.
    fn restricted_fixture() -> (SparqlService, Vec<NamedNode>) {
        let store = Store::new().unwrap();
        let turtle =
            "<http://e/open> <http://e/p> \"open\" ; <http://e/link> <http://e/secret-subject> .";
        store
            .load_from_slice(
                oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
                    .with_default_graph(NamedNode::new("http://e/graph/open").unwrap()),
                turtle,
            )
            .unwrap();
        let secret = "<http://e/secret-subject> <http://e/p> \"SECRET\" ; <http://e/q> \"SECRET\" .\n\
                      <http://e/open> <http://e/p> \"SECRET\" .";
        store
            .load_from_slice(
                oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
                    .with_default_graph(NamedNode::new("http://e/graph/secret").unwrap()),
                secret,
            )
            .unwrap();
        store
            .insert(QuadRef::new(
                NamedNode::new("http://e/default").unwrap().as_ref(),
                NamedNode::new("http://e/p").unwrap().as_ref(),
                Literal::new_simple_literal("SECRET").as_ref(),
                GraphName::DefaultGraph.as_ref(),
            ))
            .unwrap();
        let limits = SparqlSection {
            union_default_graph: true,
            ..SparqlSection::default()
        };
        (
            SparqlService::new(store, limits, 2),
            vec![NamedNode::new("http://e/graph/open").unwrap()],
        )
    }

    /// Runs `query` restricted to `permitted` and returns the result as text.
    async fn restricted(
        sparql: &SparqlService,
        permitted: &[NamedNode],
        query: &str,
        format: ResultFormat,
    ) -> Result<String, SparqlError> {
        let out = sparql
            .query_restricted(parse_query(query).unwrap(), permitted, format)
            .await?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[tokio::test]
    async fn restricted_dataset_resists_bypass_attempts() {
        let (sparql, permitted) = restricted_fixture();
        // Control: unrestricted, the secret is there to be leaked.
        let unrestricted = sparql
            .query(
                parse_query("SELECT * { GRAPH ?g { ?s ?p ?o } }").unwrap(),
                &DatasetParams::default(),
                JSON,
            )
            .await
            .unwrap();
        assert!(String::from_utf8(unrestricted).unwrap().contains("SECRET"));
        let attacks = [
            "SELECT * { GRAPH ?g { ?s ?p ?o } }",
            "SELECT * FROM NAMED <http://e/graph/secret> { GRAPH ?g { ?s ?p ?o } }",
            "SELECT * FROM <http://e/graph/secret> { ?s ?p ?o }",
            "SELECT * { GRAPH <http://e/graph/secret> { ?s ?p ?o } }",
            "SELECT * { VALUES ?g { <http://e/graph/secret> } GRAPH ?g { ?s ?p ?o } }",
            "SELECT * { GRAPH ?g { ?s ?p ?o } VALUES ?g { <http://e/graph/secret> } }",
            "SELECT * { BIND(<http://e/graph/secret> AS ?g) GRAPH ?g { ?s ?p ?o } }",
            "SELECT * { { SELECT ?g ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } } }",
            "SELECT * { ?s (<http://e/p>|!<http://e/p>)+ ?o }",
            "SELECT * { ?s <http://e/link>/<http://e/p> ?o }",
            "SELECT * { ?s <http://e/link>/(<http://e/p>|<http://e/q>) ?o }",
            "SELECT * { GRAPH ?g { ?s <http://e/link>/<http://e/p> ?o } }",
            "SELECT ?g { GRAPH ?g { } }",
            "SELECT * { ?s ?p ?o FILTER NOT EXISTS { GRAPH <http://e/graph/secret> { ?s ?p ?o } } }",
            "SELECT * { OPTIONAL { GRAPH <http://e/graph/secret> { ?s ?p ?o } } }",
            "SELECT ?o { ?s ?p ?o } ORDER BY ?o",
        ];
        for attack in attacks {
            let text = restricted(&sparql, &permitted, attack, JSON).await.unwrap();
            assert!(!text.contains("SECRET"), "leak via {attack}: {text}");
            assert!(
                !text.contains("graph/secret"),
                "graph name leak via {attack}: {text}"
            );
        }
        for graph_query in [
            "DESCRIBE <http://e/secret-subject>",
            "DESCRIBE <http://e/open>",
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
            "CONSTRUCT { ?s ?p ?o } FROM <http://e/graph/secret> WHERE { ?s ?p ?o }",
        ] {
            let ntriples = ResultFormat::Rdf(RdfFormat::NTriples);
            let text = restricted(&sparql, &permitted, graph_query, ntriples)
                .await
                .unwrap();
            assert!(!text.contains("SECRET"), "leak via {graph_query}: {text}");
        }
        let ask = "ASK { GRAPH <http://e/graph/secret> { ?s ?p ?o } }";
        let ask = restricted(&sparql, &permitted, ask, JSON).await.unwrap();
        assert!(ask.contains("false"));
        let service = "SELECT * { SERVICE <http://127.0.0.1:7878/sparql> { ?s ?p ?o } }";
        let service = restricted(&sparql, &permitted, service, JSON).await;
        assert!(matches!(service, Err(SparqlError::Unsupported(_))));
        println!(
            "{} bypass attempts against the restricted graph (plus ASK and SERVICE): 0 leaked",
            attacks.len() + 4
        );
        // The open graph stays fully readable.
        let count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }";
        let count = restricted(&sparql, &permitted, count, JSON).await.unwrap();
        assert!(count.contains("\"2\""));
        // Nothing permitted: nothing visible, not everything.
        let none = "SELECT * { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
        let none = restricted(&sparql, &[], none, JSON).await.unwrap();
        assert!(none.contains("\"bindings\":[]"));
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse_query("SELECT * WHERE { ?s ?p }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("1:"), "{err}");
    }

    #[tokio::test]
    async fn bad_dataset_iris_are_named() {
        let sparql = service(1, 10);
        let q = parse_query("ASK {}").unwrap();
        let params = DatasetParams {
            default_graphs: vec!["not an iri".into()],
            named_graphs: vec![],
        };
        let err = sparql
            .query(q, &params, JSON)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("default-graph-uri") && err.contains("not an iri"),
            "{err}"
        );
    }
}
