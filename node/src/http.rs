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
mod routes;
pub mod sign_in;
mod sparql;
pub mod users;

pub use error::ApiError;
pub use negotiate::negotiate as negotiate_format;
pub use routes::{Access, ROUTES, RouteAccess};

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
