//! SPARQL evaluation with the node's limits: a query timeout, a result-size limit and a
//! bound on concurrent evaluations.
//!
//! The HTTP endpoint and the CLI both go through [`SparqlService`], so a query behaves the
//! same whichever way it arrives. Evaluation and serialisation run on a blocking thread
//! (oxigraph and RocksDB block); the result is serialised into memory, at most
//! `max_result_rows` solutions, so that a limit or timeout can still be reported with a
//! proper status instead of a truncated body.

use crate::config::SparqlSection;
use crate::solutions::SolutionTable;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{
    CancellationToken, DefaultServiceHandler, PreparedSparqlQuery, QueryEvaluationError,
    QueryResults, QuerySolutionIter, ServiceHandler, SparqlEvaluator, UpdateEvaluationError,
};
use oxigraph::store::Store;
use spargebra::algebra::GraphPattern;
use spargebra::{GraphUpdateOperation, Query, SparqlParser, Update};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Errors of SPARQL evaluation, each naming what the client can change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SparqlError {
    /// The query or update text does not parse.
    #[error("SPARQL syntax error: {0}")]
    Syntax(#[from] spargebra::SparqlSyntaxError),
    /// A graph IRI given as a protocol parameter is not an absolute IRI.
    #[error("invalid graph IRI `{iri}` in parameter `{parameter}`: {reason}")]
    InvalidGraphIri {
        /// The protocol parameter, e.g. `default-graph-uri`.
        parameter: &'static str,
        /// The value given.
        iri: String,
        /// Why it is not an IRI.
        reason: String,
    },
    /// Evaluation ran longer than `sparql.query_timeout_secs`.
    #[error("the query did not finish within {}s (sparql.query_timeout_secs); narrow it or raise the limit", .limit.as_secs())]
    Timeout {
        /// The limit that was hit.
        limit: Duration,
    },
    /// The result has more solutions or triples than `sparql.max_result_rows`.
    #[error(
        "the result has more than {limit} rows (sparql.max_result_rows); add a LIMIT or raise the limit"
    )]
    TooManyResults {
        /// The limit that was hit.
        limit: usize,
    },
    /// The query needs something the node refuses to do, e.g. a `SERVICE` call.
    #[error("unsupported in this query: {0}")]
    Unsupported(String),
    /// The query failed during evaluation.
    #[error("query evaluation failed: {0}")]
    Evaluation(QueryEvaluationError),
    /// The update failed (e.g. `CREATE` of an existing graph).
    #[error("update failed: {0}")]
    Update(UpdateEvaluationError),
    /// Writing the result failed.
    #[error("cannot serialise the result: {0}")]
    Serialize(#[from] std::io::Error),
    /// The evaluation thread stopped unexpectedly.
    #[error("internal error while evaluating: {0}")]
    Internal(String),
}

impl SparqlError {
    /// Whether the client caused the error (bad text, bad parameters, refused features).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Syntax(_)
                | Self::InvalidGraphIri { .. }
                | Self::Unsupported(_)
                | Self::TooManyResults { .. }
        ) || matches!(
            self,
            Self::Update(
                UpdateEvaluationError::GraphAlreadyExists(_)
                    | UpdateEvaluationError::GraphDoesNotExist(_)
            )
        )
    }
}

fn from_evaluation(error: QueryEvaluationError, timeout: Duration) -> SparqlError {
    match error {
        QueryEvaluationError::Cancelled => SparqlError::Timeout { limit: timeout },
        QueryEvaluationError::UnsupportedService(_)
        | QueryEvaluationError::Service(_)
        | QueryEvaluationError::UnboundService
        | QueryEvaluationError::InvalidServiceName(_)
        | QueryEvaluationError::UnsupportedCustomFunction(_) => {
            SparqlError::Unsupported(error.to_string())
        }
        other => SparqlError::Evaluation(other),
    }
}

fn from_update(error: UpdateEvaluationError) -> SparqlError {
    match error {
        UpdateEvaluationError::UnsupportedService(_)
        | UpdateEvaluationError::Service(_)
        | UpdateEvaluationError::UnboundService
        | UpdateEvaluationError::InvalidServiceName(_)
        | UpdateEvaluationError::UnsupportedContentType(_) => {
            SparqlError::Unsupported(error.to_string())
        }
        // A cancelled update never reaches here: the token is only cancelled after
        // `run_blocking` has already answered with `SparqlError::Timeout`.
        other => SparqlError::Update(other),
    }
}

/// What a query returns, which decides the formats it can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryForm {
    /// SELECT: a table of solutions.
    Solutions,
    /// ASK: one boolean.
    Boolean,
    /// CONSTRUCT or DESCRIBE: an RDF graph.
    Graph,
}

/// The format a query result is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// A SPARQL results format (for SELECT and ASK).
    Results(QueryResultsFormat),
    /// An RDF format (for CONSTRUCT and DESCRIBE).
    Rdf(RdfFormat),
}

impl ResultFormat {
    /// The media type to put in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            ResultFormat::Results(f) => f.media_type(),
            ResultFormat::Rdf(f) => f.media_type(),
        }
    }
}

/// The dataset a request names through protocol parameters.
#[derive(Debug, Clone, Default)]
pub struct DatasetParams {
    /// `default-graph-uri` (query) or `using-graph-uri` (update).
    pub default_graphs: Vec<String>,
    /// `named-graph-uri` (query) or `using-named-graph-uri` (update).
    pub named_graphs: Vec<String>,
}

impl DatasetParams {
    /// The restricted dataset of `permitted` graphs: their union is the default graph and
    /// they are the only named graphs.
    fn restricted(permitted: &[NamedNode]) -> Self {
        let iris: Vec<String> = permitted.iter().map(|g| g.as_str().to_owned()).collect();
        Self {
            default_graphs: iris.clone(),
            named_graphs: iris,
        }
    }

    fn is_empty(&self) -> bool {
        self.default_graphs.is_empty() && self.named_graphs.is_empty()
    }

    fn parse(
        &self,
        default_param: &'static str,
        named_param: &'static str,
    ) -> Result<(Vec<NamedNode>, Vec<NamedNode>), SparqlError> {
        let parse = |parameter: &'static str, iris: &[String]| {
            iris.iter()
                .map(|iri| {
                    NamedNode::new(iri).map_err(|e| SparqlError::InvalidGraphIri {
                        parameter,
                        iri: iri.clone(),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((
            parse(default_param, &self.default_graphs)?,
            parse(named_param, &self.named_graphs)?,
        ))
    }
}

/// Parses a query; errors carry the parser's line and column.
pub fn parse_query(text: &str) -> Result<Query, SparqlError> {
    Ok(SparqlParser::new().parse_query(text)?)
}

/// Parses an update.
pub fn parse_update(text: &str) -> Result<Update, SparqlError> {
    Ok(SparqlParser::new().parse_update(text)?)
}

/// The form of a parsed query.
pub fn query_form(query: &Query) -> QueryForm {
    match query {
        Query::Select { .. } => QueryForm::Solutions,
        Query::Ask { .. } => QueryForm::Boolean,
        Query::Construct { .. } | Query::Describe { .. } => QueryForm::Graph,
    }
}

/// Whether a graph pattern contains a `SERVICE` call anywhere.
fn has_service(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Service { .. } => true,
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => false,
        GraphPattern::Join { left, right }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right }
        | GraphPattern::LeftJoin { left, right, .. } => has_service(left) || has_service(right),
        GraphPattern::Lateral { left, right } => has_service(left) || has_service(right),
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. } => has_service(inner),
    }
}

/// The SPARQL engine of a node: the store plus its limits.
#[derive(Clone)]
pub struct SparqlService {
    store: Store,
    limits: SparqlSection,
    // Bounds evaluations in flight; a permit travels with the blocking task, so a query that
    // timed out keeps its slot until its thread has actually stopped.
    permits: Arc<Semaphore>,
}

impl SparqlService {
    /// A service over `store` with the given limits and concurrency.
    pub fn new(store: Store, limits: SparqlSection, max_concurrent: usize) -> Self {
        Self {
            store,
            limits,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
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
        self.query_with(query, dataset, format, false).await
    }

    /// `query`, where `force_dataset` applies `dataset` even when it is empty (an empty
    /// restricted dataset must stay empty rather than fall back to the whole store).
    async fn query_with(
        &self,
        query: Query,
        dataset: &DatasetParams,
        format: ResultFormat,
        force_dataset: bool,
    ) -> Result<Vec<u8>, SparqlError> {
        let timeout = self.limits.query_timeout();
        let max_rows = self.limits.max_result_rows;
        if has_service(query_pattern(&query)) {
            return Err(SparqlError::Unsupported(
                "SERVICE calls are not allowed on this endpoint".into(),
            ));
        }
        let cancel = CancellationToken::new();
        let evaluator = SparqlEvaluator::new().with_cancellation_token(cancel.clone());
        let prepared = self.prepare(evaluator, query, dataset, force_dataset)?;
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

    /// Prepares `query` with `evaluator` over the dataset the protocol parameters name.
    fn prepare(
        &self,
        evaluator: SparqlEvaluator,
        query: Query,
        dataset: &DatasetParams,
        force_dataset: bool,
    ) -> Result<PreparedSparqlQuery, SparqlError> {
        let (default_graphs, named_graphs) =
            dataset.parse("default-graph-uri", "named-graph-uri")?;
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
        let evaluator = SparqlEvaluator::new().with_cancellation_token(cancel.clone());
        let dataset = DatasetParams::restricted(permitted);
        let prepared = self.prepare(evaluator, query, &dataset, true)?;
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
    /// tables computed by the federation), over `store` (the node's own store, or an empty
    /// one when every source is a service), and writes the result in `format`.
    pub async fn query_with_services(
        &self,
        query: Query,
        store: Store,
        services: ServiceHandlers,
        format: ResultFormat,
        timeout: Duration,
    ) -> Result<Vec<u8>, SparqlError> {
        let max_rows = self.limits.max_result_rows;
        let cancel = CancellationToken::new();
        let mut evaluator = SparqlEvaluator::new().with_cancellation_token(cancel.clone());
        for (name, handler) in services.named {
            evaluator = evaluator.with_service_handler(name, handler);
        }
        if let Some(default) = services.default {
            evaluator = evaluator.with_default_service_handler(BoxedService(default));
        }
        let prepared = self.prepare(evaluator, query, &DatasetParams::default(), false)?;
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
        self.query_with(query, &DatasetParams::restricted(permitted), format, true)
            .await
    }

    /// Executes an update atomically (all of it or nothing).
    #[tracing::instrument(skip_all)]
    pub async fn update(&self, update: Update, dataset: &DatasetParams) -> Result<(), SparqlError> {
        let timeout = self.limits.query_timeout();
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
        let prepared = SparqlEvaluator::new()
            .with_cancellation_token(cancel.clone())
            .for_update(update);
        let store = self.store.clone();
        self.run_blocking(cancel, timeout, move || {
            prepared.on_store(&store).execute().map_err(from_update)
        })
        .await
    }

    /// Runs `work` on a blocking thread under a concurrency permit and the timeout.
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
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(SparqlError::Internal(join.to_string())),
            Err(_) => {
                // The thread notices the token at its next step and frees its permit.
                cancel.cancel();
                Err(SparqlError::Timeout { limit: timeout })
            }
        }
    }
}

/// SERVICE handlers for [`SparqlService::query_with_services`].
#[derive(Default)]
pub struct ServiceHandlers {
    /// Handlers for exactly named services.
    pub named: Vec<(NamedNode, TableService)>,
    /// The handler for every other service name.
    pub default: Option<Box<dyn DefaultServiceHandler<Error = QueryEvaluationError>>>,
}

/// Lets a boxed handler be registered (oxigraph wants a sized one).
struct BoxedService(Box<dyn DefaultServiceHandler<Error = QueryEvaluationError>>);

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

/// Whether a graph pattern contains a `SERVICE` call anywhere.
pub fn uses_service(query: &Query) -> bool {
    has_service(query_pattern(query))
}

/// The pattern of a query.
pub fn query_pattern(query: &Query) -> &GraphPattern {
    match query {
        Query::Select { pattern, .. }
        | Query::Ask { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. } => pattern,
    }
}

/// Collects solutions into a table, cutting at `max_rows` (the flag says whether it cut).
fn collect_table(
    results: QueryResults<'_>,
    max_rows: usize,
    timeout: Duration,
) -> Result<(SolutionTable, bool), SparqlError> {
    match results {
        QueryResults::Solutions(solutions) => {
            let mut table = SolutionTable::empty(solutions.variables().to_vec());
            for solution in solutions {
                if table.rows.len() >= max_rows {
                    return Ok((table, true));
                }
                let solution = solution.map_err(|e| from_evaluation(e, timeout))?;
                let row = table
                    .variables
                    .iter()
                    .map(|v| solution.get(v).cloned())
                    .collect();
                table.rows.push(row);
            }
            Ok((table, false))
        }
        QueryResults::Boolean(value) => {
            let mut table = SolutionTable::empty(Vec::new());
            if value {
                table.rows.push(Vec::new());
            }
            Ok((table, false))
        }
        QueryResults::Graph(_) => Err(SparqlError::Unsupported(
            "remote queries must be SELECT or ASK".into(),
        )),
    }
}

/// Serialises results into memory, refusing more than `max_rows` rows.
pub(crate) fn write_results(
    results: QueryResults<'_>,
    format: ResultFormat,
    max_rows: usize,
    timeout: Duration,
) -> Result<Vec<u8>, SparqlError> {
    let mismatch =
        || SparqlError::Internal("result format does not match the query form".to_owned());
    match results {
        QueryResults::Solutions(solutions) => {
            let ResultFormat::Results(format) = format else {
                return Err(mismatch());
            };
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())?;
            for (count, solution) in solutions.enumerate() {
                if count >= max_rows {
                    return Err(SparqlError::TooManyResults { limit: max_rows });
                }
                writer.serialize(&solution.map_err(|e| from_evaluation(e, timeout))?)?;
            }
            Ok(writer.finish()?)
        }
        QueryResults::Boolean(value) => {
            let ResultFormat::Results(format) = format else {
                return Err(mismatch());
            };
            Ok(QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)?)
        }
        QueryResults::Graph(triples) => {
            let ResultFormat::Rdf(format) = format else {
                return Err(mismatch());
            };
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for (count, triple) in triples.enumerate() {
                if count >= max_rows {
                    return Err(SparqlError::TooManyResults { limit: max_rows });
                }
                writer.serialize_triple(&triple.map_err(|e| from_evaluation(e, timeout))?)?;
            }
            Ok(writer.finish()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfFormat;
    use oxigraph::model::{Literal, QuadRef};

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
