//! Explicit federation: `SERVICE <…>` clauses naming a member are answered over libp2p;
//! other SERVICE IRIs only if `egress.allow` lists them (then over HTTP).

use super::report::ReportBuilder;
use super::sources::{Location, Sources};
use crate::access::agreement::peer_of_did;
use crate::access::member_query::{RemoteQuery, fetch};
use crate::catalog::iris::peer_of;
use crate::config::FederationSection;
use crate::p2p::{NetworkClient, QueryLimits};
use crate::trust::egress::Egress;
use libp2p::PeerId;
use oxigraph::model::NamedNode;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput,
};
use oxigraph::sparql::{DefaultServiceHandler, QueryEvaluationError, QuerySolutionIter};
use spargebra::Query;
use spargebra::algebra::GraphPattern;
use std::sync::Arc;
use std::time::Instant;

/// Largest answer read from an HTTP SPARQL endpoint named in `SERVICE` (JSON results are
/// parsed whole, so the bound is on memory as much as on time).
const MAX_SERVICE_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The member a SERVICE IRI names: `hanse://<PeerId>/sparql`, `hanse://<PeerId>` or a
/// `did:key`.
pub fn member_of_service(iri: &str) -> Option<PeerId> {
    if iri.starts_with("did:key:") {
        return peer_of_did(iri);
    }
    peer_of(iri)
}

/// Answers SERVICE calls during one query.
pub struct MemberServices {
    /// The runtime to wait on (handlers run on a blocking thread).
    pub runtime: tokio::runtime::Handle,
    /// The network, if any.
    pub network: Option<NetworkClient>,
    /// Members this node may ask, with their agreements.
    pub sources: Arc<Sources>,
    /// The stated purpose.
    pub purpose: Option<String>,
    /// The person asking, named in members' audit logs.
    pub person: Option<String>,
    /// Limits.
    pub config: FederationSection,
    /// The HTTP endpoints `SERVICE` may call.
    pub egress: Egress,
    /// Fail on a failed member instead of answering partially.
    pub strict: bool,
    /// Per-source accounting.
    pub report: Arc<ReportBuilder>,
}

fn service_error(message: String) -> QueryEvaluationError {
    QueryEvaluationError::Service(message.into())
}

impl DefaultServiceHandler for MemberServices {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        service_name: &NamedNode,
        pattern: &GraphPattern,
        base_iri: Option<&oxiri::Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, QueryEvaluationError> {
        let query = Query::Select {
            dataset: None,
            pattern: pattern.clone(),
            base_iri: base_iri.cloned(),
        };
        let iri = service_name.as_str();
        if let Some(peer) = member_of_service(iri) {
            return self.member(peer, query);
        }
        match self.egress.check(iri) {
            Ok(_) => self.http(iri, query),
            Err(denied) => Err(service_error(format!(
                "SERVICE <{iri}> is not a member (hanse://<PeerId>/sparql or did:key), and {denied}"
            ))),
        }
    }
}

impl MemberServices {
    fn member(
        &self,
        peer: PeerId,
        query: Query,
    ) -> Result<QuerySolutionIter<'static>, QueryEvaluationError> {
        let network = self
            .network
            .as_ref()
            .ok_or_else(|| service_error("this node is not in a consortium".into()))?;
        let source = self
            .sources
            .list
            .iter()
            .find(|s| s.location == Location::Remote(peer));
        let name = source.map_or_else(|| peer.to_string(), |s| s.name.clone());
        let timeout = self.config.source_timeout();
        let request = RemoteQuery {
            query: query.to_string(),
            purpose: self.purpose.clone(),
            agreements: source.map(|s| s.agreements.clone()).unwrap_or_default(),
            datasets: Vec::new(),
            limits: QueryLimits {
                timeout_ms: timeout.as_millis() as u64,
                max_rows: self.config.max_intermediate_rows as u64,
            },
            on_behalf_of: self.person.clone(),
        };
        let started = Instant::now();
        let outcome = self.runtime.block_on(async {
            match tokio::time::timeout(timeout, fetch(network, peer, &name, request)).await {
                Ok(Ok(rows)) if rows.truncated => Err(format!(
                    "more than {} rows (federation.max_intermediate_rows)",
                    self.config.max_intermediate_rows
                )),
                Ok(Ok(rows)) => Ok(rows),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!(
                    "no answer within {}s (federation.source_timeout_secs)",
                    timeout.as_secs()
                )),
            }
        });
        let member = peer.to_string();
        match outcome {
            Ok(rows) => {
                self.report.record(
                    &member,
                    &name,
                    rows.requests,
                    rows.table.len() as u64,
                    started.elapsed(),
                    None,
                );
                Ok(rows.table.into_solutions())
            }
            Err(reason) => {
                self.report.record(
                    &member,
                    &name,
                    1,
                    0,
                    started.elapsed(),
                    Some(reason.clone()),
                );
                if self.strict {
                    Err(service_error(format!("member {name}: {reason}")))
                } else {
                    Ok(crate::store::solutions::SolutionTable::default().into_solutions())
                }
            }
        }
    }

    /// An allowed HTTP SPARQL endpoint (SPARQL 1.1 Protocol, JSON results).
    fn http(
        &self,
        endpoint: &str,
        query: Query,
    ) -> Result<QuerySolutionIter<'static>, QueryEvaluationError> {
        let timeout = self.config.source_timeout();
        let started = Instant::now();
        let body = self.runtime.block_on(async {
            let client = self.egress.client(timeout).map_err(|e| e.to_string())?;
            let response = client
                .post(endpoint)
                .header("content-type", "application/sparql-query")
                .header("accept", "application/sparql-results+json")
                .body(query.to_string())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("HTTP {}", response.status()));
            }
            let mut response = response;
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                if body.len() + chunk.len() > MAX_SERVICE_RESPONSE_BYTES {
                    return Err(format!(
                        "the answer exceeds {MAX_SERVICE_RESPONSE_BYTES} bytes; ask a narrower query"
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        });
        let body = body.map_err(|e| service_error(format!("SERVICE <{endpoint}>: {e}")))?;
        let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
            .for_reader(std::io::Cursor::new(body))
            .map_err(|e| service_error(format!("SERVICE <{endpoint}>: {e}")))?;
        let ReaderQueryResultsParserOutput::Solutions(solutions) = parsed else {
            return Err(service_error(format!(
                "SERVICE <{endpoint}> answered a boolean"
            )));
        };
        self.report
            .record(endpoint, endpoint, 1, 0, started.elapsed(), None);
        Ok(QuerySolutionIter::from(solutions))
    }
}
