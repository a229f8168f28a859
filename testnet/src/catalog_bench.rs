//! `hanse-testnet bench catalog`: how fast a dataset change reaches every member, and what
//! building and signing a catalogue costs.
//!
//! - **propagation**: for each size N (default 10 and 50), N nodes run in this process on
//!   loopback. A member changes a dataset; measured is the time from the change until the
//!   last other node holds the new, verified catalogue version. `--changes` changes from
//!   rotating publishers; median and p95. The publish debounce is set to 0 ms so the figure
//!   is the protocol's (a node adds `catalog.publish_debounce_ms`, 500 ms by default).
//! - **build and sign**: for 1, 100 and 1,000 datasets (each with an ODRL offer and VoID
//!   partitions), the time to build the DCAT-AP graph and to canonicalise (RDFC-1.0) and sign
//!   it, next to the anchor of serialising the same graph to N-Triples without signing.

use crate::local_consortium::LocalConsortium;
use anyhow::{Context, Result};
use hanse_node::NodeIdentity;
use hanse_node::catalog::dcat::{Publisher, build_catalog};
use hanse_node::catalog::{
    AccessRights, BoundingBox, DatasetDefinition, DatasetStatistics, NodeIris, signing,
};
use hanse_vocab::{dct, hanse, xsd};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{Literal, NamedNode, Triple};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Options of `bench catalog`.
#[derive(Debug, Clone, clap::Args)]
pub struct CatalogBenchOptions {
    /// Consortium sizes to measure propagation for, comma-separated (empty to skip).
    #[arg(long, value_delimiter = ',', default_value = "10,50")]
    pub nodes: Vec<usize>,
    /// Dataset changes per size.
    #[arg(long, default_value_t = 20)]
    pub changes: usize,
    /// Catalogue sizes (datasets) to build and sign, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    pub datasets: Vec<usize>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs both parts and prints tables.
pub async fn run(options: CatalogBenchOptions) -> Result<()> {
    println!("build and sign (one run per size; anchor: the same graph to N-Triples, unsigned)");
    println!(
        "{:>8} {:>8} {:>10} {:>10} {:>12} {:>12} {:>8}",
        "datasets", "triples", "bytes", "build ms", "sign ms", "anchor ms", "ratio"
    );
    for &count in &options.datasets {
        build_and_sign(count)?;
    }
    if options.nodes.iter().any(|n| *n >= 2) {
        println!();
        println!("propagation: dataset change -> last member holding the verified catalogue");
        println!(
            "{:>5} {:>14} {:>16} {:>14} {:>8}",
            "nodes", "formation ms", "change median ms", "change p95 ms", "changes"
        );
    }
    for &n in options.nodes.iter().filter(|n| **n >= 2) {
        let (formation, mut samples) = propagation(n, options.changes).await?;
        samples.sort();
        println!(
            "{n:>5} {:>14.0} {:>16.1} {:>14.1} {:>8}",
            ms(formation),
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            samples.len()
        );
    }
    Ok(())
}

/// A realistic dataset: an offer with constraints, themes, and VoID partitions.
fn synthetic(index: usize) -> (DatasetDefinition, DatasetStatistics) {
    let id = format!("dataset-{index:05}");
    let mut definition = DatasetDefinition::new(
        &id,
        &format!("Sensor dataset {index}"),
        &format!("https://data.example/graph/{id}"),
    );
    definition.keywords = vec!["air quality".into(), format!("sensor-{index}")];
    definition.themes = vec!["ENVI".into(), "TRAN".into()];
    definition.licence = Some("https://creativecommons.org/licenses/by/4.0/".into());
    definition.access_rights = AccessRights::Restricted;
    definition.update_frequency = Some("HOURLY".into());
    definition.modified = Some("2026-11-21T10:00:00Z".into());
    definition.policy = Some(
        r#"@prefix odrl: <http://www.w3.org/ns/odrl/2/> . @prefix dpv: <https://w3id.org/dpv#> .
        <#offer> a odrl:Offer ; odrl:assigner <https://city.example/> ;
          odrl:permission [ odrl:action odrl:use ; odrl:target <> ;
            odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ;
                              odrl:rightOperand dpv:ScientificResearch ] ] ."#
            .into(),
    );
    let classes: BTreeMap<String, u64> = (0..5)
        .map(|c| (format!("https://schema.example/Class{c}"), 100 + c))
        .collect();
    let properties: BTreeMap<String, u64> = (0..10)
        .map(|p| (format!("https://schema.example/property{p}"), 1000 + p))
        .collect();
    let stats = DatasetStatistics {
        triples: 100_000,
        distinct_subjects: 10_000,
        classes,
        properties,
        temporal: Some(("2026-11-01T00:00:00Z".into(), "2026-11-21T00:00:00Z".into())),
        bbox: Some(BoundingBox {
            min_lon: 4.4,
            min_lat: 51.0,
            max_lon: 4.5,
            max_lat: 51.1,
        }),
        subject_authorities: vec!["https://city.example/".into()],
        object_authorities: vec!["https://city.example/".into()],
    };
    (definition, stats)
}

fn build_and_sign(count: usize) -> Result<()> {
    let identity = NodeIdentity::from_seed([0xca; 32]);
    let iris = NodeIris::new(&identity.peer_id());
    let datasets: Vec<_> = (0..count).map(synthetic).collect();
    let publisher = Publisher {
        iris: &iris,
        node_name: "bench",
        organisation: "Bench city",
        consortium: "bench",
        publisher_type: "LocalAuthority",
        contact_email: None,
        metadata_licence: hanse_vocab::eu::CC0,
    };
    let started = Instant::now();
    let mut document = build_catalog(&publisher, &datasets);
    let catalog = NamedNode::new(iris.catalog())?;
    document.insert(&Triple::new(
        catalog.clone(),
        NamedNode::new_unchecked(hanse::CATALOG_VERSION),
        Literal::new_typed_literal("1", NamedNode::new_unchecked(xsd::INTEGER)),
    ));
    document.insert(&Triple::new(
        catalog,
        NamedNode::new_unchecked(dct::MODIFIED),
        Literal::new_typed_literal(
            "2026-11-21T10:00:00Z",
            NamedNode::new_unchecked(xsd::DATE_TIME),
        ),
    ));
    let built = started.elapsed();
    let triples = document.len();

    let started = Instant::now();
    let mut writer = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
    for triple in document.iter() {
        writer.serialize_triple(triple)?;
    }
    let plain = writer.finish()?;
    let anchor = started.elapsed();

    let started = Instant::now();
    let signed = signing::sign(document, &identity)?;
    let sign = started.elapsed();
    signing::verify(signed.nquads.as_bytes(), usize::MAX).context("own signature")?;
    println!(
        "{count:>8} {triples:>8} {:>10} {:>10.1} {:>12.1} {:>12.1} {:>7.1}x",
        signed.nquads.len(),
        ms(built),
        ms(sign),
        ms(anchor),
        sign.as_secs_f64() / anchor.as_secs_f64().max(1e-9)
    );
    drop(plain);
    Ok(())
}

async fn propagation(n: usize, changes: usize) -> Result<(Duration, Vec<Duration>)> {
    let consortium = LocalConsortium::start(n, 0xca, |config| {
        config.catalog.publish_debounce_ms = 0;
    })
    .await?;
    let peers: Vec<_> = consortium
        .networks
        .iter()
        .map(|n| n.local_peer_id())
        .collect();
    // Let the first catalogues spread and the gossip meshes form.
    let settle = Instant::now() + Duration::from_secs(60);
    loop {
        let complete = consortium
            .running
            .iter()
            .all(|h| h.catalog().federated().versions().len() == n);
        if complete {
            break;
        }
        if Instant::now() > settle {
            anyhow::bail!("{n} nodes: initial catalogues did not spread within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut samples = Vec::with_capacity(changes);
    for change in 0..changes {
        let index = change % n;
        let publisher = &consortium.running[index];
        let mut published = publisher.catalog().published();
        let before = *published.borrow_and_update();
        let started = Instant::now();
        let (definition, _) = synthetic(change);
        publisher.catalog().datasets().create(definition)?;
        publisher.catalog().definitions_changed();
        tokio::time::timeout(Duration::from_secs(30), async {
            while *published.borrow_and_update() <= before {
                published.changed().await?;
            }
            anyhow::Ok(())
        })
        .await
        .context("the catalogue was not re-signed within 30 s")??;
        let version = *published.borrow();
        let deadline = started + Duration::from_secs(60);
        loop {
            let behind = consortium
                .running
                .iter()
                .filter(|h| {
                    h.catalog()
                        .federated()
                        .version_of(&peers[index])
                        .is_none_or(|v| v < version)
                })
                .count();
            if behind == 0 {
                break;
            }
            if Instant::now() > deadline {
                anyhow::bail!("{n} nodes: change {change} reached all but {behind} in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(started.elapsed());
    }
    let formation = consortium.formation;
    consortium.stop().await?;
    Ok((formation, samples))
}
