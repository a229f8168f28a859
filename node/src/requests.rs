//! Answering node-to-node requests: each request from a member is handed to the service
//! that owns it (catalogue or access) in a task of its own, owned here and bounded twice:
//! at most [`MAX_IN_FLIGHT`] at once (then the network's bounded queue fills and it answers
//! "busy"), and at most [`MAX_PER_PEER`] from one member, so one member's flood leaves room
//! for the others.

use crate::access::AccessService;
use crate::catalog::CatalogService;
use crate::p2p::{InboundRequest, NetworkClient, Response};
use libp2p::PeerId;
use std::collections::HashMap;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Requests answered at once.
pub const MAX_IN_FLIGHT: usize = 32;

/// Requests from one member answered at once; more are answered "busy".
pub const MAX_PER_PEER: usize = 8;

/// Serves `inbound` until `cancel` fires or the network stops; requests in flight then end
/// with the task (their callers time out and retry elsewhere).
pub async fn serve(
    mut inbound: mpsc::Receiver<InboundRequest>,
    network: NetworkClient,
    catalog: CatalogService,
    access: AccessService,
    cancel: CancellationToken,
) {
    let mut in_flight: JoinSet<PeerId> = JoinSet::new();
    let mut per_peer: HashMap<PeerId, usize> = HashMap::new();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            Some(ended) = in_flight.join_next(), if !in_flight.is_empty() => {
                match ended {
                    Ok(peer) => release(&mut per_peer, peer),
                    // A panicking answer loses its peer's count; the map is rebuilt below.
                    Err(e) => {
                        tracing::error!("a peer request task failed: {e}");
                        per_peer.clear();
                    }
                }
            }
            request = inbound.recv(), if in_flight.len() < MAX_IN_FLIGHT => {
                let Some(request) = request else { break };
                let count = per_peer.entry(request.peer).or_default();
                if *count >= MAX_PER_PEER {
                    tracing::debug!(peer = %request.peer, "too many requests from one member: busy");
                    let busy = Response::Error("busy: too many requests from you at once".into());
                    if let Err(e) = network.respond(request.channel, busy).await {
                        tracing::debug!("cannot answer: {e}");
                    }
                    continue;
                }
                *count += 1;
                in_flight.spawn(answer(
                    request,
                    network.clone(),
                    catalog.clone(),
                    access.clone(),
                ));
            }
        }
    }
    in_flight.shutdown().await;
}

fn release(per_peer: &mut HashMap<PeerId, usize>, peer: PeerId) {
    if let Some(count) = per_peer.get_mut(&peer) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            per_peer.remove(&peer);
        }
    }
}

/// Answers one request and returns who asked.
async fn answer(
    request: InboundRequest,
    network: NetworkClient,
    catalog: CatalogService,
    access: AccessService,
) -> PeerId {
    let InboundRequest {
        peer,
        request,
        channel,
    } = request;
    let span = tracing::info_span!("peer request", %peer);
    let response = tracing::Instrument::instrument(
        async {
            match catalog.answer(&request) {
                Some(response) => response,
                None => match access.answer(&network, peer, request).await {
                    Some(response) => response,
                    None => Response::Error("this node does not serve that request".into()),
                },
            }
        },
        span,
    )
    .await;
    if let Err(e) = network.respond(channel, response).await {
        tracing::debug!(%peer, "cannot answer: {e}");
    }
    peer
}
