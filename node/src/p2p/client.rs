//! The handle the rest of the node uses to talk to the network task.

use super::error::NetworkError;
use super::protocol::{Request, Response};
use crate::trust::consortium::SignedMembership;
use libp2p::request_response::ResponseChannel;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

/// A connected member as `/api/peers` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PeerSummary {
    /// Display name from the membership document.
    pub name: String,
    /// Role from the membership document.
    pub role: String,
    /// Organisation from the membership document.
    pub organisation: String,
    /// The PeerId.
    pub peer_id: String,
    /// The `did:key` of the peer's key.
    pub did_key: Option<String>,
    /// Addresses of the open connections.
    pub addresses: Vec<String>,
    /// Last measured round-trip time, in milliseconds.
    pub rtt_ms: Option<f64>,
}

/// Something that happened on the network, for whoever subscribed.
#[derive(Debug, Clone)]
pub enum NetworkEvent {
    /// A validated gossip message from a member on an application topic.
    Gossip {
        /// The topic name (without the consortium prefix).
        topic: String,
        /// The member that published it.
        source: PeerId,
        /// The payload.
        data: Arc<Vec<u8>>,
    },
    /// A new membership version was adopted.
    MembershipChanged {
        /// The new version.
        version: u64,
    },
    /// A member connected (first connection).
    PeerConnected(PeerId),
    /// A member's last connection closed.
    PeerDisconnected(PeerId),
}

/// What the event loop can be asked to do.
#[derive(Debug)]
pub(super) enum Command {
    Peers(oneshot::Sender<Vec<PeerSummary>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Subscribe {
        topic: String,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    Publish {
        topic: String,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    SubmitMembership {
        update: Box<SignedMembership>,
        reply: oneshot::Sender<Result<u64, NetworkError>>,
    },
    Dial {
        address: Multiaddr,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, NetworkError>>,
    },
    Respond {
        channel: ResponseChannel<Response>,
        response: Response,
    },
    Block {
        peers: Vec<PeerId>,
        blocked: bool,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
}

/// A request from a member that the application answers (membership requests are answered
/// by the network task itself). Answer with [`NetworkClient::respond`]; a request dropped
/// unanswered fails at the requester.
#[derive(Debug)]
pub struct InboundRequest {
    /// The member asking (authenticated by noise, checked against the membership).
    pub peer: PeerId,
    /// What it asks.
    pub request: Request,
    /// Where the answer goes.
    pub channel: ResponseChannel<Response>,
}

/// Cloneable handle to the network task.
#[derive(Debug, Clone)]
pub struct NetworkClient {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) events: broadcast::Sender<NetworkEvent>,
    pub(super) local_peer_id: PeerId,
    pub(super) max_gossip_bytes: usize,
}

/// Longest a caller waits for the event loop to take a command (it is bounded, so a stuck
/// loop shows up as an error instead of a hang).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

impl NetworkClient {
    /// The largest gossip message the network sends (`p2p.max_gossip_bytes`).
    pub fn max_gossip_bytes(&self) -> usize {
        self.max_gossip_bytes
    }

    /// This node's PeerId.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Subscribes to network events. A subscriber that falls more than 1,024 events behind
    /// misses the oldest ones (it is told so by `RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<NetworkEvent> {
        self.events.subscribe()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (tx, rx) = oneshot::channel();
        tokio::time::timeout(COMMAND_TIMEOUT, self.commands.send(make(tx)))
            .await
            .map_err(|_| NetworkError::Busy)?
            .map_err(|_| NetworkError::Stopped)?;
        tokio::time::timeout(COMMAND_TIMEOUT, rx)
            .await
            .map_err(|_| NetworkError::Busy)?
            .map_err(|_| NetworkError::Stopped)
    }

    /// Connected members.
    pub async fn peers(&self) -> Result<Vec<PeerSummary>, NetworkError> {
        self.ask(Command::Peers).await
    }

    /// Addresses the node listens on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetworkError> {
        self.ask(Command::ListenAddrs).await
    }

    /// Subscribes this node to an application gossip `topic` (received messages arrive as
    /// [`NetworkEvent::Gossip`]).
    pub async fn subscribe_topic(&self, topic: &str) -> Result<(), NetworkError> {
        let topic = topic.to_owned();
        self.ask(|reply| Command::Subscribe { topic, reply })
            .await?
    }

    /// Publishes `data` to every member on an application `topic`.
    pub async fn publish(&self, topic: &str, data: Vec<u8>) -> Result<(), NetworkError> {
        let topic = topic.to_owned();
        self.ask(|reply| Command::Publish { topic, data, reply })
            .await?
    }

    /// Verifies a membership update against the current document, adopts it and gossips
    /// it to the consortium. Returns the new version.
    pub async fn submit_membership(&self, update: SignedMembership) -> Result<u64, NetworkError> {
        self.ask(|reply| Command::SubmitMembership {
            update: Box::new(update),
            reply,
        })
        .await?
    }

    /// Sends `request` to a member and waits for its answer (bounded by
    /// `p2p.request_timeout_secs`).
    pub async fn request(&self, peer: PeerId, request: Request) -> Result<Response, NetworkError> {
        let (tx, rx) = oneshot::channel();
        tokio::time::timeout(
            COMMAND_TIMEOUT,
            self.commands.send(Command::Request {
                peer,
                request,
                reply: tx,
            }),
        )
        .await
        .map_err(|_| NetworkError::Busy)?
        .map_err(|_| NetworkError::Stopped)?;
        // The request-response behaviour enforces the request timeout and reports it.
        rx.await.map_err(|_| NetworkError::Stopped)?
    }

    /// Answers an [`InboundRequest`].
    pub async fn respond(
        &self,
        channel: ResponseChannel<Response>,
        response: Response,
    ) -> Result<(), NetworkError> {
        tokio::time::timeout(
            COMMAND_TIMEOUT,
            self.commands.send(Command::Respond { channel, response }),
        )
        .await
        .map_err(|_| NetworkError::Busy)?
        .map_err(|_| NetworkError::Stopped)
    }

    /// Blocks (or unblocks) members at the connection gate: blocked peers are disconnected
    /// and refused until unblocked, whatever the membership says. For fault drills (network
    /// partitions); returns the peers blocked afterwards.
    pub async fn block(
        &self,
        peers: Vec<PeerId>,
        blocked: bool,
    ) -> Result<Vec<PeerId>, NetworkError> {
        self.ask(|reply| Command::Block {
            peers,
            blocked,
            reply,
        })
        .await
    }

    /// Dials an address (members only; the gate refuses others).
    pub async fn dial(&self, address: Multiaddr) -> Result<(), NetworkError> {
        self.ask(|reply| Command::Dial { address, reply }).await?
    }
}
