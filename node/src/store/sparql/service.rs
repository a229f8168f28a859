//! [`SparqlService`]: the store plus its limits. Query texts are admitted by the shape limits
//! before they are parsed ([`super::limits`]); parsing, evaluation and serialisation run on a
//! query thread whose stack fits what the limits admit (oxigraph and RocksDB block, and
//! recurse over the query); the result is serialised into memory, at most
//! `max_result_rows` solutions, so that a limit or timeout can still be reported with a
//! proper status instead of a truncated body.

use super::error::{SparqlError, from_evaluation, from_update};
use super::geosparql;
use super::handlers::{BoxedService, ServiceHandlers};
use super::limits::check_text;
use super::limits::{QueryShape, QueryShapeLimits, check_query, check_update};
use super::parse::{parse_on_query_thread, parse_query, parse_update};
use super::query_thread;
use super::request::{
    DatasetParams, QueryForm, ResultFormat, has_service, query_form, query_pattern,
};
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

/// What [`SparqlService::answer_visible`] made of a query text.
#[derive(Debug)]
pub enum TextAnswer {
    /// Answered over the visible graphs, in the format chosen for the query's form.
    Written {
        /// The serialised results.
        body: Vec<u8>,
        /// Their format.
        format: ResultFormat,
    },
    /// Parsed and checked, not answered: it calls `SERVICE`, or no format suits its form.
    Parsed(Box<Query>),
}

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

    /// Parses `text` and answers it as [`Self::query_visible`] does, both on one query thread:
    /// a visitor's small query pays for one hand-off to a query thread instead of two. A
    /// query that calls `SERVICE`, or whose form `format_for` finds no format for, comes back
    /// parsed for the caller to go on with.
    #[tracing::instrument(skip_all)]
    pub async fn answer_visible(
        &self,
        text: &str,
        dataset: &DatasetParams,
        visible: Visible,
        format_for: impl FnOnce(QueryForm) -> Option<ResultFormat> + Send + 'static,
    ) -> Result<TextAnswer, SparqlError> {
        check_text(text, &self.shape)?;
        let timeout = self.limits.query_timeout();
        let max_rows = self.limits.max_result_rows;
        let cancel = CancellationToken::new();
        let (service, text, dataset) = (self.clone(), text.to_owned(), dataset.clone());
        let token = cancel.clone();
        self.run_blocking(cancel, timeout, move || {
            let (query, shape) = parse_on_query_thread(&text, &service.shape)?;
            let format = match format_for(query_form(&query)) {
                Some(format) if !has_service(query_pattern(&query)) => format,
                _ => return Ok(TextAnswer::Parsed(Box::new(query))),
            };
            let evaluator = geosparql::evaluator().with_cancellation_token(token);
            let mut prepared = service.prepare(evaluator, query, shape, &dataset, false)?;
            restrict(prepared.dataset_mut(), &visible);
            let results = prepared
                .on_store(&service.store)
                .execute()
                .map_err(|e| from_evaluation(e, timeout))?;
            let body = write_results(results, format, max_rows, timeout)?;
            Ok(TextAnswer::Written { body, format })
        })
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
mod tests;
