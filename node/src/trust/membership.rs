//! The node's current consortium membership: shared by the network (which gates
//! connections and gossip on it) and the API, and persisted to `consortium.json`.

use crate::trust::consortium::{MembershipError, SignedMembership};
use libp2p::PeerId;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// File name of the installed membership document in the node directory.
pub const CONSORTIUM_FILE: &str = "consortium.json";

/// Errors reading or replacing the current membership.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CurrentMembershipError {
    /// The file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The document was refused.
    #[error("{path}: {source}")]
    Refused {
        /// Where the document came from.
        path: PathBuf,
        /// Why it was refused.
        source: MembershipError,
    },
}

/// Cheaply cloneable handle to the current signed membership document.
#[derive(Debug, Clone)]
pub struct CurrentMembership {
    // A std lock: it is only held to copy or swap the document, never across an await.
    inner: Arc<RwLock<SignedMembership>>,
    path: PathBuf,
}

impl CurrentMembership {
    /// Reads the installed document. It was verified when it was installed or received; on
    /// load only its internal consistency is checked again (a later version's signatures are
    /// by earlier stewards, which the file alone cannot show).
    pub fn load(path: &Path) -> Result<Self, CurrentMembershipError> {
        let bytes = std::fs::read(path).map_err(|source| CurrentMembershipError::Io {
            path: path.to_owned(),
            source,
        })?;
        let signed = SignedMembership::from_json(&bytes)
            .and_then(|s| s.document.check().map(|()| s))
            .map_err(|source| CurrentMembershipError::Refused {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            inner: Arc::new(RwLock::new(signed)),
            path: path.to_owned(),
        })
    }

    /// Runs `f` on the current document under the read lock, without copying it.
    pub fn read<T>(&self, f: impl FnOnce(&SignedMembership) -> T) -> T {
        match self.inner.read() {
            Ok(guard) => f(&guard),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// A copy of the current document.
    pub fn get(&self) -> SignedMembership {
        self.read(Clone::clone)
    }

    /// The consortium id.
    pub fn consortium_id(&self) -> String {
        self.read(|m| m.document.consortium_id.clone())
    }

    /// Whether `peer` is a member now.
    pub fn is_member(&self, peer: &PeerId) -> bool {
        self.read(|m| m.document.is_member(peer))
    }

    /// Verifies `update` against the current document and, if valid, persists and adopts
    /// it. Returns the previous document.
    pub fn replace(
        &self,
        update: SignedMembership,
    ) -> Result<SignedMembership, CurrentMembershipError> {
        let mut guard = match self.inner.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        update.verify_update(&guard.document).map_err(|source| {
            CurrentMembershipError::Refused {
                path: self.path.clone(),
                source,
            }
        })?;
        // Persist first: a crash after this point restarts with the new document.
        crate::atomic_file::write(&self.path, &update.to_json()).map_err(|source| {
            CurrentMembershipError::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(std::mem::replace(&mut *guard, update))
    }
}
