//! Local users: people with a name, roles and a personal API token (`hanse user add`).
//!
//! A token is `hanse_<key id>_<secret>`: 8 random bytes naming the record, 32 random bytes
//! of secret, both hex. The node keeps only the SHA-256 of the secret (a stolen state
//! database holds no usable token) and compares it in constant time. Tokens expire (90 days
//! unless asked otherwise) and can be revoked; a new token for the same person replaces the
//! old one at once.

use super::roles::Roles;
use crate::store::state::NodeState;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const TREE: &str = "users";
/// The start of every personal token.
pub const TOKEN_PREFIX: &str = "hanse_";
/// How long a token lives unless asked otherwise.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);

/// Errors of the user store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// sled failed.
    #[error("user storage: {0}")]
    Storage(#[from] sled::Error),
    /// A stored record does not decode.
    #[error("the stored record of user `{0}` cannot be read")]
    Corrupt(String),
    /// The name is not acceptable.
    #[error(
        "`{0}` is not a user name: use 1 to 64 lowercase letters, digits, `.`, `_`, `-` or `@`"
    )]
    BadName(String),
    /// A user needs at least one role.
    #[error("user `{0}` needs at least one --role (reader, researcher, editor, ingest, operator)")]
    NoRole(String),
    /// The name is taken.
    #[error("user `{0}` exists already: `hanse user token {0}` issues a new token")]
    Exists(String),
    /// No such user.
    #[error("no user `{0}` on this node (`hanse user list` shows them)")]
    Unknown(String),
}

/// Why a presented personal token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejected {
    /// Not a token this node issued (or it was replaced).
    #[error("the personal token is not known to this node")]
    Unknown,
    /// The token's validity ended.
    #[error("the personal token of `{0}` expired; ask an operator for a new one")]
    Expired(String),
    /// The user was revoked.
    #[error("user `{0}` was revoked")]
    Revoked(String),
}

/// One local user, as stored (the secret only as its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique name, e.g. `alice@uni-gent`.
    pub name: String,
    /// What the user may do.
    pub roles: Roles,
    /// When the user was added (Unix seconds).
    pub created: u64,
    /// When the current token stops working (Unix seconds).
    pub expires: u64,
    /// When the user was revoked, if they were (Unix seconds).
    pub revoked: Option<u64>,
    /// Names the token's record (hex).
    key_id: String,
    /// SHA-256 of the token's secret (hex).
    secret_hash: String,
}

impl User {
    /// Whether the user's token works at `now` (Unix seconds).
    pub fn active(&self, now: u64) -> bool {
        self.revoked.is_none() && now < self.expires
    }
}

/// A token as issued: shown once, never stored.
#[derive(Clone)]
pub struct IssuedToken(String);

impl IssuedToken {
    /// The token text, to hand to the user.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedToken(***)")
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn check_name(name: &str) -> Result<(), UserError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        });
    if fine {
        Ok(())
    } else {
        Err(UserError::BadName(name.to_owned()))
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Equal in constant time (for equal lengths; the hashes always are).
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The local users of a node, in its state database; cheap to clone.
#[derive(Clone)]
pub struct UserStore {
    tree: sled::Tree,
}

fn user_key(name: &str) -> Vec<u8> {
    [b"user\0", name.as_bytes()].concat()
}

fn token_key(key_id: &str) -> Vec<u8> {
    [b"token\0", key_id.as_bytes()].concat()
}

impl UserStore {
    /// Opens the store in the node's state database.
    pub fn open(state: &NodeState) -> Result<Self, UserError> {
        Ok(Self {
            tree: state.db().open_tree(TREE)?,
        })
    }

    fn decode(name: &str, bytes: &[u8]) -> Result<User, UserError> {
        serde_json::from_slice(bytes).map_err(|_| UserError::Corrupt(name.to_owned()))
    }

    /// One user by name.
    pub fn get(&self, name: &str) -> Result<User, UserError> {
        let bytes = self
            .tree
            .get(user_key(name))?
            .ok_or_else(|| UserError::Unknown(name.to_owned()))?;
        Self::decode(name, &bytes)
    }

    /// Every user, by name.
    pub fn list(&self) -> Result<Vec<User>, UserError> {
        self.tree
            .scan_prefix(b"user\0")
            .map(|item| {
                let (key, value) = item?;
                Self::decode(&String::from_utf8_lossy(&key[5..]), &value)
            })
            .collect()
    }

    /// Adds a user with `roles` and issues their first token, valid for `validity`.
    pub fn add(
        &self,
        name: &str,
        roles: Roles,
        validity: Duration,
    ) -> Result<(User, IssuedToken), UserError> {
        check_name(name)?;
        if roles.is_empty() {
            return Err(UserError::NoRole(name.to_owned()));
        }
        if self.tree.contains_key(user_key(name))? {
            return Err(UserError::Exists(name.to_owned()));
        }
        let now = unix_now();
        let user = User {
            name: name.to_owned(),
            roles,
            created: now,
            expires: now,
            revoked: None,
            key_id: String::new(),
            secret_hash: String::new(),
        };
        self.issue(user, validity)
    }

    /// Issues a new token for `name` (the old one stops working), valid for `validity`;
    /// a revoked user is active again.
    pub fn reissue(
        &self,
        name: &str,
        validity: Duration,
    ) -> Result<(User, IssuedToken), UserError> {
        let mut user = self.get(name)?;
        user.revoked = None;
        self.issue(user, validity)
    }

    fn issue(&self, mut user: User, validity: Duration) -> Result<(User, IssuedToken), UserError> {
        let old_key = std::mem::take(&mut user.key_id);
        let key_id = random_hex(8);
        let secret = random_hex(32);
        user.key_id = key_id.clone();
        user.secret_hash = hash(&secret);
        user.expires = unix_now().saturating_add(validity.as_secs());
        let bytes = serde_json::to_vec(&user).map_err(|_| UserError::Corrupt(user.name.clone()))?;
        let mut batch = sled::Batch::default();
        if !old_key.is_empty() {
            batch.remove(token_key(&old_key));
        }
        batch.insert(token_key(&key_id), user.name.as_bytes());
        batch.insert(user_key(&user.name), bytes);
        self.tree.apply_batch(batch)?;
        self.tree.flush()?;
        Ok((
            user,
            IssuedToken(format!("{TOKEN_PREFIX}{key_id}_{secret}")),
        ))
    }

    /// Revokes `name`: their token stops working at once.
    pub fn revoke(&self, name: &str) -> Result<User, UserError> {
        let mut user = self.get(name)?;
        if user.revoked.is_none() {
            user.revoked = Some(unix_now());
        }
        let bytes = serde_json::to_vec(&user).map_err(|_| UserError::Corrupt(user.name.clone()))?;
        self.tree.insert(user_key(name), bytes)?;
        self.tree.flush()?;
        Ok(user)
    }

    /// Whether `token` looks like a personal token (and so must be judged as one).
    pub fn is_personal_token(token: &str) -> bool {
        token.starts_with(TOKEN_PREFIX)
    }

    /// The user whose token `token` is, if it works now.
    pub fn authenticate(&self, token: &str) -> Result<Result<User, TokenRejected>, UserError> {
        let Some((key_id, secret)) = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| rest.split_once('_'))
        else {
            return Ok(Err(TokenRejected::Unknown));
        };
        let Some(name) = self.tree.get(token_key(key_id))? else {
            return Ok(Err(TokenRejected::Unknown));
        };
        let user = self.get(&String::from_utf8_lossy(&name))?;
        if user.key_id != key_id || !same(&user.secret_hash, &hash(secret)) {
            return Ok(Err(TokenRejected::Unknown));
        }
        if user.revoked.is_some() {
            return Ok(Err(TokenRejected::Revoked(user.name)));
        }
        if unix_now() >= user.expires {
            return Ok(Err(TokenRejected::Expired(user.name)));
        }
        Ok(Ok(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::roles::Role;

    fn store() -> (tempfile::TempDir, UserStore) {
        let dir = tempfile::tempdir().unwrap();
        let state = NodeState::open(dir.path()).unwrap();
        (dir, UserStore::open(&state).unwrap())
    }

    fn reader() -> Roles {
        [Role::Reader(None)].into_iter().collect()
    }

    #[test]
    fn a_token_names_its_user_until_replaced_or_revoked() {
        let (_dir, users) = store();
        let (user, token) = users.add("alice", reader(), DEFAULT_VALIDITY).unwrap();
        assert!(token.as_str().starts_with("hanse_"));
        assert_eq!(token.as_str().len(), TOKEN_PREFIX.len() + 16 + 1 + 64);
        assert_eq!(users.authenticate(token.as_str()).unwrap().unwrap(), user);
        // Only the hash is stored.
        let stored = users.tree.get(user_key("alice")).unwrap().unwrap();
        let secret = token.as_str().rsplit('_').next().unwrap();
        assert!(!String::from_utf8_lossy(&stored).contains(secret));
        // A wrong secret with the right key id is unknown.
        let forged = format!("{}0", &token.as_str()[..token.as_str().len() - 1]);
        let forged = if forged == token.as_str() {
            format!("{}1", &token.as_str()[..token.as_str().len() - 1])
        } else {
            forged
        };
        assert_eq!(
            users.authenticate(&forged).unwrap(),
            Err(TokenRejected::Unknown)
        );
        let (_, second) = users.reissue("alice", DEFAULT_VALIDITY).unwrap();
        assert_eq!(
            users.authenticate(token.as_str()).unwrap(),
            Err(TokenRejected::Unknown)
        );
        assert!(users.authenticate(second.as_str()).unwrap().is_ok());
        users.revoke("alice").unwrap();
        assert_eq!(
            users.authenticate(second.as_str()).unwrap(),
            Err(TokenRejected::Revoked("alice".into()))
        );
    }

    #[test]
    fn expired_tokens_and_bad_requests_are_refused() {
        let (_dir, users) = store();
        let (_, token) = users.add("bob", reader(), Duration::ZERO).unwrap();
        assert_eq!(
            users.authenticate(token.as_str()).unwrap(),
            Err(TokenRejected::Expired("bob".into()))
        );
        assert!(matches!(
            users.add("bob", reader(), DEFAULT_VALIDITY),
            Err(UserError::Exists(_))
        ));
        assert!(matches!(
            users.add("Bob Smith", reader(), DEFAULT_VALIDITY),
            Err(UserError::BadName(_))
        ));
        assert!(matches!(
            users.add("carol", Roles::default(), DEFAULT_VALIDITY),
            Err(UserError::NoRole(_))
        ));
        assert!(matches!(users.revoke("nobody"), Err(UserError::Unknown(_))));
        for junk in ["", "hanse_", "hanse_abc", "hanse_x_y", "Bearer"] {
            assert_eq!(
                users.authenticate(junk).unwrap(),
                Err(TokenRejected::Unknown),
                "{junk}"
            );
        }
    }
}
