//! The node directory: where `hanse init` puts a node's files and how they are found.
//!
//! ```text
//! <dir>/hanse.toml     configuration (commented)
//! <dir>/node.key       ed25519 identity, mode 0600
//! <dir>/admin.token    bearer token for write endpoints, mode 0600
//! <dir>/hanse.lock     held by the running `hanse serve`
//! <dir>/data/store     oxigraph store      (paths configurable in [storage])
//! <dir>/data/state     sled state database
//! ```

use crate::config::{CONFIG_FILE, Config, ConfigError, P2pSection, Role};
use crate::trust::admin_token::{AdminToken, AdminTokenError};
use crate::trust::identity::{IdentityError, NodeIdentity};
use oxigraph::store::{StorageError, Store};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// File name of the node key.
pub const KEY_FILE: &str = "node.key";
/// File name of the admin token.
pub const TOKEN_FILE: &str = "admin.token";
/// File name of the lock held while the node runs.
pub const LOCK_FILE: &str = "hanse.lock";

/// Errors about the node directory as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeDirError {
    /// `hanse init` found an existing node and was not told to overwrite it.
    #[error(
        "{dir} already holds a hanse node ({file} exists); pass --force to replace its key, token and configuration (stored data is kept)"
    )]
    AlreadyInitialised {
        /// The node directory.
        dir: PathBuf,
        /// The file that was found.
        file: &'static str,
    },
    /// The directory holds no node.
    #[error(
        "{dir} is not a hanse node directory ({CONFIG_FILE} not found); create one with `hanse init --dir {dir}`"
    )]
    NotInitialised {
        /// The directory that was given.
        dir: PathBuf,
    },
    /// Another process holds the node lock.
    #[error("a hanse node is already running on {dir}{pid}; stop it first (or use its HTTP API)")]
    AlreadyRunning {
        /// The node directory.
        dir: PathBuf,
        /// ` (pid N)` when the lock file names the process.
        pid: String,
    },
    /// A file or directory could not be created or read.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key is missing or invalid.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The admin token is missing or invalid.
    #[error(transparent)]
    AdminToken(#[from] AdminTokenError),
    /// The oxigraph store could not be opened.
    #[error("cannot open the RDF store {path}: {source}")]
    Store {
        /// The store directory.
        path: PathBuf,
        /// The storage error.
        source: StorageError,
    },
}

/// What `hanse init` is asked to create.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Display name of the node.
    pub name: String,
    /// Its role in the consortium.
    pub role: Role,
    /// Address of the HTTP API.
    pub http_listen: SocketAddr,
    /// Address of the p2p network (TCP and QUIC); `None`: port 7979 on loopback when the
    /// HTTP API is on loopback, on every interface otherwise.
    pub p2p_listen: Option<SocketAddr>,
    /// Whether to find members on the local network with mDNS.
    pub mdns: bool,
    /// Replace an existing node's key, token and configuration.
    pub force: bool,
    /// Use this identity instead of a random one (tests and the demo derive it from a seed).
    pub identity: Option<NodeIdentity>,
}

/// A node directory on disk.
#[derive(Debug, Clone)]
pub struct NodeDir {
    root: PathBuf,
}

impl NodeDir {
    /// The node directory at `root` (nothing is checked yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of `hanse.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// Path of the node key.
    pub fn key_path(&self) -> PathBuf {
        self.root.join(KEY_FILE)
    }

    /// Path of the admin token.
    pub fn token_path(&self) -> PathBuf {
        self.root.join(TOKEN_FILE)
    }

    /// Resolves a configured data path against the node directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.root.join(path)
        }
    }

    /// Creates the node's key, admin token and commented configuration.
    pub fn init(&self, options: InitOptions) -> Result<NodeIdentity, NodeDirError> {
        if !options.force {
            for file in [CONFIG_FILE, KEY_FILE, TOKEN_FILE] {
                if self.root.join(file).exists() {
                    return Err(NodeDirError::AlreadyInitialised {
                        dir: self.root.clone(),
                        file,
                    });
                }
            }
        } else if self.root.join(CONFIG_FILE).exists() {
            // Replacing the identity under a running node would leave it signing with a key
            // that no longer matches its files.
            drop(self.lock()?);
        }
        std::fs::create_dir_all(&self.root).map_err(|source| NodeDirError::Io {
            path: self.root.clone(),
            source,
        })?;
        let identity = options.identity.unwrap_or_else(NodeIdentity::generate);
        identity.save(&self.key_path())?;
        AdminToken::generate().save(&self.token_path())?;
        let p2p_listen = options
            .p2p_listen
            .unwrap_or_else(|| P2pSection::default_listen_for(options.http_listen));
        let config = Config::template(
            &options.name,
            options.role,
            options.http_listen,
            p2p_listen,
            options.mdns,
        );
        std::fs::write(self.config_path(), config).map_err(|source| NodeDirError::Io {
            path: self.config_path(),
            source,
        })?;
        Ok(identity)
    }

    /// Reads and checks `hanse.toml`.
    pub fn load_config(&self) -> Result<Config, NodeDirError> {
        if !self.config_path().exists() {
            return Err(NodeDirError::NotInitialised {
                dir: self.root.clone(),
            });
        }
        Ok(Config::load(&self.config_path())?)
    }

    /// Reads the node key.
    pub fn load_identity(&self) -> Result<NodeIdentity, NodeDirError> {
        Ok(NodeIdentity::load(&self.key_path())?)
    }

    /// Reads the admin token.
    pub fn load_admin_token(&self) -> Result<AdminToken, NodeDirError> {
        Ok(AdminToken::load(&self.token_path())?)
    }

    /// Takes the node lock, failing with [`NodeDirError::AlreadyRunning`] if it is held.
    ///
    /// The lock is an OS file lock, so it is released when the process dies however it dies;
    /// a stale lock file never blocks a restart.
    pub fn lock(&self) -> Result<NodeLock, NodeDirError> {
        let path = self.root.join(LOCK_FILE);
        let io = |source| NodeDirError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // Best effort: the pid only makes the message more helpful.
                let _ = file.read_to_string(&mut holder);
                let pid = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (pid {pid})"),
                };
                return Err(NodeDirError::AlreadyRunning {
                    dir: self.root.clone(),
                    pid,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(NodeLock { _file: file })
    }

    /// Opens the node's oxigraph store (`storage.store`), creating its directory if needed.
    ///
    /// Callers should hold the [`NodeLock`]: RocksDB allows one process per store.
    pub fn open_store(&self, config: &Config) -> Result<Store, NodeDirError> {
        let path = self.resolve(&config.storage.store);
        std::fs::create_dir_all(&path).map_err(|source| NodeDirError::Io {
            path: path.clone(),
            source,
        })?;
        #[cfg(feature = "rocksdb")]
        return Store::open(&path).map_err(|source| NodeDirError::Store { path, source });
        #[cfg(not(feature = "rocksdb"))]
        {
            tracing::warn!(
                path = %path.display(),
                "built without the `rocksdb` feature: the RDF store is held in memory and lost at exit"
            );
            return Store::new().map_err(|source| NodeDirError::Store { path, source });
        }
    }

    /// Writes the store's buffered writes to disk (nothing to do for an in-memory store).
    pub fn flush_store(store: &Store) -> Result<(), oxigraph::store::StorageError> {
        #[cfg(feature = "rocksdb")]
        return store.flush();
        #[cfg(not(feature = "rocksdb"))]
        {
            let _ = store;
            Ok(())
        }
    }

    /// Whether a node process currently holds the lock.
    pub fn is_running(&self) -> bool {
        matches!(self.lock(), Err(NodeDirError::AlreadyRunning { .. }))
    }
}

/// Proof that this process owns the node directory; released on drop.
#[derive(Debug)]
pub struct NodeLock {
    _file: File,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(force: bool) -> InitOptions {
        InitOptions {
            name: "mechelen".into(),
            role: Role::City,
            http_listen: "127.0.0.1:7878".parse().unwrap(),
            p2p_listen: None,
            mdns: false,
            force,
            identity: None,
        }
    }

    #[test]
    fn init_creates_owner_only_secrets_and_a_valid_config() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = NodeDir::new(tmp.path().join("node"));
        let identity = dir.init(options(false)).unwrap();
        assert_eq!(dir.load_identity().unwrap().peer_id(), identity.peer_id());
        dir.load_admin_token().unwrap();
        assert_eq!(dir.load_config().unwrap().node.name, "mechelen");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for path in [dir.key_path(), dir.token_path()] {
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", path.display());
            }
        }
    }

    #[test]
    fn init_refuses_to_overwrite_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = NodeDir::new(tmp.path());
        let first = dir.init(options(false)).unwrap();
        let err = dir.init(options(false)).unwrap_err();
        assert!(
            matches!(err, NodeDirError::AlreadyInitialised { .. }),
            "{err}"
        );
        assert_eq!(dir.load_identity().unwrap().peer_id(), first.peer_id());
        let second = dir.init(options(true)).unwrap();
        assert_ne!(second.peer_id(), first.peer_id());
    }

    #[test]
    fn second_lock_reports_already_running() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = NodeDir::new(tmp.path());
        dir.init(options(false)).unwrap();
        let lock = dir.lock().unwrap();
        let err = dir.lock().unwrap_err().to_string();
        assert!(err.contains("already running"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        assert!(dir.is_running());
        drop(lock);
        assert!(!dir.is_running());
    }
}
