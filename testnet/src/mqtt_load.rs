//! A QoS 1 MQTT publisher for scenarios and benchmarks: numbered meter readings as generic
//! JSON on `meters/{device}`, counting what the broker acknowledged.

use anyhow::{Context, Result, bail};
use hanse_node::client::NodeClient;
use hanse_node::demo::mqtt_broker::EmbeddedBroker;
use hanse_node::test_utils::Mosquitto;
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Attributes of the meter fields `v`, `v1`, `v2`…
const METER_ATTRIBUTES: [&str; 6] = [
    "intensity",
    "averageVehicleSpeed",
    "averageVehicleLength",
    "averageGapDistance",
    "averageHeadwayTime",
    "congestionLevel",
];

/// Most fields a meter message can carry.
pub const MAX_METER_FIELDS: usize = METER_ATTRIBUTES.len();

/// Which MQTT broker a scenario or benchmark uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BrokerKind {
    /// rumqttd in this process.
    Embedded,
    /// A Mosquitto process (must be installed).
    Mosquitto,
}

/// A running broker of either kind, stopped on drop (the embedded one with the process).
pub enum Broker {
    /// rumqttd in this process.
    Embedded(EmbeddedBroker),
    /// A Mosquitto process.
    Mosquitto(Mosquitto),
}

impl Broker {
    /// Starts a broker of `kind`; Mosquitto keeps its configuration in `dir`.
    pub fn start(kind: BrokerKind, dir: &Path) -> Result<Broker> {
        Ok(match kind {
            BrokerKind::Embedded => Broker::Embedded(EmbeddedBroker::start(0)?),
            BrokerKind::Mosquitto => Broker::Mosquitto(
                Mosquitto::start(dir)?
                    .context("mosquitto is not installed (apt-get install mosquitto)")?,
            ),
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Broker::Embedded(broker) => broker.addr(),
            Broker::Mosquitto(broker) => broker.addr(),
        }
    }

    /// Its URL for mapping files.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr())
    }

    /// What it is, for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Broker::Embedded(_) => "rumqttd (embedded)",
            Broker::Mosquitto(_) => "Mosquitto",
        }
    }
}

/// The mapping file of the source the publisher feeds (`entity_type` TrafficFlowObserved;
/// messages carry `fields` values, one observation each).
pub fn meter_source(
    broker_url: &str,
    client_id: &str,
    fields: usize,
    connections: usize,
) -> String {
    let mut extra = String::new();
    for (f, attribute) in METER_ATTRIBUTES.iter().enumerate().take(fields).skip(1) {
        extra.push_str(&format!("\n[fields.v{f}]\nattribute = \"{attribute}\"\n"));
    }
    format!(
        r#"graph = "https://testnet.hanse.example/graph/meters"
base = "https://testnet.hanse.example/"
entity_type = "TrafficFlowObserved"
allow_unknown_devices = true

[format]
type = "json"
time = "/at"
fields = "/values"

[mqtt]
url = "{broker_url}"
topics = ["meters/+"]
client_id = "{client_id}"
connections = {connections}

[http]
token_file = "secrets/meters.token"

[fields.v]
attribute = "intensity"
unit = "E50"
{extra}"#
    )
}

/// The graph the meter source writes to.
pub const METER_GRAPH: &str = "https://testnet.hanse.example/graph/meters";

/// Message `seq` of `device`: a distinct time per message, so each is one observation.
pub fn meter_message(seq: u64, fields: usize) -> String {
    // 2026-01-01T00:00:00Z plus one millisecond per message.
    let at = 1_767_225_600_000u64 + seq;
    let values: Vec<String> = (0..fields)
        .map(|f| {
            let name = if f == 0 {
                "v".to_owned()
            } else {
                format!("v{f}")
            };
            format!("\"{name}\":{}", (seq + f as u64) % 1000)
        })
        .collect();
    format!(r#"{{"at":{at},"values":{{{}}}}}"#, values.join(","))
}

/// A publisher running in the background.
pub struct Publisher {
    stop: Arc<AtomicBool>,
    published: Arc<AtomicU64>,
    acknowledged: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Publisher {
    /// Publishes `meter_message(seq, fields)` for seq = 0, 1, … on `meters/{device}` until
    /// stopped or `limit` messages; at most `per_second` messages a second (0: as fast as the
    /// broker acknowledges, at most 100 in flight).
    pub fn start(
        broker: std::net::SocketAddr,
        device: &str,
        limit: u64,
        fields: usize,
        per_second: u64,
    ) -> Publisher {
        let stop = Arc::new(AtomicBool::new(false));
        let published = Arc::new(AtomicU64::new(0));
        let acknowledged = Arc::new(AtomicU64::new(0));
        let mut options = MqttOptions::new(
            format!("testnet-publisher-{device}"),
            broker.ip().to_string(),
            broker.port(),
        );
        options
            .set_keep_alive(Duration::from_secs(10))
            .set_inflight(100);
        let (client, mut event_loop) = AsyncClient::new(options, 100);
        let acks = acknowledged.clone();
        let poller = tokio::spawn(async move {
            loop {
                match event_loop.poll().await {
                    Ok(Event::Incoming(Incoming::PubAck(_))) => {
                        acks.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("publisher connection: {e}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        let topic = format!("meters/{device}");
        let (stop_flag, count, acks) = (stop.clone(), published.clone(), acknowledged.clone());
        let task = tokio::spawn(async move {
            let mut seq = 0;
            let started = std::time::Instant::now();
            while !stop_flag.load(Ordering::Relaxed) && seq < limit {
                if per_second > 0 {
                    let due = Duration::from_secs_f64(seq as f64 / per_second as f64);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                client
                    .publish(&topic, QoS::AtLeastOnce, false, meter_message(seq, fields))
                    .await
                    .context("publish")?;
                seq += 1;
                count.store(seq, Ordering::Relaxed);
            }
            // Wait for the broker to acknowledge everything sent.
            for _ in 0..200 {
                if acks.load(Ordering::Relaxed) >= seq {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = client.disconnect().await;
            poller.abort();
            if acks.load(Ordering::Relaxed) < seq {
                bail!(
                    "the broker acknowledged {} of {seq} publishes",
                    acks.load(Ordering::Relaxed)
                );
            }
            Ok(())
        });
        Publisher {
            stop,
            published,
            acknowledged,
            task,
        }
    }

    /// Messages published so far.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Stops, waits for the broker's acknowledgements, returns how many it acknowledged.
    pub async fn finish(self) -> Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.context("publisher task")??;
        Ok(self.acknowledged.load(Ordering::Relaxed))
    }
}

/// Observations in the meter graph of `client`'s node (`client`: its operator).
pub async fn meter_observations(client: &NodeClient) -> Result<u64> {
    let query = format!(
        "SELECT (COUNT(?o) AS ?n) WHERE {{ GRAPH <{METER_GRAPH}> {{ ?o a <http://www.w3.org/ns/sosa/Observation> }} }}"
    );
    crate::processes::sparql_count(client, &query).await
}
