//! One MQTT subscription loop per source: receive, queue for the writer, acknowledge in order
//! once durable.
//!
//! MQTT 3.1.1 wants PUBACKs in the order the publishes arrived; the writer commits in queue
//! order, so the loop keeps the pending acknowledgements in a FIFO and sends each when its
//! batch is stored. A failed write is never acknowledged: the loop reconnects and the broker
//! delivers the message again from the persistent session.

use super::IngestService;
use super::mqtt_client::{Event, Incoming, MqttConnection, Publish, connect, try_subscribe};
use super::status::SourceCounters;
use super::writer::{WriteError, WriteOutcome};
use hanse_sensors::source::{MAX_MQTT_CONNECTIONS, MqttSettings};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

type Pending = VecDeque<(oneshot::Receiver<Result<WriteOutcome, WriteError>>, Publish)>;

/// Waits for the oldest pending batch; never completes when nothing is pending.
async fn oldest(pending: &mut Pending) -> Result<WriteOutcome, WriteError> {
    match pending.front_mut() {
        Some((answer, _)) => answer.await.unwrap_or(Err(WriteError::Stopped)),
        None => std::future::pending().await,
    }
}

fn read_file(service: &IngestService, path: &std::path::Path) -> Result<Vec<u8>, String> {
    let path = service.root().join(path);
    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// What every session of one source shares.
struct SourceContext<'a> {
    service: &'a IngestService,
    source: &'a str,
    settings: &'a MqttSettings,
    counters: &'a SourceCounters,
    password: Option<String>,
    ca: Option<Vec<u8>>,
}

/// Runs the source's MQTT sessions (`[mqtt] connections`) until `cancel`; the password and
/// CA files are read once for all of them.
#[tracing::instrument(skip(service, settings, cancel), fields(url = %settings.url))]
pub(super) async fn run(
    service: IngestService,
    source: String,
    settings: MqttSettings,
    cancel: CancellationToken,
) {
    let Ok(counters) = service.source(&source).map(|s| s.counters.clone()) else {
        return;
    };
    let secrets = (|| -> Result<_, String> {
        let password = settings
            .password_file
            .as_deref()
            .map(|p| read_file(&service, p).map(|b| String::from_utf8_lossy(&b).trim().to_owned()))
            .transpose()?;
        let ca = settings
            .ca_file
            .as_deref()
            .map(|p| read_file(&service, p))
            .transpose()?;
        Ok((password, ca))
    })();
    let (password, ca) = match secrets {
        Ok(secrets) => secrets,
        Err(e) => {
            tracing::error!("MQTT source disabled: {e}");
            counters.error(&e);
            return;
        }
    };
    let context = SourceContext {
        service: &service,
        source: &source,
        settings: &settings,
        counters: &counters,
        password,
        ca,
    };
    // Out of range, `connect` refuses the count with its reason.
    let sessions = settings.connections.clamp(1, MAX_MQTT_CONNECTIONS);
    futures::future::join_all((0..sessions).map(|session| run_session(&context, session, &cancel)))
        .await;
}

/// One session: connects, serves, and reconnects with backoff until `cancel`.
async fn run_session(context: &SourceContext<'_>, session: usize, cancel: &CancellationToken) {
    let mut backoff = Duration::from_millis(500);
    while !cancel.is_cancelled() {
        let connection = match connect(
            context.source,
            context.settings,
            session,
            context.password.clone(),
            context.ca.clone(),
        ) {
            Ok(connection) => connection,
            Err(e) => {
                tracing::error!("MQTT source disabled: {e}");
                context.counters.error(&e.to_string());
                return;
            }
        };
        let reason = serve_connection(context, connection, cancel, &mut backoff).await;
        if cancel.is_cancelled() {
            break;
        }
        context.counters.error(&reason);
        tracing::warn!(
            session,
            "MQTT connection lost ({reason}); reconnecting in {backoff:?}"
        );
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Marks one session connected in the source's counters until dropped.
struct ConnectedMark<'a> {
    counters: &'a SourceCounters,
    up: bool,
}

impl ConnectedMark<'_> {
    fn connected(&mut self) {
        if !self.up {
            self.up = true;
            self.counters.set_connected(true);
        }
    }
}

impl Drop for ConnectedMark<'_> {
    fn drop(&mut self) {
        if self.up {
            self.counters.set_connected(false);
        }
    }
}

/// One connection's life; returns why it ended.
async fn serve_connection(
    context: &SourceContext<'_>,
    connection: MqttConnection,
    cancel: &CancellationToken,
    backoff: &mut Duration,
) -> String {
    let SourceContext {
        service,
        source,
        counters,
        ..
    } = *context;
    // Taken apart: the event loop is not `Sync`, so no reference to it may live across an
    // await elsewhere.
    let MqttConnection {
        client,
        mut event_loop,
        topics,
    } = connection;
    let mut mark = ConnectedMark {
        counters,
        up: false,
    };
    let mut pending = Pending::new();
    // Acknowledgements and subscriptions are queued without waiting: the client's request
    // channel is drained only by polling the event loop below, so awaiting a full channel
    // here would stop the loop for good.
    let mut acks: VecDeque<Publish> = VecDeque::new();
    let mut subscribe_pending = false;
    loop {
        // A full channel (`TrySendFull`) is retried on the next turn.
        if subscribe_pending && try_subscribe(&client, &topics).is_ok() {
            subscribe_pending = false;
        }
        while let Some(publish) = acks.front() {
            match client.try_ack(publish) {
                Ok(()) => {
                    acks.pop_front();
                }
                Err(rumqttc::ClientError::TryRequest(_)) => break,
                Err(e) => return format!("cannot acknowledge: {e}"),
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => {
                // Pending messages stay unacknowledged; the broker redelivers them next time.
                let _ = client.try_disconnect();
                return "node stopping".into();
            }
            stored = oldest(&mut pending) => {
                let Some((_, publish)) = pending.pop_front() else { continue };
                match stored {
                    Ok(_) => acks.push_back(publish),
                    // Drop the connection so the broker redelivers everything unacknowledged.
                    Err(e) => return format!("write failed, message not acknowledged: {e}"),
                }
            }
            event = event_loop.poll() => match event {
                Ok(Event::Incoming(Incoming::ConnAck(ack))) => {
                    tracing::info!(session_present = ack.session_present, "MQTT connected");
                    mark.connected();
                    *backoff = Duration::from_millis(500);
                    subscribe_pending = true;
                }
                Ok(Event::Incoming(Incoming::Publish(publish))) => {
                    let topic = publish.topic.clone();
                    let payload = publish.payload.to_vec();
                    // Waits while the writer's queue is full: the broker holds what we do not read.
                    match service.enqueue_message(source, topic, payload).await {
                        Ok(answer) => pending.push_back((answer, publish)),
                        Err(e) => return format!("cannot queue a message: {e}"),
                    }
                }
                Ok(_) => {}
                Err(e) => return e.to_string(),
            },
        }
    }
}
