//! A running node: opens the store and state, binds the HTTP API, and shuts down in order.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use hanse_node::{Node, NodeDir};
//! let dir = NodeDir::new("hanse-node");
//! let node = Node::spawn(&dir, dir.load_config()?).await?;
//! println!("SPARQL endpoint: http://{}/sparql", node.http_addr());
//! node.shutdown().await?;
//! # Ok(()) }
//! ```

mod app;
mod error;
mod services;
mod storage;
mod tasks;

pub use error::NodeError;

use crate::access::AccessService;
use crate::audit::AuditLog;
use crate::catalog::CatalogService;
use crate::config::Config;
use crate::federation::FederationService;
use crate::ingest::IngestService;
use crate::node_dir::{NodeDir, NodeLock};
use crate::p2p::NetworkClient;
use crate::requests;
use crate::store::observation_index::ObservationIndex;
use crate::store::state::NodeState;
use crate::store::subject_filter::SubjectFilter;
use axum::serve::ListenerExt;
use oxigraph::store::Store;
use services::{Consortium, Services};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use storage::Storage;
use tasks::NodeTasks;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Entry point to start a node.
pub struct Node;

/// How long shutdown waits for the node's tasks to stop before aborting them.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(30);

/// A running node; call [`NodeHandle::shutdown`] to stop it cleanly.
pub struct NodeHandle {
    http_addr: SocketAddr,
    store: Store,
    subjects: SubjectFilter,
    store_path: PathBuf,
    state: NodeState,
    observations: ObservationIndex,
    cancel: CancellationToken,
    tasks: NodeTasks,
    network: Option<NetworkClient>,
    catalog: CatalogService,
    access: AccessService,
    federation: FederationService,
    audit: AuditLog,
    ingest: IngestService,
    // Held until shutdown completes so no second node opens the same directory meanwhile.
    _lock: NodeLock,
    /// The HTTP API as served, for in-process callers (the fuzz targets).
    app: axum::Router,
}

impl Node {
    /// Opens the node in `dir` with `config` and serves its HTTP API.
    ///
    /// Fails with [`crate::node_dir::NodeDirError::AlreadyRunning`] if another process serves the directory.
    #[tracing::instrument(skip_all, fields(dir = %dir.root().display()))]
    pub async fn spawn(dir: &NodeDir, config: Config) -> Result<NodeHandle, NodeError> {
        let storage = Storage::open(dir, &config).await?;
        let observations = storage.observations.clone();
        let started = Self::serve(dir, config, storage).await;
        if started.is_err() {
            // The index's rebuild holds the store open: stopped, a retry can open it again.
            let closed = tokio::task::spawn_blocking(move || observations.close()).await;
            if let Ok(Err(e)) = closed {
                tracing::warn!("{e}");
            }
        }
        started
    }

    /// Serves the node over its opened `storage`.
    async fn serve(
        dir: &NodeDir,
        config: Config,
        storage: Storage,
    ) -> Result<NodeHandle, NodeError> {
        let (listener, http_addr) = bind_http(&config).await?;
        let cancel = CancellationToken::new();
        let consortium = Consortium::join(dir, &storage, &config, &cancel).await?;
        let services = Services::open(dir, &config, &storage, consortium.as_ref(), http_addr)?;
        let app = app::build(dir, &config, &storage, &services, http_addr)?;
        let tasks = start_tasks(&services, consortium, listener, app.clone(), &cancel);
        tracing::info!(
            name = %config.node.name,
            role = %config.node.role,
            peer_id = %storage.identity.peer_id(),
            http = %http_addr,
            tasks = tasks.running(),
            "node started"
        );
        Ok(NodeHandle {
            http_addr,
            store: storage.store,
            subjects: services.subjects,
            store_path: storage.store_path,
            state: storage.state,
            observations: storage.observations,
            cancel,
            tasks,
            network: services.network,
            catalog: services.catalog,
            access: services.access,
            federation: services.federation,
            audit: services.audit,
            ingest: services.ingest,
            _lock: storage.lock,
            app,
        })
    }
}

/// Binds the HTTP listener first, so the public base URL knows its port when it is 0.
async fn bind_http(config: &Config) -> Result<(TcpListener, SocketAddr), NodeError> {
    let addr = config.http.listen;
    let bind_error = |source| NodeError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    if config.http.loopback_operator {
        tracing::warn!(
            listen = %addr,
            "http.loopback_operator is set: every client connecting over loopback acts as the operator without a token (demo and test suites only; never behind a reverse proxy on this host)"
        );
    }
    Ok((listener, bound))
}

/// Starts the node's long-running work, every task owned by the returned set: the
/// catalogue, the ingest, and with a consortium the network and the answers to members.
fn start_tasks(
    services: &Services,
    consortium: Option<Consortium>,
    listener: TcpListener,
    app: axum::Router,
    cancel: &CancellationToken,
) -> NodeTasks {
    let mut tasks = NodeTasks::default();
    let (catalog, network) = (services.catalog.clone(), services.network.clone());
    let stop = cancel.child_token();
    tasks.spawn("catalogue", async move {
        catalog.run(network, stop).await;
        Ok(())
    });
    let (ingest, stop) = (services.ingest.clone(), cancel.child_token());
    tasks.spawn("ingest", async move {
        ingest.run(stop).await;
        Ok(())
    });
    if let Some(Consortium { network, .. }) = consortium {
        let event_loop = network.event_loop;
        tasks.spawn("network", async move {
            event_loop.await;
            Ok(())
        });
        let serve = requests::serve(
            network.inbound,
            network.client,
            services.catalog.clone(),
            services.access.clone(),
            cancel.child_token(),
        );
        tasks.spawn("peer requests", async move {
            serve.await;
            Ok(())
        });
    }
    let stop = cancel.clone();
    tasks.spawn(HTTP_SERVER, async move {
        // The client address decides whether loopback counts as the operator.
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        // An answer leaves as soon as it is written: with Nagle's algorithm on, the last
        // segment of a multi-segment answer waits for the client's acknowledgement of the
        // one before.
        let listener = listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!("cannot set TCP_NODELAY on an HTTP connection: {e}");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .map_err(|e| e.to_string())
    });
    tasks
}

/// The name of the HTTP server's task, whose failure shutdown reports.
const HTTP_SERVER: &str = "http server";

impl NodeHandle {
    /// The HTTP API as the listener serves it, to call in process (`tower::ServiceExt::oneshot`);
    /// handlers that look at the caller's address need a `ConnectInfo<SocketAddr>` extension.
    pub fn router(&self) -> axum::Router {
        self.app.clone()
    }

    /// The address the HTTP API is bound to (useful with port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Base URL of the HTTP API, e.g. `http://127.0.0.1:7878`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// The p2p network, if the node is in a consortium.
    pub fn network(&self) -> Option<&NetworkClient> {
        self.network.as_ref()
    }

    /// The node's catalogue service (datasets, own and federated catalogues).
    pub fn catalog(&self) -> &CatalogService {
        &self.catalog
    }

    /// The node's access service (agreements, remote queries).
    pub fn access(&self) -> &AccessService {
        &self.access
    }

    /// The node's federated query service.
    pub fn federation(&self) -> &FederationService {
        &self.federation
    }

    /// The node's audit log of remote access decisions.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The node's first p2p listen address with its `/p2p/<PeerId>` suffix, waiting up to
    /// ten seconds for the listener to come up.
    pub async fn p2p_address(&self) -> anyhow::Result<String> {
        let network = self
            .network()
            .ok_or_else(|| anyhow::anyhow!("the node has no network"))?;
        for _ in 0..200 {
            if let Some(address) = network.listen_addrs().await?.first() {
                return Ok(format!("{address}/p2p/{}", network.local_peer_id()));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        anyhow::bail!("no p2p listen address after 10 s")
    }

    /// The node's sensor ingest.
    pub fn ingest(&self) -> &IngestService {
        &self.ingest
    }

    /// The node's RDF store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The filter of stored entity IRIs every writer of the store tells.
    pub fn subjects(&self) -> &SubjectFilter {
        &self.subjects
    }

    /// The store's observations in time order (a bulk load behind the node's back
    /// invalidates them).
    pub fn observations(&self) -> &ObservationIndex {
        &self.observations
    }

    /// Stops accepting requests, lets requests in flight finish, then flushes the store and
    /// the state database and releases the directory lock.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        tracing::info!(tasks = self.tasks.running(), "shutting down");
        self.cancel.cancel();
        let failures = self.tasks.drain(SHUTDOWN_BOUND).await;
        for failure in &failures {
            tracing::error!(task = failure.name, "{}", failure.error);
        }
        // Every acknowledged message is already committed; this lets queued ones finish.
        self.ingest.close(SHUTDOWN_BOUND).await;
        let (store, state, path) = (self.store, self.state, self.store_path);
        let observations = self.observations;
        let flushed = tokio::task::spawn_blocking(move || {
            NodeDir::flush_store(&store).map_err(|source| NodeError::Store { path, source })?;
            // After every write: a fresh index is marked so, then flushed with the state.
            observations.close()?;
            state.flush().map_err(NodeError::from)
        })
        .await
        .map_err(|e| NodeError::Server(e.to_string()))?;
        if let Some(failure) = failures.iter().find(|f| f.name == HTTP_SERVER) {
            return Err(NodeError::Server(failure.error.clone()));
        }
        flushed?;
        tracing::info!("node stopped");
        Ok(())
    }
}
