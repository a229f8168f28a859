//! The client of a running node's HTTP API: the CLI's way to a serving node, and the
//! client the testnet and the tests use where they act as one caller.

use crate::store::graph_store::GraphTarget;
use crate::trust::admin_token::AdminToken;
use std::time::Duration;

/// Errors talking to a node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The node could not be reached.
    #[error("cannot reach the node at {url} (is it running? `hanse serve`): {source}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The node answered with an error status; the message is the node's.
    #[error("the node answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// The node's explanation.
        message: String,
    },
    /// The client could not be built (a token that cannot go in a header, a TLS backend
    /// that fails to start).
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// An HTTP client that sends `Authorization: Bearer <token>` with every request (a request
/// that sets its own `Authorization` keeps it): for scripts, benchmarks and tests that act
/// as one caller throughout.
pub fn bearer_client(token: &str) -> Result<reqwest::Client, ClientError> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| ClientError::Build(format!("the token cannot be sent: {e}")))?;
    value.set_sensitive(true);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(|e| ClientError::Build(e.to_string()))
}

/// Client for one node's API.
#[derive(Debug, Clone)]
pub struct NodeClient {
    base: String,
    token: Option<AdminToken>,
    http: reqwest::Client,
}

impl NodeClient {
    /// A client for the node at `base` (e.g. `http://127.0.0.1:7878`), optionally with the
    /// admin token for writes.
    pub fn new(base: impl Into<String>, token: Option<AdminToken>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            token,
            // Bounded: a hung node must not hang the CLI forever.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(600))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The node's base URL, e.g. `http://127.0.0.1:7878`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET path`: the body on success, the node's message as the error otherwise.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Sends `method path` with an optional `(content type, body)`: the body on success, the
    /// node's message as the error otherwise.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Vec<u8>, ClientError> {
        let (url, request) = self.request(method, path, body);
        self.finish(url, request).await
    }

    /// Like [`NodeClient::send`], but any answer is returned with its status.
    pub async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ClientError> {
        let (url, request) = self.request(method, path, body);
        deliver(url, request).await
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> (String, reqwest::RequestBuilder) {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.as_str());
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        (url, request)
    }

    /// Sends a SPARQL query and returns the body in the `accept`ed format.
    pub async fn query(&self, query: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        self.query_with(query, accept, &[]).await
    }

    /// Sends a query with extra `/sparql` parameters (e.g. `federated=true`), with the admin
    /// token if the client has one (a node exposed beyond localhost asks for it).
    pub async fn query_with(
        &self,
        query: &str,
        accept: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<u8>, ClientError> {
        let encoded: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let url = if encoded.is_empty() {
            format!("{}/sparql", self.base)
        } else {
            format!("{}/sparql?{encoded}", self.base)
        };
        let request = self
            .http
            .post(&url)
            .header("content-type", "application/sparql-query")
            .header("accept", accept)
            .body(query.to_owned());
        let request = match &self.token {
            Some(token) => request.bearer_auth(token.as_str()),
            None => request,
        };
        self.finish(url, request).await
    }

    /// Adds RDF to a graph through the Graph Store Protocol; returns the quads written.
    pub async fn add_rdf(
        &self,
        target: &GraphTarget,
        media_type: &str,
        body: Vec<u8>,
    ) -> Result<u64, ClientError> {
        let url = match target {
            GraphTarget::Named(iri) => {
                let encoded: String =
                    form_urlencoded::byte_serialize(iri.as_str().as_bytes()).collect();
                format!("{}/store?graph={encoded}", self.base)
            }
            GraphTarget::Default => format!("{}/store?default", self.base),
            GraphTarget::Dataset => format!("{}/store", self.base),
        };
        let mut request = self
            .http
            .post(&url)
            .header("content-type", media_type)
            .body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.as_str());
        }
        let answer = self.finish(url, request).await?;
        let quads = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v.get("quads").and_then(serde_json::Value::as_u64))
            .unwrap_or(0);
        Ok(quads)
    }

    async fn finish(
        &self,
        url: String,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ClientError> {
        let (status, body) = deliver(url, request).await?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(ClientError::Status {
                status,
                message: String::from_utf8_lossy(&body).trim().to_owned(),
            })
        }
    }
}

/// Sends `request` to `url` and reads the whole answer, whatever its status.
async fn deliver(
    url: String,
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Vec<u8>), ClientError> {
    let response = request
        .send()
        .await
        .map_err(|source| ClientError::Unreachable {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|source| ClientError::Unreachable { url, source })?;
    Ok((status, body.to_vec()))
}
