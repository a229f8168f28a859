//! Node-to-node request/response messages (CBOR over libp2p request-response).
//!
//! One protocol carries every node-to-node exchange; each capability adds its variants.
//! Sizes are bounded by the codec (`p2p.max_message_bytes`), time by `p2p.request_timeout_secs`.

use serde::{Deserialize, Serialize};

/// libp2p protocol name of hanse requests.
pub const PROTOCOL: &str = "/hanse/req/1";
/// Protocol name announced by identify, so peers can tell hanse nodes apart.
pub const AGENT_PROTOCOL: &str = "/hanse/1.0.0";

/// A request from one node to another.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// "I have membership version N; send yours if it is newer."
    Membership {
        /// The requester's current version.
        have_version: u64,
    },
    /// "Which catalogue versions do you hold?" (anti-entropy for catalogues).
    CatalogDigest,
    /// "Send the latest verified catalogue you hold of `publisher` (a PeerId)."
    Catalog {
        /// The member whose catalogue is asked for.
        publisher: String,
    },
    /// A consumer asks for an agreement to use `dataset` for `purpose`.
    Access {
        /// The dataset id on the provider.
        dataset: String,
        /// A DPV purpose IRI.
        purpose: String,
        /// How long the consumer needs it, in seconds (capped by the provider).
        valid_for_secs: Option<u64>,
    },
    /// The consumer returns the agreement with its countersignature (JSON).
    Countersign {
        /// The agreement, signed by both.
        agreement: Vec<u8>,
    },
    /// The provider tells the consumer an agreement was terminated.
    Terminate {
        /// The agreement id.
        id: String,
        /// Why.
        reason: String,
    },
    /// A SPARQL SELECT or ASK over the provider's datasets, evaluated under the requester's
    /// rights; answered with the first [`SolutionChunk`].
    Query {
        /// The query text.
        query: String,
        /// The stated purpose (a DPV IRI).
        purpose: Option<String>,
        /// Agreements the requester relies on.
        agreements: Vec<String>,
        /// Dataset ids to query; empty for every dataset the requester may use.
        datasets: Vec<String>,
        /// The requester's limits (the provider applies its own too).
        limits: QueryLimits,
        /// The person on the requester's node the query is asked for (a local user or OIDC
        /// subject), for the provider's audit log; absent from older nodes.
        #[serde(default)]
        on_behalf_of: Option<String>,
    },
    /// The next chunk of an answer whose previous chunk said [`ChunkStatus::More`].
    QueryMore {
        /// The answer's id, from its first chunk.
        id: u64,
    },
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// The responder's membership document (JSON) if newer than the requester's.
    Membership {
        /// `None` when the requester is up to date.
        document: Option<Vec<u8>>,
    },
    /// Publisher PeerId and version of every verified catalogue the responder holds.
    CatalogDigest {
        /// `(publisher, version)` pairs.
        versions: Vec<(String, u64)>,
    },
    /// A signed catalogue (N-Quads), or `None` if the responder holds none of that member.
    Catalog {
        /// The signed catalogue.
        nquads: Option<String>,
    },
    /// The provider's answer to [`Request::Access`]: a provider-signed agreement (JSON), or
    /// `None` and the reason for the denial.
    Agreement {
        /// The agreement, if granted.
        agreement: Option<Vec<u8>>,
        /// Why it was granted or denied.
        reason: String,
    },
    /// Acknowledges [`Request::Countersign`] or [`Request::Terminate`].
    Ack {
        /// Whether it was accepted.
        ok: bool,
        /// Why not, if not.
        reason: String,
    },
    /// A chunk of the answer to [`Request::Query`] or [`Request::QueryMore`].
    Solutions(SolutionChunk),
    /// The request was refused or failed; the text says why.
    Error(String),
}

/// Limits a requester puts on a remote query.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueryLimits {
    /// Evaluation time allowed, in milliseconds.
    pub timeout_ms: u64,
    /// Rows wanted at most; more are cut and the answer marked truncated.
    pub max_rows: u64,
}

/// How an answer stands after a chunk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum ChunkStatus {
    /// More chunks follow: ask with [`Request::QueryMore`].
    More,
    /// This was the last chunk; the answer is complete.
    Complete,
    /// The last chunk; rows beyond the requester's `max_rows` were cut.
    Truncated,
    /// The provider refused the query; nothing was evaluated.
    Denied(String),
    /// Evaluation failed (timeout, limit, bad query).
    Error(String),
}

/// Part of a query answer, small enough for one message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SolutionChunk {
    /// The answer's id, to ask for the next chunk.
    pub id: u64,
    /// Variable names (repeated in every chunk, so each chunk reads on its own).
    pub variables: Vec<String>,
    /// Rows: one optional term per variable, in N-Triples syntax.
    pub rows: Vec<Vec<Option<String>>>,
    /// Whether more follows, and how the answer ended.
    pub status: ChunkStatus,
    /// Dataset ids the answer was computed over.
    pub datasets: Vec<String>,
    /// For an aggregation-only answer: what was withheld and what noise was added (on the
    /// first chunk). Absent from older nodes' chunks. Boxed: most chunks carry none.
    #[serde(default)]
    pub disclosure: Option<Box<Disclosure>>,
}

/// What the provider did to an aggregation-only answer, so that its consumer can read it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Disclosure {
    /// What happened, in plain words.
    pub summary: String,
    /// Distinct individuals every released group holds at least.
    pub minimum_group_size: u64,
    /// The property whose objects are the individuals counted (`hanse:privacyUnit`).
    pub privacy_unit: String,
    /// Groups withheld for being too small; `None` under differential privacy, where the
    /// number is itself an exact count and is not disclosed.
    pub suppressed_groups: Option<u64>,
    /// The noise added, for a differentially private answer.
    pub noise: Option<NoiseDisclosure>,
}

/// The noise of a differentially private answer and the budget left.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NoiseDisclosure {
    /// The mechanism, with its reference.
    pub mechanism: String,
    /// The agreement the answer was charged to.
    pub agreement: String,
    /// The privacy loss ε of this answer.
    pub epsilon: f64,
    /// ε charged now: `epsilon` for a new answer, 0 for a repeated one.
    pub charged: f64,
    /// Whether this exact answer was given before (same query over the same data).
    pub repeated: bool,
    /// The agreement's budget.
    pub budget: f64,
    /// ε spent under the agreement, this answer included.
    pub spent: f64,
    /// ε left.
    pub remaining: f64,
    /// Values of sums and means were clamped to this range.
    pub bounds: Option<(f64, f64)>,
    /// Records of one individual counted in one group.
    pub max_contributions: u64,
    /// Groups one individual counted in.
    pub max_groups: u64,
    /// The noise of each aggregate.
    pub columns: Vec<ColumnNoise>,
}

/// The noise of one aggregate column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnNoise {
    /// The answer's column (the projected variable).
    pub column: String,
    /// The aggregate, as written (`AVG(?litres)`).
    pub aggregate: String,
    /// The discrete Laplace scale `b` of the noise, in the column's unit (the mean absolute
    /// error is about `b`; a mean's noise is this divided by the group's household count).
    pub scale: f64,
    /// What the released number is, where it differs from plain SQL semantics.
    pub meaning: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<T: Serialize>(value: &T) -> Vec<u8> {
        cbor4ii::serde::to_vec(Vec::new(), value).unwrap()
    }

    #[test]
    fn requests_round_trip_and_bad_bytes_are_errors() {
        let bytes = encode(&Request::Membership { have_version: 7 });
        let back: Request = cbor4ii::serde::from_slice(&bytes).unwrap();
        assert!(matches!(back, Request::Membership { have_version: 7 }));
        for cut in 0..bytes.len() {
            assert!(
                cbor4ii::serde::from_slice::<Request>(&bytes[..cut]).is_err(),
                "cut {cut}"
            );
        }
        for garbage in [&b"\xff\xff\xff"[..], b"\x00", b"hello", b"\xbf\x61a"] {
            assert!(cbor4ii::serde::from_slice::<Request>(garbage).is_err());
        }
    }

    #[test]
    fn chunks_from_nodes_without_disclosures_still_decode() {
        #[derive(Serialize)]
        struct OldChunk {
            id: u64,
            variables: Vec<String>,
            rows: Vec<Vec<Option<String>>>,
            status: ChunkStatus,
            datasets: Vec<String>,
        }
        let old = OldChunk {
            id: 3,
            variables: vec!["n".into()],
            rows: vec![vec![Some("\"1\"".into())]],
            status: ChunkStatus::Complete,
            datasets: vec!["d".into()],
        };
        let chunk: SolutionChunk = cbor4ii::serde::from_slice(&encode(&old)).unwrap();
        assert_eq!((chunk.id, chunk.disclosure), (3, None));
    }

    #[test]
    fn responses_with_truncated_documents_are_errors() {
        let bytes = encode(&Response::Membership {
            document: Some(vec![b'{'; 300]),
        });
        for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                cbor4ii::serde::from_slice::<Response>(&bytes[..cut]).is_err(),
                "cut {cut}"
            );
        }
    }
}
