//! Errors while starting or stopping a node, each naming the file, key or address at fault.

use crate::access::AgreementError;
use crate::audit::AuditError;
use crate::catalog::CatalogError;
use crate::ingest::IngestError;
use crate::ngsi_ld::NgsiLdError;
use crate::node_dir::NodeDirError;
use crate::p2p::NetworkError;
use crate::store::state::StateError;
use crate::trust::membership::CurrentMembershipError;
use oxigraph::store::StorageError;
use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// The observation index could not be opened or closed.
    #[error(transparent)]
    Observations(#[from] crate::store::observation_index::IndexError),
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
