//! Messages that could not be decoded or mapped, kept in sled with their source, raw payload,
//! reason and time until they are replayed (after the mapping is fixed) or deleted.

use crate::store::state::NodeState;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

const TREE: &str = "dead_letters";

/// Most dead letters listed at once.
pub const MAX_LISTED: usize = 1000;

/// One refused message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Its id (increasing).
    pub id: u64,
    /// The source it came from.
    pub source: String,
    /// The MQTT topic, `http`, or `csv:{file}:{line}`.
    pub topic: String,
    /// The payload exactly as received.
    #[serde(with = "payload_encoding")]
    pub payload: Vec<u8>,
    /// Why it was refused.
    pub reason: String,
    /// When it was received (RFC 3339).
    pub received_at: String,
    /// How often a replay has been tried.
    #[serde(default)]
    pub replays: u32,
}

/// Payloads as text when they are UTF-8 (nearly always), else `base64:…`.
mod payload_encoding {
    use super::*;

    pub fn serialize<S: serde::Serializer>(payload: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(payload) {
            Ok(text) if !text.starts_with("base64:") => s.serialize_str(text),
            _ => s.serialize_str(&format!(
                "base64:{}",
                base64::engine::general_purpose::STANDARD.encode(payload)
            )),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        match text.strip_prefix("base64:") {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(serde::de::Error::custom),
            None => Ok(text.into_bytes()),
        }
    }
}

/// Errors of the dead-letter store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeadLetterError {
    /// sled failed.
    #[error("dead-letter store: {0}")]
    Sled(#[from] sled::Error),
    /// A stored record that does not parse (written by another version).
    #[error("dead letter {0} is unreadable: {1}")]
    Corrupt(u64, serde_json::Error),
}

/// The dead-letter store; cheap to clone.
#[derive(Clone, Debug)]
pub struct DeadLetterStore {
    tree: sled::Tree,
    db: sled::Db,
    /// Letters per source, counted once at open and kept current, because the ingest
    /// status (polled by dashboards) must not read every letter.
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl DeadLetterStore {
    /// Opens the store in the node's state database.
    pub fn open(state: &NodeState) -> Result<Self, DeadLetterError> {
        let tree = state.db().open_tree(TREE)?;
        let mut counts = BTreeMap::new();
        for entry in tree.iter() {
            let (_, value) = entry?;
            if let Some(source) = source_of(&value) {
                *counts.entry(source).or_default() += 1;
            }
        }
        Ok(Self {
            tree,
            db: state.db().clone(),
            counts: Arc::new(Mutex::new(counts)),
        })
    }

    fn counts_mut(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores letters and flushes them to disk before returning, so that a message is only
    /// acknowledged once its dead letter is durable. Returns their ids.
    pub fn put_all(&self, letters: &mut [DeadLetter]) -> Result<(), DeadLetterError> {
        for letter in letters.iter_mut() {
            letter.id = self.db.generate_id()?;
            let bytes =
                serde_json::to_vec(letter).map_err(|e| DeadLetterError::Corrupt(letter.id, e))?;
            if self.tree.insert(letter.id.to_be_bytes(), bytes)?.is_none() {
                *self.counts_mut().entry(letter.source.clone()).or_default() += 1;
            }
        }
        self.tree.flush()?;
        Ok(())
    }

    /// Replaces a letter (after a failed replay, with the new reason).
    pub fn update(&self, letter: &DeadLetter) -> Result<(), DeadLetterError> {
        let bytes =
            serde_json::to_vec(letter).map_err(|e| DeadLetterError::Corrupt(letter.id, e))?;
        self.tree.insert(letter.id.to_be_bytes(), bytes)?;
        Ok(())
    }

    /// Deletes a letter (after a successful replay, or by the operator).
    pub fn remove(&self, id: u64) -> Result<bool, DeadLetterError> {
        let Some(removed) = self.tree.remove(id.to_be_bytes())? else {
            return Ok(false);
        };
        self.tree.flush()?;
        if let Some(source) = source_of(&removed) {
            let mut counts = self.counts_mut();
            if let Some(count) = counts.get_mut(&source) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.remove(&source);
                }
            }
        }
        Ok(true)
    }

    /// Letters, oldest first, of one source or all, with ids above `after`, at most `limit`.
    pub fn list(
        &self,
        source: Option<&str>,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, DeadLetterError> {
        let mut letters = Vec::new();
        let start = after.map_or(0, |id| id.saturating_add(1));
        for entry in self.tree.range(start.to_be_bytes()..) {
            let (key, value) = entry?;
            let id = u64::from_be_bytes(key.as_ref().try_into().unwrap_or_default());
            let letter: DeadLetter =
                serde_json::from_slice(&value).map_err(|e| DeadLetterError::Corrupt(id, e))?;
            if source.is_none_or(|s| s == letter.source) {
                letters.push(letter);
                if letters.len() >= limit {
                    break;
                }
            }
        }
        Ok(letters)
    }

    /// How many letters each source has.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts_mut().clone()
    }
}

/// The source of a stored letter, without decoding its payload; `None` if unreadable
/// (such a record is reported by [`DeadLetterStore::list`], not counted).
fn source_of(record: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct SourceOnly {
        source: String,
    }
    serde_json::from_slice::<SourceOnly>(record)
        .ok()
        .map(|letter| letter.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_keep_exact_payloads_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let state = NodeState::open(dir.path()).unwrap();
        let store = DeadLetterStore::open(&state).unwrap();
        let letter = |source: &str, payload: &[u8]| DeadLetter {
            id: 0,
            source: source.into(),
            topic: "t".into(),
            payload: payload.to_vec(),
            reason: "r".into(),
            received_at: "2026-11-21T12:00:00Z".into(),
            replays: 0,
        };
        let mut letters = vec![
            letter("a", b"{\"x\":1}"),
            letter("b", &[0xff, 0x00]),
            letter("a", b"base64:x"),
        ];
        store.put_all(&mut letters).unwrap();
        assert!(letters[0].id < letters[1].id);
        let all = store.list(None, None, 10).unwrap();
        assert_eq!(all, letters);
        assert_eq!(store.list(Some("a"), None, 10).unwrap().len(), 2);
        assert_eq!(store.counts()["a"], 2);
        assert!(store.remove(letters[0].id).unwrap());
        assert!(!store.remove(letters[0].id).unwrap());
        assert_eq!(store.list(None, None, 10).unwrap().len(), 2);
        let expected = BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 1)]);
        assert_eq!(store.counts(), expected);
        assert!(store.remove(letters[1].id).unwrap());
        assert_eq!(store.counts(), BTreeMap::from([("a".to_owned(), 1)]));
        // Counted again from the records when the store is reopened.
        drop(store);
        let reopened = DeadLetterStore::open(&state).unwrap();
        assert_eq!(reopened.counts(), BTreeMap::from([("a".to_owned(), 1)]));
    }
}
