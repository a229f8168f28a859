//! The first step of starting a node: its directory locked, its keys read, the RDF store and
//! the state database opened (off the async runtime: opening RocksDB and sled blocks).

use super::error::NodeError;
use crate::config::Config;
use crate::node_dir::{NodeDir, NodeLock};
use crate::store::observation_index::ObservationIndex;
use crate::store::state::NodeState;
use crate::trust::admin_token::AdminToken;
use crate::trust::identity::NodeIdentity;
use oxigraph::store::Store;
use std::path::PathBuf;

/// What a node holds on disk, opened.
pub struct Storage {
    /// Held for the node's life: a second process cannot open the directory.
    pub lock: NodeLock,
    /// The node's key pair.
    pub identity: NodeIdentity,
    /// The operator's token.
    pub admin_token: AdminToken,
    /// The RDF store.
    pub store: Store,
    /// Where the RDF store lives.
    pub store_path: PathBuf,
    /// The sled state database.
    pub state: NodeState,
    /// The store's observations in time order (kept in `state`).
    pub observations: ObservationIndex,
}

impl Storage {
    /// Locks `dir` and opens what it holds.
    pub async fn open(dir: &NodeDir, config: &Config) -> Result<Self, NodeError> {
        let lock = dir.lock()?;
        let identity = dir.load_identity()?;
        let admin_token = dir.load_admin_token()?;
        let store_path = dir.resolve(&config.storage.store);
        let state_path = dir.resolve(&config.storage.state);
        let store = {
            let (dir, config) = (dir.clone(), config.clone());
            tokio::task::spawn_blocking(move || dir.open_store(&config))
                .await
                .map_err(|e| NodeError::Server(e.to_string()))??
        };
        let state = tokio::task::spawn_blocking(move || NodeState::open(&state_path))
            .await
            .map_err(|e| NodeError::Server(e.to_string()))??;
        let observations = {
            let (state, store) = (state.clone(), store.clone());
            tokio::task::spawn_blocking(move || ObservationIndex::open(&state, store))
                .await
                .map_err(|e| NodeError::Server(e.to_string()))??
        };
        Ok(Storage {
            lock,
            identity,
            admin_token,
            store,
            store_path,
            state,
            observations,
        })
    }
}
