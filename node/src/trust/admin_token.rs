//! The admin token: a random secret in `admin.token` that write requests must present.

use crate::atomic_file;
use rand::RngCore;
use std::path::{Path, PathBuf};

/// Errors while creating or reading the admin token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminTokenError {
    /// The token file could not be read or written.
    #[error("cannot access admin token {path}: {source}")]
    Io {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The token file is empty or too short to be a secret.
    #[error(
        "admin token {path} is empty or shorter than 16 characters; run `hanse init --force` to create a new one"
    )]
    TooShort {
        /// The token file.
        path: PathBuf,
    },
}

/// A bearer token for the HTTP API's write endpoints.
#[derive(Clone)]
pub struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

impl AdminToken {
    /// A new random token: 32 bytes from the OS generator, hex-encoded.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// Reads a token file (surrounding whitespace ignored).
    pub fn load(path: &Path) -> Result<Self, AdminTokenError> {
        let text = std::fs::read_to_string(path).map_err(|source| AdminTokenError::Io {
            path: path.to_owned(),
            source,
        })?;
        let token = text.trim();
        if token.len() < 16 {
            return Err(AdminTokenError::TooShort {
                path: path.to_owned(),
            });
        }
        Ok(Self(token.to_owned()))
    }

    /// Writes the token to a new owner-only (0600) file.
    pub fn save(&self, path: &Path) -> Result<(), AdminTokenError> {
        atomic_file::write_secret(path, format!("{}\n", self.0).as_bytes()).map_err(|source| {
            AdminTokenError::Io {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// The token text, for clients that send it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this token, compared in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        // Length is not secret (always 64 hex digits); the content comparison is.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves() {
        let token = AdminToken::generate();
        assert_eq!(token.as_str().len(), 64);
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(&AdminToken::generate().0));
        assert!(!token.matches(""));
    }

    #[test]
    fn short_token_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.token");
        std::fs::write(&path, "abc\n").unwrap();
        assert!(matches!(
            AdminToken::load(&path),
            Err(AdminTokenError::TooShort { .. })
        ));
    }
}
