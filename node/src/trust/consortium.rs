//! Consortium membership: the signed document that says who may connect.
//!
//! A consortium is described by a [`MembershipDocument`] (id, name, version, members, the
//! steward set and an m-of-n threshold). Stewards sign its canonical encoding with their node
//! keys; a [`SignedMembership`] carries the document and the signatures.
//!
//! Rules (checked by [`SignedMembership::verify_genesis`] and [`SignedMembership::verify_update`]):
//!
//! - the first document needs `threshold` valid signatures from its own stewards;
//! - every later document needs the same consortium id, a strictly higher version, and
//!   `threshold` valid signatures from the stewards **of the current document** — so a
//!   steward set can only be changed by the stewards it replaces;
//! - stewards must be members; the threshold is between 1 and the number of stewards.
//!
//! Public keys come from the PeerIds themselves (ed25519 PeerIds embed the key), so the
//! document needs no separate key list.

use super::identity::{NodeIdentity, public_key_of};
use crate::config::Role;
use libp2p::identity::PeerId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Largest encoded membership document accepted from anywhere (file, HTTP, gossip).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Most members a document may list.
pub const MAX_MEMBERS: usize = 10_000;
/// Domain separation: a membership signature can never be replayed as another kind.
const SIGNING_CONTEXT: &[u8] = b"hanse/membership/v1\n";

/// Why a membership document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// The bytes are not a membership document.
    #[error("not a membership document: {0}")]
    Malformed(String),
    /// The encoded document is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("membership document is {0} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit")]
    TooLarge(usize),
    /// The document is internally inconsistent (threshold, stewards, duplicates…).
    #[error("invalid membership document: {0}")]
    Invalid(String),
    /// The update is for another consortium.
    #[error("document is for consortium `{found}`, this node is in `{expected}`")]
    WrongConsortium {
        /// The current consortium id.
        expected: String,
        /// The id in the update.
        found: String,
    },
    /// The update's version is not newer than the current one.
    #[error("version {found} is not newer than the current version {current}")]
    NotNewer {
        /// The current version.
        current: u64,
        /// The version in the update.
        found: u64,
    },
    /// Fewer valid steward signatures than the threshold.
    #[error("{valid} valid signature(s) from current stewards, {required} required{details}")]
    BelowThreshold {
        /// Valid signatures from stewards.
        valid: usize,
        /// The threshold that applies.
        required: u32,
        /// What was wrong with the other signatures, if anything.
        details: String,
    },
}

/// One member of the consortium.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member node's libp2p PeerId (base58).
    pub peer_id: String,
    /// Display name of the node, e.g. `mechelen`.
    pub name: String,
    /// Organisation running it, e.g. `Stad Mechelen`.
    pub organisation: String,
    /// Its role: city, utility, research or steward.
    pub role: Role,
    /// Multiaddresses where it can be reached (optional; used as bootstrap addresses).
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// The content that stewards sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipDocument {
    /// Stable identifier of the consortium, e.g. `scifi-region`.
    pub consortium_id: String,
    /// Human-readable name.
    pub name: String,
    /// Monotonic version; every change increments it.
    pub version: u64,
    /// PeerIds of the stewards, who sign changes.
    pub stewards: Vec<String>,
    /// Signatures required from current stewards (m of n).
    pub threshold: u32,
    /// The members (stewards included).
    pub members: Vec<Member>,
}

/// One steward's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StewardSignature {
    /// The steward's PeerId.
    pub steward: String,
    /// Ed25519 signature over the canonical encoding, hex.
    pub signature: String,
}

/// A membership document with its steward signatures: what travels and is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedMembership {
    /// The signed content.
    pub document: MembershipDocument,
    /// Signatures, at most one per steward.
    #[serde(default)]
    pub signatures: Vec<StewardSignature>,
}

impl MembershipDocument {
    /// A new, empty, unsigned version-1 document.
    pub fn new(consortium_id: &str, name: &str, threshold: u32) -> Self {
        Self {
            consortium_id: consortium_id.to_owned(),
            name: name.to_owned(),
            version: 1,
            stewards: Vec::new(),
            threshold,
            members: Vec::new(),
        }
    }

    /// The canonical bytes that are signed: compact JSON of the document with members and
    /// stewards sorted by PeerId (field order is fixed by the struct), after a context tag.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut canonical = self.clone();
        canonical.stewards.sort();
        canonical.stewards.dedup();
        canonical.members.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        let mut bytes = SIGNING_CONTEXT.to_vec();
        // Serialising plain structs of strings and numbers cannot fail.
        bytes.extend(serde_json::to_vec(&canonical).unwrap_or_default());
        bytes
    }

    /// The member with this PeerId, if any.
    pub fn member(&self, peer: &PeerId) -> Option<&Member> {
        let peer = peer.to_string();
        self.members.iter().find(|m| m.peer_id == peer)
    }

    /// Whether `peer` is a member.
    pub fn is_member(&self, peer: &PeerId) -> bool {
        self.member(peer).is_some()
    }

    /// Every member's PeerId (members with unparsable ids are left out; `check` refuses them).
    pub fn member_peer_ids(&self) -> Vec<PeerId> {
        self.members
            .iter()
            .filter_map(|m| m.peer_id.parse().ok())
            .collect()
    }

    /// Internal consistency: ids parse, no duplicates, stewards are members, sane threshold.
    pub fn check(&self) -> Result<(), MembershipError> {
        let invalid = |m: String| Err(MembershipError::Invalid(m));
        if self.consortium_id.trim().is_empty() {
            return invalid("consortium_id is empty".into());
        }
        if self.members.len() > MAX_MEMBERS {
            return invalid(format!(
                "{} members, at most {MAX_MEMBERS}",
                self.members.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for member in &self.members {
            parse_peer(&member.peer_id)?;
            if !seen.insert(member.peer_id.as_str()) {
                return invalid(format!("member {} is listed twice", member.peer_id));
            }
        }
        let stewards: BTreeSet<&str> = self.stewards.iter().map(String::as_str).collect();
        if stewards.len() != self.stewards.len() {
            return invalid("a steward is listed twice".into());
        }
        for steward in &stewards {
            parse_peer(steward)?;
            if !seen.contains(steward) {
                return invalid(format!("steward {steward} is not a member"));
            }
        }
        if self.threshold == 0 || self.threshold as usize > stewards.len() {
            return invalid(format!(
                "threshold {} must be between 1 and the number of stewards ({})",
                self.threshold,
                stewards.len()
            ));
        }
        Ok(())
    }
}

fn parse_peer(id: &str) -> Result<PeerId, MembershipError> {
    id.parse()
        .map_err(|e| MembershipError::Invalid(format!("`{id}` is not a PeerId: {e}")))
}

impl SignedMembership {
    /// An unsigned wrapper around `document`.
    pub fn unsigned(document: MembershipDocument) -> Self {
        Self {
            document,
            signatures: Vec::new(),
        }
    }

    /// Parses JSON bytes, bounded by [`MAX_DOCUMENT_BYTES`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, MembershipError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(MembershipError::TooLarge(bytes.len()));
        }
        serde_json::from_slice(bytes).map_err(|e| MembershipError::Malformed(e.to_string()))
    }

    /// Pretty JSON, as written to `consortium.json`.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Adds (or replaces) `identity`'s signature over the current document.
    pub fn sign(&mut self, identity: &NodeIdentity) -> Result<(), MembershipError> {
        let signature = identity
            .keypair()
            .sign(&self.document.signing_bytes())
            .map_err(|e| MembershipError::Invalid(format!("cannot sign: {e}")))?;
        let steward = identity.peer_id().to_string();
        self.signatures.retain(|s| s.steward != steward);
        self.signatures.push(StewardSignature {
            steward,
            signature: hex::encode(&signature),
        });
        Ok(())
    }

    /// Removes all signatures (after the document changed, old ones are void).
    pub fn clear_signatures(&mut self) {
        self.signatures.clear();
    }

    /// Counts valid signatures from `stewards`, explaining the ones that do not count.
    fn count_valid(&self, stewards: &[String]) -> (usize, Vec<String>) {
        let message = self.document.signing_bytes();
        let mut counted = BTreeSet::new();
        let mut problems = Vec::new();
        for signature in &self.signatures {
            if !stewards.contains(&signature.steward) {
                problems.push(format!("{} is not a current steward", signature.steward));
                continue;
            }
            let key = signature
                .steward
                .parse::<PeerId>()
                .ok()
                .as_ref()
                .and_then(public_key_of);
            let Some(key) = key else {
                problems.push(format!("{} has no ed25519 key", signature.steward));
                continue;
            };
            match hex::decode(&signature.signature) {
                Ok(sig) if key.verify(&message, &sig) => {
                    counted.insert(signature.steward.clone());
                }
                _ => problems.push(format!(
                    "signature of {} does not verify",
                    signature.steward
                )),
            }
        }
        (counted.len(), problems)
    }

    fn require(&self, stewards: &[String], threshold: u32) -> Result<(), MembershipError> {
        let (valid, problems) = self.count_valid(stewards);
        if valid >= threshold as usize {
            return Ok(());
        }
        Err(MembershipError::BelowThreshold {
            valid,
            required: threshold,
            details: if problems.is_empty() {
                String::new()
            } else {
                format!(" ({})", problems.join("; "))
            },
        })
    }

    /// Verifies a first document: consistent, and signed by `threshold` of its own stewards.
    pub fn verify_genesis(&self) -> Result<(), MembershipError> {
        self.document.check()?;
        self.require(&self.document.stewards, self.document.threshold)
    }

    /// Verifies `self` as the successor of `current` (see the module rules).
    pub fn verify_update(&self, current: &MembershipDocument) -> Result<(), MembershipError> {
        self.document.check()?;
        if self.document.consortium_id != current.consortium_id {
            return Err(MembershipError::WrongConsortium {
                expected: current.consortium_id.clone(),
                found: self.document.consortium_id.clone(),
            });
        }
        if self.document.version <= current.version {
            return Err(MembershipError::NotNewer {
                current: current.version,
                found: self.document.version,
            });
        }
        self.require(&current.stewards, current.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(n: u8) -> NodeIdentity {
        NodeIdentity::from_seed([n; 32])
    }

    fn member(id: &NodeIdentity, name: &str, role: Role) -> Member {
        Member {
            peer_id: id.peer_id().to_string(),
            name: name.into(),
            organisation: format!("{name} org"),
            role,
            addresses: vec![],
        }
    }

    /// Stewards 1, 2, 3 (threshold 2) and two cities.
    fn genesis() -> (SignedMembership, Vec<NodeIdentity>) {
        let ids: Vec<_> = (1..=5).map(identity).collect();
        let mut doc = MembershipDocument::new("scifi", "SCIFI region", 2);
        for (i, id) in ids.iter().enumerate() {
            let role = if i < 3 { Role::Steward } else { Role::City };
            doc.members.push(member(id, &format!("node{i}"), role));
            if i < 3 {
                doc.stewards.push(id.peer_id().to_string());
            }
        }
        let mut signed = SignedMembership::unsigned(doc);
        signed.sign(&ids[0]).unwrap();
        signed.sign(&ids[1]).unwrap();
        (signed, ids)
    }

    fn next(current: &SignedMembership) -> SignedMembership {
        let mut doc = current.document.clone();
        doc.version += 1;
        doc.members.retain(|m| m.name != "node4");
        SignedMembership::unsigned(doc)
    }

    #[test]
    fn genesis_with_threshold_signatures_verifies() {
        let (signed, _) = genesis();
        signed.verify_genesis().unwrap();
        let round_trip = SignedMembership::from_json(&signed.to_json()).unwrap();
        round_trip.verify_genesis().unwrap();
    }

    #[test]
    fn update_signed_by_threshold_of_current_stewards_is_accepted() {
        let (current, ids) = genesis();
        let mut update = next(&current);
        update.sign(&ids[1]).unwrap();
        update.sign(&ids[2]).unwrap();
        update.verify_update(&current.document).unwrap();
    }

    #[test]
    fn update_below_threshold_is_rejected() {
        let (current, ids) = genesis();
        let mut update = next(&current);
        update.sign(&ids[0]).unwrap();
        let err = update.verify_update(&current.document).unwrap_err();
        assert!(
            matches!(
                err,
                MembershipError::BelowThreshold {
                    valid: 1,
                    required: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("2 required"), "{err}");
    }

    #[test]
    fn update_signed_by_non_stewards_is_rejected() {
        let (current, ids) = genesis();
        let mut update = next(&current);
        update.sign(&ids[0]).unwrap();
        update.sign(&ids[3]).unwrap(); // a city, not a steward
        let err = update
            .verify_update(&current.document)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a current steward"), "{err}");
        assert!(err.contains(&ids[3].peer_id().to_string()), "{err}");
    }

    #[test]
    fn new_stewards_cannot_authorise_their_own_appointment() {
        let (current, ids) = genesis();
        let outsider = identity(9);
        let mut doc = current.document.clone();
        doc.version += 1;
        doc.members
            .push(member(&outsider, "usurper", Role::Steward));
        doc.stewards = vec![outsider.peer_id().to_string()];
        doc.threshold = 1;
        let mut update = SignedMembership::unsigned(doc);
        update.sign(&outsider).unwrap();
        assert!(update.verify_update(&current.document).is_err());
        update.sign(&ids[0]).unwrap();
        update.sign(&ids[2]).unwrap();
        update.verify_update(&current.document).unwrap();
    }

    #[test]
    fn old_or_equal_versions_are_rejected() {
        let (current, ids) = genesis();
        let mut replay = current.clone();
        replay.sign(&ids[2]).unwrap();
        let err = replay.verify_update(&current.document).unwrap_err();
        assert_eq!(
            err,
            MembershipError::NotNewer {
                current: 1,
                found: 1
            }
        );
        assert!(err.to_string().contains("not newer"));
    }

    #[test]
    fn tampering_after_signing_breaks_signatures() {
        let (current, ids) = genesis();
        let mut update = next(&current);
        update.sign(&ids[0]).unwrap();
        update.sign(&ids[1]).unwrap();
        update.document.members[0].name = "renamed".into();
        let err = update
            .verify_update(&current.document)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not verify"), "{err}");
        // A flipped signature byte also fails.
        let (mut forged, _) = genesis();
        let sig = &mut forged.signatures[0].signature;
        let flipped = if sig.ends_with('0') { '1' } else { '0' };
        sig.pop();
        sig.push(flipped);
        assert!(forged.verify_genesis().is_err());
    }

    #[test]
    fn inconsistent_documents_are_named() {
        let (mut signed, _) = genesis();
        signed.document.threshold = 4;
        assert!(
            signed
                .verify_genesis()
                .unwrap_err()
                .to_string()
                .contains("threshold 4")
        );
        let (mut signed, _) = genesis();
        signed
            .document
            .stewards
            .push(identity(8).peer_id().to_string());
        assert!(
            signed
                .verify_genesis()
                .unwrap_err()
                .to_string()
                .contains("is not a member")
        );
        let (mut signed, _) = genesis();
        signed
            .document
            .members
            .push(signed.document.members[0].clone());
        assert!(
            signed
                .verify_genesis()
                .unwrap_err()
                .to_string()
                .contains("listed twice")
        );
    }

    #[test]
    fn garbage_truncated_and_oversized_bytes_are_rejected() {
        let (signed, _) = genesis();
        let json = signed.to_json();
        for cut in [0, 1, json.len() / 2, json.len() - 3] {
            assert!(
                SignedMembership::from_json(&json[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(SignedMembership::from_json(b"\xff\xfe garbage").is_err());
        let huge = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert_eq!(
            SignedMembership::from_json(&huge).unwrap_err(),
            MembershipError::TooLarge(MAX_DOCUMENT_BYTES + 1)
        );
    }

    #[test]
    fn signing_bytes_ignore_member_order() {
        let (signed, _) = genesis();
        let mut shuffled = signed.document.clone();
        shuffled.members.reverse();
        shuffled.stewards.reverse();
        assert_eq!(shuffled.signing_bytes(), signed.document.signing_bytes());
    }
}
