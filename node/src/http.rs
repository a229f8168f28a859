//! The HTTP API: SPARQL endpoint, Graph Store Protocol and node information.
//!
//! [`router`] builds the axum [`Router`] from an [`AppState`] without binding a socket, so
//! tests can drive it directly; [`crate::node`] binds it.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /sparql` | SPARQL 1.1 Protocol: query (anyone on the API), update (admin token); `federated=true` asks the whole consortium, `SERVICE <hanse://<PeerId>/sparql>` one member |
//! | `GET/PUT/POST/DELETE /store` | Graph Store HTTP Protocol, `?graph=IRI` or `?default`; writes need the admin token |
//! | `GET /health` | liveness and version |
//! | `GET /api/node` | name, role, PeerId, did:key, version, store size |
//! | `POST /api/network/block` | block or unblock members at the connection gate (fault drills; admin token) |
//! | `GET /api/peers` | connected consortium members with addresses and RTT |
//! | `GET/POST /api/consortium` | the membership document and its status; submit an update (admin token) |
//! | `GET/POST /api/datasets`, `GET/PUT/DELETE /api/datasets/{id}` | dataset definitions; writes need the admin token |
//! | `GET /api/catalog` | the node's catalogue (Turtle, JSON-LD, N-Triples; N-Quads = signed form) |
//! | `GET /api/catalog/federated` | every member's datasets, with filters |
//! | `GET /api/catalog/status` | catalogue versions held and recent rejections |
//! | `GET/POST /api/agreements`, `GET /api/agreements/{id}`, `POST …/{id}/revoke` | agreements (admin token) |
//! | `POST /api/remote/sparql` | a query to one member under this node's agreements (admin token) |
//! | `POST /api/ingest/{source}` | push sensor messages or CSV rows (the source's token) |
//! | `GET /api/ingest/status` | per-source ingest counters |
//! | `GET /api/ingest/dead-letters`, `POST …/replay`, `DELETE …/{id}` | refused messages (admin token) |
//! | `POST /api/ingest/retention` | run retention now (admin token) |
//! | `GET /api/audit`, `/api/audit/verify` | the signed access-decision log and its verification (admin token) |
//! | `GET /ogc/…` | OGC API – Features Part 1 Core: collections per entity type, items by bbox and datetime |
//! | `/ngsi-ld/v1/…` | the NGSI-LD API: entities, batch operations, queries, geo, discovery (see docs/ngsi-ld.md) |

mod access;
mod audit;
mod auth;
mod catalog;
mod error;
mod graph_store;
mod ingest;
mod negotiate;
mod network;
mod ngsi_ld;
mod node_info;
mod ogc_features;
mod sparql;

pub use auth::{bearer_token, require_admin, require_admin_unless_local};
pub use error::ApiError;
pub use negotiate::negotiate as negotiate_format;

use crate::access::AccessService;
use crate::audit::AuditLog;
use crate::catalog::CatalogService;
use crate::config::Role;
use crate::federation::FederationService;
use crate::ingest::IngestService;
use crate::ngsi_ld::NgsiLdService;
use crate::p2p::NetworkClient;
use crate::store::sparql::SparqlService;
use crate::store::subject_filter::SubjectFilter;
use crate::trust::admin_token::AdminToken;
use crate::trust::membership::CurrentMembership;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
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
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The SPARQL engine (and through it the store).
    pub sparql: SparqlService,
    /// Token required by write endpoints.
    pub admin_token: AdminToken,
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
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
