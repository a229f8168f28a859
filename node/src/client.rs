//! The one client of a running node's HTTP API, for the CLI, the testnet and the tests: each
//! [`NodeClient`] is one caller (a visitor, or the holder of one token) of one node.

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
    /// The node answered, but not in the form asked for.
    #[error("cannot read the node's answer to {path}: {message}")]
    Unreadable {
        /// The path asked.
        path: String,
        /// What is wrong with the answer.
        message: String,
    },
}

/// A bearer credential the client sends (an admin or user token, an OIDC JWT); never
/// printed.
#[derive(Clone)]
struct Bearer(String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(***)")
    }
}

/// Client for one node's API, acting as one caller throughout: a visitor (no credentials)
/// or the holder of one bearer token.
#[derive(Debug, Clone)]
pub struct NodeClient {
    base: String,
    bearer: Option<Bearer>,
    timeout: Duration,
    follow_redirects: bool,
    http: reqwest::Client,
}

/// Bounded: a hung node must not hang the CLI, a benchmark or a test forever.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

fn http_client(timeout: Duration, follow_redirects: bool) -> reqwest::Client {
    let redirects = if follow_redirects {
        reqwest::redirect::Policy::default()
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(redirects)
        .build()
        .unwrap_or_default()
}

impl NodeClient {
    /// A client for the node at `base` (e.g. `http://127.0.0.1:7878`), optionally with the
    /// admin token for writes.
    pub fn new(base: impl Into<String>, token: Option<AdminToken>) -> Self {
        Self::with(base, token.map(|t| Bearer(t.as_str().to_owned())))
    }

    /// A client without credentials: what a visitor sees.
    pub fn visitor(base: impl Into<String>) -> Self {
        Self::with(base, None)
    }

    /// A client that presents `token` (a user token, an OIDC JWT, a source's ingest token)
    /// as `Authorization: Bearer` with every request.
    pub fn bearer(base: impl Into<String>, token: &str) -> Self {
        Self::with(base, Some(Bearer(token.trim().to_owned())))
    }

    fn with(base: impl Into<String>, bearer: Option<Bearer>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            bearer,
            timeout: DEFAULT_TIMEOUT,
            follow_redirects: true,
            http: http_client(DEFAULT_TIMEOUT, true),
        }
    }

    /// The same caller with answers bounded by `timeout` instead of ten minutes.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.http = http_client(self.timeout, self.follow_redirects);
        self
    }

    /// The same caller, but redirects come back as answers instead of being followed (to
    /// see where a sign-in sends a browser).
    pub fn without_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self.http = http_client(self.timeout, self.follow_redirects);
        self
    }

    /// The URL of `path` (which starts with `/`) on this node.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request for `method path` carrying this client's credentials, to add headers or a
    /// body to and send: for callers that need the answer's status and headers as they are.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match &self.bearer {
            Some(Bearer(token)) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET path` as a request to send (see [`NodeClient::request`]).
    pub fn get_request(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, path)
    }

    /// `POST path` as a request to send (see [`NodeClient::request`]).
    pub fn post_request(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
    }

    /// `GET path`, parsed as JSON; the node's message as the error otherwise.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        let body = self.get(path).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Unreadable {
            path: path.to_owned(),
            message: format!("not JSON: {e}"),
        })
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
        let (url, request) = self.request_with(method, path, body);
        self.finish(url, request).await
    }

    /// Like [`NodeClient::send`], but any answer is returned with its status.
    pub async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ClientError> {
        let (url, request) = self.request_with(method, path, body);
        deliver(url, request).await
    }

    fn request_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> (String, reqwest::RequestBuilder) {
        let mut request = self.request(method, path);
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        (self.url(path), request)
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
        let path = if encoded.is_empty() {
            "/sparql".to_owned()
        } else {
            format!("/sparql?{encoded}")
        };
        let request = self
            .request(reqwest::Method::POST, &path)
            .header("content-type", "application/sparql-query")
            .header("accept", accept)
            .body(query.to_owned());
        let url = self.url(&path);
        self.finish(url, request).await
    }

    /// Adds RDF to a graph through the Graph Store Protocol; returns the quads written.
    pub async fn add_rdf(
        &self,
        target: &GraphTarget,
        media_type: &str,
        body: Vec<u8>,
    ) -> Result<u64, ClientError> {
        let path = match target {
            GraphTarget::Named(iri) => {
                let encoded: String =
                    form_urlencoded::byte_serialize(iri.as_str().as_bytes()).collect();
                format!("/store?graph={encoded}")
            }
            GraphTarget::Default => "/store?default".to_owned(),
            GraphTarget::Dataset => "/store".to_owned(),
        };
        let request = self
            .request(reqwest::Method::POST, &path)
            .header("content-type", media_type)
            .body(body);
        let url = self.url(&path);
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
