//! Malformed p2p frames: a raw client speaks the node's request protocol (`/hanse/req/1`)
//! with bytes no hanse node would send — oversized, truncated, deeply nested CBOR, garbage —
//! once with a member's key and once with a stranger's. The member's streams are dropped
//! or answered with an error, the stranger never gets a stream, and the node keeps serving
//! members.

use crate::support::{Running, full_mesh, mesh, remote_query, stop};
use anyhow::{Context, Result, bail, ensure};
use hanse_node::test_utils::{prepare_nodes, test_consortium};
use hanse_node::trust::identity::NodeIdentity;
use libp2p::futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, OutboundFailure, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, noise, tcp, yamux};
use std::time::Duration;

const PROTOCOL: &str = "/hanse/req/1";
/// `p2p.max_message_bytes` of the node under test.
const MAX_MESSAGE: usize = 1024 * 1024;

/// Writes the request's bytes as they are and reads whatever comes back, up to a bound.
#[derive(Clone, Default)]
struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: libp2p::futures::AsyncRead + Unpin + Send,
    {
        let mut bytes = Vec::new();
        io.take(MAX_MESSAGE as u64).read_to_end(&mut bytes).await?;
        Ok(bytes)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: libp2p::futures::AsyncRead + Unpin + Send,
    {
        let mut bytes = Vec::new();
        io.take(4 * MAX_MESSAGE as u64)
            .read_to_end(&mut bytes)
            .await?;
        Ok(bytes)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        bytes: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: libp2p::futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&bytes).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        bytes: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: libp2p::futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&bytes).await?;
        io.close().await
    }
}

type RawSwarm = libp2p::Swarm<request_response::Behaviour<RawCodec>>;

fn raw_client(identity: &NodeIdentity) -> Result<RawSwarm> {
    Ok(
        libp2p::SwarmBuilder::with_existing_identity(identity.keypair().clone())
            .with_tokio()
            .with_tcp(
                tcp::Config::default(),
                noise::Config::new,
                yamux::Config::default,
            )?
            .with_behaviour(|_| {
                request_response::Behaviour::with_codec(
                    RawCodec,
                    [(StreamProtocol::new(PROTOCOL), ProtocolSupport::Outbound)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(20)),
                )
            })?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(30)))
            .build(),
    )
}

/// What became of one raw request.
enum Outcome {
    /// The node answered these bytes.
    Answered(Vec<u8>),
    /// The node closed the stream or the connection without an answer.
    Dropped(String),
    /// The node never let the connection carry a request.
    Refused(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Answered(bytes) => write!(f, "answered {} bytes", bytes.len()),
            Outcome::Dropped(why) => write!(f, "stream dropped: {why}"),
            Outcome::Refused(why) => write!(f, "refused: {why}"),
        }
    }
}

async fn send_raw(
    swarm: &mut RawSwarm,
    peer: PeerId,
    address: &Multiaddr,
    bytes: Vec<u8>,
) -> Result<Outcome> {
    // request-response dials the peer itself, at the addresses the swarm knows for it.
    swarm.add_peer_address(peer, address.clone());
    let id = swarm.behaviour_mut().send_request(&peer, bytes);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, swarm.select_next_some())
            .await
            .context("no outcome within 30 s")?;
        match event {
            SwarmEvent::Behaviour(request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            }) if request_id == id => {
                // The raw codec reads to the end: a stream closed at once reads as empty.
                return Ok(if response.is_empty() {
                    Outcome::Dropped("closed without an answer".into())
                } else {
                    Outcome::Answered(response)
                });
            }
            SwarmEvent::Behaviour(request_response::Event::OutboundFailure {
                request_id,
                error,
                ..
            }) if request_id == id => {
                return Ok(match error {
                    OutboundFailure::DialFailure | OutboundFailure::UnsupportedProtocols => {
                        Outcome::Refused(error.to_string())
                    }
                    other => Outcome::Dropped(other.to_string()),
                });
            }
            SwarmEvent::OutgoingConnectionError { error, .. } => {
                return Ok(Outcome::Refused(error.to_string()));
            }
            _ => {}
        }
    }
}

/// Frames no hanse node sends.
fn malformed_frames() -> Vec<(&'static str, Vec<u8>)> {
    // A CBOR map with one key, "Query", holding a text of 100 bytes — then cut.
    let mut truncated = vec![0xa1, 0x65];
    truncated.extend_from_slice(b"Query");
    truncated.extend_from_slice(&[0x78, 100]);
    truncated.extend_from_slice(b"SELECT");
    vec![
        ("oversized", vec![0x60; MAX_MESSAGE + 1]),
        ("truncated", truncated),
        // Arrays of one element, 100,000 deep.
        ("deeply nested arrays", vec![0x81; 100_000]),
        // Maps of one entry whose key is itself a map, 100,000 deep.
        ("deeply nested maps", vec![0xa1; 100_000]),
        (
            "garbage",
            (0..10_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect(),
        ),
        ("empty", Vec::new()),
        (
            "unknown request",
            vec![0xa1, 0x64, b'N', b'o', b'p', b'e', 0xf6],
        ),
    ]
}

/// A node answers a member's ordinary remote query and its health check.
async fn serves_members(from: &Running, provider: &Running) -> Result<()> {
    remote_query(from, provider, "ASK {}").await?;
    let health = provider.http.get_request("/health").send().await?;
    ensure!(health.status() == 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_from_members_and_strangers_are_dropped() -> Result<()> {
    // Three members; the third's key is the raw client's, the node is never started.
    let nodes = prepare_nodes(3, 64)?;
    let document = test_consortium(&nodes.iter().collect::<Vec<_>>())?;
    for node in &nodes[..2] {
        node.install(&document)?;
        let config = node.dir.config_path();
        let text = std::fs::read_to_string(&config)?;
        let text = text
            .replace(
                &format!("max_message_bytes = {}", 32 * 1024 * 1024),
                &format!("max_message_bytes = {MAX_MESSAGE}"),
            )
            // A catalogue must fit in one response.
            .replace(
                &format!("max_bytes = {}", 24 * 1024 * 1024),
                &format!("max_bytes = {}", MAX_MESSAGE / 2),
            );
        ensure!(
            text.contains(&format!("max_message_bytes = {MAX_MESSAGE}")),
            "config"
        );
        std::fs::write(&config, text)?;
    }
    let running = mesh(&nodes[..2]).await?;
    full_mesh(&running, &[nodes[0].name.clone(), nodes[1].name.clone()]).await?;
    let (target, other) = (&running[0], &running[1]);
    let network = target.handle.network().context("network")?;
    let peer = network.local_peer_id();
    let address = network
        .listen_addrs()
        .await?
        .into_iter()
        .find(|a| a.to_string().contains("/tcp/"))
        .context("a TCP listen address")?;

    let stranger = NodeIdentity::from_seed([99; 32]);
    for (who, identity) in [("member", &nodes[2].identity), ("stranger", &stranger)] {
        let mut swarm = raw_client(identity)?;
        for (frame, bytes) in malformed_frames() {
            let outcome = send_raw(&mut swarm, peer, &address, bytes).await?;
            match (&outcome, who) {
                (Outcome::Refused(_), "stranger") | (Outcome::Dropped(_), _) => {}
                (Outcome::Answered(bytes), "member") => {
                    let text = String::from_utf8_lossy(bytes);
                    ensure!(bytes.len() < 4096, "{frame}: a {} byte answer", bytes.len());
                    ensure!(
                        text.to_lowercase().contains("error") || text.contains("Denied"),
                        "{frame}: answered {text:.200}"
                    );
                }
                _ => bail!("{who}, {frame}: {outcome}"),
            }
            println!("{who:<8} {frame:<22} {:.120}", outcome.to_string());
            serves_members(other, target).await?;
        }
    }
    stop(running).await
}
