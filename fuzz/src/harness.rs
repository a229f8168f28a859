//! The harness most targets share: the six-member demo consortium, started once per fuzzing
//! process, whose nodes are called in process (the HTTP router without a socket, the p2p
//! request handlers without a transport), so each input runs the node's own code path from
//! the first byte it parses to the answer.
//!
//! Every target checks the same promise: no input panics or aborts the node, and no input
//! is answered with a 500 (a server fault) — bad input gets a 4xx that names the problem.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hanse_node::NodeHandle;
use hanse_node::demo::consortium::{DemoConsortium, start};
use hanse_node::p2p::{Request as PeerRequest, Response as PeerResponse};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;
use tower::ServiceExt;

pub use hanse_node::demo::members::{DEMO_PURPOSE, UNIVERSITY, WATER};

/// Largest answer body a target reads back.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The running demo and the runtime it lives on.
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    demo: DemoConsortium,
    tokens: Vec<String>,
    /// The university's agreement with the water utility (aggregation-only access).
    pub agreement: String,
    _root: tempfile::TempDir,
}

/// The harness of this process, started on first use.
pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| match Harness::start() {
        Ok(harness) => harness,
        // Not an input's fault: the fuzzer cannot run at all.
        Err(e) => {
            eprintln!("cannot start the demo consortium for fuzzing: {e:#}");
            std::process::exit(2);
        }
    })
}

/// What a node answered over HTTP.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body, as far as read.
    pub body: Vec<u8>,
}

impl Harness {
    fn start() -> Result<Harness, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let root = tempfile::tempdir()?;
        let demo = runtime.block_on(start(root.path(), SocketAddr::from(([127, 0, 0, 1], 0))))?;
        // Live sensors would change the data under the fuzzer; its inputs alone should.
        demo.sensors.cancel();
        let tokens = demo
            .dirs
            .iter()
            .map(|dir| dir.load_admin_token().map(|t| t.as_str().to_owned()))
            .collect::<Result<_, _>>()?;
        Ok(Harness {
            runtime,
            agreement: demo.agreement.clone(),
            demo,
            tokens,
            _root: root,
        })
    }

    /// Node `index` of the demo ([`hanse_node::demo::members::MEMBERS`] order).
    pub fn node(&self, index: usize) -> &NodeHandle {
        &self.demo.nodes[index % self.demo.nodes.len()]
    }

    /// Runs `future` on the harness's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Sends `request` to node `index`'s HTTP API as a loopback client, with the node's
    /// admin token when `admin` is set, and checks the answer is not a server fault.
    pub fn http(&self, index: usize, mut request: Request<Body>, admin: bool) -> Answer {
        let node = self.node(index);
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        if admin && let Ok(value) = format!("Bearer {}", self.tokens[index % 6]).parse() {
            request.headers_mut().insert("authorization", value);
        }
        let what = format!("{} {}", request.method(), request.uri());
        let answer = self.block_on(async {
            let response = match node.router().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Answer { status, body }
        });
        assert_no_server_fault(&what, &answer);
        answer
    }

    /// Hands `request` to node `provider`'s p2p request handlers as if member `from` sent it.
    pub fn peer_request(&self, provider: usize, from: usize, request: PeerRequest) -> PeerResponse {
        let node = self.node(provider);
        let peer = match self.demo.dirs[from % 6].load_identity() {
            Ok(identity) => identity.peer_id(),
            Err(e) => panic!("the demo's key vanished: {e}"),
        };
        let Some(network) = node.network() else {
            panic!("demo node {provider} has no network");
        };
        self.block_on(async {
            let answered = async {
                match node.catalog().answer(&request) {
                    Some(response) => response,
                    None => match node.access().answer(network, peer, request).await {
                        Some(response) => response,
                        None => PeerResponse::Error("not served".into()),
                    },
                }
            };
            // The node bounds evaluation by its query timeout; anything far beyond is a hang.
            match tokio::time::timeout(Duration::from_secs(120), answered).await {
                Ok(response) => response,
                Err(_) => panic!("a peer request was not answered within 120 s"),
            }
        })
    }

    /// Hands `data` to node `index`'s catalogue service as a catalogue announcement gossiped
    /// by member `from`.
    pub fn catalog_gossip(&self, index: usize, from: usize, data: &[u8]) {
        let node = self.node(index);
        let Ok(identity) = self.demo.dirs[from % 6].load_identity() else {
            panic!("the demo's key vanished");
        };
        let Some(network) = node.network() else {
            panic!("demo node {index} has no network");
        };
        self.block_on(
            node.catalog()
                .on_announcement(network, identity.peer_id(), data),
        );
    }
}

/// A 500 means the node failed on input it should have refused with a 4xx naming the
/// problem; 503 (busy) and 408/504 (time limits) are the node protecting itself.
fn assert_no_server_fault(what: &str, answer: &Answer) {
    if answer.status == StatusCode::INTERNAL_SERVER_ERROR {
        panic!(
            "{what} answered 500: {}",
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(2000)])
        );
    }
}

/// Percent-encodes `text` for a query string.
pub fn query_param(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A POST with `content_type` and `body` to `uri`.
pub fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap_or_else(|e| panic!("the harness built a bad request to {uri}: {e}"))
}

/// A GET of `uri` accepting `accept`.
pub fn get(uri: &str, accept: &str) -> Request<Body> {
    Request::get(uri)
        .header("accept", accept)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("the harness built a bad request to {uri}: {e}"))
}
