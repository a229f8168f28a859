//! The HTTP API: SPARQL endpoint, Graph Store Protocol and node information.
//!
//! [`router`] builds the axum [`Router`] from an [`AppState`] without binding a socket, so
//! tests can drive it directly; [`crate::node`] binds it.
//!
//! Every route, the API's and the console's, is listed in [`ROUTES`] with who may use it and
//! what it shows to whom (docs/callers.md prints it); a test fails when a route is added
//! without a row. Who is calling is decided once per request (`caller`); what the caller may
//! see or do, by the access service.

mod access;
mod audit;
pub mod caller;
mod catalog;
mod error;
mod graph_store;
mod ingest;
mod negotiate;
mod network;
mod ngsi_ld;
mod node_info;
mod ogc_features;
pub mod sign_in;
mod sparql;
pub mod users;

pub use error::ApiError;
pub use negotiate::negotiate as negotiate_format;

use crate::access::AccessService;
use crate::audit::AuditLog;
use crate::catalog::CatalogService;
use crate::config::Role;
use crate::federation::{FederationService, LocalView};
use crate::ingest::IngestService;
use crate::ngsi_ld::NgsiLdService;
use crate::p2p::NetworkClient;
use crate::store::sparql::SparqlService;
use crate::store::subject_filter::SubjectFilter;
use crate::trust::membership::CurrentMembership;
use crate::trust::people::People;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Who the node is, as reported by `/api/node`.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Display name.
    pub name: String,
    /// Role in the consortium.
    pub role: Role,
    /// libp2p PeerId.
    pub peer_id: String,
    /// `did:key` form of the node key.
    pub did_key: String,
    /// Directory of the oxigraph store (for its size on disk).
    pub store_path: std::path::PathBuf,
    /// The URL browsers reach the node under (ends in `/`).
    pub public_base: String,
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The SPARQL engine (and through it the store).
    pub sparql: SparqlService,
    /// Who may sign in: the operator's token, local users, the OIDC issuer.
    pub people: People,
    /// Whether loopback clients act as the operator (`http.loopback_operator`).
    pub loopback_operator: bool,
    /// Console sign-ins through the OIDC issuer, under way.
    pub sign_ins: sign_in::SignIns,
    /// Identity and paths of the node.
    pub info: Arc<NodeInfo>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest nesting of an RDF body (`storage.max_rdf_nesting`).
    pub max_rdf_nesting: usize,
    /// The p2p network, when the node is in a consortium.
    pub network: Option<NetworkClient>,
    /// The current consortium membership, when the node is in one.
    pub membership: Option<CurrentMembership>,
    /// The log of remote access decisions.
    pub audit: AuditLog,
    /// Datasets and catalogues.
    pub catalog: CatalogService,
    /// Agreements and remote queries.
    pub access: AccessService,
    /// Federated queries.
    pub federation: FederationService,
    /// Sensor ingest.
    pub ingest: IngestService,
    /// Largest ingest push body, in bytes.
    pub ingest_max_bytes: usize,
    /// The NGSI-LD API.
    pub ngsi_ld: NgsiLdService,
    /// Which IRIs may be stored entities: every write of the store tells it.
    pub subjects: SubjectFilter,
}

/// What `caller` may read of this node's own data, as a federated query uses it (decided by
/// the access service).
pub fn local_view(state: &AppState, caller: &crate::trust::caller::Caller) -> LocalView {
    LocalView {
        visible: state.access.rights(caller).read,
        datasets: state.access.readable_datasets(caller),
        who: caller.to_string(),
        person: caller.person_label(),
    }
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with the same answer for everyone.
    Open,
    /// Anyone; the answer holds what the caller may read (visitors: the public datasets).
    Filtered,
    /// Any signed-in person (or sensor source).
    SignedIn,
    /// A person with this role, or the operator.
    Role(&'static str),
    /// A sensor source with its own token, or a person with `ingest[:SOURCE]`.
    Source,
    /// A person with the `editor` role, or a sensor source in its own graph.
    Write,
}

/// One route (or one use of a route) and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct RouteAccess {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path as registered (`{id}` for a parameter).
    pub path: &'static str,
    /// Which use of the route the row is about, when it has several (`update`, `federated`).
    pub case: &'static str,
    /// Who may use it.
    pub access: Access,
    /// What it answers, and to whom.
    pub shows: &'static str,
}

const fn row(
    method: &'static str,
    path: &'static str,
    case: &'static str,
    access: Access,
    shows: &'static str,
) -> RouteAccess {
    RouteAccess {
        method,
        path,
        case,
        access,
        shows,
    }
}

use Access::{Filtered, Open, Role as Needs, SignedIn, Source, Write};

/// Every route of the node's HTTP API and console, with who may use it.
pub const ROUTES: &[RouteAccess] = &[
    row("GET", "/health", "", Open, "liveness and version"),
    row(
        "GET",
        "/api/node",
        "",
        Open,
        "name, role, PeerId, did:key, version, store size",
    ),
    row(
        "GET",
        "/sparql",
        "query",
        Filtered,
        "SPARQL query over the graphs the caller may read (visitors: the public datasets)",
    ),
    row(
        "POST",
        "/sparql",
        "query",
        Filtered,
        "the same, by POST or form",
    ),
    row(
        "POST",
        "/sparql",
        "update",
        Needs("editor"),
        "SPARQL Update",
    ),
    row(
        "GET",
        "/sparql",
        "federated",
        Needs("researcher"),
        "federated query across the consortium, with this node's agreements for the purpose (own datasets: those the caller may read)",
    ),
    row(
        "GET",
        "/sparql",
        "service",
        Needs("researcher"),
        "SERVICE to members or allowed endpoints, with this node's agreements",
    ),
    row(
        "GET",
        "/store",
        "",
        Filtered,
        "Graph Store: a graph the caller may read (others are 404), or all it may read",
    ),
    row("PUT", "/store", "", Needs("editor"), "replace a graph"),
    row("POST", "/store", "", Needs("editor"), "add to a graph"),
    row("DELETE", "/store", "", Needs("editor"), "delete a graph"),
    row(
        "GET",
        "/api/peers",
        "",
        SignedIn,
        "connected members with addresses and RTT",
    ),
    row(
        "POST",
        "/api/network/block",
        "",
        Needs("operator"),
        "block or unblock members (fault drills)",
    ),
    row(
        "GET",
        "/api/consortium",
        "",
        Open,
        "the signed membership document and its status",
    ),
    row(
        "POST",
        "/api/consortium",
        "",
        Needs("operator"),
        "submit a signed membership update",
    ),
    row(
        "GET",
        "/api/datasets",
        "",
        Filtered,
        "dataset definitions (non-public ones only to people who read them)",
    ),
    row(
        "POST",
        "/api/datasets",
        "",
        Needs("operator"),
        "describe a new dataset",
    ),
    row(
        "GET",
        "/api/datasets/{id}",
        "",
        Filtered,
        "one definition (a non-public one is 404 to others)",
    ),
    row(
        "PUT",
        "/api/datasets/{id}",
        "",
        Needs("operator"),
        "replace a definition",
    ),
    row(
        "DELETE",
        "/api/datasets/{id}",
        "",
        Needs("operator"),
        "remove a definition",
    ),
    row(
        "GET",
        "/api/catalog",
        "",
        Open,
        "the node's signed catalogue, as published to members",
    ),
    row(
        "GET",
        "/api/catalog/federated",
        "",
        Filtered,
        "every member's datasets (non-public ones only to people who read them)",
    ),
    row(
        "GET",
        "/api/catalog/status",
        "",
        Open,
        "catalogue versions held and recent rejections",
    ),
    row(
        "GET",
        "/api/agreements",
        "",
        Needs("researcher"),
        "this node's agreements",
    ),
    row(
        "POST",
        "/api/agreements",
        "",
        Needs("operator"),
        "negotiate an agreement with a provider",
    ),
    row(
        "GET",
        "/api/agreements/{id}",
        "",
        Needs("researcher"),
        "one agreement and its privacy budget",
    ),
    row(
        "POST",
        "/api/agreements/{id}/revoke",
        "",
        Needs("operator"),
        "revoke an agreement",
    ),
    row(
        "POST",
        "/api/remote/sparql",
        "",
        Needs("researcher"),
        "a query to one member under this node's agreements for the purpose",
    ),
    row(
        "POST",
        "/api/ingest/{source}",
        "",
        Source,
        "push sensor messages or CSV rows",
    ),
    row(
        "GET",
        "/api/ingest/status",
        "",
        Filtered,
        "per-source ingest counters of the sources whose graph the caller may read",
    ),
    row(
        "GET",
        "/api/ingest/dead-letters",
        "",
        Needs("operator"),
        "refused messages with their reasons",
    ),
    row(
        "POST",
        "/api/ingest/dead-letters/replay",
        "",
        Needs("operator"),
        "try refused messages again",
    ),
    row(
        "DELETE",
        "/api/ingest/dead-letters/{id}",
        "",
        Needs("operator"),
        "drop a refused message",
    ),
    row(
        "POST",
        "/api/ingest/retention",
        "",
        Needs("operator"),
        "run retention now",
    ),
    row(
        "GET",
        "/api/users",
        "",
        Needs("operator"),
        "local users and their roles",
    ),
    row(
        "POST",
        "/api/users",
        "",
        Needs("operator"),
        "add a user; the answer holds their token, once",
    ),
    row(
        "DELETE",
        "/api/users/{name}",
        "",
        Needs("operator"),
        "revoke a user",
    ),
    row(
        "POST",
        "/api/users/{name}/token",
        "",
        Needs("operator"),
        "issue a new token",
    ),
    row(
        "GET",
        "/api/audit",
        "",
        Needs("operator"),
        "the signed access-decision log",
    ),
    row(
        "GET",
        "/api/audit/verify",
        "",
        Needs("operator"),
        "verify the log's chain and signatures",
    ),
    row(
        "GET",
        "/auth/login",
        "",
        Open,
        "sign in through the OIDC issuer (404 without one)",
    ),
    row(
        "GET",
        "/auth/callback",
        "",
        Open,
        "the issuer's answer: hands the token to the console",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/entities",
        "",
        Filtered,
        "NGSI-LD query over the datasets the caller may read",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entities",
        "",
        Write,
        "create an entity (a sensor source: in its own graph)",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/entities/{id}",
        "",
        Filtered,
        "one entity (404 if the caller may not read it)",
    ),
    row(
        "DELETE",
        "/ngsi-ld/v1/entities/{id}",
        "",
        Write,
        "delete an entity",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entities/{id}/attrs",
        "",
        Write,
        "append attributes",
    ),
    row(
        "PATCH",
        "/ngsi-ld/v1/entities/{id}/attrs",
        "",
        Write,
        "update attributes",
    ),
    row(
        "PATCH",
        "/ngsi-ld/v1/entities/{id}/attrs/{attr}",
        "",
        Write,
        "partial attribute update",
    ),
    row(
        "DELETE",
        "/ngsi-ld/v1/entities/{id}/attrs/{attr}",
        "",
        Write,
        "delete an attribute",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entityOperations/{op}",
        "query",
        Filtered,
        "batch query",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entityOperations/{op}",
        "write",
        Write,
        "batch create, upsert, update, delete",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/types",
        "",
        Filtered,
        "entity types the caller may read",
    ),
    row("GET", "/ngsi-ld/v1/types/{name}", "", Filtered, "one type"),
    row(
        "GET",
        "/ngsi-ld/v1/attributes",
        "",
        Filtered,
        "attributes the caller may read",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/attributes/{name}",
        "",
        Filtered,
        "one attribute",
    ),
    row("GET", "/ogc", "", Open, "OGC API – Features landing page"),
    row("GET", "/ogc/", "", Open, "the same"),
    row("GET", "/ogc/conformance", "", Open, "conformance classes"),
    row(
        "GET",
        "/ogc/collections",
        "",
        Filtered,
        "one collection per entity type the caller may read",
    ),
    row(
        "GET",
        "/ogc/collections/{id}",
        "",
        Filtered,
        "one collection",
    ),
    row(
        "GET",
        "/ogc/collections/{id}/items",
        "",
        Filtered,
        "features by bbox and datetime",
    ),
    row(
        "GET",
        "/ogc/collections/{id}/items/{feature}",
        "",
        Filtered,
        "one feature",
    ),
    row(
        "GET",
        "/",
        "",
        Open,
        "console home page: the shell, the same for everyone (the page asks the APIs)",
    ),
    row("GET", "/catalogue", "", Open, "console page (shell)"),
    row("GET", "/query", "", Open, "console page (shell)"),
    row("GET", "/sensors", "", Open, "console page (shell)"),
    row("GET", "/kpis", "", Open, "console page (shell)"),
    row(
        "GET",
        "/access",
        "",
        Open,
        "console page (shell); its data needs the researcher role",
    ),
    row(
        "GET",
        "/audit",
        "",
        Open,
        "console page (shell); its data needs the operator",
    ),
    row(
        "GET",
        "/members/{peer}/datasets/{id}",
        "",
        Open,
        "console page (shell) of a member's dataset",
    ),
    row(
        "GET",
        "/console/{file}",
        "",
        Open,
        "the console's scripts and styles",
    ),
    row(
        "GET",
        "/catalog",
        "",
        Open,
        "the harvestable public DCAT-AP catalogue (non-public datasets left out)",
    ),
    row(
        "GET",
        "/dataset/{id}",
        "",
        Open,
        "a dataset's page, or its public description",
    ),
    row(
        "GET",
        "/dataset/{id}/{*part}",
        "",
        Open,
        "a part of a dataset's public description",
    ),
    row("GET", "/publisher", "", Open, "the node's agent"),
    row("GET", "/contact", "", Open, "the node's contact point"),
    row(
        "GET",
        "/sparql/description",
        "",
        Open,
        "SPARQL service description",
    ),
    row(
        "GET",
        "/resolve",
        "",
        Open,
        "a hanse:// IRI's HTTP name (303)",
    ),
    row(
        "GET",
        "/api/console/session",
        "",
        Open,
        "who the node says the caller is",
    ),
    row(
        "GET",
        "/api/console/overview",
        "",
        Filtered,
        "home page: members, key figures over what the caller may read, health",
    ),
    row(
        "GET",
        "/api/console/catalogue",
        "",
        Filtered,
        "catalogue search (non-public datasets only to people who read them)",
    ),
    row(
        "GET",
        "/api/console/datasets/{peer}/{id}",
        "",
        Filtered,
        "one dataset's page data",
    ),
    row(
        "GET",
        "/api/console/datasets/{peer}/{id}/preview",
        "",
        Filtered,
        "a preview: of this node's dataset if the caller may read it; of a member's, asked with this node's identity for researchers (others get the reason it was refused)",
    ),
    row(
        "GET",
        "/api/console/sensors",
        "",
        Filtered,
        "sensors the caller may read, with latest values",
    ),
    row(
        "GET",
        "/api/console/sensors/series",
        "",
        Filtered,
        "one series, from graphs the caller may read",
    ),
    row(
        "GET",
        "/api/console/live",
        "",
        Filtered,
        "server-sent readings from graphs the caller may read",
    ),
    row(
        "GET",
        "/api/console/kpis",
        "",
        Filtered,
        "KPIs computed over what the caller may read",
    ),
    row(
        "POST",
        "/api/console/kpis",
        "",
        Needs("editor"),
        "add or replace a KPI",
    ),
    row(
        "DELETE",
        "/api/console/kpis/{id}",
        "",
        Needs("editor"),
        "delete a KPI",
    ),
    row(
        "POST",
        "/api/console/kpis/{id}/compare",
        "",
        Needs("researcher"),
        "a KPI asked of every member with this node's identity",
    ),
];

/// Parses a PeerId named in a request, with an error that says so.
pub fn parse_peer_id(text: &str) -> Result<libp2p::PeerId, ApiError> {
    parse_peer(text)
}

/// Parses a PeerId named in a request, with an error that says so.
fn parse_peer(text: &str) -> Result<libp2p::PeerId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("`{text}` is not a PeerId")))
}

/// Answers 405 with a message (not an empty body) on every route registered so far: axum
/// sets a method fallback only on the routes a router already has, so call it again after
/// merging another router in.
pub fn with_method_fallback(app: Router) -> Router {
    app.method_not_allowed_fallback(error::method_not_allowed)
}

/// The API's routes with tracing, body-size and time limits.
pub fn router(state: AppState) -> Router {
    // Whole-request bound: evaluation has its own timeout; this one also catches slow
    // uploads and slow clients, so no request holds a connection forever.
    let request_timeout = state.sparql.limits().query_timeout() + Duration::from_secs(60);
    let max_body = state.max_body_bytes;
    let ingest_max = state.ingest_max_bytes;
    Router::new()
        .route(
            "/api/ingest/{source}",
            post(ingest::push).layer(DefaultBodyLimit::max(ingest_max)),
        )
        .route("/api/ingest/status", get(ingest::status))
        .route("/api/ingest/dead-letters", get(ingest::dead_letters))
        .route("/api/ingest/dead-letters/replay", post(ingest::replay))
        .route(
            "/api/ingest/dead-letters/{id}",
            axum::routing::delete(ingest::delete_dead_letter),
        )
        .route("/api/ingest/retention", post(ingest::retention))
        .route(
            "/sparql",
            get(sparql::query_by_get).post(sparql::query_or_update_by_post),
        )
        .route(
            "/store",
            get(graph_store::get_graph)
                .put(graph_store::put_graph)
                .post(graph_store::post_graph)
                .delete(graph_store::delete_graph),
        )
        .route("/health", get(node_info::health))
        .route("/auth/login", get(sign_in::login))
        .route("/auth/callback", get(sign_in::callback))
        .route("/api/node", get(node_info::node))
        .route("/api/peers", get(network::peers))
        .route("/api/network/block", post(network::block))
        .route("/api/datasets", get(catalog::list).post(catalog::create))
        .route(
            "/api/datasets/{id}",
            get(catalog::show)
                .put(catalog::update)
                .delete(catalog::delete),
        )
        .route("/api/catalog", get(catalog::own))
        .route("/api/catalog/federated", get(catalog::federated))
        .route("/api/catalog/status", get(catalog::status))
        .route("/api/agreements", get(access::list).post(access::request))
        .route("/api/agreements/{id}", get(access::show))
        .route("/api/agreements/{id}/revoke", post(access::revoke))
        .route("/api/remote/sparql", post(access::remote_query))
        .route("/api/users", get(users::list).post(users::add))
        .route("/api/users/{name}", axum::routing::delete(users::revoke))
        .route("/api/users/{name}/token", post(users::reissue))
        .route("/api/audit", get(audit::entries))
        .route("/api/audit/verify", get(audit::verify))
        .route(
            "/api/consortium",
            get(network::consortium).post(network::submit_membership),
        )
        .nest("/ngsi-ld/v1", ngsi_ld::routes())
        .route("/ogc", get(ogc_features::landing))
        .route("/ogc/", get(ogc_features::landing))
        .nest("/ogc", ogc_features::routes())
        .fallback(error::no_such_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(caller::request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use std::collections::BTreeSet;

    /// The quoted paths registered in `source` with `.route("…"` or `both(router, "…"`, and
    /// the console's page list, each under `prefix`.
    fn registered(source: &str, prefix: &str) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        for marker in [".route(\"", "both(router, \"", "        \""] {
            for part in source.split(marker).skip(1) {
                let Some(path) = part.split('"').next() else {
                    continue;
                };
                if path.starts_with('/') {
                    let full = format!("{prefix}{path}");
                    let full = if full.len() > 1 {
                        full.trim_end_matches('/').to_owned()
                    } else {
                        full
                    };
                    paths.insert(full);
                }
            }
        }
        paths
    }

    #[test]
    fn every_route_has_a_row_and_every_row_a_route() {
        let mut routes = registered(include_str!("http.rs"), "");
        routes.extend(registered(include_str!("console.rs"), ""));
        routes.extend(registered(include_str!("http/ngsi_ld.rs"), "/ngsi-ld/v1"));
        routes.extend(registered(include_str!("http/ogc_features.rs"), "/ogc"));
        // The table itself quotes paths too: only registrations count.
        routes.retain(|p| !p.contains(' '));
        let rows: BTreeSet<String> = ROUTES
            .iter()
            .map(|r| {
                if r.path.len() > 1 {
                    r.path.trim_end_matches('/').to_owned()
                } else {
                    r.path.to_owned()
                }
            })
            .collect();
        let missing: Vec<_> = routes.difference(&rows).collect();
        assert!(
            missing.is_empty(),
            "routes without a row in http::ROUTES (say who may use them): {missing:?}"
        );
        let stale: Vec<_> = rows.difference(&routes).collect();
        assert!(
            stale.is_empty(),
            "rows of http::ROUTES for no route: {stale:?}"
        );
    }
}
