//! `hanse-testnet bench ingest`: sustained sensor ingest through the full path, next to
//! oxigraph's bulk loader loading the same triples.
//!
//! One node runs in this process with a meter source (generic JSON, `--fields` values per
//! message). Measured, in one run:
//! - **HTTP**: `POST /api/ingest/meters` with `--batch` messages per request,
//!   `--concurrency` requests in flight, until `--observations` are stored (each answer
//!   comes after the batch is durable);
//! - **MQTT**: a QoS 1 publisher through Mosquitto (where installed; else the embedded
//!   broker), the source subscribed with `--mqtt-connections` sessions sharing the
//!   subscription; from the first publish until the node has stored `--mqtt-observations`
//!   (acknowledged after commit);
//! - **anchor**: the triples the HTTP part stored, exported and loaded into a fresh store
//!   with oxigraph's bulk loader.

use crate::mqtt_load::{self, Broker, BrokerKind, MAX_METER_FIELDS, Publisher};
use anyhow::{Context, Result, bail};
use hanse_node::Node;
use hanse_node::client::NodeClient;
use hanse_node::test_utils::Mosquitto;
use oxigraph::model::{GraphNameRef, NamedNodeRef};
use oxigraph::store::Store;
use std::time::{Duration, Instant};

/// Options of `bench ingest`.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestBenchOptions {
    /// Observations sent over HTTP.
    #[arg(long, default_value_t = 200_000)]
    pub observations: u64,
    /// Observations sent over MQTT.
    #[arg(long, default_value_t = 100_000)]
    pub mqtt_observations: u64,
    /// Values (observations) per message, 1 to 6.
    #[arg(long, default_value_t = 4)]
    pub fields: usize,
    /// Messages per HTTP request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// HTTP requests in flight.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Parallel MQTT sessions of the source (a shared subscription above 1); with the
    /// embedded broker, whose shared subscriptions fail on reconnection, 1 is used.
    #[arg(long, default_value_t = 16)]
    pub mqtt_connections: usize,
    /// The broker: Mosquitto where installed, else the embedded one.
    #[arg(long, value_enum)]
    pub broker: Option<BrokerKind>,
}

/// The meters source's stored observations, asked with `client` holding the source's token
/// (the node shows a source's status to callers who may read its graph).
async fn observations_stored(client: &NodeClient) -> Result<u64> {
    let status = client.get_json("/api/ingest/status").await?;
    status[0]["observations_stored"]
        .as_u64()
        .context("no observations_stored in /api/ingest/status")
}

/// Runs the three parts and prints the table.
pub async fn run(options: IngestBenchOptions) -> Result<()> {
    let fields = options.fields.clamp(1, MAX_METER_FIELDS);
    let tmp = tempfile::tempdir()?;
    let kind = options.broker.unwrap_or(if Mosquitto::installed() {
        BrokerKind::Mosquitto
    } else {
        BrokerKind::Embedded
    });
    let broker = Broker::start(kind, tmp.path())?;
    let sessions = match kind {
        BrokerKind::Mosquitto => options.mqtt_connections.max(1),
        BrokerKind::Embedded => 1,
    };
    let sources = tmp.path().join("sources");
    std::fs::create_dir_all(&sources)?;
    std::fs::write(
        sources.join("meters.toml"),
        mqtt_load::meter_source(&broker.url(), "bench-node", fields, sessions),
    )?;
    let (node, _dir) = Node::spawn_for_tests(tmp.path(), |c| {
        c.log.level = "warn".into();
        c.ingest.max_http_bytes = 64 * 1024 * 1024;
    })
    .await?;
    let token = std::fs::read_to_string(tmp.path().join("secrets/meters.token"))?;
    // The source's own token: what a meter gateway pushing to it would hold.
    let client = NodeClient::bearer(node.http_url(), &token);
    println!(
        "bench ingest: {fields} observations per message; {} over HTTP in batches of {} messages ({} in flight), {} over MQTT QoS 1 through {} ({sessions} sessions)",
        options.observations,
        options.batch,
        options.concurrency,
        options.mqtt_observations,
        broker.name()
    );

    // HTTP batches.
    let messages = options.observations.div_ceil(fields as u64);
    let requests = messages.div_ceil(options.batch as u64);
    let started = Instant::now();
    let mut in_flight = tokio::task::JoinSet::new();
    for request in 0..requests {
        while in_flight.len() >= options.concurrency.max(1) {
            in_flight.join_next().await.context("join")???;
        }
        let first = request * options.batch as u64;
        let last = (first + options.batch as u64).min(messages);
        let body = format!(
            "[{}]",
            (first..last)
                .map(|seq| mqtt_load::meter_message(seq, fields))
                .collect::<Vec<_>>()
                .join(",")
        );
        let client = client.clone();
        in_flight.spawn(async move {
            let response = client
                .post_request("/api/ingest/meters?topic=meters/http")
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("push refused: {}", response.text().await?);
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(done) = in_flight.join_next().await {
        done??;
    }
    let http_time = started.elapsed();
    let http_observations = observations_stored(&client).await?;
    let graph = NamedNodeRef::new(mqtt_load::METER_GRAPH)?;
    let quads: Vec<_> = node
        .store()
        .quads_for_pattern(None, None, None, Some(GraphNameRef::NamedNode(graph)))
        .collect::<Result<_, _>>()?;
    let http_triples = quads.len() as u64;

    // MQTT.
    let mqtt_messages = options.mqtt_observations.div_ceil(fields as u64);
    let target = http_observations + mqtt_messages * fields as u64;
    let started = Instant::now();
    let publisher = Publisher::start(broker.addr(), "mqtt", mqtt_messages, fields, 0);
    loop {
        let stored = observations_stored(&client).await?;
        if stored >= target {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "MQTT: {} of {target} observations stored after 600 s",
                stored
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mqtt_time = started.elapsed();
    publisher.finish().await?;
    node.shutdown().await?;

    // Anchor: the bulk loader on the same triples.
    let loader_dir = tempfile::tempdir()?;
    let store = Store::open(loader_dir.path())?;
    let started = Instant::now();
    let mut loader = store.bulk_loader();
    loader.load_quads(quads)?;
    loader.commit()?;
    let loader_time = started.elapsed();

    let rate = |n: u64, t: Duration| n as f64 / t.as_secs_f64();
    let loader_rate = rate(http_triples, loader_time);
    let triples_per_observation = http_triples as f64 / http_observations.max(1) as f64;
    println!(
        "{:<34} {:>12} {:>9} {:>12} {:>12} {:>10}",
        "path", "observations", "seconds", "obs/s", "triples/s", "vs loader"
    );
    for (path, observations, time) in [
        (
            "HTTP batches (durable, then 200)",
            http_observations,
            http_time,
        ),
        (
            "MQTT QoS 1 (acked after commit)",
            mqtt_messages * fields as u64,
            mqtt_time,
        ),
    ] {
        let triples = rate(observations, time) * triples_per_observation;
        println!(
            "{:<34} {:>12} {:>9.2} {:>12.0} {:>12.0} {:>9.2}x",
            path,
            observations,
            time.as_secs_f64(),
            rate(observations, time),
            triples,
            triples / loader_rate
        );
    }
    println!(
        "{:<34} {:>12} {:>9.2} {:>12} {:>12.0} {:>9.2}x",
        "oxigraph bulk loader, same triples",
        "-",
        loader_time.as_secs_f64(),
        "-",
        loader_rate,
        1.0
    );
    println!(
        "({http_triples} triples for {http_observations} observations: {triples_per_observation:.1} per observation. Goals: >= 50,000 obs/s over HTTP, >= 20,000 obs/s over MQTT, >= 0.5x the loader's triple rate.)"
    );
    Ok(())
}
