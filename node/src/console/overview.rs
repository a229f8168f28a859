//! The home page: who this node is, the consortium's members (where they are, the
//! catalogue version held of each and whether it verified), the node's KPIs and health.

use super::ConsoleState;
use crate::access::{AgreementState, Visible};
use crate::http::{ApiError, AppState};
use crate::trust::caller::Caller;
use axum::extract::State;
use axum::{Extension, Json};
use hanse_vocab::sosa;
use oxigraph::model::Term;
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use serde::Serialize;
use std::collections::BTreeMap;

/// One member as the home page shows it.
#[derive(Serialize)]
pub struct MemberView {
    name: String,
    organisation: String,
    role: String,
    peer_id: String,
    did_key: Option<String>,
    /// This node.
    local: bool,
    /// Connected now over libp2p.
    connected: bool,
    /// Catalogue version held (`None`: none received yet).
    catalog_version: Option<u64>,
    /// `verified` (signature, membership, consortium and version checked on arrival),
    /// `missing` or `rejected: <reason>` (the latest rejection from that member).
    verification: String,
    datasets: usize,
    /// `[longitude, latitude]`: the centre of its datasets' extent.
    location: Option<[f64; 2]>,
    homepage: Option<String>,
}

/// The numbers of the home page.
#[derive(Serialize)]
pub struct Kpis {
    datasets: usize,
    observations_today: u64,
    sources: usize,
    sources_healthy: usize,
    agreements_active: usize,
    queries_served: u64,
}

/// What `/api/console/overview` answers.
#[derive(Serialize)]
pub struct Overview {
    name: String,
    organisation: String,
    role: String,
    peer_id: String,
    did_key: String,
    version: &'static str,
    consortium: Option<String>,
    members: Vec<MemberView>,
    kpis: Kpis,
    health: BTreeMap<&'static str, serde_json::Value>,
    tile_url: Option<String>,
    operator: bool,
}

/// Observations in `graph` (`*`: every graph) whose `sosa:resultTime` is today (UTC).
fn observations_today(store: &oxigraph::store::Store, graph: &str) -> u64 {
    let today = oxsdatatypes::DateTime::now().to_string();
    let day = today.get(..10).unwrap_or("");
    let graph = if graph == "*" {
        "?g".to_owned()
    } else {
        format!("<{graph}>")
    };
    let query = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?o <{}> ?t }} FILTER(STRSTARTS(STR(?t), \"{day}\")) }}",
        sosa::RESULT_TIME
    );
    let Ok(QueryResults::Solutions(mut rows)) = SparqlEvaluator::new()
        .parse_query(&query)
        .map_err(|e| e.to_string())
        .and_then(|q| q.on_store(store).execute().map_err(|e| e.to_string()))
    else {
        return 0;
    };
    match rows.next() {
        Some(Ok(row)) => match row.get("n") {
            Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    }
}

/// `GET /api/console/overview`
#[tracing::instrument(skip_all)]
pub async fn overview(
    State(state): State<AppState>,
    Extension(console): Extension<ConsoleState>,
    caller: Caller,
) -> Result<Json<Overview>, ApiError> {
    let operator = caller.operates();
    let visible = state.access.rights(&caller).read;
    let me = state.info.peer_id.clone();
    let connected: Vec<String> = match &state.network {
        Some(network) => network
            .peers()
            .await
            .map(|peers| peers.into_iter().map(|p| p.peer_id).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let federated = state.catalog.federated();
    let datasets = federated.datasets(&Default::default());
    let rejections = federated.rejections();
    let versions: BTreeMap<String, u64> = federated
        .versions()
        .into_iter()
        .map(|(p, v)| (p.to_string(), v))
        .collect();
    let members_doc = state
        .membership
        .as_ref()
        .map(|m| m.read(|m| (m.document.consortium_id.clone(), m.document.members.clone())));
    let mut members = Vec::new();
    let (consortium, listed) = match members_doc {
        Some((id, list)) => (Some(id), list),
        None => (None, Vec::new()),
    };
    for member in listed {
        let own: Vec<_> = datasets
            .iter()
            .filter(|d| d.publisher == member.peer_id)
            .collect();
        let mut extent: Option<(f64, f64, f64, f64)> = None;
        for b in own.iter().filter_map(|d| d.bbox) {
            extent = Some(match extent {
                None => (b.min_lon, b.min_lat, b.max_lon, b.max_lat),
                Some((a, c, e, f)) => (
                    a.min(b.min_lon),
                    c.min(b.min_lat),
                    e.max(b.max_lon),
                    f.max(b.max_lat),
                ),
            });
        }
        let version = versions.get(&member.peer_id).copied();
        let rejected = rejections
            .iter()
            .rev()
            .find(|r| r.from.as_deref() == Some(member.peer_id.as_str()) && !r.stale);
        let verification = match (version, rejected) {
            (_, Some(r)) => format!("rejected: {}", r.reason),
            (Some(_), None) => "verified".to_owned(),
            (None, None) => "missing".to_owned(),
        };
        members.push(MemberView {
            local: member.peer_id == me,
            connected: member.peer_id == me || connected.contains(&member.peer_id),
            did_key: member
                .peer_id
                .parse()
                .ok()
                .and_then(|p| crate::trust::identity::did_key_of(&p)),
            catalog_version: version,
            verification,
            datasets: own.len(),
            location: extent.map(|(a, b, c, d)| [(a + c) / 2.0, (b + d) / 2.0]),
            homepage: own.iter().find_map(|d| d.homepage.clone()),
            name: member.name,
            organisation: member.organisation,
            role: member.role.to_string(),
            peer_id: member.peer_id,
        });
    }
    let today = observations_visible_today(&state, &console, visible).await?;
    let sources = state.ingest.status();
    let now = oxsdatatypes::DateTime::now();
    let agreements_active = state
        .access
        .agreements()
        .list()
        .unwrap_or_default()
        .iter()
        .filter(|a| a.state == AgreementState::Finalized && !a.expired(&now))
        .count();
    let own = state.catalog.own();
    let mut health = BTreeMap::new();
    health.insert("status", serde_json::json!("ok"));
    health.insert("uptime_secs", serde_json::json!(console.uptime_secs()));
    health.insert(
        "catalog_version",
        serde_json::json!(own.as_ref().map(|o| o.version)),
    );
    health.insert("peers_connected", serde_json::json!(connected.len()));
    // Copies of versions already held are not refusals of anything.
    let refused = rejections.iter().filter(|r| !r.stale).count();
    health.insert("catalog_rejections", serde_json::json!(refused));
    health.insert(
        "dead_letters_waiting",
        serde_json::json!(sources.iter().map(|s| s.dead_letters_waiting).sum::<u64>()),
    );
    Ok(Json(Overview {
        name: state.info.name.clone(),
        organisation: state.catalog.organisation().to_owned(),
        role: state.info.role.to_string(),
        peer_id: me,
        did_key: state.info.did_key.clone(),
        version: env!("CARGO_PKG_VERSION"),
        consortium,
        members,
        kpis: Kpis {
            datasets: state
                .catalog
                .datasets()
                .list()
                .map(|l| {
                    l.iter()
                        .filter(|d| state.access.sees_definition(&caller, d))
                        .count()
                })
                .unwrap_or(0),
            observations_today: today,
            sources: sources.len(),
            sources_healthy: sources.iter().filter(|s| s.is_healthy()).count(),
            agreements_active,
            queries_served: console.queries_served() + state.access.queries_answered(),
        },
        health,
        tile_url: console.tile_url().map(str::to_owned),
        operator,
    }))
}

/// Today's observations in the graphs the caller may read, each graph's count reused for
/// 30 s.
async fn observations_visible_today(
    state: &AppState,
    console: &ConsoleState,
    visible: Visible,
) -> Result<u64, ApiError> {
    let graphs: Vec<String> = match visible {
        Visible::All => vec!["*".to_owned()],
        Visible::Graphs(graphs) => graphs.into_iter().map(|g| g.into_string()).collect(),
    };
    let mut total = 0;
    for graph in graphs {
        total += match console.cached_today(&graph) {
            Some(count) => count,
            None => {
                let store = state.sparql.store().clone();
                let key = graph.clone();
                let count =
                    tokio::task::spawn_blocking(move || observations_today(&store, &key)).await?;
                console.remember_today(&graph, count);
                count
            }
        };
    }
    Ok(total)
}
