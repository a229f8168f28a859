//! Executing a plan's leaves: sub-queries to sources in parallel, bound joins between groups.

use super::error::FederationError;
use super::plan::{BLANK_NODE_VARIABLE, Group, Leaf};
use super::report::ReportBuilder;
use super::sources::{Location, Sources};
use crate::access::member_query::{RemoteQuery, fetch};
use crate::catalog::stats::authority;
use crate::config::FederationSection;
use crate::p2p::{NetworkClient, QueryLimits};
use crate::store::solutions::SolutionTable;
use crate::store::sparql::SparqlService;
use futures::future::try_join_all;
use oxigraph::model::{NamedNode, Term};
use spargebra::Query;
use spargebra::algebra::GraphPattern;
use spargebra::term::{GroundTerm, TermPattern, Variable};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Everything the leaves of one query need.
pub struct Executor<'a> {
    /// The network, if the node is in a consortium.
    pub network: Option<&'a NetworkClient>,
    /// The node's own SPARQL engine (for its own datasets).
    pub sparql: &'a SparqlService,
    /// The sources.
    pub sources: &'a Sources,
    /// Limits.
    pub config: &'a FederationSection,
    /// The stated purpose.
    pub purpose: Option<&'a str>,
    /// The person asking, named in members' audit logs.
    pub person: Option<&'a str>,
    /// Fail on any failed source instead of answering partially.
    pub strict: bool,
    /// Per-source accounting.
    pub report: &'a ReportBuilder,
    /// Sub-queries in flight, node-wide.
    pub permits: Arc<Semaphore>,
}

impl Executor<'_> {
    /// The table of one leaf.
    pub async fn leaf(&self, leaf: &Leaf) -> Result<SolutionTable, FederationError> {
        match leaf {
            Leaf::Bgp { groups } => {
                let table = self.bgp(groups).await?;
                Ok(table.without_columns(|v| v.as_str().starts_with(BLANK_NODE_VARIABLE)))
            }
            Leaf::Shipped { pattern, sources } => {
                let query = select(pattern.clone());
                let answers = try_join_all(sources.iter().map(|&s| {
                    let datasets = self.sources.list[s].dataset_ids();
                    self.ask(s, query.clone(), datasets)
                }))
                .await?;
                self.union(answers)
            }
        }
    }

    /// Joins the groups of a basic graph pattern, most selective first, each later group
    /// bound to the values found so far.
    async fn bgp(&self, groups: &[Group]) -> Result<SolutionTable, FederationError> {
        let limit = self.config.max_intermediate_rows;
        let mut remaining: Vec<&Group> = groups.iter().collect();
        let mut current = SolutionTable::unit();
        let mut first = true;
        while !remaining.is_empty() {
            let next = pick_next(&remaining, &current, first);
            let group = remaining.remove(next);
            let shared: Vec<Variable> = group
                .variables()
                .into_iter()
                .filter(|v| current.always_bound(v))
                .collect();
            let bindings = current.distinct_bindings(&shared);
            // Blank nodes cannot travel in VALUES; such a join is done here instead.
            let bindable = !shared.is_empty()
                && !bindings
                    .iter()
                    .flatten()
                    .any(|t| matches!(t, Term::BlankNode(_)));
            let table = if first || !bindable {
                self.group(group, None).await?
            } else {
                self.group(group, Some((&shared, &bindings))).await?
            };
            current = current.join(&table, limit)?;
            first = false;
            if current.is_empty() {
                break;
            }
        }
        Ok(current)
    }

    /// Asks every source of `group`, in blocks of bindings if `bound`.
    async fn group(
        &self,
        group: &Group,
        bound: Option<(&[Variable], &[Vec<Term>])>,
    ) -> Result<SolutionTable, FederationError> {
        let mut pattern = GraphPattern::Bgp {
            patterns: group.patterns.clone(),
        };
        for filter in &group.filters {
            pattern = GraphPattern::Filter {
                expr: filter.clone(),
                inner: Box::new(pattern),
            };
        }
        let subject = common_subject(group);
        let mut asks = Vec::new();
        for &s in &group.sources {
            let source = &self.sources.list[s];
            let datasets = source.datasets_for(&group.patterns);
            let queries: Vec<Query> = match bound {
                None => vec![select(pattern.clone())],
                Some((variables, bindings)) => {
                    // A subject bound to an IRI can only be described by the member whose
                    // subject authorities cover it: send each member only its bindings.
                    let column = subject
                        .as_ref()
                        .and_then(|v| variables.iter().position(|x| x == v));
                    let authorities = source.authorities();
                    let mine: Vec<Vec<Term>> = match (column, authorities) {
                        (Some(c), Some(authorities)) => bindings
                            .iter()
                            .filter(|row| match &row[c] {
                                Term::NamedNode(n) => authorities.contains(authority(n.as_str())),
                                _ => false,
                            })
                            .cloned()
                            .collect(),
                        _ => bindings.to_vec(),
                    };
                    mine.chunks(self.config.bound_join_block)
                        .map(|block| select(with_values(pattern.clone(), variables, block)))
                        .collect()
                }
            };
            asks.extend(
                queries
                    .into_iter()
                    .map(move |q| self.ask(s, q, datasets.clone())),
            );
        }
        let answers = try_join_all(asks).await?;
        let mut table = self.union(answers)?;
        if table.variables.is_empty() {
            table.variables = group.variables();
        }
        Ok(table)
    }

    fn union(&self, answers: Vec<SolutionTable>) -> Result<SolutionTable, FederationError> {
        let mut union = SolutionTable::default();
        for answer in answers {
            union.append(answer, self.config.max_intermediate_rows)?;
        }
        Ok(union)
    }

    /// Sends `query` to source `source`; a failure is recorded and, unless strict, yields no
    /// rows (the answer is then marked partial).
    pub async fn ask(
        &self,
        source: usize,
        query: Query,
        datasets: Vec<String>,
    ) -> Result<SolutionTable, FederationError> {
        let member = &self.sources.list[source];
        if let Some(reason) = self.report.failed(&member.member) {
            return self.failed(&member.name, reason);
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| FederationError::Internal(e.to_string()))?;
        let started = Instant::now();
        let max_rows = self.config.max_intermediate_rows;
        let timeout = self.config.source_timeout();
        let mut disclosure = None;
        let outcome: Result<(SolutionTable, bool, u32), String> = match member.location {
            Location::Local => {
                let graphs: Vec<NamedNode> = member
                    .graphs()
                    .iter()
                    .filter_map(|g| NamedNode::new(g).ok())
                    .collect();
                self.sparql
                    .select_restricted(query, &graphs, max_rows, timeout)
                    .await
                    .map(|(table, cut)| (table, cut, 0))
                    .map_err(|e| e.to_string())
            }
            Location::Remote(peer) => {
                let request = RemoteQuery {
                    query: query.to_string(),
                    purpose: self.purpose.map(str::to_owned),
                    agreements: member.agreements.clone(),
                    datasets,
                    limits: QueryLimits {
                        timeout_ms: timeout.as_millis() as u64,
                        max_rows: max_rows as u64,
                    },
                    on_behalf_of: self.person.map(str::to_owned),
                };
                match self.network {
                    None => Err("this node is not in a consortium".to_owned()),
                    Some(network) => {
                        match tokio::time::timeout(
                            timeout,
                            fetch(network, peer, &member.name, request),
                        )
                        .await
                        {
                            Ok(Ok(rows)) => {
                                disclosure = rows.disclosure;
                                Ok((rows.table, rows.truncated, rows.requests))
                            }
                            Ok(Err(e)) => Err(e.to_string()),
                            Err(_) => Err(format!(
                                "no answer within {}s (federation.source_timeout_secs)",
                                timeout.as_secs()
                            )),
                        }
                    }
                }
            }
        };
        let waited = started.elapsed();
        match outcome {
            Ok((_, true, requests)) => {
                self.record(source, requests, 0, waited, None);
                Err(FederationError::TooManyRows { limit: max_rows })
            }
            Ok((table, false, requests)) => {
                self.record(source, requests, table.len() as u64, waited, None);
                if let Some(disclosure) = disclosure {
                    self.report.disclose(&member.member, disclosure);
                }
                Ok(table)
            }
            Err(reason) => {
                tracing::warn!(member = %member.name, "sub-query failed: {reason}");
                self.record(source, 1, 0, waited, Some(reason.clone()));
                self.failed(&member.name, reason)
            }
        }
    }

    fn record(
        &self,
        source: usize,
        requests: u32,
        rows: u64,
        waited: Duration,
        error: Option<String>,
    ) {
        let member = &self.sources.list[source];
        let requests = if member.location == Location::Local {
            0
        } else {
            requests
        };
        self.report
            .record(&member.member, &member.name, requests, rows, waited, error);
    }

    fn failed(&self, name: &str, reason: String) -> Result<SolutionTable, FederationError> {
        if self.strict {
            Err(FederationError::SourceFailed {
                member: name.to_owned(),
                reason,
            })
        } else {
            Ok(SolutionTable::default())
        }
    }
}

/// The subject variable all of the group's patterns share, if any.
fn common_subject(group: &Group) -> Option<Variable> {
    let mut subjects = group.patterns.iter().map(|p| match &p.subject {
        TermPattern::Variable(v) => Some(v.clone()),
        _ => None,
    });
    let first = subjects.next()??;
    subjects
        .all(|s| s.as_ref() == Some(&first))
        .then_some(first)
}

/// The next group to join: one sharing a variable with what is bound (else any), with the
/// most constants, then the fewest sources.
fn pick_next(remaining: &[&Group], current: &SolutionTable, first: bool) -> usize {
    let connected = |g: &Group| first || g.variables().iter().any(|v| current.always_bound(v));
    (0..remaining.len())
        .max_by_key(|&i| {
            let g = remaining[i];
            (
                connected(g),
                g.constants(),
                g.patterns.len(),
                usize::MAX - g.sources.len(),
                usize::MAX - i,
            )
        })
        .unwrap_or(0)
}

/// `SELECT * { pattern }`.
fn select(pattern: GraphPattern) -> Query {
    Query::Select {
        dataset: None,
        pattern,
        base_iri: None,
    }
}

/// `{ VALUES (variables) { block } pattern }`, filters kept outermost.
fn with_values(pattern: GraphPattern, variables: &[Variable], block: &[Vec<Term>]) -> GraphPattern {
    let values = GraphPattern::Values {
        variables: variables.to_vec(),
        bindings: block
            .iter()
            .map(|row| row.iter().map(ground).collect())
            .collect(),
    };
    match pattern {
        GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
            expr,
            inner: Box::new(with_values(*inner, variables, block)),
        },
        inner => GraphPattern::Join {
            left: Box::new(values),
            right: Box::new(inner),
        },
    }
}

fn ground(term: &Term) -> Option<GroundTerm> {
    match term {
        Term::NamedNode(n) => Some(GroundTerm::NamedNode(n.clone())),
        Term::Literal(l) => Some(GroundTerm::Literal(l.clone())),
        _ => None,
    }
}
