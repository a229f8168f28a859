//! One dataset for its page: the summary from the federated catalogue, the signature that
//! was checked, the usage policy in plain words (from `hanse-policy`) beside its ODRL, and
//! a preview — the first triples, a series for observations, points for geo data — asked
//! through the same paths any query takes: this node's store for its own data (what the
//! caller may read), the provider's enforcement over libp2p for a member's (with the
//! `researcher` role, as for federated queries).

use super::search::{Usability, usability};
use crate::access::{Action, AgreementState, Question};
use crate::catalog::{FederatedDataset, signing};
use crate::http::{ApiError, AppState, local_view};
use crate::store::sparql::SparqlService;
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hanse_vocab::{geo, sosa};
use oxigraph::model::{NamedNode, Term};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Rows of the preview table.
const PREVIEW_ROWS: usize = 20;
/// Points of the preview chart and map.
const PREVIEW_POINTS: usize = 200;

/// The policy, in words and as ODRL.
#[derive(Serialize)]
pub struct PolicyView {
    sentences: Vec<String>,
    has_unknown_terms: bool,
    turtle: String,
}

/// The signature check.
#[derive(Serialize)]
pub struct SignatureView {
    publisher: String,
    signer_did_key: Option<String>,
    catalog_version: u64,
    previous_hash: Option<String>,
    signed_at: String,
    cryptosuite: &'static str,
    verified_by: String,
}

/// What `/api/console/datasets/{peer}/{id}` answers.
#[derive(Serialize)]
pub struct DatasetDetail {
    #[serde(flatten)]
    dataset: FederatedDataset,
    own: bool,
    usable: Usability,
    policy: Option<PolicyView>,
    signature: Option<SignatureView>,
    /// The agreement this node holds for it, if any (operators only).
    agreement: Option<String>,
}

fn find(state: &AppState, peer: &str, id: &str) -> Result<FederatedDataset, ApiError> {
    state
        .catalog
        .federated()
        .datasets(&Default::default())
        .into_iter()
        .find(|d| d.publisher == peer && d.identifier == id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no dataset `{id}` of member {peer} in the federated catalogue"),
            )
        })
}

/// `?purpose=`: the DPV purpose "may you use it" is answered for.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PurposeParam {
    /// A DPV purpose IRI.
    pub purpose: Option<String>,
}

/// `GET /api/console/datasets/{peer}/{id}[?purpose=]`
#[tracing::instrument(skip_all, fields(%peer, %id))]
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path((peer, id)): Path<(String, String)>,
    axum::extract::Query(asked): axum::extract::Query<PurposeParam>,
) -> Result<Json<DatasetDetail>, ApiError> {
    let dataset = find(&state, &peer, &id)?;
    if !state.access.sees_entry(&caller, &dataset) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("dataset `{id}` is not public"),
        ));
    }
    let publisher = crate::http::parse_peer_id(&peer)?;
    let parsed = state
        .catalog
        .federated()
        .signed_nquads(&publisher)
        .and_then(|nquads| signing::parse(nquads.as_bytes(), usize::MAX).ok());
    let signature = parsed.as_ref().map(|p| SignatureView {
        publisher: peer.clone(),
        signer_did_key: crate::trust::identity::did_key_of(&publisher),
        catalog_version: p.catalog.version,
        previous_hash: p.catalog.previous_hash.clone(),
        signed_at: p.catalog.created.clone(),
        cryptosuite: "eddsa-rdfc-2022 (RDFC-1.0 + Ed25519)",
        verified_by: format!("{} ({}), on arrival", state.info.name, state.info.peer_id),
    });
    let policy = parsed.and_then(|p| {
        let uid = dataset.policy.as_deref()?;
        let policy = hanse_policy::from_graph(&p.catalog.document)
            .into_iter()
            .find(|policy| policy.uid == uid)?;
        let words = hanse_policy::plain_words(&policy, Some(&dataset.iri));
        Some(PolicyView {
            sentences: words.sentences,
            has_unknown_terms: words.has_unknown_terms,
            turtle: hanse_policy::to_turtle(&policy),
        })
    });
    let me = state.info.peer_id.clone();
    let agreement = if state.access.permit(&caller, Action::SeeAgreements).is_ok() {
        held_agreement(&state, &dataset)
    } else {
        None
    };
    // For the purpose the page asks about (the catalogue's), else with an agreement for the
    // agreement's purpose.
    let purpose = asked.purpose.or_else(|| {
        agreement.as_ref().and_then(|id| {
            state
                .access
                .agreements()
                .get(id)
                .ok()
                .map(|a| a.terms.purpose)
        })
    });
    let federation = state.federation.clone();
    let local = local_view(&state, &caller);
    let sources =
        tokio::task::spawn_blocking(move || federation.sources(purpose.as_deref(), &local)).await?;
    Ok(Json(DatasetDetail {
        own: dataset.publisher == me,
        usable: usability(&dataset, &me, &sources),
        policy,
        signature,
        agreement,
        dataset,
    }))
}

fn held_agreement(state: &AppState, dataset: &FederatedDataset) -> Option<String> {
    let now = oxsdatatypes::DateTime::now();
    state
        .access
        .agreements()
        .list()
        .ok()?
        .into_iter()
        .find(|a| {
            a.terms.provider == dataset.publisher
                && a.terms.consumer == state.info.peer_id
                && a.terms.dataset == dataset.identifier
                && a.state == AgreementState::Finalized
                && !a.expired(&now)
        })
        .map(|a| a.terms.id)
}

/// A term as SPARQL JSON results write it.
fn term_json(term: &Term) -> Value {
    match term {
        Term::NamedNode(n) => json!({"type": "uri", "value": n.as_str()}),
        Term::BlankNode(b) => json!({"type": "bnode", "value": b.as_str()}),
        Term::Literal(l) => match l.language() {
            Some(lang) => json!({"type": "literal", "value": l.value(), "xml:lang": lang}),
            None => {
                json!({"type": "literal", "value": l.value(), "datatype": l.datatype().as_str()})
            }
        },
        #[allow(unreachable_patterns)]
        _ => json!({"type": "literal", "value": term.to_string()}),
    }
}

/// Runs a preview's SELECT over the dataset's `graphs` in this node's store, through the
/// SPARQL service (its limits, timeout and bound on queries in flight), as SPARQL JSON.
async fn local_select(
    sparql: &SparqlService,
    graphs: &[NamedNode],
    query: &str,
) -> Result<Value, String> {
    let parsed = sparql.parse_query(query).await.map_err(|e| e.to_string())?;
    let (table, _) = sparql
        .select_restricted(parsed, graphs, PREVIEW_POINTS, Duration::MAX)
        .await
        .map_err(|e| e.to_string())?;
    let solutions = table.into_solutions();
    let vars: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let mut bindings = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(|e| e.to_string())?;
        let mut row = serde_json::Map::new();
        for (variable, term) in solution.iter() {
            row.insert(variable.as_str().to_owned(), term_json(term));
        }
        bindings.push(Value::Object(row));
    }
    Ok(json!({"head": {"vars": vars}, "results": {"bindings": bindings}}))
}

/// The preview's three queries over the dataset's graphs.
fn preview_queries(graphs: &[String]) -> [(&'static str, String); 3] {
    let values: String = graphs.iter().map(|g| format!("<{g}> ")).collect();
    let scope = |body: &str| format!("GRAPH ?g {{ {body} }} VALUES ?g {{ {values} }}");
    [
        (
            "rows",
            format!(
                "SELECT ?subject ?predicate ?object WHERE {{ {} }} LIMIT {PREVIEW_ROWS}",
                scope("?subject ?predicate ?object")
            ),
        ),
        (
            "series",
            format!(
                "SELECT ?property ?time ?value WHERE {{ {} FILTER(isNumeric(?value)) }} ORDER BY DESC(?time) LIMIT {PREVIEW_POINTS}",
                scope(&format!(
                    "?o <{}> ?property ; <{}> ?value ; <{}> ?time",
                    sosa::OBSERVED_PROPERTY,
                    sosa::HAS_SIMPLE_RESULT,
                    sosa::RESULT_TIME
                ))
            ),
        ),
        (
            "points",
            format!(
                "SELECT ?feature ?wkt WHERE {{ {} }} LIMIT {PREVIEW_POINTS}",
                scope(&format!(
                    "?feature <{}> ?geometry . ?geometry <{}> ?wkt",
                    geo::HAS_GEOMETRY,
                    geo::AS_WKT
                ))
            ),
        ),
    ]
}

/// `GET /api/console/datasets/{peer}/{id}/preview`: the first triples, a series of
/// observations and geometries, each as SPARQL JSON results, or the reason it was refused.
#[tracing::instrument(skip_all, fields(%peer, %id))]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path((peer, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let dataset = find(&state, &peer, &id)?;
    if !state.access.sees_entry(&caller, &dataset) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("dataset `{id}` is not public"),
        ));
    }
    let mut answer = serde_json::Map::new();
    if dataset.publisher == state.info.peer_id {
        if !state
            .access
            .readable_datasets(&caller)
            .contains(&dataset.identifier)
        {
            return Ok(Json(
                json!({"refused": format!("{caller} may not read this dataset of this node: sign in with a role that reads it")}),
            ));
        }
        let graphs: Vec<NamedNode> = dataset
            .graphs
            .iter()
            .filter_map(|g| NamedNode::new(g).ok())
            .collect();
        for (name, query) in preview_queries(&dataset.graphs) {
            let result = local_select(&state.sparql, &graphs, &query).await;
            answer.insert(
                name.to_owned(),
                result.unwrap_or_else(|e| json!({"error": e})),
            );
        }
        return Ok(Json(Value::Object(answer)));
    }
    let agreements: Vec<String> = held_agreement(&state, &dataset).into_iter().collect();
    let purpose = state
        .access
        .agreements()
        .list()
        .ok()
        .and_then(|list| list.into_iter().find(|a| agreements.contains(&a.terms.id)))
        .map(|a| a.terms.purpose);
    // As for federated queries: asking a member acts with this node's identity.
    let stated = state.federation.purpose_of(purpose.as_deref());
    if let Err(denial) = state
        .access
        .permit(&caller, Action::UseAgreements(stated.as_deref()))
    {
        return Ok(Json(json!({"refused": format!(
            "a preview asks the publisher with this node's identity: {denial}"
        )})));
    }
    let network = state
        .network
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "this node is not in a consortium"))?;
    let publisher = crate::http::parse_peer_id(&peer)?;
    for (name, query) in preview_queries(&dataset.graphs) {
        let result = state
            .access
            .remote_query(
                network,
                publisher,
                Question {
                    query,
                    purpose: purpose.clone(),
                    agreements: agreements.clone(),
                    datasets: vec![dataset.identifier.clone()],
                    on_behalf_of: caller.person_label(),
                },
            )
            .await;
        let value = match result {
            Ok(answer) if answer.status == "denied" => json!({"error": answer.reason}),
            Ok(answer) => answer.results.unwrap_or(Value::Null),
            Err(e) => json!({"error": e.to_string()}),
        };
        answer.insert(name.to_owned(), value);
    }
    Ok(Json(Value::Object(answer)))
}
