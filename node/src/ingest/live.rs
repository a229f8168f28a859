//! Live readings: after each commit the writer announces the newest value of every (entity,
//! property) it stored, for the console's live charts. Announcing never blocks the writer:
//! a listener that falls behind misses readings (and is told so), it never slows ingest.

use hanse_sensors::Observation;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Batches of readings kept for slow listeners before they start missing some.
pub const CAPACITY: usize = 64;

/// The newest stored value of one property of one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveReading {
    /// The source that received it.
    pub source: String,
    /// The named graph it was stored in.
    pub graph: String,
    /// The entity (`sosa:hasFeatureOfInterest`).
    pub entity: String,
    /// The property IRI.
    pub property: String,
    /// The value, when it is a number.
    pub value: Option<f64>,
    /// When it was measured (xsd:dateTime).
    pub time: String,
}

/// The channel the writer announces on.
pub type LiveSender = broadcast::Sender<Arc<Vec<LiveReading>>>;

/// A new channel.
pub fn channel() -> LiveSender {
    broadcast::channel(CAPACITY).0
}

/// The newest reading per (entity, property) among `observations` of one source.
pub fn newest<'a>(
    source: &str,
    graph: &str,
    observations: impl Iterator<Item = &'a Observation>,
    out: &mut Vec<LiveReading>,
) {
    let mut newest: HashMap<(&str, &str), &Observation> = HashMap::new();
    for observation in observations {
        let key = (observation.feature.as_str(), observation.property.as_str());
        match newest.get(&key) {
            Some(held) if held.phenomenon_time >= observation.phenomenon_time => {}
            _ => {
                newest.insert(key, observation);
            }
        }
    }
    for observation in newest.into_values() {
        out.push(LiveReading {
            source: source.to_owned(),
            graph: graph.to_owned(),
            entity: observation.feature.as_str().to_owned(),
            property: observation.property.as_str().to_owned(),
            value: observation.value.value().parse().ok(),
            time: hanse_sensors::format_time(observation.phenomenon_time),
        });
    }
}
