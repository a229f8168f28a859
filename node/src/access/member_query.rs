//! The requester's side of the node-to-node query protocol: send a query to a member and
//! gather its answer chunk by chunk.

use crate::p2p::{
    ChunkStatus, Disclosure, NetworkClient, QueryLimits, Request, Response, SolutionChunk,
};
use crate::store::solutions::SolutionTable;
use libp2p::PeerId;

/// A query for one member.
#[derive(Debug, Clone)]
pub struct RemoteQuery {
    /// SPARQL SELECT or ASK text.
    pub query: String,
    /// The stated purpose (a DPV IRI).
    pub purpose: Option<String>,
    /// Agreements the requester relies on.
    pub agreements: Vec<String>,
    /// Dataset ids on the member; empty for all the requester may use.
    pub datasets: Vec<String>,
    /// The limits the member must respect.
    pub limits: QueryLimits,
    /// The person the query is asked for, named in the member's audit log.
    pub on_behalf_of: Option<String>,
}

/// A member's complete (or truncated) answer.
#[derive(Debug)]
pub struct RemoteRows {
    /// The solutions.
    pub table: SolutionTable,
    /// Whether the member cut rows at `limits.max_rows`.
    pub truncated: bool,
    /// Dataset ids the member evaluated over.
    pub datasets: Vec<String>,
    /// Messages exchanged (the query and each request for a further chunk).
    pub requests: u32,
    /// What the member withheld or noised, for an aggregation-only dataset.
    pub disclosure: Option<Disclosure>,
}

/// Why a member gave no answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The member refused: its reason.
    #[error("denied: {0}")]
    Denied(String),
    /// The member tried and failed (timeout, limit, query it cannot evaluate).
    #[error("failed at the member: {0}")]
    Failed(String),
    /// The member could not be reached or stopped answering.
    #[error("unreachable: {0}")]
    Network(String),
    /// The member answered something that is not a valid answer.
    #[error("malformed answer: {0}")]
    Malformed(String),
}

/// Sends `query` to `peer` and gathers every chunk of the answer. `name` labels the member in
/// errors; blank nodes in the answer are scoped to the member.
#[tracing::instrument(skip_all, fields(%peer, member = name))]
pub async fn fetch(
    network: &NetworkClient,
    peer: PeerId,
    name: &str,
    query: RemoteQuery,
) -> Result<RemoteRows, FetchError> {
    let max_rows = usize::try_from(query.limits.max_rows).unwrap_or(usize::MAX);
    let scope = blank_node_scope(&peer);
    let mut request = Request::Query {
        query: query.query,
        purpose: query.purpose,
        agreements: query.agreements,
        datasets: query.datasets,
        limits: query.limits,
        on_behalf_of: query.on_behalf_of,
    };
    let mut answer: Option<RemoteRows> = None;
    let mut requests = 0;
    loop {
        requests += 1;
        let chunk = match network.request(peer, request).await {
            Ok(Response::Solutions(chunk)) => chunk,
            Ok(Response::Error(e)) => return Err(FetchError::Failed(e)),
            Ok(other) => {
                return Err(FetchError::Malformed(format!(
                    "expected solutions, got {}",
                    response_kind(&other)
                )));
            }
            Err(e) => return Err(FetchError::Network(e.to_string())),
        };
        let SolutionChunk {
            id,
            variables,
            rows,
            status,
            datasets,
            disclosure,
        } = chunk;
        let (last, truncated) = match status {
            ChunkStatus::More => (false, false),
            ChunkStatus::Complete => (true, false),
            ChunkStatus::Truncated => (true, true),
            ChunkStatus::Denied(reason) => return Err(FetchError::Denied(reason)),
            ChunkStatus::Error(reason) => return Err(FetchError::Failed(reason)),
        };
        let table = SolutionTable::from_wire(&variables, rows, &scope, name)
            .map_err(|e| FetchError::Malformed(e.to_string()))?;
        let gathered = match answer.as_mut() {
            None => answer.insert(RemoteRows {
                table,
                truncated: false,
                datasets,
                requests: 0,
                disclosure: disclosure.map(|d| *d),
            }),
            Some(gathered) => {
                if gathered.table.variables != table.variables {
                    return Err(FetchError::Malformed(
                        "a chunk changed the variables".into(),
                    ));
                }
                gathered.table.rows.extend(table.rows);
                gathered
            }
        };
        if gathered.table.len() > max_rows {
            return Err(FetchError::Malformed(format!(
                "more than the {max_rows} rows asked for"
            )));
        }
        if last {
            gathered.truncated = truncated;
            gathered.requests = requests;
            break;
        }
        request = Request::QueryMore { id };
    }
    answer.ok_or_else(|| FetchError::Malformed("no answer".into()))
}

/// A prefix for the blank node labels of `peer`'s answers.
fn blank_node_scope(peer: &PeerId) -> String {
    let text = peer.to_string();
    format!("m{}x", &text[text.len().saturating_sub(10)..])
}

fn response_kind(response: &Response) -> &'static str {
    match response {
        Response::Membership { .. } => "a membership document",
        Response::CatalogDigest { .. } => "a catalogue digest",
        Response::Catalog { .. } => "a catalogue",
        Response::Agreement { .. } => "an agreement",
        Response::Ack { .. } => "an acknowledgement",
        Response::Solutions(_) => "solutions",
        Response::Error(_) => "an error",
    }
}
