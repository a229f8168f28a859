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

use crate::access::{AccessService, AgreementError, AgreementStore};
use crate::audit::{AuditError, AuditLog};
use crate::catalog::{CatalogError, CatalogParts, CatalogService};
use crate::config::Config;
use crate::federation::FederationService;
use crate::http::{AppState, NodeInfo, router};
use crate::ingest::{IngestError, IngestParts, IngestService};
use crate::ngsi_ld::{NgsiLdError, NgsiLdParts, NgsiLdService};
use crate::node_dir::{NodeDir, NodeDirError, NodeLock};
use crate::p2p::{self, NetworkClient, NetworkError};
use crate::requests;
use crate::store::geo_index::GeoIndex;
use crate::store::sparql::SparqlService;
use crate::store::state::{NodeState, StateError};
use crate::store::subject_filter::SubjectFilter;
use crate::trust::membership::{CONSORTIUM_FILE, CurrentMembership, CurrentMembershipError};
use oxigraph::store::{StorageError, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Errors while starting or stopping a node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The node directory is missing, locked or holds bad files.
    #[error(transparent)]
    NodeDir(#[from] NodeDirError),
    /// The oxigraph store could not be flushed.
    #[error("cannot flush the RDF store {path}: {source}")]
    Store {
        /// The store directory.
        path: PathBuf,
        /// The storage error.
        source: StorageError,
    },
    /// The sled state database failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The HTTP address could not be bound.
    #[error("cannot listen on {addr} (http.listen): {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The installed consortium document cannot be used.
    #[error(transparent)]
    Membership(#[from] CurrentMembershipError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The agreement store could not be opened.
    #[error(transparent)]
    Agreements(#[from] AgreementError),
    /// The catalogue could not be opened.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The ingest sources could not be loaded.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The p2p network could not start.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The NGSI-LD service could not be set up.
    #[error("NGSI-LD: {0}")]
    NgsiLd(#[from] NgsiLdError),
    /// The user store could not be opened.
    #[error(transparent)]
    Users(#[from] crate::trust::users::UserError),
    /// The OIDC settings cannot be used.
    #[error(transparent)]
    Oidc(#[from] crate::trust::oidc::OidcError),
    /// The HTTP server stopped with an error or its task failed.
    #[error("HTTP server failed: {0}")]
    Server(String),
}

/// Entry point to start a node.
pub struct Node;

/// A running node; call [`NodeHandle::shutdown`] to stop it cleanly.
pub struct NodeHandle {
    http_addr: SocketAddr,
    store: Store,
    subjects: SubjectFilter,
    store_path: PathBuf,
    state: NodeState,
    cancel: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    network: Option<(NetworkClient, JoinHandle<()>)>,
    catalog: CatalogService,
    catalog_task: JoinHandle<()>,
    access: AccessService,
    federation: FederationService,
    audit: AuditLog,
    ingest: IngestService,
    ingest_task: JoinHandle<()>,
    // Held until shutdown completes so no second node opens the same directory meanwhile.
    _lock: NodeLock,
    /// The HTTP API as served, for in-process callers (the fuzz targets).
    app: axum::Router,
}

impl Node {
    /// Opens the node in `dir` with `config` and serves its HTTP API.
    ///
    /// Fails with [`NodeDirError::AlreadyRunning`] if another process serves the directory.
    #[tracing::instrument(skip_all, fields(dir = %dir.root().display()))]
    pub async fn spawn(dir: &NodeDir, config: Config) -> Result<NodeHandle, NodeError> {
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
        let state = {
            let path = state_path.clone();
            tokio::task::spawn_blocking(move || NodeState::open(&path))
                .await
                .map_err(|e| NodeError::Server(e.to_string()))??
        };
        let listener = tokio::net::TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| NodeError::Bind {
                addr: config.http.listen,
                source,
            })?;
        let http_addr = listener.local_addr().map_err(|source| NodeError::Bind {
            addr: config.http.listen,
            source,
        })?;
        if config.http.loopback_operator {
            tracing::warn!(
                listen = %config.http.listen,
                "http.loopback_operator is set: every client connecting over loopback acts as the operator without a token (demo and test suites only; never behind a reverse proxy on this host)"
            );
        }
        let cancel = CancellationToken::new();
        let membership_path = dir.root().join(CONSORTIUM_FILE);
        let (membership, network, inbound) = if membership_path.exists() {
            let membership = CurrentMembership::load(&membership_path)?;
            let network = p2p::spawn(
                &identity,
                &config.p2p,
                membership.clone(),
                cancel.child_token(),
            )
            .await?;
            (
                Some(membership),
                Some((network.client, network.task)),
                Some(network.inbound),
            )
        } else {
            tracing::info!(
                "no {CONSORTIUM_FILE} in the node directory: running without the p2p network (install one with `hanse consortium install`)"
            );
            (None, None, None)
        };
        let audit = AuditLog::open(&state, identity.clone())?;
        let subjects = SubjectFilter::new(store.clone());
        let catalog = CatalogService::open(CatalogParts {
            identity: identity.clone(),
            node_name: config.node.name.clone(),
            config: config.catalog.clone(),
            store: store.clone(),
            subjects: subjects.clone(),
            state: state.clone(),
            membership: membership.clone(),
            role: config.node.role,
            public_base: Some(config.http.public_base(http_addr)),
        })?;
        let catalog_task = tokio::spawn(catalog.clone().run(
            network.as_ref().map(|(client, _)| client.clone()),
            cancel.child_token(),
        ));
        let geo_index = GeoIndex::default();
        let egress = crate::trust::egress::Egress::new(&config.egress);
        let ingest = IngestService::open(IngestParts {
            root: dir.root().to_owned(),
            config: config.ingest.clone(),
            store: store.clone(),
            state: state.clone(),
            catalog: catalog.clone(),
            geo_index: geo_index.clone(),
            subjects: subjects.clone(),
        })?;
        let ngsi_ld = NgsiLdService::new(NgsiLdParts {
            store: store.clone(),
            geo: geo_index,
            subjects: subjects.clone(),
            catalog: catalog.clone(),
            config: config.ngsi_ld.clone(),
            root: dir.root().to_owned(),
            egress: egress.clone(),
            timeout: config.sparql.query_timeout(),
            max_concurrent: config.http.max_concurrent_queries,
        })?;
        let ingest_task = tokio::spawn(ingest.clone().run(cancel.child_token()));
        let sparql = SparqlService::new(
            store.clone(),
            config.sparql.clone(),
            config.http.max_concurrent_queries,
        );
        let access = AccessService::new(
            identity.clone(),
            catalog.clone(),
            AgreementStore::open(&state)?,
            audit.clone(),
            sparql.clone(),
            membership.clone(),
            config.access.clone(),
        );
        let federation = FederationService::new(
            catalog.clone(),
            access.clone(),
            sparql.clone(),
            network.as_ref().map(|(client, _)| client.clone()),
            config.federation.clone(),
            egress,
        );
        if let (Some(inbound), Some((client, _))) = (inbound, &network) {
            tokio::spawn(requests::serve(
                inbound,
                client.clone(),
                catalog.clone(),
                access.clone(),
                cancel.child_token(),
            ));
        }
        let console = crate::console::ConsoleState::new(
            config.http.public_base(http_addr),
            config.http.map_tile_url.clone(),
        );
        let app_state = AppState {
            sparql,
            people: crate::trust::people::People::new(
                admin_token,
                crate::trust::users::UserStore::open(&state)?,
                crate::trust::oidc::OidcVerifier::new(&config.oidc, dir.root())?,
            ),
            loopback_operator: config.http.loopback_operator,
            sign_ins: Default::default(),
            info: Arc::new(NodeInfo {
                name: config.node.name.clone(),
                role: config.node.role,
                peer_id: identity.peer_id().to_string(),
                did_key: identity.did_key(),
                store_path: store_path.clone(),
                public_base: config.http.public_base(http_addr),
            }),
            max_body_bytes: config.http.max_body_bytes,
            max_rdf_nesting: config.storage.max_rdf_nesting,
            network: network.as_ref().map(|(client, _)| client.clone()),
            membership,
            audit: audit.clone(),
            catalog: catalog.clone(),
            access: access.clone(),
            federation: federation.clone(),
            ingest: ingest.clone(),
            ingest_max_bytes: config.ingest.max_http_bytes,
            ngsi_ld,
            subjects: subjects.clone(),
        };
        let app = crate::http::with_method_fallback(
            router(app_state.clone())
                .merge(crate::console::router(app_state.clone(), console.clone())),
        )
        // Who is calling is decided here, once, for every route of the API and the console.
        .layer(axum::middleware::from_fn_with_state(
            app_state,
            crate::http::caller::identify_caller,
        ))
        .layer(axum::middleware::from_fn(crate::console::count_queries))
        .layer(axum::Extension(console));
        let shutdown = cancel.clone();
        let served_app = app.clone();
        let server = tokio::spawn(async move {
            // The client address decides whether federated queries need the admin token.
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
        });
        tracing::info!(
            name = %config.node.name,
            role = %config.node.role,
            peer_id = %identity.peer_id(),
            http = %http_addr,
            "node started"
        );
        Ok(NodeHandle {
            http_addr,
            store,
            subjects,
            store_path,
            state,
            cancel,
            server,
            network,
            catalog,
            catalog_task,
            access,
            federation,
            audit,
            ingest,
            ingest_task,
            _lock: lock,
            app: served_app,
        })
    }
}

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
        self.network.as_ref().map(|(client, _)| client)
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

    /// Stops accepting requests, lets requests in flight finish, then flushes the store and
    /// the state database and releases the directory lock.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        tracing::info!("shutting down");
        self.cancel.cancel();
        let served = self
            .server
            .await
            .map_err(|e| NodeError::Server(e.to_string()))?;
        if let Err(e) = self.ingest_task.await {
            tracing::error!("ingest task failed: {e}");
        }
        // Every acknowledged message is already committed; this lets queued ones finish.
        self.ingest.close(std::time::Duration::from_secs(30)).await;
        if let Err(e) = self.catalog_task.await {
            tracing::error!("catalogue task failed: {e}");
        }
        if let Some((_, task)) = self.network
            && let Err(e) = task.await
        {
            tracing::error!("network task failed: {e}");
        }
        let (store, state, path) = (self.store, self.state, self.store_path);
        let flushed = tokio::task::spawn_blocking(move || {
            NodeDir::flush_store(&store).map_err(|source| NodeError::Store { path, source })?;
            state.flush().map_err(NodeError::from)
        })
        .await
        .map_err(|e| NodeError::Server(e.to_string()))?;
        served.map_err(|e| NodeError::Server(e.to_string()))?;
        flushed?;
        tracing::info!("node stopped");
        Ok(())
    }
}
