//! The catalogue service's network side: the task's `select!` loop, gossip in and out,
//! anti-entropy with members, and answers to members' catalogue requests.
//!
//! Work started by the network (a gossiped announcement, a new connection) runs in tasks
//! owned by the loop, at most [`MAX_BACKGROUND`] at once: a member flooding gossip gets its
//! excess dropped, which anti-entropy makes good, instead of growing tasks without bound.

use super::{Announcement, CATALOG_TOPIC, CatalogService, GOSSIP_OVERHEAD};
use crate::catalog::federated::Rejection;
use crate::catalog::signing::{SignatureError, SignedCatalog};
use crate::p2p::{NetworkClient, NetworkEvent, Request, Response};
use libp2p::PeerId;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Announcements and catalogue syncs handled at once; more are dropped until one ends.
pub const MAX_BACKGROUND: usize = 16;

impl CatalogService {
    /// Runs the service until `cancel` fires.
    pub async fn run(self, network: Option<NetworkClient>, cancel: CancellationToken) {
        let config = self.inner.config.clone();
        let mut events = network.as_ref().map(NetworkClient::subscribe);
        if let Some(network) = &network
            && let Err(e) = network.subscribe_topic(CATALOG_TOPIC).await
        {
            tracing::error!("cannot subscribe to catalogue gossip: {e}");
        }
        let debounce = Duration::from_millis(config.publish_debounce_ms);
        let mut refresh = tokio::time::interval(Duration::from_secs(config.refresh_interval_secs));
        let mut sync = tokio::time::interval(Duration::from_secs(config.sync_interval_secs));
        // Build at start: statistics may have changed while the node was down.
        let mut due: Option<Instant> = Some(Instant::now());
        let mut all_statistics = true;
        let mut announced = 0;
        let mut background = JoinSet::new();
        loop {
            let deadline = due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                () = cancel.cancelled() => break,
                () = self.inner.definitions_changed.notified() => {
                    due.get_or_insert_with(|| Instant::now() + debounce);
                }
                _ = refresh.tick() => {
                    if self.inner.data_changed.swap(false, Ordering::Relaxed) {
                        all_statistics = true;
                        due.get_or_insert_with(Instant::now);
                    }
                }
                () = tokio::time::sleep_until(deadline), if due.is_some() => {
                    due = None;
                    if let Err(e) = self.refresh_now(std::mem::take(&mut all_statistics)).await {
                        tracing::error!("cannot publish the catalogue: {e}");
                    }
                    // Announce whatever is newer than the last announcement, including a
                    // version signed through `refresh_now` by someone else.
                    if let (Some(network), Some(own)) = (&network, self.own())
                        && own.version > announced
                    {
                        self.announce(network, &own).await;
                        announced = own.version;
                    }
                }
                event = next_event(&mut events) => {
                    if let (Some(event), Some(network)) = (event, &network) {
                        self.on_network_event(network, event, &mut background);
                    }
                }
                _ = sync.tick() => {
                    if let Some(network) = &network {
                        self.sync_with_random_peer(network, &mut background).await;
                    }
                }
                Some(ended) = background.join_next(), if !background.is_empty() => {
                    if let Err(e) = ended {
                        tracing::error!("catalogue background task failed: {e}");
                    }
                }
            }
        }
        // Announcements and syncs in flight are repeatable: anti-entropy redoes them.
        background.shutdown().await;
        tracing::debug!("catalogue service stopped");
    }

    async fn announce(&self, network: &NetworkClient, signed: &SignedCatalog) {
        let inline_limit = self
            .inner
            .config
            .max_bytes
            .min(network.max_gossip_bytes())
            .saturating_sub(GOSSIP_OVERHEAD);
        let announcement = Announcement {
            version: signed.version,
            hash: signed.hash.clone(),
            nquads: (signed.nquads.len() <= inline_limit).then(|| signed.nquads.clone()),
        };
        let Ok(bytes) = serde_json::to_vec(&announcement) else {
            return;
        };
        match network.publish(CATALOG_TOPIC, bytes).await {
            Ok(()) => tracing::info!(
                version = signed.version,
                inline = announcement.nquads.is_some(),
                "catalogue announced"
            ),
            // Members not connected yet fetch it by anti-entropy.
            Err(e) => tracing::debug!("catalogue not gossiped: {e}"),
        }
    }

    fn on_network_event(
        &self,
        network: &NetworkClient,
        event: NetworkEvent,
        background: &mut JoinSet<()>,
    ) {
        match event {
            NetworkEvent::Gossip {
                topic,
                source,
                data,
            } if topic == CATALOG_TOPIC => {
                let service = self.clone();
                let network = network.clone();
                spawn_bounded(background, "announcement", async move {
                    service.on_announcement(&network, source, &data).await;
                });
            }
            NetworkEvent::PeerConnected(peer) => {
                let service = self.clone();
                let network = network.clone();
                spawn_bounded(background, "sync", async move {
                    service.sync_with(&network, peer).await
                });
            }
            NetworkEvent::MembershipChanged { .. } => {
                for (publisher, _) in self.inner.federated.versions() {
                    if !self.is_member(&publisher) {
                        tracing::info!(%publisher, "dropping the catalogue of a former member");
                        if let Err(e) = self.inner.federated.remove(&publisher) {
                            tracing::warn!(%publisher, "cannot drop catalogue: {e}");
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Handles a catalogue announcement gossiped by `source` (the network has checked that
    /// it is a member): verifies an inline catalogue, or fetches a newer one.
    #[tracing::instrument(skip_all, fields(%source))]
    pub async fn on_announcement(&self, network: &NetworkClient, source: PeerId, data: &[u8]) {
        let announcement: Announcement = match serde_json::from_slice(data) {
            Ok(a) => a,
            Err(e) => {
                let rejection = Rejection::Signature(SignatureError::Malformed(format!(
                    "catalogue announcement is not valid JSON: {e}"
                )));
                self.inner
                    .federated
                    .record_rejection(Some(source), &rejection);
                return;
            }
        };
        match announcement.nquads {
            Some(nquads) => {
                self.accept(Some(source), nquads.into_bytes()).await;
            }
            None => {
                if self
                    .inner
                    .federated
                    .version_of(&source)
                    .is_some_and(|held| held >= announcement.version)
                {
                    return;
                }
                self.fetch(network, source, source).await;
            }
        }
    }

    /// Verifies and stores a catalogue off the async runtime, within the verification budget
    /// of `from` (the peer that handed it over); records a rejection.
    async fn accept(&self, from: Option<PeerId>, nquads: Vec<u8>) -> bool {
        let verification = match from {
            Some(peer) => match self.inner.verify_budget.start(peer) {
                Ok(verification) => Some(verification),
                Err(over) => {
                    let rejection = Rejection::OverBudget {
                        peer,
                        retry_in_secs: over.retry_in.as_secs().max(1),
                    };
                    self.inner.federated.record_rejection(from, &rejection);
                    return false;
                }
            },
            None => None,
        };
        let service = self.clone();
        let consortium = self.consortium();
        let result = tokio::task::spawn_blocking(move || {
            // Charged to the peer when this ends, whatever the outcome.
            let _verification = verification;
            service
                .inner
                .federated
                .accept(&nquads, |p| service.is_member(p), &consortium)
        })
        .await;
        match result {
            Ok(Ok(_)) => true,
            Ok(Err(rejection)) => {
                self.inner.federated.record_rejection(from, &rejection);
                false
            }
            Err(e) => {
                tracing::error!("catalogue verification task failed: {e}");
                false
            }
        }
    }

    /// Asks `peer` for `publisher`'s catalogue and stores it if it verifies.
    async fn fetch(&self, network: &NetworkClient, peer: PeerId, publisher: PeerId) {
        // It would be refused unverified: spare both sides the transfer.
        if self
            .inner
            .verify_budget
            .would_refuse(&peer, std::time::Instant::now())
        {
            tracing::debug!(%peer, %publisher, "not fetching: the peer is over its verification budget");
            return;
        }
        let request = Request::Catalog {
            publisher: publisher.to_string(),
        };
        match network.request(peer, request).await {
            Ok(Response::Catalog {
                nquads: Some(nquads),
            }) => {
                self.accept(Some(peer), nquads.into_bytes()).await;
            }
            Ok(Response::Catalog { nquads: None }) => {}
            Ok(other) => {
                tracing::debug!(%peer, "unexpected answer to a catalogue request: {other:?}")
            }
            Err(e) => tracing::debug!(%peer, "catalogue fetch failed: {e}"),
        }
    }

    /// Compares versions with `peer` and fetches every newer catalogue it holds.
    #[tracing::instrument(skip_all, fields(%peer))]
    async fn sync_with(&self, network: &NetworkClient, peer: PeerId) {
        let versions = match network.request(peer, Request::CatalogDigest).await {
            Ok(Response::CatalogDigest { versions }) => versions,
            Ok(other) => {
                tracing::debug!("unexpected answer to a digest request: {other:?}");
                return;
            }
            Err(e) => {
                tracing::debug!("digest request failed: {e}");
                return;
            }
        };
        for (publisher, version) in versions.into_iter().take(10_000) {
            let Ok(publisher) = publisher.parse::<PeerId>() else {
                continue;
            };
            if publisher == self.inner.identity.peer_id() || !self.is_member(&publisher) {
                continue;
            }
            if self
                .inner
                .federated
                .version_of(&publisher)
                .is_some_and(|held| held >= version)
            {
                continue;
            }
            self.fetch(network, peer, publisher).await;
        }
    }

    async fn sync_with_random_peer(&self, network: &NetworkClient, background: &mut JoinSet<()>) {
        let Ok(peers) = network.peers().await else {
            return;
        };
        if peers.is_empty() {
            return;
        }
        let pick = rand::random::<usize>() % peers.len();
        if let Ok(peer) = peers[pick].peer_id.parse::<PeerId>() {
            let service = self.clone();
            let network = network.clone();
            spawn_bounded(background, "sync", async move {
                service.sync_with(&network, peer).await
            });
        }
    }

    /// Answers catalogue requests from members; `None` for other requests.
    pub fn answer(&self, request: &Request) -> Option<Response> {
        Some(match request {
            Request::CatalogDigest => Response::CatalogDigest {
                versions: self
                    .inner
                    .federated
                    .versions()
                    .into_iter()
                    .map(|(peer, version)| (peer.to_string(), version))
                    .collect(),
            },
            Request::Catalog { publisher } => Response::Catalog {
                nquads: publisher
                    .parse::<PeerId>()
                    .ok()
                    .and_then(|p| self.inner.federated.signed_nquads(&p)),
            },
            _ => return None,
        })
    }
}

/// Starts `work` in `background` unless [`MAX_BACKGROUND`] tasks are running already.
fn spawn_bounded(
    background: &mut JoinSet<()>,
    what: &'static str,
    work: impl Future<Output = ()> + Send + 'static,
) {
    if background.len() >= MAX_BACKGROUND {
        // Anti-entropy fetches whatever this would have brought.
        tracing::debug!(what, "catalogue service busy: dropped");
        return;
    }
    background.spawn(work);
}

async fn next_event(
    events: &mut Option<tokio::sync::broadcast::Receiver<NetworkEvent>>,
) -> Option<NetworkEvent> {
    let Some(receiver) = events else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                // Anti-entropy recovers whatever these carried.
                tracing::warn!(missed, "catalogue service fell behind network events");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                *events = None;
                return std::future::pending().await;
            }
        }
    }
}
