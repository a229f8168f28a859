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
        let body = response.bytes().await?.to_vec();
        if !status.is_success() {
            bail!("{}", String::from_utf8_lossy(&body).trim());
        }
        Ok(body)
    }
}
