//! The MQTT connection of a source: options from the mapping file, QoS 1, a persistent
//! session and manual acknowledgements, so the broker redelivers anything the node had not
//! durably stored when it stopped.

use crate::source::MqttSettings;
use rumqttc::{MqttOptions, QoS, Transport};
use std::time::Duration;

pub use rumqttc::{AsyncClient, Event, EventLoop, Incoming, Publish};

/// Largest MQTT packet accepted (a TTN uplink is a few kB).
pub const MAX_PACKET_BYTES: usize = 256 * 1024;

/// Why an MQTT source cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MqttError {
    /// A URL that is not `mqtt://host:port` or `mqtts://host:port`.
    #[error("MQTT url `{0}` is not mqtt://host[:port] or mqtts://host[:port]")]
    Url(String),
    /// No topic to subscribe to.
    #[error("[mqtt] topics is empty")]
    NoTopics,
}

/// An MQTT client of one source, not yet polled.
pub struct MqttConnection {
    /// Sends subscriptions and acknowledgements.
    pub client: AsyncClient,
    /// Must be polled for anything to happen; reconnects on the next poll after an error.
    pub event_loop: EventLoop,
    /// The topic filters to (re)subscribe on every connection.
    pub topics: Vec<String>,
}

/// Builds the connection for `source` from its settings; `password` and `ca` are the
/// contents of the files the settings name.
pub fn connect(
    source: &str,
    settings: &MqttSettings,
    password: Option<String>,
    ca: Option<Vec<u8>>,
) -> Result<MqttConnection, MqttError> {
    let (tls, rest) = if let Some(rest) = settings.url.strip_prefix("mqtts://") {
        (true, rest)
    } else if let Some(rest) = settings.url.strip_prefix("mqtt://") {
        (false, rest)
    } else {
        return Err(MqttError::Url(settings.url.clone()));
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| MqttError::Url(settings.url.clone()))?,
        ),
        None => (rest, if tls { 8883 } else { 1883 }),
    };
    if host.is_empty() {
        return Err(MqttError::Url(settings.url.clone()));
    }
    if settings.topics.is_empty() {
        return Err(MqttError::NoTopics);
    }
    let client_id = settings
        .client_id
        .clone()
        .unwrap_or_else(|| format!("hanse-{source}"));
    let mut options = MqttOptions::new(client_id, host, port);
    options
        .set_keep_alive(Duration::from_secs(settings.keep_alive_secs.max(5)))
        // The broker keeps the subscription and queues QoS 1 messages while we are away.
        .set_clean_session(false)
        // Acknowledged only once stored (or dead-lettered).
        .set_manual_acks(true)
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
    if let Some(user) = &settings.username {
        options.set_credentials(user, password.unwrap_or_default());
    }
    if tls {
        options.set_transport(match ca {
            Some(ca) => Transport::tls(ca, None, None),
            None => Transport::tls_with_default_config(),
        });
    }
    // Room for a burst of acknowledgements between two polls of the event loop.
    let (client, event_loop) = AsyncClient::new(options, 1024);
    Ok(MqttConnection {
        client,
        event_loop,
        topics: settings.topics.clone(),
    })
}

/// The client's request channel is full; poll the event loop and try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrySendFull;

/// Queues a QoS 1 subscription to every topic (after each `ConnAck`) without waiting.
pub fn try_subscribe(client: &AsyncClient, topics: &[String]) -> Result<(), TrySendFull> {
    let filters = topics
        .iter()
        .map(|t| rumqttc::SubscribeFilter::new(t.clone(), QoS::AtLeastOnce));
    client.try_subscribe_many(filters).map_err(|_| TrySendFull)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> MqttSettings {
        MqttSettings {
            url: url.into(),
            topics: vec!["a/#".into()],
            client_id: None,
            username: None,
            password_file: None,
            ca_file: None,
            keep_alive_secs: 30,
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(connect("s", &settings("mqtt://127.0.0.1:1883"), None, None).is_ok());
        assert!(connect("s", &settings("mqtt://broker"), None, None).is_ok());
        for bad in ["http://x:1", "mqtt://:1883", "mqtt://x:port"] {
            assert!(
                matches!(
                    connect("s", &settings(bad), None, None),
                    Err(MqttError::Url(_))
                ),
                "{bad}"
            );
        }
    }
}
