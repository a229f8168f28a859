//! `hanse-testnet bench federation`: federated SPARQL over a synthetic consortium, three ways
//! side by side on the same nodes and data in one run.
//!
//! For each size N (default 10 and 20) N nodes run in this process on loopback: node 0 asks,
//! node 1 holds reference data (cities, property labels), the others are cities with the same
//! schema (FedShop-like): air-quality and bicycle-count sensors, 24 hours of observations.
//! Each query of the suite is answered
//!
//! - (a) by hanse's automatic federation (`/sparql?federated=true` on node 0);
//! - (b) by the same query with hand-written `SERVICE <hanse://<PeerId>/sparql>` clauses naming
//!   exactly the members that hold matching data (the ideal source assignment), on node 0;
//! - (c) by Comunica (`@comunica/query-sparql`, installed with npm into `--comunica-dir`)
//!   federating over the members' HTTP `/sparql` endpoints.
//!
//! Reported per query: median time, requests to members, rows, and whether the three answers
//! agree; then the median ratios against the goals (hanse <= 1.5x ideal, >= 10x Comunica).

use crate::local_consortium::LocalConsortium;
use anyhow::{Context, Result, bail};
use hanse_node::client::{ClientError, NodeClient};
use hanse_node::demo::data::{AIR_QUALITY, BICYCLE_COUNTS, SensorSample, sensor_observations};
use hanse_node::test_utils::OPEN_OFFER;
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options of `bench federation`.
#[derive(Debug, Clone, clap::Args)]
pub struct FederationBenchOptions {
    /// Consortium sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,20")]
    pub nodes: Vec<usize>,
    /// Timed runs per query for hanse (median reported); Comunica runs once per query.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Where Comunica is installed (npm install on first use).
    #[arg(long, default_value = "target/comunica")]
    pub comunica_dir: PathBuf,
    /// Skip Comunica (e.g. without Node.js).
    #[arg(long)]
    pub no_comunica: bool,
    /// Time limit of one Comunica query, in seconds.
    #[arg(long, default_value_t = 120)]
    pub comunica_timeout_secs: u64,
}

const REGION: &str = "https://region.example/";

/// A query in three parts: what each city answers, what the region answers, and the rest.
struct BenchQuery {
    name: &'static str,
    head: &'static str,
    /// Pattern over one city's data; `{base}` is the city's IRI base when `only_city` is set.
    city: &'static str,
    /// Pattern over the reference data.
    reference: Option<&'static str>,
    tail: &'static str,
    /// The one city (index among cities) holding the answer.
    only_city: Option<usize>,
}

const QUERIES: &[BenchQuery] = &[
    BenchQuery {
        name: "one-sensor",
        head: "SELECT ?obs ?prop ?v",
        city: "?obs <http://www.w3.org/ns/sosa/madeBySensor> <{base}sensor/aq-0001> ; <http://www.w3.org/ns/sosa/observedProperty> ?prop ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v",
        reference: None,
        tail: "",
        only_city: Some(2),
    },
    BenchQuery {
        name: "no2-per-city",
        head: "SELECT ?name (AVG(?v) AS ?mean) (COUNT(?obs) AS ?n)",
        city: "?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/no2> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/madeBySensor> ?s . ?s <https://region.example/ns#city> ?c",
        reference: Some("?c <http://www.w3.org/2000/01/rdf-schema#label> ?name"),
        tail: "GROUP BY ?name ORDER BY ?name",
        only_city: None,
    },
    BenchQuery {
        name: "per-property",
        head: "SELECT ?p (COUNT(?obs) AS ?n)",
        city: "?obs <http://www.w3.org/ns/sosa/observedProperty> ?p",
        reference: None,
        tail: "GROUP BY ?p ORDER BY ?p",
        only_city: None,
    },
    BenchQuery {
        name: "top-pm10",
        head: "SELECT ?obs ?v",
        city: "?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Environment/pm10> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v",
        reference: None,
        tail: "ORDER BY DESC(?v) ?obs LIMIT 10",
        only_city: None,
    },
    BenchQuery {
        name: "property-labels",
        head: "SELECT ?label (COUNT(?obs) AS ?n)",
        city: "?obs <http://www.w3.org/ns/sosa/observedProperty> ?p",
        reference: Some("?p <http://www.w3.org/2000/01/rdf-schema#label> ?label"),
        tail: "GROUP BY ?label ORDER BY ?label",
        only_city: None,
    },
    BenchQuery {
        name: "traffic-peaks",
        head: "SELECT ?place ?wkt (MAX(?v) AS ?peak)",
        city: "?obs <http://www.w3.org/ns/sosa/observedProperty> <https://smartdatamodels.org/dataModel.Transportation/intensity> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v ; <http://www.w3.org/ns/sosa/hasFeatureOfInterest> ?place . ?place <http://www.opengis.net/ont/geosparql#hasGeometry> ?g . ?g <http://www.opengis.net/ont/geosparql#asWKT> ?wkt FILTER(?v > 90)",
        reference: None,
        tail: "GROUP BY ?place ?wkt ORDER BY ?place",
        only_city: None,
    },
    BenchQuery {
        name: "sensors-of-city",
        head: "SELECT ?s ?label",
        city: "?s <https://region.example/ns#city> ?c ; <http://www.w3.org/2000/01/rdf-schema#label> ?label",
        reference: Some("?c <http://www.w3.org/2000/01/rdf-schema#label> \"City 3\""),
        tail: "ORDER BY ?s",
        only_city: None,
    },
];

fn base(city: usize) -> String {
    format!("https://city{city}.example/")
}

/// A city's two datasets (air quality, bicycle counts), with their sensors linked to the city.
fn city_data(city: usize) -> Vec<(&'static str, Vec<Quad>)> {
    let base = base(city);
    [("air", &AIR_QUALITY, 3), ("bikes", &BICYCLE_COUNTS, 2)]
        .into_iter()
        .map(|(id, kind, sensors)| {
            let graph = format!("{base}graph/{id}");
            let mut quads = sensor_observations(
                kind,
                &SensorSample {
                    base: &base,
                    graph: &graph,
                    centre: (51.0 + city as f64 * 0.01, 4.4),
                    sensors,
                    hours: 24,
                    seed: city as u64 * 7 + id.len() as u64,
                },
            );
            let g = GraphName::NamedNode(NamedNode::new_unchecked(&graph));
            for sensor in 0..sensors {
                quads.push(Quad::new(
                    NamedNode::new_unchecked(format!("{base}sensor/{}-{sensor:04}", kind.code)),
                    NamedNode::new_unchecked(format!("{REGION}ns#city")),
                    NamedNode::new_unchecked(format!("{REGION}city/{city}")),
                    g.clone(),
                ));
            }
            (id, quads)
        })
        .collect()
}

fn reference_data(cities: usize) -> Vec<Quad> {
    let g = GraphName::NamedNode(NamedNode::new_unchecked(format!("{REGION}graph/reference")));
    let label = NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#label");
    let mut quads: Vec<Quad> = (0..cities)
        .map(|c| {
            Quad::new(
                NamedNode::new_unchecked(format!("{REGION}city/{c}")),
                label.clone(),
                Literal::new_simple_literal(format!("City {c}")),
                g.clone(),
            )
        })
        .collect();
    for (property, name) in [
        (hanse_vocab::sdm::NO2, "Nitrogen dioxide"),
        (hanse_vocab::sdm::PM10, "PM10"),
        (hanse_vocab::sdm::PM25, "PM2.5"),
        (hanse_vocab::sdm::INTENSITY, "Traffic intensity"),
    ] {
        quads.push(Quad::new(
            NamedNode::new_unchecked(property),
            label.clone(),
            Term::from(Literal::new_simple_literal(name)),
            g.clone(),
        ));
    }
    quads
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One way of answering one query.
#[derive(Debug, Default, Clone)]
struct Outcome {
    millis: f64,
    requests: u64,
    rows: Vec<String>,
    error: Option<String>,
}

/// Runs the benchmark for every size and prints the tables.
pub async fn run(options: FederationBenchOptions) -> Result<()> {
    let comunica = if options.no_comunica {
        None
    } else {
        Some(install_comunica(&options.comunica_dir)?)
    };
    let mut summary = Vec::new();
    for &n in &options.nodes {
        if n < 4 {
            bail!("--nodes: at least 4 (asker, region, two cities)");
        }
        summary.push((n, measure(n, &options, comunica.as_deref()).await?));
    }
    println!();
    for (n, (hanse_vs_ideal, comunica_vs_hanse, agree, total)) in summary {
        println!(
            "{n} nodes: median hanse/ideal {hanse_vs_ideal:.2}x (goal <= 1.5x), median comunica/hanse {comunica_vs_hanse:.1}x (goal >= 10x), answers agree on {agree} of {total} queries"
        );
    }
    Ok(())
}

async fn measure(
    n: usize,
    options: &FederationBenchOptions,
    comunica: Option<&Path>,
) -> Result<(f64, f64, usize, usize)> {
    let consortium = LocalConsortium::start(n, 90 + n as u8, |config| {
        config.sparql.union_default_graph = true;
        config.catalog.publish_debounce_ms = 0;
    })
    .await?;
    let urls: Vec<String> = consortium.running.iter().map(|h| h.http_url()).collect();
    // Each node's operator: node 0's asks the federated queries (they act with its
    // agreements), the others' describe their data.
    let operators: Vec<NodeClient> = consortium
        .nodes
        .iter()
        .zip(&urls)
        .map(|(node, url)| Ok(NodeClient::new(url, Some(node.dir.load_admin_token()?))))
        .collect::<Result<_>>()?;
    let asker = &operators[0];
    let peers: Vec<String> = consortium
        .networks
        .iter()
        .map(|n| n.local_peer_id().to_string())
        .collect();
    let cities = n - 2;
    let mut datasets = 0;
    for (i, handle) in consortium.running.iter().enumerate().skip(1) {
        let data = if i == 1 {
            vec![("reference", reference_data(cities))]
        } else {
            city_data(i - 2)
        };
        for (id, quads) in data {
            let graph = match &quads[0].graph_name {
                GraphName::NamedNode(g) => g.as_str().to_owned(),
                _ => bail!("data in the default graph"),
            };
            handle.store().extend(quads)?;
            let response = operators[i]
                .post_request("/api/datasets")
                .json(&json!({ "id": id, "title": id, "description": "benchmark data",
                    "graphs": [graph], "access_rights": "public",
                    "licence": "https://creativecommons.org/licenses/by/4.0/", "policy": OPEN_OFFER }))
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("dataset {id} on node {i}: {}", response.text().await?);
            }
            datasets += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = asker.get_json("/api/catalog/federated").await?;
        let held = held
            .as_array()
            .context("/api/catalog/federated is not a list")?;
        if held.len() == datasets
            && held
                .iter()
                .all(|d| d["properties"].as_array().is_some_and(|c| !c.is_empty()))
        {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "node 0 holds {} of {datasets} datasets after 120 s",
                held.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "\n{n} nodes ({cities} cities, 1 region; {datasets} datasets; hanse median of {} runs, Comunica 1 run)",
        options.runs
    );
    println!(
        "{:<16} {:>9} {:>9} {:>11} {:>6} {:>6} {:>6} {:>6} {:>6} {:>11} {:>13}",
        "query",
        "hanse ms",
        "ideal ms",
        "comunica ms",
        "h req",
        "i req",
        "c req",
        "rows",
        "agree",
        "hanse/ideal",
        "comunica/hanse"
    );
    let mut ratios_ideal = Vec::new();
    let mut ratios_comunica = Vec::new();
    let mut agree_count = 0;
    let comunica_sources: Vec<String> = urls[1..].iter().map(|u| format!("{u}/sparql")).collect();
    for query in QUERIES {
        let plain = plain_query(query);
        let ideal = ideal_query(query, &peers[1], &peers[2..]);
        let hanse = time_hanse(asker, &plain, &[("federated", "true")], options.runs).await;
        let best = time_hanse(asker, &ideal, &[], options.runs).await;
        let other = match comunica {
            Some(dir) => {
                comunica_query(
                    dir,
                    &comunica_sources,
                    &plain,
                    options.comunica_timeout_secs,
                )
                .await
            }
            None => Outcome {
                error: Some("skipped".into()),
                ..Outcome::default()
            },
        };
        let agree = hanse.error.is_none()
            && best.error.is_none()
            && hanse.rows == best.rows
            && (other.error.is_some() || other.rows == hanse.rows);
        agree_count += usize::from(agree && other.error.is_none());
        let ratio_ideal = hanse.millis / best.millis;
        let ratio_comunica = other.millis / hanse.millis;
        ratios_ideal.push(ratio_ideal);
        if other.error.is_none() {
            ratios_comunica.push(ratio_comunica);
        }
        println!(
            "{:<16} {:>9.1} {:>9.1} {:>11} {:>6} {:>6} {:>6} {:>6} {:>6} {:>10.2}x {:>12}",
            query.name,
            hanse.millis,
            best.millis,
            other
                .error
                .as_ref()
                .map_or(format!("{:.0}", other.millis), |_| "-".into()),
            hanse.requests,
            best.requests,
            other.requests,
            hanse.rows.len(),
            if agree { "yes" } else { "NO" },
            ratio_ideal,
            other
                .error
                .as_ref()
                .map_or(format!("{ratio_comunica:.1}x"), |e| short(e)),
        );
        for (way, outcome) in [("hanse", &hanse), ("ideal", &best), ("comunica", &other)] {
            if let Some(error) = &outcome.error
                && error != "skipped"
            {
                println!("  {way}: {error}");
            }
        }
    }
    consortium.stop().await?;
    Ok((
        median(ratios_ideal),
        median(ratios_comunica),
        agree_count,
        QUERIES.len(),
    ))
}

fn short(text: &str) -> String {
    text.chars().take(12).collect()
}

fn plain_query(query: &BenchQuery) -> String {
    let city = match query.only_city {
        Some(c) => query.city.replace("{base}", &base(c)),
        None => query.city.to_owned(),
    };
    let reference = query
        .reference
        .map(|r| format!(" . {r}"))
        .unwrap_or_default();
    format!(
        "{} WHERE {{ {city}{reference} }} {}",
        query.head, query.tail
    )
}

/// The same query with SERVICE clauses naming exactly the members holding matching data.
fn ideal_query(query: &BenchQuery, region: &str, city_peers: &[String]) -> String {
    let city_peer = |c: usize| city_peers[c].as_str();
    let service =
        |peer: &str, pattern: &str| format!("SERVICE <hanse://{peer}/sparql> {{ {pattern} }}");
    let city_part = match query.only_city {
        Some(c) => service(city_peer(c), &query.city.replace("{base}", &base(c))),
        None => (0..city_peers.len())
            .map(|c| format!("{{ {} }}", service(city_peer(c), query.city)))
            .collect::<Vec<_>>()
            .join(" UNION "),
    };
    let reference = query
        .reference
        .map(|r| format!(" {}", service(region, r)))
        .unwrap_or_default();
    format!(
        "{} WHERE {{ {{ {city_part} }}{reference} }} {}",
        query.head, query.tail
    )
}

/// Times `runs` answers from `asker`'s `/sparql` with `params` (median); requests from the
/// federation report.
async fn time_hanse(
    asker: &NodeClient,
    query: &str,
    params: &[(&str, &str)],
    runs: usize,
) -> Outcome {
    let mut times = Vec::new();
    let mut last = Outcome::default();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let answer = asker
            .query_with(query, "application/sparql-results+json", params)
            .await;
        let body = match answer {
            Ok(body) => serde_json::from_slice::<Value>(&body).ok(),
            // The status first, as the table's narrow column shows the start of the error.
            Err(ClientError::Status { status, message }) => {
                last.error = Some(format!("{status}: {message}"));
                return last;
            }
            Err(e) => {
                last.error = Some(e.to_string());
                return last;
            }
        };
        times.push(ms(started.elapsed()));
        let Some(body) = body else {
            last.error = Some("not JSON".into());
            return last;
        };
        last.requests = body["federation"]["sources"]
            .as_array()
            .map_or(0, |s| s.iter().filter_map(|s| s["requests"].as_u64()).sum());
        last.rows = rows(&body["results"]["bindings"], query.contains("ORDER BY"));
    }
    last.millis = median(times);
    last
}

/// Rows as comparable strings: numbers rounded (sums may add in another order).
fn rows(bindings: &Value, ordered: bool) -> Vec<String> {
    let mut rows: Vec<String> = bindings
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let row: BTreeMap<String, String> = row
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let value = v["value"].as_str().unwrap_or_default();
                    let value = match value.parse::<f64>() {
                        Ok(n) if v["datatype"].is_string() => format!("{n:.6e}"),
                        _ => value.to_owned(),
                    };
                    (k.clone(), value)
                })
                .collect();
            format!("{row:?}")
        })
        .collect();
    if !ordered {
        rows.sort();
    }
    rows
}

const COMUNICA_PACKAGE: &str = "@comunica/query-sparql@4";

/// Installs Comunica into `dir` (once) and writes the runner script.
fn install_comunica(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let dir = dir.canonicalize()?;
    if !dir.join("node_modules/@comunica/query-sparql").exists() {
        eprintln!("installing {COMUNICA_PACKAGE} into {} (npm)", dir.display());
        let status = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(COMUNICA_PACKAGE)
            .status()
            .context("cannot run npm (install Node.js, or pass --no-comunica)")?;
        if !status.success() {
            bail!("npm install {COMUNICA_PACKAGE} failed");
        }
    }
    std::fs::write(dir.join("run.cjs"), COMUNICA_RUNNER)?;
    Ok(dir)
}

/// Reads `{query, sources, timeout_ms}` from stdin, prints `{ms, requests, bindings}` or
/// `{error}`. Requests are counted with a wrapping `fetch`.
const COMUNICA_RUNNER: &str = r#"
const { QueryEngine } = require('@comunica/query-sparql');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const { query, sources, timeout_ms } = JSON.parse(input);
  let requests = 0;
  const counting = (url, init) => { requests++; return fetch(url, init); };
  const engine = new QueryEngine();
  const started = process.hrtime.bigint();
  const timer = setTimeout(() => {
    console.log(JSON.stringify({ error: `timeout after ${timeout_ms} ms`, requests }));
    process.exit(0);
  }, timeout_ms);
  try {
    const stream = await engine.queryBindings(query, {
      sources: sources.map((value) => ({ type: 'sparql', value })),
      fetch: counting,
    });
    const all = await stream.toArray();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const bindings = all.map((b) => {
      const row = {};
      for (const [key, value] of b) {
        row[key.value] = { value: value.value, datatype: value.datatype && value.termType === 'Literal' && !value.language ? value.datatype.value : undefined };
      }
      return row;
    });
    clearTimeout(timer);
    console.log(JSON.stringify({ ms, requests, bindings }));
  } catch (e) {
    clearTimeout(timer);
    console.log(JSON.stringify({ error: String(e), requests }));
  }
  process.exit(0);
});
"#;

async fn comunica_query(dir: &Path, sources: &[String], query: &str, timeout_secs: u64) -> Outcome {
    let input = json!({ "query": query, "sources": sources, "timeout_ms": timeout_secs * 1000 });
    let dir = dir.to_owned();
    let ordered = query.contains("ORDER BY");
    let output = tokio::task::spawn_blocking(move || -> Result<Value> {
        use std::io::Write;
        let mut child = std::process::Command::new("node")
            .arg(dir.join("run.cjs"))
            .current_dir(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("cannot run node")?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(input.to_string().as_bytes())?;
        let output = child.wait_with_output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let last = text.lines().last().unwrap_or_default();
        serde_json::from_str(last).with_context(|| format!("comunica printed: {text}"))
    })
    .await;
    let value = match output {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            return Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            };
        }
        Err(e) => {
            return Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            };
        }
    };
    Outcome {
        millis: value["ms"].as_f64().unwrap_or(f64::NAN),
        requests: value["requests"].as_u64().unwrap_or(0),
        rows: rows(&value["bindings"], ordered),
        error: value["error"].as_str().map(str::to_owned),
    }
}
