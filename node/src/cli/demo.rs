//! `hanse demo`: one command that shows a node answering SPARQL over sample data.
//!
//! Until the demo consortium lands this is a single city node (Mechelen) with a day of
//! air-quality observations; the command and its flags stay the same as it grows.

use super::DemoArgs;
use super::serve::shutdown_signal;
use crate::config::{LogSection, Role};
use crate::demo_data::{self, AIR_QUALITY_GRAPH};
use crate::identity::NodeIdentity;
use crate::node::Node;
use crate::node_dir::{InitOptions, NodeDir};
use anyhow::Context;
use oxigraph::model::NamedNode;

/// Sensors and hours of the built-in sample.
const SENSORS: usize = 4;
const HOURS: usize = 24;

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::telemetry::init(&LogSection {
        level: std::env::var("HANSE_LOG").unwrap_or_else(|_| "warn,hanse_node=info".into()),
        ..LogSection::default()
    })
    .map_err(anyhow::Error::msg)?;
    let temp;
    let root = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("hanse-demo-")
                .tempdir()
                .context("cannot create a temporary directory for the demo")?;
            temp.path().to_owned()
        }
    };
    let dir = NodeDir::new(root.join("mechelen"));
    if !dir.config_path().exists() {
        dir.init(InitOptions {
            name: "mechelen".into(),
            role: Role::City,
            http_listen: args.http,
            force: false,
            // A fixed seed keeps the demo node's PeerId the same on every run.
            identity: Some(NodeIdentity::from_seed(
                *b"hanse-demo-node-mechelen-0000001",
            )),
        })?;
    }
    let mut config = dir.load_config()?;
    config.http.listen = args.http;
    // Sample data lives in a named graph, as datasets do; let `?s ?p ?o` find it.
    config.sparql.union_default_graph = true;
    let node = Node::spawn(&dir, config).await.with_context(|| {
        format!(
            "cannot start the demo node (pass --http 127.0.0.1:<port> if {} is taken)",
            args.http
        )
    })?;
    let store = node.store().clone();
    let loaded = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let graph = NamedNode::new_unchecked(AIR_QUALITY_GRAPH);
        if store.contains_named_graph(&graph)? {
            return Ok(0);
        }
        let quads = demo_data::air_quality(SENSORS, HOURS);
        let mut transaction = store.start_transaction()?;
        transaction.extend(&quads);
        transaction.commit()?;
        Ok(quads.len())
    })
    .await??;
    let url = node.http_url();
    println!(
        "hanse demo: city node `mechelen` with {SENSORS} air-quality sensors, {HOURS} h of NO2/PM10/PM2.5"
    );
    if loaded > 0 {
        println!("  loaded    {loaded} triples into <{AIR_QUALITY_GRAPH}>");
    }
    println!("  node      {url}   (data in {})", dir.root().display());
    println!();
    println!("Try:");
    println!("  curl -G {url}/sparql --data-urlencode 'query=SELECT * {{ ?s ?p ?o }} LIMIT 3'");
    println!("  curl {url}/api/node");
    println!(
        "  cargo run --release -- query --url {url} 'PREFIX sosa: <http://www.w3.org/ns/sosa/> SELECT ?sensor (ROUND(AVG(?v)) AS ?no2) {{ ?o sosa:madeBySensor ?sensor ; sosa:observedProperty <https://smartdatamodels.org/dataModel.Environment/no2> ; sosa:hasSimpleResult ?v }} GROUP BY ?sensor ORDER BY ?sensor'"
    );
    println!();
    println!("Press Ctrl-C to stop.");
    shutdown_signal().await;
    node.shutdown().await?;
    Ok(())
}
