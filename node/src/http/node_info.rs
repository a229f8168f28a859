//! `/health` and `/api/node`.

use super::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use serde::Serialize;

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Liveness and version.
#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

/// `GET /health`
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: VERSION,
    })
}

/// What `/api/node` reports.
#[derive(Debug, Serialize)]
pub struct NodeReport {
    name: String,
    role: String,
    peer_id: String,
    did_key: String,
    version: &'static str,
    store: StoreSize,
}

/// Size of the store.
#[derive(Debug, Serialize)]
pub struct StoreSize {
    quads: usize,
    named_graphs: usize,
    disk_bytes: u64,
}

/// `GET /api/node`
#[tracing::instrument(skip_all)]
pub async fn node(State(state): State<AppState>) -> Result<Json<NodeReport>, ApiError> {
    let store = state.sparql.store().clone();
    let path = state.info.store_path.clone();
    // Counting walks the index; it runs on a blocking thread like every store read.
    let size = tokio::task::spawn_blocking(move || {
        let quads = store.len()?;
        let named_graphs = store.named_graphs().count();
        Ok::<_, oxigraph::store::StorageError>(StoreSize {
            quads,
            named_graphs,
            disk_bytes: dir_size(&path),
        })
    })
    .await?
    .map_err(|e| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let info = &state.info;
    Ok(Json(NodeReport {
        name: info.name.clone(),
        role: info.role.to_string(),
        peer_id: info.peer_id.clone(),
        did_key: info.did_key.clone(),
        version: VERSION,
        store: size,
    }))
}

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(m) if m.is_dir() => dir_size(&entry.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
