//! Malformed input on every HTTP route: a wrong method, a wrong or missing content type,
//! invalid UTF-8, an empty body, a body one byte over the limit, deeply nested JSON (and
//! SPARQL, Turtle, TOML), a 1 MB query string and unknown JSON fields. Every answer is a 4xx
//! that says what is wrong, the node keeps serving, and its data is untouched.

use crate::support::{Running, data_quads, meshed_consortium, stop};
use anyhow::{Context, Result, ensure};
use hanse_node::test_utils::prepare_nodes;
use reqwest::Method;
use serde_json::{Value, json};

/// `http.max_body_bytes` and `ingest.max_http_bytes` of the node under test.
const MAX_BODY: usize = 1024 * 1024;
const MAX_INGEST: usize = 64 * 1024;
/// How deep the nested payloads go (some a tenth or a quarter of it, to fit the body limits).
const DEEP: usize = 100_000;

const PARKING: &str = r#"graph = "https://t.example/g/parking"
base = "https://t.example/"
entity_type = "OffStreetParking"
[format]
type = "json"
device = "/lot"
time = "/at"
fields = "/values"
[devices.lot-1]
[fields.occupancy]
attribute = "occupancy"
unit = "C62"
"#;

/// What a route reads from its body.
#[derive(Clone, Copy, PartialEq)]
enum Body {
    None,
    Json,
    SparqlQuery,
    SparqlUpdate,
    Turtle,
    Ingest,
}

struct Route {
    method: Method,
    path: &'static str,
    body: Body,
}

fn routes() -> Vec<Route> {
    use Body::*;
    let route = |method: Method, path, body| Route { method, path, body };
    vec![
        route(Method::GET, "/health", None),
        route(Method::GET, "/api/node", None),
        route(Method::GET, "/api/peers", None),
        route(Method::POST, "/api/network/block", Json),
        route(Method::GET, "/api/consortium", None),
        route(Method::POST, "/api/consortium", Json),
        route(Method::GET, "/sparql?query=ASK%7B%7D", None),
        route(Method::POST, "/sparql", SparqlQuery),
        route(Method::POST, "/sparql?update", SparqlUpdate),
        route(Method::GET, "/store?graph=urn:malformed:absent", None),
        route(Method::PUT, "/store?graph=urn:malformed:g", Turtle),
        route(Method::POST, "/store?graph=urn:malformed:g", Turtle),
        route(Method::DELETE, "/store?graph=urn:malformed:absent", None),
        route(Method::GET, "/api/datasets", None),
        route(Method::POST, "/api/datasets", Json),
        route(Method::GET, "/api/datasets/absent", None),
        route(Method::PUT, "/api/datasets/absent", Json),
        route(Method::DELETE, "/api/datasets/absent", None),
        route(Method::GET, "/api/catalog", None),
        route(Method::GET, "/api/catalog/federated", None),
        route(Method::GET, "/api/catalog/status", None),
        route(Method::GET, "/api/agreements", None),
        route(Method::POST, "/api/agreements", Json),
        route(Method::GET, "/api/agreements/absent", None),
        route(Method::POST, "/api/agreements/absent/revoke", Json),
        route(Method::POST, "/api/remote/sparql", Json),
        route(Method::GET, "/api/audit", None),
        route(Method::GET, "/api/audit/verify", None),
        route(Method::POST, "/api/ingest/parking", Ingest),
        route(Method::GET, "/api/ingest/status", None),
        route(Method::GET, "/api/ingest/dead-letters", None),
        route(
            Method::POST,
            "/api/ingest/dead-letters/replay?id=absent",
            None,
        ),
        route(Method::DELETE, "/api/ingest/dead-letters/absent", None),
        route(Method::POST, "/api/ingest/retention", None),
        route(Method::GET, "/ngsi-ld/v1/entities?type=Thing", None),
        route(Method::POST, "/ngsi-ld/v1/entities", Json),
        route(Method::POST, "/ngsi-ld/v1/entityOperations/upsert", Json),
        route(Method::GET, "/ngsi-ld/v1/types", None),
        route(Method::GET, "/ogc/collections", None),
        route(Method::GET, "/catalog", None),
        route(Method::GET, "/", None),
    ]
}

/// The content type a route expects.
fn content_type(body: Body) -> &'static str {
    match body {
        Body::Json | Body::Ingest | Body::None => "application/json",
        Body::SparqlQuery => "application/sparql-query",
        Body::SparqlUpdate => "application/sparql-update",
        Body::Turtle => "text/turtle",
    }
}

fn nested(open: &str, middle: &str, close: &str, levels: usize) -> String {
    format!("{}{middle}{}", open.repeat(levels), close.repeat(levels))
}

/// A payload nesting far past every parser's limit in the route's own language, small
/// enough that the body size limits do not catch it first.
fn deep_payload(body: Body) -> String {
    match body {
        Body::Json | Body::None => nested("{\"a\":", "1", "}", DEEP),
        Body::Ingest => nested("{\"a\":", "1", "}", DEEP / 10),
        Body::SparqlQuery => format!(
            "SELECT * WHERE {}",
            nested("{ ", "?s ?p ?o", " }", DEEP / 10)
        ),
        Body::SparqlUpdate => format!(
            "INSERT DATA {{ GRAPH <urn:malformed:g> {{ <urn:s> <urn:p> {} }} }}",
            nested("[ <urn:p> ", "1", " ]", DEEP / 4)
        ),
        Body::Turtle => format!("<urn:s> <urn:p> {} .", nested("( ", "1", " )", DEEP)),
    }
}

/// A body the route would accept, with one field it does not know.
fn unknown_field(path: &str, provider: &str) -> Option<Value> {
    let mut body = match path {
        "/api/network/block" => json!({ "peers": [], "blocked": true }),
        "/api/datasets" | "/api/datasets/absent" => json!({
            "id": "absent", "title": "T", "description": "D", "graphs": ["urn:malformed:g"],
            "access_rights": "public"
        }),
        "/api/agreements" => json!({
            "provider": provider, "dataset": "absent", "purpose": "https://w3id.org/dpv#ResearchAndDevelopment"
        }),
        "/api/agreements/absent/revoke" => json!({ "reason": "test" }),
        "/api/remote/sparql" => json!({ "provider": provider, "query": "ASK {}" }),
        _ => return None,
    };
    body["unexpected_field"] = json!(1);
    Some(body)
}

/// One malformed request and what it must not get.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn cases(route: &Route, provider: &str) -> Vec<Case> {
    let case = |what, content_type: Option<&'static str>, body: Vec<u8>| Case {
        what,
        method: route.method.clone(),
        path: route.path.to_owned(),
        content_type,
        body,
    };
    let separator = if route.path.contains('?') { '&' } else { '?' };
    let mut cases = vec![
        Case {
            what: "wrong method",
            method: Method::PATCH,
            path: route.path.to_owned(),
            content_type: None,
            body: Vec::new(),
        },
        Case {
            what: "1 MB query string",
            method: route.method.clone(),
            path: format!("{}{separator}x={}", route.path, "a".repeat(1024 * 1024)),
            content_type: None,
            body: Vec::new(),
        },
    ];
    if route.body == Body::None {
        return cases;
    }
    let expected = content_type(route.body);
    let limit = if route.body == Body::Ingest {
        MAX_INGEST
    } else {
        MAX_BODY
    };
    let ordinary = deep_payload(route.body).into_bytes()[..16].to_vec();
    cases.extend([
        case("missing content type", None, ordinary.clone()),
        case(
            "wrong content type",
            Some("application/x-unheard-of"),
            ordinary,
        ),
        case(
            "invalid UTF-8",
            Some(expected),
            b"\xff\xfe\xfd{\"a\":1}".to_vec(),
        ),
        case("empty body", Some(expected), Vec::new()),
        case(
            "one byte over the limit",
            Some(expected),
            vec![b' '; limit + 1],
        ),
        case(
            "deep nesting",
            Some(expected),
            deep_payload(route.body).into_bytes(),
        ),
    ]);
    if let Some(body) = unknown_field(route.path, provider) {
        cases.push(case(
            "unknown JSON field",
            Some(expected),
            body.to_string().into_bytes(),
        ));
    }
    cases
}

async fn send(node: &Running, case: &Case) -> Result<(u16, String)> {
    if case.path.len() > 60_000 {
        return send_raw(node, case).await;
    }
    let mut request = node
        .http
        .request(case.method.clone(), &case.path)
        .body(case.body.clone());
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

/// [`send`] over a bare socket: HTTP clients refuse to send a URI longer than 64 KiB, an
/// attacker's script does not.
async fn send_raw(node: &Running, case: &Case) -> Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = node
        .handle
        .http_url()
        .trim_start_matches("http://")
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await?;
    let head = format!(
        "{} {} HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        case.method, case.path, node.token
    );
    // The server may answer and close before it has read the whole request line.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await
    .context("no answer within 30 s")??;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {answer:.200}"))?;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, body.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_malformed_input_with_a_4xx_that_names_the_problem() -> Result<()> {
    let nodes = prepare_nodes(2, 63)?;
    let config = nodes[0].dir.config_path();
    let text = std::fs::read_to_string(&config)?
        .replace(
            &format!("max_body_bytes = {}", 128 * 1024 * 1024),
            &format!("max_body_bytes = {MAX_BODY}"),
        )
        .replace(
            &format!("max_http_bytes = {}", 32 * 1024 * 1024),
            &format!("max_http_bytes = {MAX_INGEST}"),
        );
    ensure!(
        text.contains(&format!("max_http_bytes = {MAX_INGEST}")),
        "config"
    );
    std::fs::write(&config, text)?;
    let sources = nodes[0].dir.root().join("sources");
    std::fs::create_dir_all(&sources)?;
    std::fs::write(sources.join("parking.toml"), PARKING)?;
    let (_, running, _) = meshed_consortium(&nodes).await?;
    let (node, other) = (&running[0], &running[1]);
    let provider = other.peer_id()?;
    let stored = node
        .http
        .request(reqwest::Method::PUT, "/store?graph=urn:malformed:data")
        .header("content-type", "text/turtle")
        .body("<urn:s> <urn:p> 1, 2, 3 .")
        .send()
        .await?;
    ensure!(stored.status() == 201, "seed data: {}", stored.status());
    let quads = data_quads(node).await?;

    let mut answered = 0;
    for route in routes() {
        for case in cases(&route, &provider) {
            let (status, message) = send(node, &case).await?;
            let label = format!("{} {} — {}", route.method, route.path, case.what);
            // hyper answers an over-long request line itself, with the status alone.
            let bare_status_allowed = matches!(status, 414 | 431);
            ensure!(
                (400..500).contains(&status) && (bare_status_allowed || !message.trim().is_empty()),
                "{label}: {status} {message:.300}"
            );
            ensure!(
                message.len() < 4096,
                "{label}: a {} byte message",
                message.len()
            );
            println!(
                "{label:<70} {status} {:.90}",
                message.trim().replace('\n', " ")
            );
            answered += 1;
        }
        let health = node.http.get_request("/health").send().await?;
        ensure!(
            health.status() == 200,
            "after {}: health {}",
            route.path,
            health.status()
        );
    }
    ensure!(data_quads(node).await? == quads, "the store's data changed");
    println!("{answered} malformed requests, each a 4xx; {quads} quads unchanged");
    stop(running).await
}
