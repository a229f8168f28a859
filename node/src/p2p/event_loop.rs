//! The network task: owns the swarm and handles swarm events and commands in one `select!`.

use super::behaviour::{Behaviour, BehaviourEvent};
use super::client::{Command, InboundRequest, NetworkEvent, PeerSummary};
use super::error::NetworkError;
use super::protocol::{Request, Response};
use crate::trust::consortium::{MembershipError, SignedMembership};
use crate::trust::identity::did_key_of;
use crate::trust::membership::{CurrentMembership, CurrentMembershipError};
use libp2p::core::ConnectedPoint;
use libp2p::futures::StreamExt;
use libp2p::request_response::OutboundRequestId;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, DialError, ListenError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, gossipsub, identify, kad, mdns, ping, request_response};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Addresses remembered per peer (identify and mDNS can report many).
const MAX_ADDRESSES_PER_PEER: usize = 16;
/// Refused peers remembered so each is logged once; the set is reset when full.
const MAX_REFUSALS_LOGGED: usize = 4096;
/// How often missing members are dialled and the routing table refreshed.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct PeerState {
    connections: HashMap<ConnectionId, Multiaddr>,
    rtt: Option<Duration>,
}

pub(super) struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: broadcast::Sender<NetworkEvent>,
    /// Requests the application answers.
    inbound: mpsc::Sender<InboundRequest>,
    /// Application requests awaiting a response.
    pending: HashMap<OutboundRequestId, oneshot::Sender<Result<Response, NetworkError>>>,
    membership: CurrentMembership,
    /// Dialled while no member is connected.
    bootstrap: Vec<Multiaddr>,
    /// Connected members: their connections and last RTT.
    peers: HashMap<PeerId, PeerState>,
    /// Known listen addresses of members (identify, Kademlia, mDNS, successful dials).
    addresses: HashMap<PeerId, BTreeSet<Multiaddr>>,
    /// Non-members already logged as refused.
    refused: HashSet<PeerId>,
    /// Members blocked by an operator (fault drills): kept off the allow list.
    blocked: HashSet<PeerId>,
    listen_addrs: Vec<Multiaddr>,
    ticks: u64,
}

/// The gossip topic of a consortium-level `name` (`hanse/<consortium>/<name>`).
pub(super) fn topic(consortium: &str, name: &str) -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(format!("hanse/{consortium}/{name}"))
}

/// Topic name reserved for membership updates.
pub(super) const MEMBERSHIP_TOPIC: &str = "membership";

impl EventLoop {
    pub(super) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        events: broadcast::Sender<NetworkEvent>,
        inbound: mpsc::Sender<InboundRequest>,
        membership: CurrentMembership,
        bootstrap: Vec<Multiaddr>,
    ) -> Self {
        Self {
            swarm,
            commands,
            events,
            inbound,
            pending: HashMap::new(),
            membership,
            bootstrap,
            peers: HashMap::new(),
            addresses: HashMap::new(),
            refused: HashSet::new(),
            blocked: HashSet::new(),
            listen_addrs: Vec::new(),
            ticks: 0,
        }
    }

    /// Runs until `cancel` fires or every client is gone.
    pub(super) async fn run(mut self, cancel: CancellationToken) {
        let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
                _ = maintenance.tick() => self.maintain_connections(),
            }
        }
        tracing::info!("network stopped");
    }

    fn local(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    fn remember_addresses(&mut self, peer: PeerId, new: impl IntoIterator<Item = Multiaddr>) {
        if peer == self.local() || !self.membership.is_member(&peer) {
            return;
        }
        let known = self.addresses.entry(peer).or_default();
        for address in new {
            if known.len() >= MAX_ADDRESSES_PER_PEER {
                break;
            }
            if known.insert(address.clone()) {
                self.swarm
                    .behaviour_mut()
                    .kademlia
                    .add_address(&peer, address);
            }
        }
    }

    /// Dials members we are not connected to; refreshes routing now and then.
    fn maintain_connections(&mut self) {
        self.ticks += 1;
        let document = self.membership.get().document;
        let local = self.local();
        for member in &document.members {
            let Ok(peer) = member.peer_id.parse::<PeerId>() else {
                continue;
            };
            if peer == local || self.swarm.is_connected(&peer) || self.blocked.contains(&peer) {
                continue;
            }
            let mut candidates: Vec<Multiaddr> = self
                .addresses
                .get(&peer)
                .map(|a| a.iter().cloned().collect())
                .unwrap_or_default();
            candidates.extend(member.addresses.iter().filter_map(|a| a.parse().ok()));
            if candidates.is_empty() {
                continue;
            }
            let opts = DialOpts::peer_id(peer)
                .addresses(candidates)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%peer, "dial skipped: {e}");
            }
        }
        let connected = self.swarm.connected_peers().count();
        if connected == 0 {
            for address in self.bootstrap.clone() {
                if let Err(e) = self.swarm.dial(address.clone()) {
                    tracing::debug!(%address, "bootstrap dial failed: {e}");
                }
            }
        } else if self.ticks % 5 == 1 {
            // Ask the network for members whose addresses we do not know yet.
            if let Err(e) = self.swarm.behaviour_mut().kademlia.bootstrap() {
                tracing::debug!("kademlia bootstrap skipped: {e}");
            }
        }
    }

    fn log_refusal(&mut self, peer: Option<PeerId>, reason: &str) {
        let Some(peer) = peer else {
            tracing::debug!("refused a connection: {reason}");
            return;
        };
        if self.refused.len() >= MAX_REFUSALS_LOGGED {
            self.refused.clear();
        }
        if self.refused.insert(peer) {
            tracing::warn!(%peer, "refused connection: {peer} is not a member of the consortium");
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!("p2p listening on {address}/p2p/{}", self.local());
                self.listen_addrs.push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| a != &address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => self.on_connected(peer_id, connection_id, &endpoint, num_established.get()),
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                let state = self.peers.entry(peer_id).or_default();
                state.connections.remove(&connection_id);
                if num_established == 0 {
                    self.peers.remove(&peer_id);
                    let _ = self.events.send(NetworkEvent::PeerDisconnected(peer_id));
                    tracing::info!(peer = %peer_id, "disconnected ({})", cause.map_or("closed".to_owned(), |c| c.to_string()));
                }
            }
            SwarmEvent::IncomingConnectionError { peer_id, error, .. } => match error {
                ListenError::Denied { cause } => self.log_refusal(peer_id, &cause.to_string()),
                other => tracing::debug!(?peer_id, "incoming connection failed: {other}"),
            },
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => match error {
                DialError::Denied { cause } => self.log_refusal(peer_id, &cause.to_string()),
                other => tracing::debug!(?peer_id, "dial failed: {other}"),
            },
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    fn on_connected(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
        endpoint: &ConnectedPoint,
        established: u32,
    ) {
        let address = endpoint.get_remote_address().clone();
        if endpoint.is_dialer() {
            // A dialled address is one the peer listens on: worth remembering.
            self.remember_addresses(peer, [address.clone()]);
        }
        self.peers
            .entry(peer)
            .or_default()
            .connections
            .insert(connection, address);
        if established == 1 {
            let (name, have_version) = self.membership.read(|m| {
                let name = m.document.member(&peer).map(|member| member.name.clone());
                (name.unwrap_or_default(), m.document.version)
            });
            tracing::info!(%peer, %name, "connected to member");
            let _ = self.events.send(NetworkEvent::PeerConnected(peer));
            // A peer that joined late, or we after a restart, may hold a newer membership.
            self.swarm
                .behaviour_mut()
                .requests
                .send_request(&peer, Request::Membership { have_version });
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                self.remember_addresses(peer_id, info.listen_addrs);
            }
            BehaviourEvent::Ping(ping::Event {
                peer,
                result: Ok(rtt),
                ..
            }) => {
                if let Some(state) = self.peers.get_mut(&peer) {
                    state.rtt = Some(rtt);
                }
            }
            BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(e),
            }) if !matches!(e, ping::Failure::Unsupported) => {
                // libp2p keeps a connection whose pings fail; across a real partition TCP
                // would hold it for minutes while gossip vanishes into it. Closing it lets
                // the maintenance tick redial once the network heals.
                tracing::warn!(%peer, "ping failed ({e}); closing the connection");
                self.swarm.close_connection(connection);
            }
            BehaviourEvent::Kademlia(kad::Event::RoutingUpdated {
                peer, addresses, ..
            }) => {
                let addresses: Vec<Multiaddr> = addresses.iter().cloned().collect();
                self.remember_addresses(peer, addresses);
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, address) in found {
                    self.remember_addresses(peer, [address]);
                }
            }
            BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => self.on_gossip(propagation_source, message_id, message),
            BehaviourEvent::Requests(request_response::Event::Message {
                peer, message, ..
            }) => {
                self.on_request_message(peer, message);
            }
            BehaviourEvent::Requests(request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            }) => {
                tracing::debug!(%peer, "request failed: {error}");
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Err(NetworkError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            BehaviourEvent::Requests(request_response::Event::InboundFailure {
                peer,
                error,
                ..
            }) => {
                tracing::debug!(%peer, "inbound request failed: {error}");
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, via: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let consortium = self.membership.consortium_id();
        let verdict = match message.source {
            Some(source)
                if self.membership.is_member(&source) && self.membership.is_member(&via) =>
            {
                let membership_topic = topic(&consortium, MEMBERSHIP_TOPIC).hash();
                if message.topic == membership_topic {
                    self.on_membership_gossip(source, &message.data)
                } else if let Some(name) = message
                    .topic
                    .as_str()
                    .strip_prefix(&format!("hanse/{consortium}/"))
                {
                    let _ = self.events.send(NetworkEvent::Gossip {
                        topic: name.to_owned(),
                        source,
                        data: message.data.into(),
                    });
                    gossipsub::MessageAcceptance::Accept
                } else {
                    gossipsub::MessageAcceptance::Ignore
                }
            }
            source => {
                tracing::warn!(?source, %via, "rejected gossip from a non-member");
                gossipsub::MessageAcceptance::Reject
            }
        };
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&id, &via, verdict);
    }

    fn on_membership_gossip(
        &mut self,
        source: PeerId,
        data: &[u8],
    ) -> gossipsub::MessageAcceptance {
        match SignedMembership::from_json(data) {
            Ok(update) => match self.adopt(update) {
                Ok(version) => {
                    tracing::info!(%source, version, "adopted membership update from gossip");
                    gossipsub::MessageAcceptance::Accept
                }
                Err(CurrentMembershipError::Refused {
                    source: MembershipError::NotNewer { .. },
                    ..
                }) => gossipsub::MessageAcceptance::Ignore,
                Err(e) => {
                    tracing::warn!(%source, "rejected membership update: {e}");
                    gossipsub::MessageAcceptance::Reject
                }
            },
            Err(e) => {
                tracing::warn!(%source, "rejected membership gossip: {e}");
                gossipsub::MessageAcceptance::Reject
            }
        }
    }

    /// Verifies and adopts a membership update, then opens or closes the gate accordingly.
    fn adopt(&mut self, update: SignedMembership) -> Result<u64, CurrentMembershipError> {
        let version = update.document.version;
        let previous = self.membership.replace(update)?;
        let now: HashSet<PeerId> = self
            .membership
            .get()
            .document
            .member_peer_ids()
            .into_iter()
            .collect();
        let before: HashSet<PeerId> = previous.document.member_peer_ids().into_iter().collect();
        let gate = &mut self.swarm.behaviour_mut().members_only;
        for removed in before.difference(&now) {
            tracing::info!(peer = %removed, "member removed from the consortium: disconnecting");
            gate.disallow_peer(*removed);
        }
        for added in now.difference(&before) {
            if !self.blocked.contains(added) {
                gate.allow_peer(*added);
            }
        }
        if !now.contains(&self.local()) {
            tracing::error!("this node is no longer a member of the consortium");
        }
        let _ = self
            .events
            .send(NetworkEvent::MembershipChanged { version });
        Ok(version)
    }

    fn on_request_message(
        &mut self,
        peer: PeerId,
        message: request_response::Message<Request, Response>,
    ) {
        match message {
            request_response::Message::Request {
                request, channel, ..
            } => {
                let response = match request {
                    Request::Membership { have_version } => Response::Membership {
                        document: self.membership.read(|current| {
                            (current.document.version > have_version).then(|| current.to_json())
                        }),
                    },
                    request => {
                        let inbound = InboundRequest {
                            peer,
                            request,
                            channel,
                        };
                        match self.inbound.try_send(inbound) {
                            Ok(()) => return,
                            Err(mpsc::error::TrySendError::Full(inbound)) => {
                                tracing::warn!(%peer, "too many requests waiting: refusing one");
                                self.respond(
                                    inbound.channel,
                                    Response::Error("busy: try again later".into()),
                                );
                            }
                            Err(mpsc::error::TrySendError::Closed(inbound)) => self.respond(
                                inbound.channel,
                                Response::Error("this node does not serve that request".into()),
                            ),
                        }
                        return;
                    }
                };
                self.respond(channel, response);
            }
            request_response::Message::Response {
                request_id,
                response,
            } if self.pending.contains_key(&request_id) => {
                if let Some(reply) = self.pending.remove(&request_id) {
                    let _ = reply.send(Ok(response));
                }
            }
            request_response::Message::Response { response, .. } => match response {
                Response::Membership {
                    document: Some(bytes),
                } => match SignedMembership::from_json(&bytes) {
                    Ok(update) => match self.adopt(update) {
                        Ok(version) => tracing::info!(%peer, version, "caught up with membership"),
                        Err(e) => tracing::debug!(%peer, "membership from peer not adopted: {e}"),
                    },
                    Err(e) => tracing::warn!(%peer, "malformed membership from peer: {e}"),
                },
                Response::Membership { document: None } => {}
                Response::Error(e) => tracing::debug!(%peer, "peer refused request: {e}"),
                other => tracing::debug!(%peer, "unexpected response: {other:?}"),
            },
        }
    }

    fn respond(
        &mut self,
        channel: request_response::ResponseChannel<Response>,
        response: Response,
    ) {
        if self
            .swarm
            .behaviour_mut()
            .requests
            .send_response(channel, response)
            .is_err()
        {
            tracing::debug!("requester went away before the response");
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Peers(reply) => {
                let _ = reply.send(self.peer_summaries());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.listen_addrs.clone());
            }
            Command::Subscribe { topic: name, reply } => {
                let topic = topic(&self.membership.consortium_id(), &name);
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .subscribe(&topic)
                    .map(|_| ())
                    .map_err(|e| NetworkError::Gossip(e.to_string()));
                let _ = reply.send(result);
            }
            Command::Publish {
                topic: name,
                data,
                reply,
            } => {
                let topic = topic(&self.membership.consortium_id(), &name);
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic, data)
                    .map(|_| ())
                    .map_err(NetworkError::from);
                let _ = reply.send(result);
            }
            Command::SubmitMembership { update, reply } => {
                let bytes = update.to_json();
                let result = self.adopt(*update).map_err(NetworkError::Membership);
                if result.is_ok() {
                    let topic = topic(&self.membership.consortium_id(), MEMBERSHIP_TOPIC);
                    if let Err(e) = self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
                        // Adopted locally; peers catch up on their next connection.
                        tracing::warn!("membership update adopted but not gossiped: {e}");
                    }
                }
                let _ = reply.send(result);
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                if !self.membership.is_member(&peer) {
                    let _ = reply.send(Err(NetworkError::Request {
                        peer,
                        reason: "not a member of the consortium".into(),
                    }));
                    return;
                }
                let id = self
                    .swarm
                    .behaviour_mut()
                    .requests
                    .send_request(&peer, request);
                self.pending.insert(id, reply);
            }
            Command::Respond { channel, response } => self.respond(channel, response),
            Command::Block {
                peers,
                blocked,
                reply,
            } => {
                for peer in peers {
                    if blocked {
                        tracing::warn!(%peer, "blocking member at the connection gate");
                        self.blocked.insert(peer);
                        self.swarm.behaviour_mut().members_only.disallow_peer(peer);
                        let _ = self.swarm.disconnect_peer_id(peer);
                    } else if self.blocked.remove(&peer) {
                        tracing::warn!(%peer, "unblocking member");
                        if self.membership.is_member(&peer) {
                            self.swarm.behaviour_mut().members_only.allow_peer(peer);
                        }
                    }
                }
                let _ = reply.send(self.blocked.iter().copied().collect());
            }
            Command::Dial { address, reply } => {
                let result = self
                    .swarm
                    .dial(address)
                    .map_err(|e| NetworkError::Dial(e.to_string()));
                let _ = reply.send(result);
            }
        }
    }

    fn peer_summaries(&self) -> Vec<PeerSummary> {
        let document = self.membership.get().document;
        let mut summaries: Vec<PeerSummary> = self
            .peers
            .iter()
            .filter(|(_, state)| !state.connections.is_empty())
            .filter_map(|(peer, state)| {
                let member = document.member(peer)?;
                Some(PeerSummary {
                    name: member.name.clone(),
                    role: member.role.to_string(),
                    organisation: member.organisation.clone(),
                    peer_id: peer.to_string(),
                    did_key: did_key_of(peer),
                    addresses: state
                        .connections
                        .values()
                        .map(ToString::to_string)
                        .collect(),
                    rtt_ms: state.rtt.map(|d| d.as_secs_f64() * 1e3),
                })
            })
            .collect();
        summaries.sort_by(|a, b| a.name.cmp(&b.name));
        summaries
    }
}
