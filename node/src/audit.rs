//! The signed, hash-chained audit log of remote access decisions.
//!
//! Every decision a provider takes on a remote request (allow or deny) becomes one
//! [`AuditEntry`] in the sled tree `audit`, keyed by a big-endian sequence number. Each entry
//! carries the SHA-256 hash of the previous entry, its own hash over a canonical encoding,
//! and the node's Ed25519 signature over that hash. [`AuditLog::verify`] walks the chain and
//! names the first entry whose content, link or signature does not check out, so editing,
//! deleting or reordering any entry is detected.

use crate::store::state::NodeState;
use crate::trust::identity::NodeIdentity;
use libp2p::identity::PublicKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

const TREE: &str = "audit";
/// `prev_hash` of the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Domain separation for audit signatures.
const SIGNING_CONTEXT: &[u8] = b"hanse/audit/v1\n";

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// sled failed.
    #[error("audit log storage: {0}")]
    Storage(#[from] sled::Error),
    /// An entry could not be signed.
    #[error("cannot sign an audit entry: {0}")]
    Signing(String),
    /// The chain is broken at `seq`: the entry was altered, removed or forged.
    #[error("audit log entry {seq} fails verification: {reason}")]
    Broken {
        /// Sequence number of the first bad entry.
        seq: u64,
        /// What did not check out.
        reason: String,
    },
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditDecision {
    /// The request was served.
    Allow,
    /// The request was refused.
    Deny,
}

/// What is recorded about one decision (the caller's part of an entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The requester's PeerId.
    pub requester: String,
    /// The dataset asked for.
    pub dataset: String,
    /// The stated purpose (a DPV IRI).
    pub purpose: Option<String>,
    /// The agreement the request relied on.
    pub agreement: Option<String>,
    /// SHA-256 (hex) of the query text.
    pub query_hash: String,
    /// Allow or deny.
    pub decision: AuditDecision,
    /// Why (the policy engine's reason).
    pub reason: String,
    /// Rows returned, for allowed queries.
    pub rows: Option<u64>,
    /// The person behind the request: a local user or OIDC subject of this node, or, for a
    /// member's query, the person the member says it asks for. Absent in entries written
    /// before people were named (so their hashes still verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// When the decision was taken (xsd:dateTime).
    pub time: String,
    /// What was decided.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Hash of the previous entry (zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of this entry's canonical encoding (everything above).
    pub hash: String,
    /// The node's Ed25519 signature over `hash` (hex).
    pub signature: String,
}

/// The part of an entry that is hashed: everything but the hash and the signature.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    time: &'a str,
    record: &'a AuditRecord,
    prev_hash: &'a str,
}

fn entry_hash(seq: u64, time: &str, record: &AuditRecord, prev_hash: &str) -> String {
    let canonical = serde_json::to_vec(&Hashed {
        seq,
        time,
        record,
        prev_hash,
    })
    .unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}

fn signing_bytes(hash: &str) -> Vec<u8> {
    [SIGNING_CONTEXT, hash.as_bytes()].concat()
}

/// The node's audit log; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    tree: sled::Tree,
    identity: NodeIdentity,
    // Appends read the last entry and write the next: one at a time. A std mutex, held only
    // across synchronous sled calls, never across an await.
    append_lock: Arc<Mutex<()>>,
}

impl AuditLog {
    /// Opens the log in the node's state database.
    pub fn open(state: &NodeState, identity: NodeIdentity) -> Result<Self, AuditError> {
        Ok(Self {
            tree: state.db().open_tree(TREE)?,
            identity,
            append_lock: Arc::new(Mutex::new(())),
        })
    }

    /// Appends a decision, chained to the last entry and signed; flushed before returning.
    pub fn append(&self, record: AuditRecord) -> Result<AuditEntry, AuditError> {
        let _guard = self
            .append_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (seq, prev_hash) = match self.tree.last()? {
            Some((_, value)) => {
                let last: AuditEntry =
                    serde_json::from_slice(&value).map_err(|e| AuditError::Broken {
                        seq: u64::MAX,
                        reason: format!("last entry is unreadable: {e}"),
                    })?;
                (last.seq + 1, last.hash)
            }
            None => (0, GENESIS.to_owned()),
        };
        let time = oxsdatatypes::DateTime::now().to_string();
        let hash = entry_hash(seq, &time, &record, &prev_hash);
        let signature = self
            .identity
            .keypair()
            .sign(&signing_bytes(&hash))
            .map_err(|e| AuditError::Signing(e.to_string()))?;
        let entry = AuditEntry {
            seq,
            time,
            record,
            prev_hash,
            hash,
            signature: hex::encode(signature),
        };
        let bytes = serde_json::to_vec(&entry).map_err(|e| AuditError::Signing(e.to_string()))?;
        self.tree.insert(seq.to_be_bytes(), bytes)?;
        // An audit entry must survive a crash right after the decision it records.
        self.tree.flush()?;
        Ok(entry)
    }

    /// Entries from `from` (inclusive), at most `limit`.
    pub fn entries(&self, from: u64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        self.tree
            .range(from.to_be_bytes()..)
            .take(limit)
            .map(|item| {
                let (key, value) = item?;
                serde_json::from_slice(&value).map_err(|e| AuditError::Broken {
                    seq: key_seq(&key),
                    reason: format!("unreadable entry: {e}"),
                })
            })
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Checks the whole chain against this node's key; returns the number of entries.
    pub fn verify(&self) -> Result<u64, AuditError> {
        verify_entries(
            self.tree.iter().map(|item| {
                let (key, value) = item?;
                Ok((key_seq(&key), value.to_vec()))
            }),
            &self.identity.keypair().public(),
        )
    }
}

fn key_seq(key: &[u8]) -> u64 {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .unwrap_or(u64::MAX)
}

/// Verifies raw `(key seq, stored bytes)` pairs in order against `key`.
pub fn verify_entries(
    entries: impl Iterator<Item = Result<(u64, Vec<u8>), AuditError>>,
    key: &PublicKey,
) -> Result<u64, AuditError> {
    let mut expected_prev = GENESIS.to_owned();
    let mut count = 0;
    for item in entries {
        let (seq, bytes) = item?;
        let broken = |reason: String| AuditError::Broken { seq, reason };
        let entry: AuditEntry =
            serde_json::from_slice(&bytes).map_err(|e| broken(format!("unreadable: {e}")))?;
        if entry.seq != seq || seq != count {
            return Err(broken(format!(
                "out of sequence (stored as {seq}, says {}, expected {count})",
                entry.seq
            )));
        }
        if entry.prev_hash != expected_prev {
            return Err(broken("does not link to the previous entry".into()));
        }
        let hash = entry_hash(entry.seq, &entry.time, &entry.record, &entry.prev_hash);
        if hash != entry.hash {
            return Err(broken("content does not match its hash".into()));
        }
        let signature = hex::decode(&entry.signature)
            .map_err(|e| broken(format!("bad signature encoding: {e}")))?;
        if !key.verify(&signing_bytes(&entry.hash), &signature) {
            return Err(broken("signature does not verify with the node key".into()));
        }
        expected_prev = entry.hash;
        count += 1;
    }
    Ok(count)
}

/// SHA-256 (hex) of a query text, as recorded in entries.
pub fn query_hash(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(decision: AuditDecision) -> AuditRecord {
        AuditRecord {
            requester: "12D3KooWResearcher".into(),
            dataset: "https://water.example/consumption".into(),
            purpose: Some("https://w3id.org/dpv#AcademicResearch".into()),
            agreement: Some("urn:agreement:1".into()),
            query_hash: query_hash("SELECT * { ?s ?p ?o }"),
            decision,
            reason: "permitted by urn:rule".into(),
            rows: Some(12),
            person: None,
        }
    }

    fn log() -> (tempfile::TempDir, NodeState, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let state = NodeState::open(dir.path()).unwrap();
        let log = AuditLog::open(&state, NodeIdentity::from_seed([3; 32])).unwrap();
        (dir, state, log)
    }

    #[test]
    fn appended_entries_chain_and_verify() {
        let (_dir, _state, log) = log();
        for decision in [
            AuditDecision::Allow,
            AuditDecision::Deny,
            AuditDecision::Allow,
        ] {
            log.append(record(decision)).unwrap();
        }
        assert_eq!(log.verify().unwrap(), 3);
        let entries = log.entries(0, 10).unwrap();
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert_eq!(entries[1].record.decision, AuditDecision::Deny);
        assert_eq!(log.entries(2, 10).unwrap().len(), 1);
    }

    #[test]
    fn the_person_is_recorded_and_older_entries_keep_their_hash() {
        let (_dir, _state, log) = log();
        log.append(record(AuditDecision::Allow)).unwrap();
        let named = AuditRecord {
            person: Some("user:alice".into()),
            ..record(AuditDecision::Deny)
        };
        log.append(named).unwrap();
        assert_eq!(log.verify().unwrap(), 2);
        let entries = log.entries(0, 10).unwrap();
        assert_eq!(entries[1].record.person.as_deref(), Some("user:alice"));
        // An entry without a person serialises without the key, as before the field existed.
        let unnamed = serde_json::to_value(&entries[0]).unwrap();
        assert!(unnamed.get("person").is_none(), "{unnamed}");
    }

    #[test]
    fn flipping_any_byte_of_an_entry_is_detected() {
        let (_dir, state, log) = log();
        for _ in 0..3 {
            log.append(record(AuditDecision::Allow)).unwrap();
        }
        let tree = state.db().open_tree(TREE).unwrap();
        let original = tree.get(1u64.to_be_bytes()).unwrap().unwrap().to_vec();
        for position in (0..original.len()).step_by(7) {
            let mut tampered = original.clone();
            tampered[position] ^= 0x01;
            tree.insert(1u64.to_be_bytes(), tampered).unwrap();
            let err = log.verify().unwrap_err();
            assert!(
                matches!(err, AuditError::Broken { seq: 1, .. }),
                "byte {position}: {err}"
            );
        }
        tree.insert(1u64.to_be_bytes(), original).unwrap();
        assert_eq!(log.verify().unwrap(), 3);
        tree.remove(1u64.to_be_bytes()).unwrap();
        assert!(log.verify().is_err(), "a removed entry must be detected");
    }

    #[test]
    fn another_key_does_not_verify() {
        let (_dir, state, log) = log();
        log.append(record(AuditDecision::Deny)).unwrap();
        let other = AuditLog::open(&state, NodeIdentity::from_seed([4; 32])).unwrap();
        let err = other.verify().unwrap_err().to_string();
        assert!(err.contains("signature"), "{err}");
    }
}
