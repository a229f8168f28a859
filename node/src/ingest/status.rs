//! Per-source counters for `GET /api/ingest/status`.

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one source, updated by its transport and the writer.
#[derive(Debug, Default)]
pub struct SourceCounters {
    received: AtomicU64,
    messages_stored: AtomicU64,
    observations_stored: AtomicU64,
    dead_lettered: AtomicU64,
    lag_ms: AtomicU64,
    /// MQTT sessions connected (a source may run several).
    sessions_connected: AtomicU64,
    // Written rarely (on errors); no await while held.
    last_error: Mutex<Option<(String, String)>>,
    last_stored_at: Mutex<Option<String>>,
}

/// What `GET /api/ingest/status` reports for one source.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct SourceStatus {
    /// The source.
    pub source: String,
    /// Its payload format.
    pub format: String,
    /// Its named graph.
    pub graph: String,
    /// `mqtt`, `http`, or both.
    pub transports: Vec<String>,
    /// Whether all its MQTT sessions are up (`null` without MQTT).
    pub mqtt_connected: Option<bool>,
    /// How many of its MQTT sessions are up (`null` without MQTT).
    #[serde(default)]
    pub mqtt_sessions_connected: Option<u64>,
    /// Messages received since the node started.
    pub received: u64,
    /// Messages stored.
    pub messages_stored: u64,
    /// Observations stored (a message may carry several).
    pub observations_stored: u64,
    /// Messages sent to dead letters since the node started.
    pub dead_lettered: u64,
    /// Dead letters of this source waiting for replay.
    pub dead_letters_waiting: u64,
    /// Time from receipt to durable commit of the latest batch, in ms.
    pub lag_ms: u64,
    /// When the latest batch was stored.
    pub last_stored_at: Option<String>,
    /// The latest error: time and reason.
    pub last_error: Option<LastError>,
}

/// An error with its time.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct LastError {
    /// When (RFC 3339).
    pub at: String,
    /// What happened.
    pub reason: String,
}

fn now() -> String {
    hanse_sensors::format_time(hanse_sensors::OffsetDateTime::now_utc())
}

impl SourceCounters {
    /// A message arrived.
    pub fn received(&self, messages: u64) {
        self.received.fetch_add(messages, Ordering::Relaxed);
    }

    /// Messages and their observations are durable; `lag_ms` since the oldest was received.
    pub fn stored(&self, messages: u64, observations: u64, lag_ms: u64) {
        self.messages_stored.fetch_add(messages, Ordering::Relaxed);
        self.observations_stored
            .fetch_add(observations, Ordering::Relaxed);
        self.lag_ms.store(lag_ms, Ordering::Relaxed);
        if let Ok(mut last) = self.last_stored_at.lock() {
            *last = Some(now());
        }
    }

    /// A message went to dead letters for `reason`.
    pub fn dead_lettered(&self, reason: &str) {
        self.dead_lettered.fetch_add(1, Ordering::Relaxed);
        self.error(reason);
    }

    /// An error (dead letter, connection, store).
    pub fn error(&self, reason: &str) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some((now(), reason.to_owned()));
        }
    }

    /// One of the source's MQTT sessions went up (`true`) or down; each call pairs with
    /// an earlier opposite one of the same session.
    pub fn set_connected(&self, connected: bool) {
        if connected {
            self.sessions_connected.fetch_add(1, Ordering::Relaxed);
        } else {
            let _ =
                self.sessions_connected
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }

    /// A snapshot, given the source's number of MQTT sessions (0: none); the caller fills
    /// in the source's description.
    pub fn snapshot(&self, mqtt_sessions: usize) -> SourceStatus {
        let connected = self.sessions_connected.load(Ordering::Relaxed);
        let mqtt = mqtt_sessions > 0;
        SourceStatus {
            source: String::new(),
            format: String::new(),
            graph: String::new(),
            transports: Vec::new(),
            mqtt_connected: mqtt.then_some(connected >= mqtt_sessions as u64),
            mqtt_sessions_connected: mqtt.then_some(connected),
            received: self.received.load(Ordering::Relaxed),
            messages_stored: self.messages_stored.load(Ordering::Relaxed),
            observations_stored: self.observations_stored.load(Ordering::Relaxed),
            dead_lettered: self.dead_lettered.load(Ordering::Relaxed),
            dead_letters_waiting: 0,
            lag_ms: self.lag_ms.load(Ordering::Relaxed),
            last_stored_at: self.last_stored_at.lock().ok().and_then(|l| l.clone()),
            last_error: self
                .last_error
                .lock()
                .ok()
                .and_then(|l| l.clone())
                .map(|(at, reason)| LastError { at, reason }),
        }
    }
}

impl SourceStatus {
    /// Whether the source works: its broker connection (if any) is up, and it stored
    /// something since its last error (one refused message does not make a source unhealthy).
    pub fn is_healthy(&self) -> bool {
        if self.mqtt_connected == Some(false) {
            return false;
        }
        match (&self.last_error, &self.last_stored_at) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(error), Some(stored)) => {
                let parse = |text: &str| {
                    time::OffsetDateTime::parse(
                        text,
                        &time::format_description::well_known::Rfc3339,
                    )
                };
                match (parse(stored), parse(&error.at)) {
                    (Ok(stored), Ok(error)) => stored > error,
                    _ => false,
                }
            }
        }
    }
}
