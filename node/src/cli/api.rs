//! The running node's HTTP API as the CLI uses it: [`NodeClient`] with the admin token.

use crate::client::NodeClient;

/// The running node in `dir`'s API (its listen address and admin token).
pub struct Api;

impl Api {
    /// The client of the node in `dir`.
    pub fn for_dir(dir: &super::DirArg) -> anyhow::Result<NodeClient> {
        let dir = crate::node_dir::NodeDir::new(&dir.dir);
        let config = dir.load_config()?;
        Ok(NodeClient::new(
            super::api_url(config.http.listen),
            Some(dir.load_admin_token()?),
        ))
    }
}

/// How a command reaches a node's state: directly when the node is stopped (holding its
/// lock), through its API when it runs.
pub enum StateAccess {
    /// The node is stopped: its directory, its opened state database and the lock.
    Offline {
        /// The node directory.
        dir: crate::node_dir::NodeDir,
        /// Its state database.
        state: crate::store::state::NodeState,
        /// Held until the command ends, so no node starts meanwhile.
        lock: crate::node_dir::NodeLock,
    },
    /// The node is running.
    Running(NodeClient),
}

impl StateAccess {
    /// Opens the node in `dir` offline, or finds its API if it runs.
    pub fn of(dir: &super::DirArg) -> anyhow::Result<Self> {
        let dir = crate::node_dir::NodeDir::new(&dir.dir);
        let config = dir.load_config()?;
        match dir.lock() {
            Ok(lock) => {
                let state =
                    crate::store::state::NodeState::open(&dir.resolve(&config.storage.state))?;
                Ok(StateAccess::Offline { dir, state, lock })
            }
            Err(crate::node_dir::NodeDirError::AlreadyRunning { .. }) => {
                Ok(StateAccess::Running(NodeClient::new(
                    super::api_url(config.http.listen),
                    Some(dir.load_admin_token()?),
                )))
            }
            Err(e) => Err(e.into()),
        }
    }
}
