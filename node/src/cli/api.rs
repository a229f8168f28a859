//! The running node's HTTP API as the CLI uses it (with the admin token).

use anyhow::{Context, bail};
use reqwest::Method;

/// A running node's API base URL and admin token.
pub struct Api {
    /// Base URL, e.g. `http://127.0.0.1:7878`.
    pub url: String,
    /// The admin token from the node directory.
    pub token: String,
}

impl Api {
    /// The API of the node in `dir` (its listen address and admin token).
    pub fn for_dir(dir: &super::DirArg) -> anyhow::Result<Api> {
        let dir = crate::node_dir::NodeDir::new(&dir.dir);
        let config = dir.load_config()?;
        Ok(Api {
            url: super::api_url(config.http.listen),
            token: dir.load_admin_token()?.as_str().to_owned(),
        })
    }

    /// `GET path`; the body on success, the node's message as the error otherwise.
    pub async fn get(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.send(Method::GET, path, None).await
    }

    /// Sends `method path` with an optional `(content type, body)`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<Vec<u8>> {
        let (status, body) = self.exchange(method, path, body).await?;
        if !status.is_success() {
            bail!("{}", String::from_utf8_lossy(&body).trim());
        }
        Ok(body)
    }

    /// Like [`Api::send`], but any answer is returned with its status.
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>)> {
        let url = format!("{}{path}", self.url);
        let mut request = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(&self.token);
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the running node at {url}"))?;
        let status = response.status();
        Ok((status, response.bytes().await?.to_vec()))
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
    Running(Api),
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
                Ok(StateAccess::Running(Api {
                    url: super::api_url(config.http.listen),
                    token: dir.load_admin_token()?.as_str().to_owned(),
                }))
            }
            Err(e) => Err(e.into()),
        }
    }
}
