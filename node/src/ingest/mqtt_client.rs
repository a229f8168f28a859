//! The MQTT connection of a source: options from the mapping file, QoS 1, a persistent
//! session and manual acknowledgements, so the broker redelivers anything the node had not
//! durably stored when it stopped. (The mapping itself, in `hanse-sensors`, knows nothing of
//! networks: this client is the node's.)

use hanse_sensors::source::{MAX_MQTT_CONNECTIONS, MqttSettings};
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
    /// A number of parallel sessions out of range.
    #[error("[mqtt] connections is {0}; it must be 1 to {MAX_MQTT_CONNECTIONS}")]
    Connections(usize),
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

/// Builds session `session` (0-based, below `settings.connections`) of `source` from its
/// settings; `password` and `ca` are the contents of the files the settings name.
pub fn connect(
    source: &str,
    settings: &MqttSettings,
    session: usize,
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
    if !(1..=MAX_MQTT_CONNECTIONS).contains(&settings.connections) {
        return Err(MqttError::Connections(settings.connections));
    }
    let base = settings
        .client_id
        .clone()
        .unwrap_or_else(|| format!("hanse-{source}"));
    // One session keeps the plain subscription (and the session of nodes configured before
    // sessions could be shared); several share one subscription group named after the base.
    let (client_id, topics) = if settings.connections == 1 {
        (base, settings.topics.clone())
    } else {
        let shared = settings
            .topics
            .iter()
            .map(|filter| format!("$share/{base}/{filter}"))
            .collect();
        (format!("{base}-{session}"), shared)
    };
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
        topics,
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
            connections: 1,
        }
    }

    #[tokio::test]
    async fn several_sessions_share_one_subscription() {
        let mut shared = settings("mqtt://127.0.0.1:1883");
        shared.connections = 3;
        let connection = connect("meters", &shared, 2, None, None).unwrap();
        assert_eq!(connection.topics, ["$share/hanse-meters/a/#"]);
        let single = connect("meters", &settings("mqtt://127.0.0.1:1883"), 0, None, None).unwrap();
        assert_eq!(single.topics, ["a/#"]);
        for bad in [0, MAX_MQTT_CONNECTIONS + 1] {
            shared.connections = bad;
            assert!(matches!(
                connect("meters", &shared, 0, None, None),
                Err(MqttError::Connections(n)) if n == bad
            ));
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(connect("s", &settings("mqtt://127.0.0.1:1883"), 0, None, None).is_ok());
        assert!(connect("s", &settings("mqtt://broker"), 0, None, None).is_ok());
        for bad in ["http://x:1", "mqtt://:1883", "mqtt://x:port"] {
            assert!(
                matches!(
                    connect("s", &settings(bad), 0, None, None),
                    Err(MqttError::Url(_))
                ),
                "{bad}"
            );
        }
    }
}
