//! Live sensors for the demo: each city node subscribes to the embedded MQTT broker with a
//! source in the format a real city would use, and a simulator publishes a reading per
//! device every few seconds. The readings land in the city's published datasets, so their
//! statistics and catalogues move while the demo runs.

use super::members::{DemoMember, graph_of};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often every simulated device reports.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// One simulated device: the member it belongs to, the topic and how its payload looks.
struct LiveDevice {
    member: &'static str,
    topic: &'static str,
    payload: fn(tick: u64) -> String,
}

fn wave(tick: u64, base: f64, amplitude: f64) -> f64 {
    let phase = (tick % 60) as f64 / 60.0 * std::f64::consts::TAU;
    ((base + amplitude * phase.sin()) * 10.0).round() / 10.0
}

fn now() -> String {
    hanse_sensors::format_time(hanse_sensors::OffsetDateTime::now_utc())
}

const DEVICES: &[LiveDevice] = &[
    LiveDevice {
        member: "mechelen",
        topic: "v3/mechelen-air@ttn/devices/aq-live-grote-markt/up",
        payload: |tick| {
            format!(
                r#"{{"end_device_ids":{{"device_id":"aq-live-grote-markt","application_ids":{{"application_id":"mechelen-air"}}}},"received_at":"{}","uplink_message":{{"f_port":1,"decoded_payload":{{"no2":{},"pm10":{},"pm25":{}}},"rx_metadata":[{{"gateway_ids":{{"gateway_id":"gw-stadhuis"}},"rssi":-97,"snr":7.5}}]}}}}"#,
                now(),
                wave(tick, 28.0, 6.0),
                wave(tick, 19.0, 4.0),
                wave(tick, 11.0, 3.0)
            )
        },
    },
    LiveDevice {
        member: "mechelen",
        topic: "/roads-mechelen/road-live-n15/attrs",
        payload: |tick| format!("t|{}", wave(tick, 1.5, 2.5)),
    },
    LiveDevice {
        member: "delft",
        topic: "/json/bins-delft/bin-live-markt/attrs",
        payload: |tick| format!(r#"{{"fill": {}}}"#, (tick * 3 % 100)),
    },
    LiveDevice {
        member: "saint-quentin",
        topic: "saint-quentin/soil/stade",
        payload: |tick| {
            format!(
                r#"[{{"bn":"urn:dev:mac:0024befffe804ff1:","n":"vwc","u":"%","v":{}}}]"#,
                wave(tick, 31.0, 4.0)
            )
        },
    },
    LiveDevice {
        member: "bruges",
        topic: "bruges/parking/zand",
        payload: |tick| {
            format!(
                r#"{{"occupancy": {}}}"#,
                wave(tick, 0.6, 0.3).clamp(0.0, 1.0)
            )
        },
    },
];

/// The mapping files (name, TOML) of a member's live sources, for a broker at `url`.
pub fn sources(member: &DemoMember, url: &str) -> Vec<(String, String)> {
    let mqtt = |topics: &str| {
        format!(
            "[mqtt]\nurl = \"{url}\"\ntopics = [{topics}]\nclient_id = \"hanse-demo-{}\"\n",
            member.name
        )
    };
    let base = format!("https://{}.demo.hanse.example/", member.name);
    let (lat, lon) = member.centre;
    let text = match member.name {
        "mechelen" => vec![
            (
                "live-air-quality",
                format!(
                    "graph = \"{}\"\nbase = \"{base}live/\"\nentity_type = \"AirQualityObserved\"\n[format]\ntype = \"ttn-v3\"\n{}[devices.aq-live-grote-markt]\nlocation = [{lat}, {lon}]\nlabel = \"Grote Markt (live)\"\n[fields.no2]\nattribute = \"no2\"\nunit = \"GQ\"\n[fields.pm10]\nattribute = \"pm10\"\nunit = \"GQ\"\n[fields.pm25]\nattribute = \"pm25\"\nunit = \"GQ\"\n",
                    graph_of(member, "air-quality"),
                    mqtt("\"v3/+/devices/+/up\"")
                ),
            ),
            (
                "live-road-temperature",
                format!(
                    "graph = \"{}\"\nbase = \"{base}live/\"\nentity_type = \"RoadSurfaceObserved\"\n[format]\ntype = \"iot-agent-ul\"\napikey = \"roads-mechelen\"\n{}[devices.road-live-n15]\nlocation = [{}, {}]\n[fields.t]\nattribute = \"roadSurfaceTemperature\"\nunit = \"CEL\"\nmin = -40\nmax = 80\n",
                    graph_of(member, "road-temperature"),
                    mqtt("\"/roads-mechelen/+/attrs\"")
                        .replace("hanse-demo-mechelen", "hanse-demo-mechelen-roads"),
                    lat + 0.01,
                    lon - 0.02
                ),
            ),
        ],
        "delft" => vec![(
            "live-waste-bins",
            format!(
                "graph = \"{}\"\nbase = \"{base}live/\"\nentity_type = \"WasteContainer\"\n[format]\ntype = \"iot-agent-json\"\napikey = \"bins-delft\"\n{}[devices.bin-live-markt]\nlocation = [{lat}, {lon}]\n[fields.fill]\nattribute = \"fillingLevel\"\nunit = \"C62\"\nfrom_unit = \"P1\"\n",
                graph_of(member, "waste-bins"),
                mqtt("\"/json/bins-delft/+/attrs\"")
            ),
        )],
        "saint-quentin" => vec![(
            "live-soil-moisture",
            format!(
                "graph = \"{}\"\nbase = \"{base}live/\"\nentity_type = \"GreenspaceRecord\"\n[format]\ntype = \"senml\"\n{}[devices.\"urn:dev:mac:0024befffe804ff1\"]\nlocation = [{lat}, {lon}]\nlabel = \"Stade (live)\"\n[fields.vwc]\nattribute = \"soilMoistureVwc\"\nunit = \"C62\"\n",
                graph_of(member, "soil-moisture"),
                mqtt("\"saint-quentin/soil/+\"")
            ),
        )],
        "bruges" => vec![(
            "live-parking",
            format!(
                "graph = \"{}\"\nbase = \"{base}live/\"\nentity_type = \"OffStreetParking\"\n[format]\ntype = \"json\"\n{}[devices.zand]\nlocation = [{lat}, {lon}]\nlabel = \"Parking Zand (live)\"\n[fields.occupancy]\nattribute = \"occupancy\"\nunit = \"C62\"\n",
                graph_of(member, "parking"),
                mqtt("\"bruges/parking/+\"")
            ),
        )],
        _ => Vec::new(),
    };
    text.into_iter().map(|(n, t)| (n.to_owned(), t)).collect()
}

/// Publishes a reading per device now and every [`INTERVAL`] until `cancel`.
pub async fn simulate(broker: SocketAddr, cancel: CancellationToken) {
    let mut options =
        MqttOptions::new("hanse-demo-sensors", broker.ip().to_string(), broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut event_loop) = AsyncClient::new(options, 64);
    let poller = tokio::spawn(async move {
        loop {
            if let Err(e) = event_loop.poll().await {
                tracing::debug!("demo sensors: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });
    let mut tick = 0u64;
    let mut interval = tokio::time::interval(INTERVAL);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = interval.tick() => {}
        }
        for device in DEVICES {
            if let Err(e) = client
                .publish(
                    device.topic,
                    QoS::AtLeastOnce,
                    false,
                    (device.payload)(tick),
                )
                .await
            {
                tracing::warn!(member = device.member, "demo sensor publish failed: {e}");
            }
        }
        tick += 1;
    }
    let _ = client.disconnect().await;
    poller.abort();
}
