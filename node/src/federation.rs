//! Federated SPARQL: one query answered by the members whose datasets can contribute.
//!
//! A federated query (`/sparql?federated=true`, `hanse query --federated`) is parsed, its
//! sources are chosen from the federated catalogue without probing anyone ([`sources`]), the
//! plan sends each part to the members that can answer it ([`plan`]), sub-queries travel over
//! libp2p with the requester's purpose and agreements and come back in chunks
//! ([`crate::access::member_query`]),
//! groups are joined with bound joins ([`execute`]), and oxigraph evaluates the rest of the
//! query over the parts' tables. Explicit `SERVICE <hanse://<PeerId>/sparql>` clauses go to
//! the member named ([`service_handler`]). Every answer says which sources were asked, how
//! each fared, and which datasets were skipped and why ([`report`]).
//!
//! | module | concern |
//! |---|---|
//! | [`sources`] | which datasets can match a pattern, and which the requester may use |
//! | [`plan`] | groups, placeholders, the single-source shortcut |
//! | [`execute`] | parallel sub-queries and bound joins |
//! | [`service_handler`] | explicit `SERVICE` calls |
//! | [`report`] | per-source status, time and rows |

mod error;
pub mod execute;
pub mod plan;
pub mod report;
pub mod service_handler;
pub mod sources;

pub use error::FederationError;

use crate::access::AccessService;
use crate::catalog::CatalogService;
use crate::config::FederationSection;
use crate::p2p::NetworkClient;
use crate::store::sparql::{
    ResultFormat, ServiceHandlers, SparqlService, TableService, write_results,
};
use crate::store::visible::Visible;
use crate::trust::egress::Egress;
use execute::Executor;
use oxigraph::model::NamedNode;
use oxigraph::store::Store;
use report::{FederationReport, ReportBuilder};
use service_handler::MemberServices;
pub use sources::LocalView;
pub use sources::Skipped;
use sources::{OfferCache, Sources};
use spargebra::Query;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Plans `query` over `sources`. An aggregation-only dataset is asked only with the whole
/// query, when it is an aggregate that its member alone can answer; otherwise the plan is
/// made without such datasets, which the report lists as skipped.
fn plan_over(
    query: &Query,
    sources: &Arc<Sources>,
) -> Result<(plan::Plan, Arc<Sources>), FederationError> {
    if !sources.has_aggregation_only() {
        return Ok((plan::plan(query.clone(), sources)?, Arc::clone(sources)));
    }
    if crate::access::aggregation::shape::is_aggregate(query) {
        let whole = plan::plan(query.clone(), sources)?;
        if whole.single_source.is_some() {
            return Ok((whole, Arc::clone(sources)));
        }
    }
    let general = Arc::new(sources.without_aggregation_only());
    Ok((plan::plan(query.clone(), &general)?, general))
}

/// `sources` with each skipped dataset marked by whether it could have answered part of
/// `query`; with `strict`, the first such dataset is an error.
fn skipped_for(
    sources: Arc<Sources>,
    query: &Query,
    strict: bool,
) -> Result<Arc<Sources>, FederationError> {
    let mut sources = Arc::unwrap_or_clone(sources);
    report::mark_relevant(&mut sources.skipped, query);
    if strict && let Some(skipped) = sources.skipped.iter().find(|s| s.relevant) {
        return Err(FederationError::DatasetSkipped {
            name: skipped.name.clone(),
            dataset: skipped.dataset.clone(),
            reason: skipped.reason.to_string(),
        });
    }
    Ok(Arc::new(sources))
}

/// How to run one federated query.
#[derive(Debug, Clone, Default)]
pub struct FederatedQueryOptions {
    /// The stated purpose (a DPV IRI); `federation.default_purpose` when absent.
    pub purpose: Option<String>,
    /// Fail instead of answering partially when a source fails or a dataset that could have
    /// answered is left out.
    pub strict: bool,
    /// What the caller may read of this node's own data (nothing by default).
    pub local: LocalView,
}

/// A federated answer: the results in the requested format and the report.
#[derive(Debug)]
pub struct FederatedAnswer {
    /// The serialised results.
    pub body: Vec<u8>,
    /// Who was asked and how it went.
    pub report: FederationReport,
}

/// The start of one federated query.
struct Setup {
    started: Instant,
    purpose: Option<String>,
    person: Option<String>,
    sources: Arc<Sources>,
    report: Arc<ReportBuilder>,
}

struct Inner {
    catalog: CatalogService,
    access: AccessService,
    sparql: SparqlService,
    network: Option<NetworkClient>,
    config: FederationSection,
    egress: Egress,
    offers: OfferCache,
    permits: Arc<Semaphore>,
}

/// Federated query answering; cheap to clone.
#[derive(Clone)]
pub struct FederationService {
    inner: Arc<Inner>,
}

impl FederationService {
    /// Builds the service.
    pub fn new(
        catalog: CatalogService,
        access: AccessService,
        sparql: SparqlService,
        network: Option<NetworkClient>,
        config: FederationSection,
        egress: Egress,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_in_flight));
        Self {
            inner: Arc::new(Inner {
                catalog,
                access,
                sparql,
                network,
                config,
                egress,
                offers: OfferCache::default(),
                permits,
            }),
        }
    }

    /// The sources a query for `purpose` by a caller who reads `local` of this node would
    /// use, and the datasets it would skip.
    pub fn sources(&self, purpose: Option<&str>, local: &LocalView) -> Sources {
        let inner = &self.inner;
        Sources::gather(&inner.catalog, &inner.access, &inner.offers, purpose, local)
    }

    /// `provider`'s datasets this node may not use for `purpose` that could have answered
    /// part of `query`: what a remote query that names no datasets leaves out.
    pub fn left_out(&self, provider: &str, query: &Query, purpose: Option<&str>) -> Vec<Skipped> {
        let mut skipped = self.sources(purpose, &LocalView::default()).skipped;
        skipped.retain(|s| s.member == provider);
        report::mark_relevant(&mut skipped, query);
        skipped.retain(|s| s.relevant);
        skipped
    }

    /// The purpose a query states: its own, or `federation.default_purpose`.
    pub fn purpose_of(&self, stated: Option<&str>) -> Option<String> {
        stated
            .map(str::to_owned)
            .or_else(|| self.inner.config.default_purpose.clone())
    }

    /// What every federated query starts with: the clock, the purpose, the sources it may
    /// use and an empty report.
    fn setup(&self, options: &FederatedQueryOptions) -> Setup {
        let purpose = self.purpose_of(options.purpose.as_deref());
        Setup {
            started: Instant::now(),
            sources: Arc::new(self.sources(purpose.as_deref(), &options.local)),
            purpose,
            person: options.local.person.clone(),
            report: Arc::new(ReportBuilder::default()),
        }
    }

    /// The SERVICE handler for members (and allowed endpoints) of one query.
    fn member_services(&self, setup: &Setup, strict: bool) -> MemberServices {
        MemberServices {
            runtime: tokio::runtime::Handle::current(),
            network: self.inner.network.clone(),
            sources: Arc::clone(&setup.sources),
            purpose: setup.purpose.clone(),
            person: setup.person.clone(),
            config: self.inner.config.clone(),
            egress: self.inner.egress.clone(),
            strict,
            report: Arc::clone(&setup.report),
        }
    }

    /// Answers `query` over every member's usable datasets and this node's own.
    #[tracing::instrument(skip_all, fields(purpose = options.purpose.as_deref()))]
    pub async fn query(
        &self,
        query: Query,
        options: &FederatedQueryOptions,
        format: ResultFormat,
    ) -> Result<FederatedAnswer, FederationError> {
        let limit = self.inner.config.timeout();
        match tokio::time::timeout(limit, self.query_unbounded(query, options, format)).await {
            Ok(answer) => answer,
            Err(_) => Err(FederationError::Timeout { limit }),
        }
    }

    async fn query_unbounded(
        &self,
        query: Query,
        options: &FederatedQueryOptions,
        format: ResultFormat,
    ) -> Result<FederatedAnswer, FederationError> {
        let setup = self.setup(options);
        let (plan, planned) = plan_over(&query, &setup.sources)?;
        let planned = skipped_for(planned, &query, options.strict)?;
        let Setup {
            started,
            purpose,
            person,
            report,
            ..
        } = &setup;
        let sources = &planned;
        let is_ask = matches!(query, Query::Ask { .. });
        let executor = Executor {
            network: self.inner.network.as_ref(),
            sparql: &self.inner.sparql,
            sources,
            config: &self.inner.config,
            purpose: purpose.as_deref(),
            person: person.as_deref(),
            strict: options.strict,
            report,
            permits: Arc::clone(&self.inner.permits),
        };
        let timeout = self.inner.config.timeout();
        let max_rows = self.inner.sparql.limits().max_result_rows;
        if let Some(source) = plan.single_source {
            tracing::debug!(source = %sources.list[source].name, "single-source query");
            // Only the datasets that can match the query, so the provider's audit log names
            // what was read; all of them when the catalogue cannot tell.
            let patterns = report::query_patterns(&query);
            let datasets = match sources.list[source].datasets_for(&patterns) {
                relevant if relevant.is_empty() => sources.list[source].dataset_ids(),
                relevant => relevant,
            };
            let table = executor.ask(source, query, datasets).await?;
            let body = tokio::task::spawn_blocking(move || {
                write_results(table.into_results(is_ask), format, max_rows, timeout)
            })
            .await
            .map_err(|e| FederationError::Internal(e.to_string()))??;
            let report = report.finish("single-source", sources.skipped.clone(), started.elapsed());
            self.record_budgets(&report);
            return Ok(FederatedAnswer { body, report });
        }
        let tables =
            futures::future::try_join_all(plan.leaves.iter().map(|l| executor.leaf(l))).await?;
        let mut services = ServiceHandlers::default();
        for (index, table) in tables.into_iter().enumerate() {
            services.named.push((
                NamedNode::new_unchecked(format!("{}{index}", plan::LEAF_PREFIX)),
                TableService(Arc::new(table)),
            ));
        }
        services.default = Some(Box::new(self.member_services(&setup, options.strict)));
        let store = Store::new().map_err(|e| FederationError::Internal(e.to_string()))?;
        let body = self
            .inner
            .sparql
            .query_with_services(plan.query, store, &Visible::All, services, format, timeout)
            .await?;
        let report = report.finish("federated", sources.skipped.clone(), started.elapsed());
        self.record_budgets(&report);
        Ok(FederatedAnswer { body, report })
    }

    /// Keeps the budgets providers reported with differentially private answers.
    fn record_budgets(&self, report: &FederationReport) {
        for source in &report.sources {
            if let Some(noise) = source.privacy.as_ref().and_then(|p| p.noise.as_ref()) {
                self.inner.access.record_reported_budget(noise);
            }
        }
    }

    /// Answers a query over this node's store in which `SERVICE` clauses name members (or
    /// allowed endpoints).
    #[tracing::instrument(skip_all)]
    pub async fn query_with_services(
        &self,
        query: Query,
        options: &FederatedQueryOptions,
        format: ResultFormat,
    ) -> Result<FederatedAnswer, FederationError> {
        let setup = self.setup(options);
        let services = ServiceHandlers {
            named: Vec::new(),
            default: Some(Box::new(self.member_services(&setup, options.strict))),
        };
        let body = self
            .inner
            .sparql
            .query_with_services(
                query,
                self.inner.sparql.store().clone(),
                &options.local.visible,
                services,
                format,
                self.inner.config.timeout(),
            )
            .await?;
        let report = setup
            .report
            .finish("service", Vec::new(), setup.started.elapsed());
        Ok(FederatedAnswer { body, report })
    }
}
