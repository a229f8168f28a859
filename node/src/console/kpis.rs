//! Key performance indicators: saved SPARQL queries with a title, unit and target, stored
//! as RDF in the node's graph `hanse://<PeerId>/kpis`. Each query selects one number as
//! `?value`. The home page shows every KPI's local value; "compare" asks each member the
//! same query through the node-to-node query protocol (the provider's policy and audit
//! apply, as for any federated sub-query) and lists the answers side by side.

use crate::access::{Action, AgreementState, Question, Visible};
use crate::http::{ApiError, AppState};
use crate::store::sparql::SparqlService;
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use hanse_vocab::{dct, rdf, xsd};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const KPI: &str = "https://w3id.org/hanse#Kpi";
const UNIT: &str = "https://w3id.org/hanse#unit";
const TARGET: &str = "https://w3id.org/hanse#target";
const DIRECTION: &str = "https://w3id.org/hanse#targetDirection";
const QUERY: &str = "https://w3id.org/hanse#query";
/// Most KPIs a node keeps; longest query text.
const MAX_KPIS: usize = 100;
const MAX_QUERY_BYTES: usize = 16 * 1024;

/// One KPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    /// Short id: lowercase letters, digits, `-`.
    pub id: String,
    /// Title, e.g. `Mean NO2`.
    pub title: String,
    /// What it measures and why.
    #[serde(default)]
    pub description: String,
    /// Unit, e.g. `µg/m³`.
    pub unit: String,
    /// The target value, if any.
    #[serde(default)]
    pub target: Option<f64>,
    /// `below` or `above`: which side of the target is good.
    #[serde(default = "below")]
    pub direction: String,
    /// A SPARQL SELECT whose first solution binds `?value` to a number.
    pub query: String,
}

pub(crate) fn below() -> String {
    "below".into()
}

impl Kpi {
    pub(crate) fn check(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err("id: use 1 to 64 lowercase letters, digits or `-`".into());
        }
        if self.title.trim().is_empty() || self.unit.trim().is_empty() {
            return Err("title and unit must not be empty".into());
        }
        if self.direction != "below" && self.direction != "above" {
            return Err(format!(
                "direction: `{}` is not below or above",
                self.direction
            ));
        }
        if self.query.len() > MAX_QUERY_BYTES {
            return Err(format!("query: longer than {MAX_QUERY_BYTES} bytes"));
        }
        Ok(())
    }

    /// Checks the query: parsed within the node's SPARQL shape limits (the text comes from
    /// an operator's browser), a SELECT that binds `?value`.
    pub(crate) async fn check_query(&self, sparql: &SparqlService) -> Result<(), String> {
        match sparql.parse_query(&self.query).await {
            Ok(spargebra::Query::Select { .. })
                if self.query.contains("?value") || self.query.contains("$value") =>
            {
                Ok(())
            }
            Ok(_) => Err("query: must be a SELECT that binds ?value".into()),
            Err(e) => Err(format!("query: {e}")),
        }
    }
}

fn graph(state: &AppState) -> NamedNode {
    NamedNode::new_unchecked(state.catalog.iris().kpis())
}

pub(crate) fn named(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

fn literal(value: &str) -> Term {
    Term::from(Literal::new_simple_literal(value))
}

/// Reads every KPI of `graph`.
pub(crate) fn read(store: &Store, graph: &NamedNode) -> Result<Vec<Kpi>, String> {
    let g = GraphNameRef::NamedNode(graph.as_ref());
    let mut kpis = Vec::new();
    for quad in store.quads_for_pattern(
        None,
        Some(named(rdf::TYPE).as_ref()),
        Some(named(KPI).as_ref().into()),
        Some(g),
    ) {
        let quad = quad.map_err(|e| e.to_string())?;
        let subject = quad.subject;
        let value = |p: &str| -> Option<String> {
            store
                .quads_for_pattern(
                    Some(subject.as_ref()),
                    Some(named(p).as_ref()),
                    None,
                    Some(g),
                )
                .filter_map(Result::ok)
                .find_map(|q| match q.object {
                    Term::Literal(l) => Some(l.value().to_owned()),
                    _ => None,
                })
        };
        let Some(id) = value(dct::IDENTIFIER) else {
            continue;
        };
        kpis.push(Kpi {
            id,
            title: value(dct::TITLE).unwrap_or_default(),
            description: value(dct::DESCRIPTION).unwrap_or_default(),
            unit: value(UNIT).unwrap_or_default(),
            target: value(TARGET).and_then(|t| t.parse().ok()),
            direction: value(DIRECTION).unwrap_or_else(below),
            query: value(QUERY).unwrap_or_default(),
        });
    }
    kpis.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(kpis)
}

/// Stores `kpi` in `graph`, replacing one with the same id.
pub fn write(store: &Store, graph: &NamedNode, kpi: &Kpi) -> Result<(), String> {
    kpi.check()?;
    let subject = named(&format!("{}/{}", graph.as_str(), kpi.id));
    let g = GraphNameRef::NamedNode(graph.as_ref());
    let mut transaction = store.start_transaction().map_err(|e| e.to_string())?;
    let old: Vec<Quad> = transaction
        .quads_for_pattern(Some(subject.as_ref().into()), None, None, Some(g))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    for quad in &old {
        transaction.remove(quad);
    }
    let mut add = |p: &str, o: Term| {
        transaction.insert(&Quad::new(subject.clone(), named(p), o, graph.clone()));
    };
    add(rdf::TYPE, named(KPI).into());
    add(dct::IDENTIFIER, literal(&kpi.id));
    add(dct::TITLE, literal(&kpi.title));
    add(dct::DESCRIPTION, literal(&kpi.description));
    add(UNIT, literal(&kpi.unit));
    add(DIRECTION, literal(&kpi.direction));
    add(QUERY, literal(&kpi.query));
    if let Some(target) = kpi.target {
        add(
            TARGET,
            Literal::new_typed_literal(target.to_string(), named(xsd::DOUBLE)).into(),
        );
    }
    transaction.commit().map_err(|e| e.to_string())
}

/// The first `?value` of a query's answer, as a number.
fn value_of(results: &serde_json::Value) -> Option<f64> {
    results["results"]["bindings"].get(0)?["value"]["value"]
        .as_str()?
        .parse()
        .ok()
}

/// Evaluates a KPI on the part of this node's data `visible` lets its caller read, through
/// the SPARQL service, so its shape limits, timeout and bound on queries in flight apply as
/// to any query from outside.
pub(crate) async fn evaluate(
    sparql: &SparqlService,
    query: &str,
    visible: &Visible,
) -> Result<Option<f64>, String> {
    let parsed = sparql.parse_query(query).await.map_err(|e| e.to_string())?;
    let store = sparql.store().clone();
    // The node's data lives in named graphs (one per dataset): a KPI covers all of them
    // the caller may read, as a member's answer to the same query covers the graphs it may
    // share.
    let graphs = match visible {
        Visible::Graphs(graphs) => {
            let mut graphs: Vec<NamedNode> = graphs.iter().cloned().collect();
            graphs.sort();
            graphs
        }
        Visible::All => tokio::task::spawn_blocking(move || {
            store
                .named_graphs()
                .filter_map(|graph| match graph {
                    Ok(NamedOrBlankNode::NamedNode(node)) => Some(Ok(node)),
                    Ok(NamedOrBlankNode::BlankNode(_)) => None,
                    Err(e) => Some(Err(e.to_string())),
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .await
        .map_err(|e| e.to_string())??,
    };
    let (table, _) = sparql
        .select_restricted(parsed, &graphs, 1, Duration::MAX)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match table.into_solutions().next() {
        Some(Ok(row)) => match row.get("value") {
            Some(Term::Literal(l)) => l.value().parse().ok(),
            _ => None,
        },
        Some(Err(e)) => return Err(e.to_string()),
        None => None,
    })
}

/// A KPI with this node's value.
#[derive(Serialize)]
pub struct KpiView {
    #[serde(flatten)]
    kpi: Kpi,
    value: Option<f64>,
    error: Option<String>,
}

/// `GET /api/console/kpis`: every KPI with its value on the node's data the caller may read.
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<KpiView>>, ApiError> {
    let visible = state.access.rights(&caller).read;
    let store = state.sparql.store().clone();
    let graph = graph(&state);
    let kpis = tokio::task::spawn_blocking(move || read(&store, &graph))
        .await?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let mut views = Vec::with_capacity(kpis.len());
    for kpi in kpis {
        let (value, error) = match evaluate(&state.sparql, &kpi.query, &visible).await {
            Ok(v) => (v, None),
            Err(e) => (None, Some(e)),
        };
        views.push(KpiView { kpi, value, error });
    }
    Ok(Json(views))
}

/// `POST /api/console/kpis` (editor): adds or replaces a KPI.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(kpi): Json<Kpi>,
) -> Result<(StatusCode, Json<Kpi>), ApiError> {
    state.access.permit(&caller, Action::Write)?;
    kpi.check().map_err(ApiError::bad_request)?;
    kpi.check_query(&state.sparql)
        .await
        .map_err(ApiError::bad_request)?;
    let store = state.sparql.store().clone();
    let graph = graph(&state);
    let stored = kpi.clone();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        if read(&store, &graph)?.len() >= MAX_KPIS
            && !read(&store, &graph)?.iter().any(|k| k.id == kpi.id)
        {
            return Err(format!("this node already keeps {MAX_KPIS} KPIs"));
        }
        write(&store, &graph, &kpi)
    })
    .await?
    .map_err(ApiError::bad_request)?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `DELETE /api/console/kpis/{id}` (editor).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.access.permit(&caller, Action::Write)?;
    let store = state.sparql.store().clone();
    let subject = named(&format!("{}/{id}", graph(&state).as_str()));
    let graph = graph(&state);
    let removed = tokio::task::spawn_blocking(move || -> Result<usize, String> {
        let quads: Vec<Quad> = store
            .quads_for_pattern(
                Some(subject.as_ref().into()),
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        for quad in &quads {
            store.remove(quad).map_err(|e| e.to_string())?;
        }
        Ok(quads.len())
    })
    .await?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    if removed == 0 {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no KPI `{id}`"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `?purpose=` of a comparison.
#[derive(Deserialize)]
pub struct ComparePurpose {
    purpose: Option<String>,
}

/// One member's answer.
#[derive(Serialize)]
pub struct MemberValue {
    member: String,
    name: String,
    value: Option<f64>,
    /// `complete`, `denied` or `failed`.
    status: String,
    reason: Option<String>,
}

/// `POST /api/console/kpis/{id}/compare?purpose=`: the KPI on every member's data, each
/// asked with this node's identity and agreements (the `researcher` role for the purpose,
/// as for federated queries).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<ComparePurpose>,
) -> Result<Json<Vec<MemberValue>>, ApiError> {
    let stated = state.federation.purpose_of(params.purpose.as_deref());
    state
        .access
        .permit(&caller, Action::UseAgreements(stated.as_deref()))?;
    let visible = state.access.rights(&caller).read;
    let store = state.sparql.store().clone();
    let graph = graph(&state);
    let kpi = tokio::task::spawn_blocking(move || read(&store, &graph))
        .await?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no KPI `{id}`")))?;
    let members = state
        .membership
        .as_ref()
        .map(|m| m.read(|m| m.document.members.clone()))
        .unwrap_or_default();
    let agreements = state.access.agreements().list().unwrap_or_default();
    let now = oxsdatatypes::DateTime::now();
    let purpose = params.purpose;
    let mut answers = Vec::new();
    for member in members {
        let mut answer = MemberValue {
            member: member.peer_id.clone(),
            name: member.organisation.clone(),
            value: None,
            status: "complete".into(),
            reason: None,
        };
        if member.peer_id == state.info.peer_id {
            match evaluate(&state.sparql, &kpi.query, &visible).await {
                Ok(v) => answer.value = v,
                Err(e) => (answer.status, answer.reason) = ("failed".into(), Some(e)),
            }
        } else if let (Some(network), Ok(peer)) = (&state.network, member.peer_id.parse()) {
            let held: Vec<String> = agreements
                .iter()
                .filter(|a| {
                    a.terms.provider == member.peer_id
                        && a.state == AgreementState::Finalized
                        && !a.expired(&now)
                        && purpose.as_deref().is_none_or(|p| p == a.terms.purpose)
                })
                .map(|a| a.terms.id.clone())
                .collect();
            match state
                .access
                .remote_query(
                    network,
                    peer,
                    Question {
                        query: kpi.query.clone(),
                        purpose: purpose.clone(),
                        agreements: held,
                        datasets: Vec::new(),
                        on_behalf_of: caller.person_label(),
                    },
                )
                .await
            {
                Ok(remote) if remote.status == "denied" => {
                    (answer.status, answer.reason) = ("denied".into(), remote.reason)
                }
                Ok(remote) => answer.value = remote.results.as_ref().and_then(value_of),
                Err(e) => (answer.status, answer.reason) = ("failed".into(), Some(e.to_string())),
            }
        } else {
            (answer.status, answer.reason) = ("failed".into(), Some("not reachable".into()));
        }
        answers.push(answer);
    }
    Ok(Json(answers))
}
