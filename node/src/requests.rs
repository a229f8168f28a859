//! Answering node-to-node requests: each request from a member is handed to the service
//! that owns it (catalogue or access) in its own task, bounded in number.

use crate::access::AccessService;
use crate::catalog::CatalogService;
use crate::p2p::{InboundRequest, NetworkClient, Response};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// Requests answered at once; more wait in the network's bounded queue.
const MAX_IN_FLIGHT: usize = 32;

/// Serves `inbound` until `cancel` fires or the network stops.
pub async fn serve(
    mut inbound: mpsc::Receiver<InboundRequest>,
    network: NetworkClient,
    catalog: CatalogService,
    access: AccessService,
    cancel: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let request = tokio::select! {
            () = cancel.cancelled() => break,
            request = inbound.recv() => match request {
                Some(request) => request,
                None => break,
            },
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (network, catalog, access) = (network.clone(), catalog.clone(), access.clone());
        tokio::spawn(async move {
            let InboundRequest {
                peer,
                request,
                channel,
            } = request;
            let span = tracing::info_span!("peer request", %peer);
            let _entered = span.enter();
            let response = match catalog.answer(&request) {
                Some(response) => response,
                None => match access.answer(&network, peer, request).await {
                    Some(response) => response,
                    None => Response::Error("this node does not serve that request".into()),
                },
            };
            drop(_entered);
            if let Err(e) = network.respond(channel, response).await {
                tracing::debug!(%peer, "cannot answer: {e}");
            }
            drop(slot);
        });
    }
}
