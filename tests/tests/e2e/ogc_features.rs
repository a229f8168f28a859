//! OGC API – Features end to end: a real client (Python's OWSLib) lists the collections of
//! a running node and reads items by bbox and datetime, over the NGSI-LD entities.

use super::ngsi_ld::{Api, CORE, LD};
use anyhow::{Result, ensure};
use hanse_node::Node;
use serde_json::{Value, json};

/// Runs `script` with python3, installing OWSLib first if it is missing.
fn owslib(script: &str, base: &str) -> Result<String> {
    let has = || {
        std::process::Command::new("python3")
            .args(["-c", "import owslib.ogcapi.features"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has() {
        eprintln!("owslib missing: installing it with pip (`./test` does this up front)");
        let installed = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "owslib"])
            .status();
        ensure!(
            installed.is_ok_and(|s| s.success()) && has(),
            "this test needs python3 with owslib (`python3 -m pip install owslib`)"
        );
    }
    let output = std::process::Command::new("python3")
        .args(["-c", script, base])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "owslib failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

const OWSLIB_SCRIPT: &str = r#"
import json, sys
from owslib.ogcapi.features import Features
api = Features(sys.argv[1], timeout=20)
conformance = api.conformance()["conformsTo"]
collections = [c["id"] for c in api.collections()["collections"]]
items = api.collection_items("Sensor", bbox=[4.40, 51.00, 4.50, 51.05], limit=2)
page = [f["id"] for f in items["features"]]
following = [l["href"] for l in items["links"] if l["rel"] == "next"]
later = api.collection_items("Sensor", datetime_="2026-06-01T00:00:00Z/..")
one = api.collection_item("Sensor", "urn:ngsi-ld:Sensor:1")
import owslib
print(json.dumps({"version": owslib.__version__, "conformance": conformance, "collections": collections, "page": page,
    "matched": items["numberMatched"], "next": following,
    "later": sorted(f["id"] for f in later["features"]), "one": one["geometry"]}))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn owslib_reads_collections_and_items_by_bbox_and_datetime() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (node, dir) = Node::spawn_for_tests(tmp.path(), |_| {}).await?;
    let api = Api::new(&node, dir.load_admin_token()?.as_str());
    let sensors: Vec<Value> = [
        (1, 4.45, 51.02, "2026-05-01T00:00:00Z"),
        (2, 4.46, 51.03, "2026-07-01T00:00:00Z"),
        (3, 4.47, 51.04, "2026-08-01T00:00:00Z"),
        (4, 5.90, 52.00, "2026-09-01T00:00:00Z"),
    ]
    .iter()
    .map(|(n, lon, lat, at)| {
        json!({"id": format!("urn:ngsi-ld:Sensor:{n}"), "type": "Sensor",
            "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": at}},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
            "@context": CORE})
    })
    .collect();
    let (status, body) = api
        .post(
            "/entityOperations/create",
            LD,
            Value::Array(sensors).to_string(),
        )
        .await?;
    ensure!(status == 201, "{body}");
    // The operator's view (the node's open_loopback is off, so OWSLib sends the token).
    let script = OWSLIB_SCRIPT.replace(
        "Features(sys.argv[1], timeout=20)",
        &format!(
            "Features(sys.argv[1], timeout=20, headers={{'Authorization': 'Bearer {}'}})",
            api.token
        ),
    );
    let out = owslib(&script, &format!("{}/ogc", node.http_url()))?;
    let seen: Value = serde_json::from_str(out.trim())?;
    ensure!(
        seen["conformance"]
            .as_array()
            .is_some_and(|c| c.contains(&json!(
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
            ))),
        "{seen}"
    );
    ensure!(seen["collections"] == json!(["Sensor"]), "{seen}");
    ensure!(
        seen["matched"] == 3 && seen["page"].as_array().is_some_and(|p| p.len() == 2),
        "bbox: {seen}"
    );
    ensure!(
        seen["next"].as_array().is_some_and(|n| n.len() == 1),
        "next link: {seen}"
    );
    ensure!(
        seen["later"]
            == json!([
                "urn:ngsi-ld:Sensor:2",
                "urn:ngsi-ld:Sensor:3",
                "urn:ngsi-ld:Sensor:4"
            ]),
        "datetime: {seen}"
    );
    ensure!(
        seen["one"] == json!({"type": "Point", "coordinates": [4.45, 51.02]}),
        "{seen}"
    );
    println!(
        "OWSLib {} read the collections and items by bbox and datetime",
        seen["version"]
    );
    node.shutdown().await?;
    Ok(())
}
