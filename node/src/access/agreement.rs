//! ODRL agreements between a provider and a consumer, signed by both, kept in sled.
//!
//! States use the Eclipse Dataspace Protocol names: the provider creates an agreement as
//! `AGREED` (signed by it), the consumer checks and countersigns it (`VERIFIED`), the provider
//! checks the countersignature (`FINALIZED`), and either side may end it (`TERMINATED`). An
//! agreement is honoured only while `FINALIZED`, before `valid_until`, and while its ODRL
//! policy still permits the request at query time.

use super::budget::{LedgerError, PrivacyLedger};
use crate::store::state::NodeState;
use crate::trust::identity::{NodeIdentity, public_key_of_did_key};
use libp2p::PeerId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const TREE: &str = "agreements";
/// Domain separation for agreement signatures.
const SIGNING_CONTEXT: &[u8] = b"hanse/agreement/v1\n";

/// Dataspace Protocol contract negotiation states hanse uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AgreementState {
    /// The consumer asked (kept only on the consumer while waiting).
    Requested,
    /// The provider signed it.
    Agreed,
    /// The consumer checked and countersigned it.
    Verified,
    /// Both signatures are in place; the provider honours it.
    Finalized,
    /// Revoked or ended; never honoured again.
    Terminated,
}

/// Errors of agreements.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgreementError {
    /// sled failed.
    #[error("agreement storage: {0}")]
    Storage(#[from] sled::Error),
    /// No such agreement.
    #[error("no agreement `{0}`")]
    NotFound(String),
    /// A signature is missing or does not verify.
    #[error("agreement `{id}`: {reason}")]
    Invalid {
        /// The agreement id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Stored data does not decode.
    #[error("stored agreement cannot be read: {0}")]
    Corrupt(String),
    /// The privacy budget ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The signed content of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementTerms {
    /// Unique id (hex).
    pub id: String,
    /// The provider's PeerId (assigner).
    pub provider: String,
    /// The consumer's PeerId (assignee).
    pub consumer: String,
    /// The dataset id on the provider.
    pub dataset: String,
    /// The dataset IRI (the target).
    pub target: String,
    /// The purpose the consumer stated (a DPV IRI).
    pub purpose: String,
    /// The ODRL Agreement (Turtle): the offer's rules with assigner and assignee set.
    pub policy: String,
    /// When it was made (xsd:dateTime).
    pub issued: String,
    /// When it stops being honoured (xsd:dateTime).
    pub valid_until: String,
}

impl AgreementTerms {
    fn signing_bytes(&self) -> Vec<u8> {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        [SIGNING_CONTEXT, &Sha256::digest(canonical)[..]].concat()
    }
}

/// An agreement with its signatures and local bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// What both sides signed.
    #[serde(flatten)]
    pub terms: AgreementTerms,
    /// The provider's Ed25519 signature over the terms (hex).
    pub provider_signature: Option<String>,
    /// The consumer's Ed25519 signature over the terms (hex).
    pub consumer_signature: Option<String>,
    /// Negotiation state on this node.
    pub state: AgreementState,
    /// Queries served under it (provider side).
    #[serde(default)]
    pub uses: u64,
    /// When it was terminated, and why.
    #[serde(default)]
    pub terminated: Option<(String, String)>,
    /// Consumer side: the ε (in millionths) spent under it, as the provider last reported
    /// with a differentially private answer (the provider's own ledger is authoritative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_spent: Option<u64>,
}

fn sign(identity: &NodeIdentity, terms: &AgreementTerms) -> Result<String, AgreementError> {
    identity
        .keypair()
        .sign(&terms.signing_bytes())
        .map(hex::encode)
        .map_err(|e| AgreementError::Invalid {
            id: terms.id.clone(),
            reason: format!("cannot sign: {e}"),
        })
}

fn check(
    peer: &str,
    signature: Option<&str>,
    terms: &AgreementTerms,
    who: &str,
) -> Result<(), AgreementError> {
    let invalid = |reason: String| AgreementError::Invalid {
        id: terms.id.clone(),
        reason,
    };
    let peer: PeerId = peer
        .parse()
        .map_err(|_| invalid(format!("the {who} `{peer}` is not a PeerId")))?;
    let key = crate::trust::identity::public_key_of(&peer)
        .ok_or_else(|| invalid(format!("the {who}'s PeerId holds no ed25519 key")))?;
    let signature = signature
        .and_then(|s| hex::decode(s).ok())
        .ok_or_else(|| invalid(format!("the {who}'s signature is missing")))?;
    if key.verify(&terms.signing_bytes(), &signature) {
        Ok(())
    } else {
        Err(invalid(format!("the {who}'s signature does not verify")))
    }
}

impl Agreement {
    /// A new agreement signed by the provider (`AGREED`).
    pub fn offer(terms: AgreementTerms, provider: &NodeIdentity) -> Result<Self, AgreementError> {
        let provider_signature = Some(sign(provider, &terms)?);
        Ok(Self {
            terms,
            provider_signature,
            consumer_signature: None,
            state: AgreementState::Agreed,
            uses: 0,
            terminated: None,
            reported_spent: None,
        })
    }

    /// Checks the provider's signature, then countersigns (`VERIFIED`).
    pub fn countersign(&mut self, consumer: &NodeIdentity) -> Result<(), AgreementError> {
        self.check_provider()?;
        if self.terms.consumer != consumer.peer_id().to_string() {
            return Err(AgreementError::Invalid {
                id: self.terms.id.clone(),
                reason: "the agreement names another consumer".into(),
            });
        }
        self.consumer_signature = Some(sign(consumer, &self.terms)?);
        self.state = AgreementState::Verified;
        Ok(())
    }

    /// Checks the provider's signature.
    pub fn check_provider(&self) -> Result<(), AgreementError> {
        check(
            &self.terms.provider,
            self.provider_signature.as_deref(),
            &self.terms,
            "provider",
        )
    }

    /// Checks both signatures.
    pub fn check_both(&self) -> Result<(), AgreementError> {
        self.check_provider()?;
        check(
            &self.terms.consumer,
            self.consumer_signature.as_deref(),
            &self.terms,
            "consumer",
        )
    }

    /// Whether it has expired at `now` (xsd:dateTime order).
    pub fn expired(&self, now: &oxsdatatypes::DateTime) -> bool {
        self.terms
            .valid_until
            .parse::<oxsdatatypes::DateTime>()
            .map_or(true, |until| *now >= until)
    }

    /// The state as shown to operators: `EXPIRED` once past `valid_until`.
    pub fn display_state(&self, now: &oxsdatatypes::DateTime) -> String {
        if self.state == AgreementState::Finalized && self.expired(now) {
            "EXPIRED".into()
        } else {
            serde_json::to_value(self.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }
    }
}

/// Agreements in sled, by id, with the privacy budget ledger; cheap to clone.
#[derive(Clone)]
pub struct AgreementStore {
    tree: sled::Tree,
    ledger: PrivacyLedger,
}

impl AgreementStore {
    /// Opens the store in the node's state database.
    pub fn open(state: &NodeState) -> Result<Self, AgreementError> {
        Ok(Self {
            tree: state.db().open_tree(TREE)?,
            ledger: PrivacyLedger::open(state.db())?,
        })
    }

    /// The ε spent under the agreements this node granted.
    pub fn ledger(&self) -> &PrivacyLedger {
        &self.ledger
    }

    /// Stores (or replaces) an agreement durably.
    pub fn put(&self, agreement: &Agreement) -> Result<(), AgreementError> {
        let bytes =
            serde_json::to_vec(agreement).map_err(|e| AgreementError::Corrupt(e.to_string()))?;
        self.tree.insert(agreement.terms.id.as_bytes(), bytes)?;
        self.tree.flush()?;
        Ok(())
    }

    /// One agreement.
    pub fn get(&self, id: &str) -> Result<Agreement, AgreementError> {
        let bytes = self
            .tree
            .get(id.as_bytes())?
            .ok_or_else(|| AgreementError::NotFound(id.to_owned()))?;
        serde_json::from_slice(&bytes).map_err(|e| AgreementError::Corrupt(e.to_string()))
    }

    /// Every agreement (as provider or consumer).
    pub fn list(&self) -> Result<Vec<Agreement>, AgreementError> {
        self.tree
            .iter()
            .values()
            .map(|value| {
                let value = value?;
                serde_json::from_slice(&value).map_err(|e| AgreementError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// Applies `change` to a stored agreement atomically (read, change, write).
    pub fn update(
        &self,
        id: &str,
        change: impl Fn(&mut Agreement),
    ) -> Result<Agreement, AgreementError> {
        let mut result = None;
        self.tree.fetch_and_update(id.as_bytes(), |old| {
            let mut agreement: Agreement = serde_json::from_slice(old?).ok()?;
            change(&mut agreement);
            let bytes = serde_json::to_vec(&agreement).ok()?;
            result = Some(agreement);
            Some(bytes)
        })?;
        self.tree.flush()?;
        result.ok_or_else(|| AgreementError::NotFound(id.to_owned()))
    }
}

/// A fresh agreement id.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The consumer's PeerId from its `did:key` (used as the ODRL assignee).
pub fn peer_of_did(did: &str) -> Option<PeerId> {
    public_key_of_did_key(did).map(|key| key.to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(provider: &NodeIdentity, consumer: &NodeIdentity) -> AgreementTerms {
        AgreementTerms {
            id: new_id(),
            provider: provider.peer_id().to_string(),
            consumer: consumer.peer_id().to_string(),
            dataset: "consumption".into(),
            target: "hanse://x/dataset/consumption".into(),
            purpose: "https://w3id.org/dpv#ScientificResearch".into(),
            policy: String::new(),
            issued: "2026-11-21T10:00:00Z".into(),
            valid_until: "2026-11-22T10:00:00Z".into(),
        }
    }

    #[test]
    fn both_sides_sign_and_tampering_is_detected() {
        let provider = NodeIdentity::from_seed([1; 32]);
        let consumer = NodeIdentity::from_seed([2; 32]);
        let mut agreement = Agreement::offer(terms(&provider, &consumer), &provider).unwrap();
        assert!(agreement.check_both().is_err(), "no countersignature yet");
        agreement.countersign(&consumer).unwrap();
        agreement.check_both().unwrap();
        let mut tampered = agreement.clone();
        tampered.terms.valid_until = "2099-01-01T00:00:00Z".into();
        assert!(tampered.check_both().is_err());
        let mut stranger = agreement.clone();
        assert!(
            stranger
                .countersign(&NodeIdentity::from_seed([3; 32]))
                .is_err()
        );
        let now: oxsdatatypes::DateTime = "2026-11-23T00:00:00Z".parse().unwrap();
        assert!(agreement.expired(&now));
        assert_eq!(peer_of_did(&consumer.did_key()), Some(consumer.peer_id()));
    }
}
