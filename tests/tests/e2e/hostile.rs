//! Hostile queries: every shape that once overflowed a thread's stack (deep nesting of
//! groups, parentheses, blank-node lists, sub-selects, function calls, EXISTS and paths) and
//! every flat chain that becomes deep algebra (UNION, OPTIONAL, MINUS, BIND, `||`, `+`, path
//! sequences), sent at ten times the node's limit over HTTP and over the p2p remote-query
//! protocol. Each is refused with a message naming the limit, and the next ordinary query
//! answers. Queries at the limit still answer, locally, remotely and federated.

use crate::support::{Running, data_quads, meshed_consortium, remote_query, status_and_body, stop};
use anyhow::{Context, Result, ensure};
use hanse_node::config::SparqlSection;
use hanse_node::test_utils::{OPEN_OFFER, PreparedNode, prepare_nodes};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad};
use serde_json::{Value, json};

const GRAPH: &str = "https://city.example/graph/sensors";
const P: &str = "<http://e.example/p>";
const ORDINARY: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
const ROWS: usize = 20;

/// A hostile query: what it is, its text, and the configuration key its refusal must name.
struct Hostile {
    name: &'static str,
    text: String,
    limit: &'static str,
}

fn nested(open: &str, middle: &str, close: &str, n: usize) -> String {
    format!("{}{middle}{}", open.repeat(n), close.repeat(n))
}

fn chain(link: &str, separator: &str, n: usize) -> String {
    vec![link; n].join(separator)
}

/// Every class at ten times the default limits.
fn hostile_queries() -> Vec<Hostile> {
    let limits = SparqlSection::default();
    let deep = limits.max_nesting * 10;
    let long = limits.max_algebra_depth * 10;
    let nesting = "sparql.max_nesting";
    let depth = "sparql.max_algebra_depth";
    vec![
        Hostile {
            name: "nested groups",
            text: format!("SELECT * WHERE {}", nested("{ ", "?s ?p ?o", " }", deep)),
            limit: nesting,
        },
        Hostile {
            name: "nested parentheses",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER{} }}",
                nested("(", "?o", ")", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested blank-node property lists",
            text: format!(
                "SELECT * WHERE {{ ?s {P} {} }}",
                nested(&format!("[ {P} "), "?o", " ]", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested collections",
            text: format!(
                "SELECT * WHERE {{ ?s {P} {} }}",
                nested("( ", "?o", " )", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested sub-selects",
            text: format!(
                "SELECT * WHERE {}",
                nested("{ SELECT * WHERE { ", "?s ?p ?o", " } }", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested function calls",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}) }}",
                nested("STR(", "?o", ")", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested EXISTS",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                nested("FILTER EXISTS { ?s ?p ?o ", "", "}", deep)
            ),
            limit: nesting,
        },
        Hostile {
            name: "nested property paths",
            text: format!("SELECT * WHERE {{ ?s {} ?o }}", nested("(", P, ")", deep)),
            limit: nesting,
        },
        Hostile {
            name: "UNION chain",
            text: format!(
                "SELECT * WHERE {{ {} }}",
                chain("{ ?s ?p ?o }", " UNION ", long)
            ),
            limit: depth,
        },
        Hostile {
            name: "OPTIONAL chain",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                "OPTIONAL { ?s ?p ?o } ".repeat(long)
            ),
            limit: depth,
        },
        Hostile {
            name: "MINUS chain",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                "MINUS { ?s ?p ?o } ".repeat(long)
            ),
            limit: depth,
        },
        Hostile {
            name: "BIND chain",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o {} }}",
                (0..long)
                    .map(|i| format!("BIND(1 AS ?b{i}) "))
                    .collect::<String>()
            ),
            limit: depth,
        },
        Hostile {
            name: "|| chain",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}) }}",
                chain("?o = 1", " || ", long)
            ),
            limit: depth,
        },
        Hostile {
            name: "arithmetic chain",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER(?o = {}) }}",
                chain("1", "+", long)
            ),
            limit: depth,
        },
        // spargebra expands a sequence into a flat join, so its depth is never the limit:
        // the longest sequence that fits the size limit is refused for its algebra size.
        Hostile {
            name: "property path sequence",
            text: format!(
                "PREFIX e: <http://e.example/> SELECT * WHERE {{ ?s {} ?o }}",
                chain("e:p", "/", limits.max_query_bytes / 4 - 20)
            ),
            limit: "sparql.max_algebra_size",
        },
        Hostile {
            name: "property path alternatives",
            text: format!("SELECT * WHERE {{ ?s {} ?o }}", chain(P, "|", long)),
            limit: depth,
        },
        Hostile {
            name: "oversized query",
            text: format!(
                "SELECT * WHERE {{ ?s ?p ?o }} # {}",
                "x".repeat(limits.max_query_bytes * 10)
            ),
            limit: "max_query_bytes",
        },
    ]
}

fn load(node: &Running) -> Result<()> {
    let graph = GraphName::NamedNode(NamedNode::new(GRAPH)?);
    for i in 0..ROWS {
        node.handle.store().insert(&Quad::new(
            NamedNode::new(format!("https://city.example/sensor/{i}"))?,
            NamedNode::new("http://e.example/p")?,
            Literal::from(i as i64),
            graph.clone(),
        ))?;
    }
    Ok(())
}

async fn sparql(node: &Running, text: &str) -> Result<(u16, Value)> {
    let response = node
        .http
        .post_request("/sparql")
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(text.to_owned())
        .send()
        .await?;
    status_and_body(response).await
}

async fn update(node: &Running, text: &str) -> Result<(u16, Value)> {
    let response = node
        .http
        .post_request("/sparql")
        .header("content-type", "application/sparql-update")
        .body(text.to_owned())
        .send()
        .await?;
    status_and_body(response).await
}

/// Two members; the first holds [`ROWS`] readings in a public dataset. The prepared nodes
/// own the temporary directories, so they live as long as the running ones.
async fn provider_and_consumer(seed: u8) -> Result<(Vec<PreparedNode>, Vec<Running>)> {
    let nodes = prepare_nodes(2, seed)?;
    let (_, running, _) = meshed_consortium(&nodes).await?;
    let provider = &running[0];
    load(provider)?;
    let created = provider
        .http
        .post_request("/api/datasets")
        .json(&json!({ "id": "sensors", "title": "Sensors", "description": "Sensor readings", "graphs": [GRAPH],
                       "access_rights": "public", "policy": OPEN_OFFER }))
        .send()
        .await?;
    ensure!(
        created.status().is_success(),
        "dataset: {}",
        created.text().await?
    );
    Ok((nodes, running))
}

fn count_of(results: &Value) -> Option<i64> {
    results["results"]["bindings"][0]["n"]["value"]
        .as_str()?
        .parse()
        .ok()
}

/// The provider answers an ordinary query over HTTP and over p2p, as before the attack.
async fn still_answers(provider: &Running, consumer: &Running, quads: i64) -> Result<()> {
    let (status, body) = sparql(provider, ORDINARY).await?;
    ensure!(
        status == 200,
        "ordinary query after an attack: {status} {body}"
    );
    ensure!(count_of(&body) == Some(quads), "count {body}");
    let answer = remote_query(consumer, provider, ORDINARY).await?;
    ensure!(
        answer["status"] == "complete",
        "remote after an attack: {answer}"
    );
    ensure!(
        count_of(&answer["results"]) == Some(ROWS as i64),
        "{answer}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_are_refused_by_name_and_the_node_keeps_answering() -> Result<()> {
    let (_nodes, running) = provider_and_consumer(61).await?;
    let (provider, consumer) = (&running[0], &running[1]);
    let quads = data_quads(provider).await?;
    let union_default = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
    let (_, before) = sparql(provider, union_default).await?;
    let default_count = count_of(&before).context("default count")?;
    still_answers(provider, consumer, default_count).await?;

    for hostile in hostile_queries() {
        let (status, body) = sparql(provider, &hostile.text).await?;
        let message = body.as_str().unwrap_or_default();
        ensure!(
            status == 400 && message.contains(hostile.limit) && message.contains("exceeds"),
            "{} over HTTP ({} bytes): {status} {message}",
            hostile.name,
            hostile.text.len()
        );
        let answer = remote_query(consumer, provider, &hostile.text).await?;
        let reason = answer["reason"].as_str().unwrap_or_default();
        ensure!(
            answer["status"] == "denied" && reason.contains("exceeds"),
            "{} over p2p: {answer}",
            hostile.name
        );
        still_answers(provider, consumer, default_count).await?;
        println!("{:<34} HTTP 400 and p2p denial: {message}", hostile.name);
    }

    // Updates: the same shapes in a WHERE clause, and nesting inside INSERT DATA.
    let limits = SparqlSection::default();
    let deep_update = format!(
        "DELETE {{ ?s ?p ?o }} WHERE {{ {} }}",
        chain("{ ?s ?p ?o }", " UNION ", limits.max_algebra_depth * 10)
    );
    let deep_data = format!(
        "INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:s> {P} {} }} }}",
        nested(&format!("[ {P} "), "1", " ]", limits.max_nesting * 10)
    );
    for (name, text, limit) in [
        (
            "UNION chain in DELETE WHERE",
            deep_update,
            "sparql.max_algebra_depth",
        ),
        ("nesting in INSERT DATA", deep_data, "sparql.max_nesting"),
    ] {
        let (status, body) = update(provider, &text).await?;
        ensure!(
            status == 400 && body.as_str().is_some_and(|m| m.contains(limit)),
            "{name}: {status} {body}"
        );
        ensure!(
            data_quads(provider).await? == quads,
            "{name} changed the store"
        );
        println!("{name:<34} HTTP 400: {body}");
    }
    // A large INSERT DATA is data, not query: only http.max_body_bytes bounds it.
    let bulk: String = (0..5_000)
        .map(|i| format!("<urn:bulk:{i}> {P} \"{}\" . ", "v".repeat(20)))
        .collect();
    let bulk = format!("INSERT DATA {{ GRAPH <urn:bulk> {{ {bulk} }} }}");
    ensure!(bulk.len() > limits.max_query_bytes * 2);
    let (status, body) = update(provider, &bulk).await?;
    ensure!(status == 204, "bulk INSERT DATA: {status} {body}");
    let (status, _) = update(provider, "DROP GRAPH <urn:bulk>").await?;
    ensure!(status == 204);
    ensure!(data_quads(provider).await? == quads);
    stop(running).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_at_the_limits_still_answer_locally_remotely_and_federated() -> Result<()> {
    let (_nodes, running) = provider_and_consumer(62).await?;
    let (provider, consumer) = (&running[0], &running[1]);
    // The federated planner picks sources from the consumer's copy of the catalogue.
    crate::support::eventually(
        std::time::Duration::from_secs(60),
        "the provider's dataset in the consumer's federated catalogue",
        || async {
            let datasets: Vec<Value> = consumer
                .http
                .get_request("/api/catalog/federated")
                .send()
                .await?
                .json()
                .await?;
            Ok(!datasets.is_empty())
        },
    )
    .await?;
    let limits = SparqlSection::default();
    // One level under each limit, leaving room for the query's own outer brackets.
    let groups = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {}",
        nested(
            "{ ",
            &format!("GRAPH ?g {{ ?s {P} ?o }}"),
            " }",
            limits.max_nesting - 3
        )
    );
    let unions = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {} }} }}",
        chain(
            &format!("{{ ?s {P} ?o }}"),
            " UNION ",
            limits.max_algebra_depth - 8
        )
    );
    let union_rows = (ROWS * (limits.max_algebra_depth - 8)) as i64;
    // Wider than the optimiser plans: evaluated in written order, still answered.
    let wide = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {} }} }}",
        (0..limits.max_optimized_width * 2)
            .map(|_| format!("?s {P} ?o . "))
            .collect::<String>()
    );
    for (name, text, expected) in [
        ("nesting at the limit", groups, ROWS as i64),
        ("UNION chain at the limit", unions, union_rows),
        ("join twice the optimiser's width", wide, ROWS as i64),
    ] {
        let (status, body) = sparql(provider, &text).await?;
        ensure!(status == 200, "{name} over HTTP: {status} {body}");
        ensure!(count_of(&body) == Some(expected), "{name}: {body}");
        let answer = remote_query(consumer, provider, &text).await?;
        ensure!(answer["status"] == "complete", "{name} over p2p: {answer}");
        ensure!(
            count_of(&answer["results"]) == Some(expected),
            "{name}: {answer}"
        );
        let response = consumer
            .http
            .post_request("/sparql?federated=true")
            .header("content-type", "application/sparql-query")
            .header("accept", "application/sparql-results+json")
            .body(text.clone())
            .send()
            .await?;
        let (status, body) = status_and_body(response).await?;
        ensure!(status == 200, "{name} federated: {status} {body}");
        ensure!(
            count_of(&body) == Some(expected),
            "{name} federated: {body}"
        );
        println!("{name:<34} answered {expected} over HTTP, p2p and federated");
    }
    stop(running).await
}
