//! Errors of the network.

use crate::trust::membership::CurrentMembershipError;
use libp2p::gossipsub;

/// Errors of the network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// A configured address is not a multiaddress.
    #[error("invalid address `{address}` in {key}: {reason}")]
    Address {
        /// The configuration key.
        key: &'static str,
        /// The value.
        address: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The transport or a behaviour could not be set up, or a listen address could not be bound.
    #[error("cannot start the network: {0}")]
    Setup(String),
    /// The network task did not take the command in time.
    #[error("the network task is busy; try again")]
    Busy,
    /// The network task has stopped.
    #[error("the network is not running")]
    Stopped,
    /// No member is connected to receive a gossip message.
    #[error("no connected member to send to")]
    NoPeers,
    /// A gossip message is larger than `p2p.max_gossip_bytes`.
    #[error("message too large for gossip (p2p.max_gossip_bytes)")]
    TooLarge,
    /// Another gossip failure.
    #[error("gossip failed: {0}")]
    Gossip(String),
    /// A dial could not start.
    #[error("dial failed: {0}")]
    Dial(String),
    /// A membership update was refused.
    #[error(transparent)]
    Membership(#[from] CurrentMembershipError),
    /// A request to a peer failed (unreachable, timed out, refused the protocol).
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer asked.
        peer: libp2p::PeerId,
        /// What went wrong.
        reason: String,
    },
}

impl From<gossipsub::PublishError> for NetworkError {
    fn from(error: gossipsub::PublishError) -> Self {
        match error {
            gossipsub::PublishError::NoPeersSubscribedToTopic => NetworkError::NoPeers,
            gossipsub::PublishError::MessageTooLarge => NetworkError::TooLarge,
            other => NetworkError::Gossip(other.to_string()),
        }
    }
}
