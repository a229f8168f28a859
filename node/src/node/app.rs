//! Building the HTTP application of a node — the API and the console behind the one
//! extractor that decides who is calling — without a socket: the server task serves it, and
//! in-process callers (the fuzz targets) call it directly.

use super::error::NodeError;
use super::services::Services;
use super::storage::Storage;
use crate::config::Config;
use crate::console::{self, ConsoleState};
use crate::http::{self, AppState, NodeInfo};
use crate::node_dir::NodeDir;
use crate::trust::oidc::OidcVerifier;
use crate::trust::people::People;
use crate::trust::users::UserStore;
use std::net::SocketAddr;
use std::sync::Arc;

/// The node's HTTP application.
pub fn build(
    dir: &NodeDir,
    config: &Config,
    storage: &Storage,
    services: &Services,
    http_addr: SocketAddr,
) -> Result<axum::Router, NodeError> {
    let state = app_state(dir, config, storage, services, http_addr)?;
    let console = ConsoleState::new(
        config.http.public_base(http_addr),
        config.http.map_tile_url.clone(),
    );
    let routes = http::router(state.clone()).merge(console::router(state.clone(), console.clone()));
    Ok(http::with_method_fallback(routes)
        // Who is calling is decided here, once, for every route of the API and the console.
        .layer(axum::middleware::from_fn_with_state(
            state,
            http::caller::identify_caller,
        ))
        .layer(axum::middleware::from_fn(console::count_queries))
        .layer(axum::Extension(console)))
}

/// What every handler shares.
fn app_state(
    dir: &NodeDir,
    config: &Config,
    storage: &Storage,
    services: &Services,
    http_addr: SocketAddr,
) -> Result<AppState, NodeError> {
    let people = People::new(
        storage.admin_token.clone(),
        UserStore::open(&storage.state)?,
        OidcVerifier::new(&config.oidc, dir.root())?,
    );
    Ok(AppState {
        sparql: services.sparql.clone(),
        people,
        loopback_operator: config.http.loopback_operator,
        sign_ins: Default::default(),
        info: Arc::new(NodeInfo {
            name: config.node.name.clone(),
            role: config.node.role,
            peer_id: storage.identity.peer_id().to_string(),
            did_key: storage.identity.did_key(),
            store_path: storage.store_path.clone(),
            public_base: config.http.public_base(http_addr),
        }),
        max_body_bytes: config.http.max_body_bytes,
        max_rdf_nesting: config.storage.max_rdf_nesting,
        network: services.network.clone(),
        membership: services.membership.clone(),
        audit: services.audit.clone(),
        catalog: services.catalog.clone(),
        access: services.access.clone(),
        federation: services.federation.clone(),
        ingest: services.ingest.clone(),
        ingest_max_bytes: config.ingest.max_http_bytes,
        ngsi_ld: services.ngsi_ld.clone(),
        subjects: services.subjects.clone(),
    })
}
