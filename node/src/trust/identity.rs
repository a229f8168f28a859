//! The node's identity: its ed25519 key, libp2p `PeerId` and `did:key`.
//!
//! One key does everything: it is the libp2p identity (so peers authenticate the node through
//! noise), it signs the node's catalogue, agreements and audit log, and its `did:key` form is
//! how people see the node named.

use crate::atomic_file;
use libp2p::identity::{Keypair, PeerId};
use std::path::{Path, PathBuf};

/// Multicodec prefix of an ed25519 public key (`0xed`, varint-encoded as `0xed 0x01`).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// Errors while creating or reading the node key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The key file could not be read or written.
    #[error("cannot access key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file exists but is not a libp2p ed25519 key.
    #[error(
        "key file {path} is not a libp2p ed25519 key ({reason}); restore it from backup or run `hanse init --force` to create a new identity"
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
}

/// The node's ed25519 keypair and the names derived from it.
#[derive(Clone)]
pub struct NodeIdentity {
    keypair: Keypair,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret key.
        f.debug_struct("NodeIdentity")
            .field("peer_id", &self.peer_id())
            .finish()
    }
}

impl NodeIdentity {
    /// A fresh random identity.
    pub fn generate() -> Self {
        Self {
            keypair: Keypair::generate_ed25519(),
        }
    }

    /// A deterministic identity from a 32-byte seed, so test nodes keep their PeerIds.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut seed = seed;
        // `ed25519_from_bytes` only fails for a wrong length, and the seed is 32 bytes.
        let keypair = Keypair::ed25519_from_bytes(&mut seed)
            .expect("a 32-byte array is a valid ed25519 secret key");
        Self { keypair }
    }

    /// Reads the key file written by [`NodeIdentity::save`].
    pub fn load(path: &Path) -> Result<Self, IdentityError> {
        let bytes = std::fs::read(path).map_err(|source| IdentityError::Io {
            path: path.to_owned(),
            source,
        })?;
        let keypair =
            Keypair::from_protobuf_encoding(&bytes).map_err(|e| IdentityError::Malformed {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if keypair.key_type() != libp2p::identity::KeyType::Ed25519 {
            return Err(IdentityError::Malformed {
                path: path.to_owned(),
                reason: format!("key type is {:?}, hanse needs Ed25519", keypair.key_type()),
            });
        }
        Ok(Self { keypair })
    }

    /// Writes the key (libp2p protobuf encoding) to a new file readable only by its owner.
    pub fn save(&self, path: &Path) -> Result<(), IdentityError> {
        let io = |source| IdentityError::Io {
            path: path.to_owned(),
            source,
        };
        let bytes = self
            .keypair
            .to_protobuf_encoding()
            .map_err(|e| io(std::io::Error::other(e)))?;
        atomic_file::write_secret(path, &bytes).map_err(io)
    }

    /// The libp2p keypair, for the swarm.
    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// The libp2p PeerId.
    pub fn peer_id(&self) -> PeerId {
        self.keypair.public().to_peer_id()
    }

    /// The raw 32-byte ed25519 public key.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        // The constructors only admit ed25519 keys.
        self.keypair
            .public()
            .try_into_ed25519()
            .expect("NodeIdentity only holds ed25519 keys")
            .to_bytes()
    }

    /// The `did:key` of the node (multicodec 0xed01, base58-btc multibase).
    pub fn did_key(&self) -> String {
        did_key_from_public_key(&self.public_key_bytes())
    }
}

/// The `did:key` for a raw ed25519 public key.
pub fn did_key_from_public_key(public_key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_MULTICODEC);
    bytes.extend_from_slice(public_key);
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// The `did:key` of an ed25519 PeerId.
pub fn did_key_of(peer: &PeerId) -> Option<String> {
    ed25519_public_key(peer).map(|key| did_key_from_public_key(&key))
}

/// The raw ed25519 public key embedded in an ed25519 PeerId (for `did:key` display).
pub fn ed25519_public_key(peer: &PeerId) -> Option<[u8; 32]> {
    public_key_of(peer)?
        .try_into_ed25519()
        .ok()
        .map(|k| k.to_bytes())
}

/// The public key embedded in an ed25519 PeerId.
pub fn public_key_of(peer: &PeerId) -> Option<libp2p::identity::PublicKey> {
    let multihash = peer.as_ref();
    // Code 0x00 is the identity multihash: the digest is the protobuf-encoded public key.
    (multihash.code() == 0x00)
        .then(|| libp2p::identity::PublicKey::try_decode_protobuf(multihash.digest()).ok())
        .flatten()
}

/// The libp2p public key named by an ed25519 `did:key` (a `#fragment` is ignored).
pub fn public_key_of_did_key(did: &str) -> Option<libp2p::identity::PublicKey> {
    let bytes = public_key_from_did_key(did)?;
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(&bytes).ok()?;
    Some(key.into())
}

/// The raw ed25519 public key of a `did:key` (the inverse of [`did_key_from_public_key`]);
/// a DID URL's `#fragment` is ignored.
pub fn public_key_from_did_key(did: &str) -> Option<[u8; 32]> {
    let encoded = did.strip_prefix("did:key:z")?.split('#').next()?;
    let bytes = bs58::decode(encoded).into_vec().ok()?;
    let key = bytes.strip_prefix(&ED25519_MULTICODEC[..])?;
    key.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_matches_the_w3c_example() {
        // Test vector from the did:key specification (ed25519 section).
        let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        let decoded = bs58::decode(&did["did:key:z".len()..]).into_vec().unwrap();
        assert_eq!(&decoded[..2], &ED25519_MULTICODEC);
        let key: [u8; 32] = decoded[2..].try_into().unwrap();
        assert_eq!(did_key_from_public_key(&key), did);
        assert_eq!(public_key_from_did_key(did), Some(key));
        assert_eq!(public_key_from_did_key(&format!("{did}#x")), Some(key));
        assert_eq!(public_key_from_did_key("did:key:zzzz"), None);
        assert_eq!(public_key_from_did_key("did:web:example.org"), None);
    }

    #[test]
    fn seeded_identities_are_stable_and_prefixed() {
        let a = NodeIdentity::from_seed([7; 32]);
        let b = NodeIdentity::from_seed([7; 32]);
        assert_eq!(a.peer_id(), b.peer_id());
        assert!(a.did_key().starts_with("did:key:z6Mk"));
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let identity = NodeIdentity::generate();
        identity.save(&path).unwrap();
        assert_eq!(
            NodeIdentity::load(&path).unwrap().peer_id(),
            identity.peer_id()
        );
    }

    #[test]
    fn malformed_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        std::fs::write(&path, b"not a key").unwrap();
        let err = NodeIdentity::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("node.key") && err.contains("not a libp2p"),
            "{err}"
        );
    }
}
