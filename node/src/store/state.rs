//! Node state in sled: everything that is not RDF data (agreements, audit log, dead letters,
//! ingest cursors as those capabilities land).
//!
//! The database carries a schema version so that a newer node's layout is never misread by an
//! older binary.

use std::path::{Path, PathBuf};

/// Layout version of the state database written by this binary.
pub const SCHEMA_VERSION: u32 = 1;
const SCHEMA_KEY: &[u8] = b"meta/schema_version";

/// Errors of the state database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// sled could not open or write the database.
    #[error("state database {path}: {source}")]
    Sled {
        /// The database directory.
        path: PathBuf,
        /// sled's error.
        source: sled::Error,
    },
    /// The database was written by a newer hanse.
    #[error(
        "state database {path} has schema version {found}, this hanse understands up to {SCHEMA_VERSION}; upgrade hanse"
    )]
    NewerSchema {
        /// The database directory.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
}

/// Handle to the node's sled database; cheap to clone.
#[derive(Clone, Debug)]
pub struct NodeState {
    db: sled::Db,
    path: PathBuf,
}

impl NodeState {
    /// Opens (or creates) the state database at `path`.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let sled_err = |source| StateError::Sled {
            path: path.to_owned(),
            source,
        };
        let db = open_sled(path).map_err(sled_err)?;
        match db.get(SCHEMA_KEY).map_err(sled_err)? {
            Some(raw) => {
                let found = <[u8; 4]>::try_from(raw.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StateError::NewerSchema {
                        path: path.to_owned(),
                        found,
                    });
                }
            }
            None => {
                db.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(sled_err)?;
            }
        }
        Ok(Self {
            db,
            path: path.to_owned(),
        })
    }

    /// The sled database, for modules that keep their own trees.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Writes everything buffered to disk.
    pub fn flush(&self) -> Result<(), StateError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|source| StateError::Sled {
                path: self.path.clone(),
                source,
            })
    }
}

/// Opens sled, waiting briefly for the file lock of a handle this process just dropped:
/// sled's flusher thread keeps the database (and its lock) alive for a moment after the last
/// handle goes, so reopening at once (a restart in process, the tests) can find it held.
/// Another process holding the node is caught earlier, by the node directory's lock.
fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    let mut attempts = 0;
    loop {
        let opened = sled::Config::new()
            .path(path)
            // Bounded page cache: node state is small and the store needs the memory more.
            .cache_capacity(32 * 1024 * 1024)
            .open();
        match opened {
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock && attempts < 50 =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = NodeState::open(dir.path()).unwrap();
        state
            .db()
            .insert(SCHEMA_KEY, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        state.flush().unwrap();
        drop(state);
        let err = NodeState::open(dir.path()).unwrap_err();
        assert!(matches!(err, StateError::NewerSchema { .. }), "{err}");
    }
}
