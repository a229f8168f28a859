//! One gate for every caller, end to end. Every row of `http::ROUTES` is asked as a visitor,
//! as people with and without the role it needs (local users and an OIDC subject), with an
//! expired and a wrongly signed OIDC token, as a sensor source and as the operator: each
//! answer is what that caller may have, and restricted values appear in no answer to a
//! caller who may not read them. Then the same node behind a real reverse proxy (nginx with
//! a throwaway TLS certificate): a visitor through the proxy is a visitor.

use crate::ngsi_ld::{Api, CORE};
use anyhow::{Context, Result, bail, ensure};
use hanse_node::client::NodeClient;
use hanse_node::http::{Access, ROUTES, RouteAccess};
use hanse_node::test_utils::OPEN_OFFER;
use hanse_node::trust::test_issuer::TestIssuer;
use hanse_node::{Node, NodeHandle};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const ISSUER: &str = "https://login.gate.example/realms/city";
/// In the restricted dataset's NGSI-LD graph only (not the sensor source's own graph, which
/// the source may read): a meter's value, its label and its household.
const SECRET_NUMBER: &str = "987654321";
const SECRET_TEXT: &str = "RESTRICTED-4711";
const SECRET_IRI: &str = "https://gate.example/household/secret-7";
/// In the non-public dataset only.
const HIDDEN_TEXT: &str = "NONPUBLIC-0815";
/// In the public dataset.
const OPEN_TEXT: &str = "PUBLIC-2024";

const SOURCE: &str = r#"graph = "https://gate.example/g/meters"
base = "https://gate.example/"
entity_type = "WaterConsumptionObserved"
[format]
type = "json"
device = "/meter"
time = "/at"
fields = "/values"
[http]
token_file = "secrets/meters.token"
[devices.m-1]
[fields.litres]
attribute = "litres"
unit = "LTR"
required = true
"#;

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Visitor,
    /// `reader:open`: a role that adds nothing the routes ask for.
    Nobody,
    /// `researcher` and `reader:water`.
    Rita,
    /// `editor`.
    Eve,
    /// An OIDC subject whose claims map to `reader` and `researcher`.
    Oidc,
    /// An OIDC token past its expiry.
    Expired,
    /// An OIDC token signed with another key under the issuer's key id.
    Forged,
    /// The meters source's own token.
    Sensor,
    /// The admin token.
    Operator,
}

const EVERYONE: [Who; 9] = [
    Who::Visitor,
    Who::Nobody,
    Who::Rita,
    Who::Eve,
    Who::Oidc,
    Who::Expired,
    Who::Forged,
    Who::Sensor,
    Who::Operator,
];

impl Who {
    /// Whether the caller holds `role` (by name, any scope).
    fn has(self, role: &str) -> bool {
        match self {
            Who::Operator => true,
            Who::Rita | Who::Oidc => role == "researcher",
            Who::Eve => role == "editor",
            _ => false,
        }
    }

    /// Whether the caller may read the restricted dataset's values / the non-public one's.
    fn reads_secret(self) -> bool {
        matches!(self, Who::Rita | Who::Oidc | Who::Operator)
    }

    fn reads_hidden(self) -> bool {
        matches!(self, Who::Oidc | Who::Operator)
    }
}

/// What a route must answer a caller.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    /// Anything but 401 and 403.
    Served,
    Unauthorized,
    Forbidden,
    /// Served or 403, as the entity's graph is its own or not (a sensor source's writes).
    ServedInItsGraph,
}

fn expect(access: Access, who: Who) -> Expect {
    if matches!(who, Who::Expired | Who::Forged) {
        return Expect::Unauthorized;
    }
    let denied = if who == Who::Visitor {
        Expect::Unauthorized
    } else {
        Expect::Forbidden
    };
    match access {
        Access::Open | Access::Filtered => Expect::Served,
        Access::SignedIn if who == Who::Visitor => Expect::Unauthorized,
        Access::SignedIn => Expect::Served,
        Access::Role(role) if who.has(role) => Expect::Served,
        Access::Role(_) => denied,
        Access::Source if who == Who::Sensor || who == Who::Operator => Expect::Served,
        Access::Source => denied,
        Access::Write if who.has("editor") => Expect::Served,
        Access::Write if who == Who::Sensor => Expect::ServedInItsGraph,
        Access::Write => denied,
    }
}

/// The running node with its data, people and tokens.
struct Gate {
    node: NodeHandle,
    base: String,
    peer: String,
    tokens: Vec<(Who, String)>,
    _dir: tempfile::TempDir,
}

impl Gate {
    fn token(&self, who: Who) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, t)| t.as_str())
    }
}

fn type_of(name: &str) -> String {
    format!("https://uri.etsi.org/ngsi-ld/default-context/{name}")
}

async fn start() -> Result<Gate> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("sources"))?;
    std::fs::write(dir.path().join("sources/meters.toml"), SOURCE)?;
    let issuer = TestIssuer::new(ISSUER, 21);
    std::fs::write(dir.path().join("jwks.json"), issuer.jwks().to_string())?;
    let (node, node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.oidc.issuer = Some(ISSUER.into());
        config.oidc.audience = Some("hanse".into());
        config.oidc.jwks_file = Some("jwks.json".into());
        config.oidc.roles.insert(
            "analysts".into(),
            vec!["reader".into(), "researcher".into()],
        );
    })
    .await?;
    let admin = node_dir.load_admin_token()?.as_str().to_owned();
    let base = node.http_url();
    let http = NodeClient::bearer(&base, &admin);
    // Three datasets, one entity type each: open, restricted, non-public.
    for (id, access, claimed, graph) in [
        ("open", "public", "Bench", "https://gate.example/g/open"),
        (
            "water",
            "restricted",
            "Meter",
            "https://gate.example/g/water",
        ),
        (
            "internal",
            "non-public",
            "Vault",
            "https://gate.example/g/internal",
        ),
    ] {
        let mut graphs = vec![graph.to_owned()];
        if id == "water" {
            graphs.push("https://gate.example/g/meters".into());
        }
        let definition = json!({
            "id": id, "title": id, "description": id, "graphs": graphs,
            "access_rights": access, "conforms_to": [type_of(claimed)], "policy": OPEN_OFFER,
        });
        let response = http
            .post_request("/api/datasets")
            .json(&definition)
            .send()
            .await?;
        ensure!(response.status().is_success(), "{}", response.text().await?);
    }
    let api = Api::new(&node, &admin);
    for entity in [
        json!({"id": "urn:ngsi-ld:Bench:1", "type": "Bench",
               "name": {"type": "Property", "value": OPEN_TEXT},
               "seats": {"type": "Property", "value": 42},
               "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.48, 51.02]}}}),
        json!({"id": "urn:ngsi-ld:Meter:1", "type": "Meter",
               "name": {"type": "Property", "value": SECRET_TEXT},
               // observedAt: the reading is also an observation, the temporal API's history.
               "seats": {"type": "Property", "value": 987_654_321, "observedAt": "2026-11-02T08:00:00Z"},
               "household": {"type": "Relationship", "object": SECRET_IRI},
               "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.49, 51.03]}}}),
        json!({"id": "urn:ngsi-ld:Vault:1", "type": "Vault",
               "name": {"type": "Property", "value": HIDDEN_TEXT},
               "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.50, 51.04]}}}),
    ] {
        let (status, body) = api
            .post("/entities", "application/json", entity.to_string())
            .await?;
        ensure!(status == 201, "{status} {body}");
    }
    // A KPI whose maximum is the secret reading for those who may read it.
    let kpi = json!({"id": "top", "title": "Most seats", "unit": "seats",
        "query": "SELECT (MAX(?v) AS ?value) WHERE { ?s ?p ?v . FILTER(isNumeric(?v)) }"});
    let response = http
        .post_request("/api/console/kpis")
        .json(&kpi)
        .send()
        .await?;
    ensure!(response.status().is_success(), "{}", response.text().await?);
    // People.
    let mut tokens = vec![(Who::Operator, admin.clone())];
    for (who, name, roles) in [
        (Who::Nobody, "nobody", vec!["reader:open"]),
        (Who::Rita, "rita", vec!["researcher", "reader:water"]),
        (Who::Eve, "eve", vec!["editor"]),
    ] {
        let response = http
            .post_request("/api/users")
            .json(&json!({"name": name, "roles": roles}))
            .send()
            .await?;
        ensure!(response.status() == 201, "{}", response.text().await?);
        let issued: Value = response.json().await?;
        tokens.push((who, issued["token"].as_str().context("token")?.to_owned()));
    }
    tokens.push((Who::Oidc, issuer.token("olga", "hanse", &["analysts"], 600)));
    tokens.push((
        Who::Expired,
        issuer.token("olga", "hanse", &["analysts"], -600),
    ));
    let mut impostor = TestIssuer::new(ISSUER, 99);
    impostor.kid = issuer.kid.clone();
    tokens.push((
        Who::Forged,
        impostor.token("olga", "hanse", &["analysts"], 600),
    ));
    let sensor = std::fs::read_to_string(dir.path().join("secrets/meters.token"))?;
    tokens.push((Who::Sensor, sensor.trim().to_owned()));
    // One reading from the source, into the restricted dataset.
    let response = NodeClient::bearer(&base, &sensor)
        .post_request("/api/ingest/meters")
        .json(&json!({"meter": "m-1", "at": "2026-12-01T10:00:00Z", "values": {"litres": 555}}))
        .send()
        .await?;
    ensure!(response.status() == 200, "{}", response.text().await?);
    let peer = node.catalog().peer_id().to_string();
    Ok(Gate {
        node,
        base,
        peer,
        tokens,
        _dir: dir,
    })
}

/// A request for one row, made for `who` (writes name things of their own, or absent
/// things, so that no allowed request spoils the next).
struct Sample {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: String,
}

fn get(path: impl Into<String>) -> Sample {
    Sample {
        method: Method::GET,
        path: path.into(),
        content_type: None,
        body: String::new(),
    }
}

fn send(
    method: Method,
    path: impl Into<String>,
    content_type: &'static str,
    body: impl Into<String>,
) -> Sample {
    Sample {
        method,
        path: path.into(),
        content_type: Some(content_type),
        body: body.into(),
    }
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn sample(row: &RouteAccess, gate: &Gate, who: Who) -> Result<Sample> {
    let me = format!("{who:?}").to_lowercase();
    let everything = encoded("SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }");
    let json = "application/json";
    let sample = match (row.method, row.path, row.case) {
        ("GET", "/sparql", "query") => get(format!("/sparql?query={everything}")),
        ("POST", "/sparql", "query") => send(
            Method::POST,
            "/sparql",
            "application/sparql-query",
            "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
        ),
        ("POST", "/sparql", "update") => send(
            Method::POST,
            "/sparql",
            "application/sparql-update",
            format!("INSERT DATA {{ GRAPH <https://gate.example/g/scratch> {{ <urn:{me}> <urn:p> 1 }} }}"),
        ),
        ("GET", "/sparql", "federated") => get(format!("/sparql?federated=true&query={everything}")),
        ("GET", "/sparql", "service") => get(format!(
            "/sparql?query={}",
            encoded(&format!("SELECT * WHERE {{ SERVICE <hanse://{}/sparql> {{ ?s ?p ?o }} }}", gate.peer))
        )),
        ("GET", "/store", _) => get("/store"),
        ("PUT", "/store", _) | ("POST", "/store", _) => send(
            row.method.parse()?,
            format!("/store?graph={}", encoded(&format!("https://gate.example/g/scratch-{me}"))),
            "text/turtle",
            "<urn:s> <urn:p> 1 .",
        ),
        ("DELETE", "/store", _) => Sample {
            method: Method::DELETE,
            path: format!("/store?graph={}", encoded("https://gate.example/g/absent")),
            content_type: None,
            body: String::new(),
        },
        ("POST", "/api/network/block", _) => send(Method::POST, row.path, json, r#"{"peers": [], "blocked": true}"#),
        ("POST", "/api/consortium", _) => send(Method::POST, row.path, json, "{}"),
        ("POST", "/api/datasets", _) => send(Method::POST, row.path, json, r#"{"id": "Not Valid"}"#),
        ("GET", "/api/datasets/{id}", _) => get("/api/datasets/water"),
        ("PUT", "/api/datasets/{id}", _) => send(Method::PUT, "/api/datasets/absent", json, r#"{"id": "Not Valid"}"#),
        ("DELETE", "/api/datasets/{id}", _) => Sample { method: Method::DELETE, path: "/api/datasets/absent".into(), content_type: None, body: String::new() },
        ("POST", "/api/agreements", _) => send(Method::POST, row.path, json, json!({"provider": gate.peer, "dataset": "water", "purpose": "https://w3id.org/dpv#AcademicResearch"}).to_string()),
        ("GET", "/api/agreements/{id}", _) => get("/api/agreements/absent"),
        ("POST", "/api/agreements/{id}/revoke", _) => send(Method::POST, "/api/agreements/absent/revoke", json, "{}"),
        ("POST", "/api/remote/sparql", _) => send(Method::POST, row.path, json, json!({"provider": gate.peer, "query": "ASK {}", "purpose": "https://w3id.org/dpv#AcademicResearch"}).to_string()),
        ("POST", "/api/ingest/{source}", _) => send(Method::POST, "/api/ingest/meters", json, json!({"meter": "m-1", "at": "2026-12-01T11:00:00Z", "values": {"litres": 5}}).to_string()),
        ("POST", "/api/ingest/dead-letters/replay", _) => send(Method::POST, row.path, json, ""),
        ("DELETE", "/api/ingest/dead-letters/{id}", _) => Sample { method: Method::DELETE, path: "/api/ingest/dead-letters/999999".into(), content_type: None, body: String::new() },
        ("POST", "/api/ingest/retention", _) => send(Method::POST, row.path, json, ""),
        ("POST", "/api/users", _) => send(Method::POST, row.path, json, r#"{"name": "Not Valid", "roles": ["reader"]}"#),
        ("DELETE", "/api/users/{name}", _) => Sample { method: Method::DELETE, path: "/api/users/absent".into(), content_type: None, body: String::new() },
        ("POST", "/api/users/{name}/token", _) => send(Method::POST, "/api/users/absent/token", json, "{}"),
        ("GET", "/auth/callback", _) => get("/auth/callback?code=x&state=y"),
        ("GET", "/ngsi-ld/v1/entities", _) => get(format!("/ngsi-ld/v1/entities?type={}", encoded("Bench,Meter,Vault"))),
        ("POST", "/ngsi-ld/v1/entities", _) => send(Method::POST, row.path, json, json!({"id": format!("urn:ngsi-ld:Bench:{me}"), "type": "Bench", "seats": {"type": "Property", "value": 1}}).to_string()),
        ("GET", "/ngsi-ld/v1/entities/{id}", _) => get("/ngsi-ld/v1/entities/urn:ngsi-ld:Meter:1"),
        ("DELETE", "/ngsi-ld/v1/entities/{id}", _) => Sample { method: Method::DELETE, path: "/ngsi-ld/v1/entities/urn:ngsi-ld:Bench:absent".into(), content_type: None, body: String::new() },
        ("POST", "/ngsi-ld/v1/entities/{id}/attrs", _) | ("PATCH", "/ngsi-ld/v1/entities/{id}/attrs", _) => send(row.method.parse()?, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bench:absent/attrs", json, r#"{"seats": {"type": "Property", "value": 2}}"#),
        ("PATCH", "/ngsi-ld/v1/entities/{id}/attrs/{attr}", _) => send(Method::PATCH, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bench:absent/attrs/seats", json, r#"{"value": 3}"#),
        ("DELETE", "/ngsi-ld/v1/entities/{id}/attrs/{attr}", _) => Sample { method: Method::DELETE, path: "/ngsi-ld/v1/entities/urn:ngsi-ld:Bench:absent/attrs/seats".into(), content_type: None, body: String::new() },
        ("POST", "/ngsi-ld/v1/entityOperations/{op}", "query") => send(Method::POST, "/ngsi-ld/v1/entityOperations/query", json, r#"{"type": "Query", "entities": [{"type": "Meter"}, {"type": "Bench"}, {"type": "Vault"}]}"#),
        ("POST", "/ngsi-ld/v1/entityOperations/{op}", "write") => send(Method::POST, "/ngsi-ld/v1/entityOperations/upsert", json, json!([{"id": format!("urn:ngsi-ld:Bench:batch-{me}"), "type": "Bench", "seats": {"type": "Property", "value": 1}}]).to_string()),
        ("GET", "/ngsi-ld/v1/types/{name}", _) => get("/ngsi-ld/v1/types/Meter"),
        ("GET", "/ngsi-ld/v1/attributes/{name}", _) => get("/ngsi-ld/v1/attributes/name"),
        ("GET", "/ngsi-ld/v1/temporal/entities", _) => get(format!("/ngsi-ld/v1/temporal/entities?type={}", encoded("Bench,Meter,Vault"))),
        ("GET", "/ngsi-ld/v1/temporal/entities/{id}", _) => get("/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Meter:1"),
        ("POST", "/ngsi-ld/v1/temporal/entityOperations/query", _) => send(Method::POST, row.path, json, r#"{"type": "Query", "entities": [{"type": "Meter"}, {"type": "Bench"}, {"type": "Vault"}]}"#),
        ("GET", "/ogc/collections/{id}", _) => get("/ogc/collections/Meter"),
        ("GET", "/ogc/collections/{id}/items", _) => get("/ogc/collections/Meter/items"),
        ("GET", "/ogc/collections/{id}/items/{feature}", _) => get("/ogc/collections/Meter/items/urn:ngsi-ld:Meter:1"),
        ("GET", "/members/{peer}/datasets/{id}", _) => get(format!("/members/{}/datasets/water", gate.peer)),
        ("GET", "/console/{file}", _) => get("/console/app.js"),
        ("GET", "/dataset/{id}", _) => get("/dataset/water"),
        ("GET", "/dataset/{id}/{*part}", _) => get("/dataset/water/distribution"),
        ("GET", "/resolve", _) => get(format!("/resolve?iri={}", encoded(&format!("hanse://{}/dataset/open", gate.peer)))),
        ("GET", "/api/console/datasets/{peer}/{id}", _) => get(format!("/api/console/datasets/{}/water", gate.peer)),
        ("GET", "/api/console/datasets/{peer}/{id}/preview", _) => get(format!("/api/console/datasets/{}/water/preview", gate.peer)),
        ("GET", "/api/console/sensors/series", _) => get(format!("/api/console/sensors/series?entity={}&property={}", encoded("https://gate.example/entity/m-1"), encoded("https://smartdatamodels.org/dataModel.WaterConsumption/litres"))),
        ("POST", "/api/console/kpis", _) => send(Method::POST, row.path, json, json!({"id": format!("k-{me}"), "title": "k", "unit": "u", "query": "SELECT (1 AS ?value) WHERE {}"}).to_string()),
        ("DELETE", "/api/console/kpis/{id}", _) => Sample { method: Method::DELETE, path: "/api/console/kpis/absent".into(), content_type: None, body: String::new() },
        ("POST", "/api/console/kpis/{id}/compare", _) => send(Method::POST, "/api/console/kpis/top/compare", json, ""),
        ("GET", path, _) if !path.contains('{') => get(path),
        other => bail!("no sample request for {other:?}: add one to gate.rs"),
    };
    Ok(sample)
}

/// What `who` got for `row`: status and body (the live stream only its status).
async fn ask(gate: &Gate, row: &RouteAccess, who: Who) -> Result<(u16, String)> {
    let sample = sample(row, gate, who)?;
    let client = match gate.token(who) {
        Some(token) => NodeClient::bearer(&gate.base, token),
        None => NodeClient::visitor(&gate.base),
    };
    let mut request = client
        .with_timeout(Duration::from_secs(60))
        .without_redirects()
        .request(sample.method.clone(), &sample.path);
    if let Some(content_type) = sample.content_type {
        request = request
            .header("content-type", content_type)
            .body(sample.body);
    }
    if row.path.starts_with("/ngsi-ld/") {
        request = request.header(
            "link",
            format!("<{CORE}>; rel=\"http://www.w3.org/ns/json-ld#context\""),
        );
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    if row.path == "/api/console/live" {
        return Ok((status, String::new()));
    }
    Ok((status, response.text().await?))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_each_caller_what_it_may_have() -> Result<()> {
    let gate = start().await?;
    let mut failures = Vec::new();
    let mut secret_seen_by_operator = Vec::new();
    let mut asked = 0;
    for row in ROUTES {
        for who in EVERYONE {
            let (status, body) = ask(&gate, row, who).await?;
            asked += 1;
            let wanted = expect(row.access, who);
            let got = match (status, &wanted) {
                (401, _) => Expect::Unauthorized,
                (403, Expect::ServedInItsGraph) => Expect::ServedInItsGraph,
                (403, _) => Expect::Forbidden,
                (_, Expect::ServedInItsGraph) => Expect::ServedInItsGraph,
                _ => Expect::Served,
            };
            let label = format!("{} {} {} as {who:?}", row.method, row.path, row.case);
            if got != wanted {
                failures.push(format!(
                    "{label}: wanted {wanted:?}, got {status}: {}",
                    body.chars().take(200).collect::<String>()
                ));
                continue;
            }
            let secrets = [SECRET_NUMBER, SECRET_TEXT, SECRET_IRI];
            if !who.reads_secret() && secrets.iter().any(|s| body.contains(s)) {
                failures.push(format!(
                    "{label}: a restricted value leaked: {}",
                    body.chars().take(300).collect::<String>()
                ));
            }
            if !who.reads_hidden() && body.contains(HIDDEN_TEXT) {
                failures.push(format!("{label}: a non-public value leaked"));
            }
            if who == Who::Operator && body.contains(SECRET_NUMBER) {
                secret_seen_by_operator.push(label);
            }
        }
    }
    println!(
        "{asked} requests: {} rows x {} callers",
        ROUTES.len(),
        EVERYONE.len()
    );
    ensure!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The markers are really there for those who may read them (else the leak checks prove
    // nothing).
    for needed in [
        "GET /sparql query",
        "GET /store",
        "GET /ngsi-ld/v1/entities/{id}",
        "GET /ngsi-ld/v1/temporal/entities/{id}",
        "GET /api/console/kpis",
    ] {
        ensure!(
            secret_seen_by_operator
                .iter()
                .any(|l| l.starts_with(needed)),
            "the operator never saw the secret through {needed}: {secret_seen_by_operator:?}"
        );
    }
    gate.node.shutdown().await?;
    Ok(())
}

/// nginx in front of `upstream` on a free loopback port, with TLS from a throwaway
/// self-signed certificate; stopped when dropped.
struct Proxy {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn proxy(upstream: &str) -> Result<Proxy> {
    let dir = tempfile::tempdir()?;
    let path = dir.path();
    // Workers may run as another user: the temp paths must be theirs to write too.
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(path.join("key.pem"))
        .arg("-out")
        .arg(path.join("cert.pem"))
        .output()
        .context("this test needs openssl (./test installs it)")?;
    ensure!(
        made.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = free_port()?;
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log {p}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
         server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {p}/cert.pem;\n\
         ssl_certificate_key {p}/key.pem;\n    location / {{\n      proxy_pass {upstream};\n\
         proxy_http_version 1.1;\n      proxy_set_header Host $host;\n      proxy_buffering off;\n    }}\n  }}\n}}\n",
        p = path.display(),
    );
    std::fs::write(path.join("nginx.conf"), conf)?;
    let child = std::process::Command::new("nginx")
        .arg("-p")
        .arg(path)
        .arg("-c")
        .arg(path.join("nginx.conf"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("this test needs nginx (./test installs nginx-light)")?;
    let proxy = Proxy {
        child,
        port,
        _dir: dir,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(proxy);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nginx did not listen on {port} within 5 s")
}

/// `curl` through the proxy (the certificate is throwaway: `-k`): status and body.
fn curl(port: u16, path: &str, token: Option<&str>) -> Result<(u16, String)> {
    let mut command = std::process::Command::new("curl");
    command.args(["-sk", "-w", "\n%{http_code}"]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command
        .arg(format!("https://127.0.0.1:{port}{path}"))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').context("curl printed no status")?;
    Ok((status.trim().parse()?, body.to_owned()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_through_a_reverse_proxy_on_the_same_host_is_a_visitor() -> Result<()> {
    let gate = start().await?;
    let proxy = proxy(&gate.base)?;
    let port = proxy.port;
    let everything = encoded("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }");
    let (status, visitor) = tokio::task::spawn_blocking(move || {
        curl(port, &format!("/sparql?query={everything}"), None)
    })
    .await??;
    ensure!(status == 200, "{status} {visitor}");
    ensure!(
        visitor.contains(OPEN_TEXT),
        "the public data is served: {visitor}"
    );
    ensure!(
        !visitor.contains(SECRET_NUMBER) && !visitor.contains(HIDDEN_TEXT),
        "restricted data through the proxy: {visitor}"
    );
    for (path, wanted) in [
        ("/store?graph=https%3A%2F%2Fgate.example%2Fg%2Fwater", 404),
        ("/api/peers", 401),
        ("/api/audit", 401),
        ("/api/users", 401),
    ] {
        let (status, body) = tokio::task::spawn_blocking(move || curl(port, path, None)).await??;
        ensure!(
            status == wanted,
            "{path} through the proxy: {status} {body}"
        );
    }
    // The Authorization header passes the proxy: people and the operator are who they are.
    let operator = gate.token(Who::Operator).context("operator")?.to_owned();
    let everything = encoded("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }");
    let (status, body) = tokio::task::spawn_blocking(move || {
        curl(
            port,
            &format!("/sparql?query={everything}"),
            Some(&operator),
        )
    })
    .await??;
    ensure!(
        status == 200 && body.contains(SECRET_NUMBER),
        "{status} {body}"
    );
    drop(proxy);
    gate.node.shutdown().await?;
    Ok(())
}

/// A small OpenID Connect issuer on loopback: `/authorize` approves at once (redirecting
/// back with a code), `/token` checks the PKCE verifier against the challenge and answers
/// an access token signed by `issuer`.
async fn test_issuer(issuer: TestIssuer) -> Result<(String, tokio::task::JoinHandle<()>)> {
    use axum::extract::{Form, Query, State};
    use axum::response::{IntoResponse, Redirect};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    type Challenges = Arc<Mutex<HashMap<String, String>>>;
    async fn authorize(
        State((_, codes)): State<(TestIssuer, Challenges)>,
        Query(q): Query<HashMap<String, String>>,
    ) -> axum::response::Response {
        let code = format!("code-{}", codes.lock().map(|c| c.len()).unwrap_or(0));
        if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return (axum::http::StatusCode::BAD_REQUEST, "PKCE S256 required").into_response();
        }
        if let Ok(mut codes) = codes.lock() {
            codes.insert(
                code.clone(),
                q.get("code_challenge").cloned().unwrap_or_default(),
            );
        }
        let back = format!(
            "{}?code={code}&state={}",
            q.get("redirect_uri").cloned().unwrap_or_default(),
            q.get("state").cloned().unwrap_or_default()
        );
        Redirect::to(&back).into_response()
    }
    async fn token(
        State((issuer, codes)): State<(TestIssuer, Challenges)>,
        Form(form): Form<HashMap<String, String>>,
    ) -> axum::response::Response {
        use base64::Engine;
        use sha2::Digest;
        let challenge = form.get("code").and_then(|c| codes.lock().ok()?.remove(c));
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        if challenge.as_deref() != Some(computed.as_str()) {
            return (axum::http::StatusCode::BAD_REQUEST, "invalid_grant").into_response();
        }
        axum::Json(json!({
            "access_token": issuer.token("pia", "hanse", &["analysts"], 600),
            "token_type": "Bearer", "expires_in": 600,
        }))
        .into_response()
    }
    let app = axum::Router::new()
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .with_state((issuer, Challenges::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, task))
}

#[tokio::test(flavor = "multi_thread")]
async fn people_sign_in_through_the_issuer_with_pkce() -> Result<()> {
    let issuer = TestIssuer::new(ISSUER, 33);
    let (at, server) = test_issuer(issuer.clone()).await?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("jwks.json"), issuer.jwks().to_string())?;
    let (node, _node_dir) = Node::spawn_for_tests(dir.path(), |config| {
        config.oidc.issuer = Some(ISSUER.into());
        config.oidc.audience = Some("hanse".into());
        config.oidc.jwks_file = Some("jwks.json".into());
        config.oidc.client_id = Some("hanse-console".into());
        config.oidc.authorization_endpoint = Some(format!("{at}/authorize"));
        config.oidc.token_endpoint = Some(format!("{at}/token"));
        config.oidc.roles.insert(
            "analysts".into(),
            vec!["researcher:dpv:ScientificResearch".into()],
        );
    })
    .await?;
    // A browser, not a client of the node's API: it follows the sign-in across two hosts
    // (the node and the issuer) and keeps the session cookie itself.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = node.http_url();
    // The console offers the issuer's sign-in.
    let session: Value = browser
        .get(format!("{base}/api/console/session"))
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        session["oidc_sign_in"] == true && session["kind"] == "visitor",
        "{session}"
    );
    // Login: to the issuer, with state and an S256 challenge.
    let login = browser
        .get(format!("{base}/auth/login?back=/query"))
        .send()
        .await?;
    ensure!(login.status().is_redirection(), "{}", login.status());
    let to_issuer = login.headers()["location"].to_str()?.to_owned();
    ensure!(
        to_issuer.starts_with(&format!("{at}/authorize?"))
            && to_issuer.contains("code_challenge_method=S256")
            && to_issuer.contains("client_id=hanse-console"),
        "{to_issuer}"
    );
    let approved = browser.get(&to_issuer).send().await?;
    let back = approved.headers()["location"].to_str()?.to_owned();
    ensure!(
        back.starts_with(&format!("{base}/auth/callback?code=")),
        "{back}"
    );
    // A forged state is refused; the real callback hands the token to the page.
    let forged = browser
        .get(format!("{base}/auth/callback?code=code-0&state=forged"))
        .send()
        .await?;
    ensure!(forged.status() == 400, "{}", forged.status());
    let page = browser.get(&back).send().await?;
    ensure!(page.status() == 200, "{}", page.status());
    ensure!(
        page.headers()["cache-control"] == "no-store",
        "the page holding a token must not be cached"
    );
    let html = page.text().await?;
    let token = html
        .split("name=\"hanse-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no token in the callback page")?
        .to_owned();
    ensure!(
        html.contains("content=\"/query\""),
        "back to the page the person came from: {html}"
    );
    // The token works as a bearer token: the session names the person and her mapped role.
    let session: Value = browser
        .get(format!("{base}/api/console/session"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        session["kind"] == "oidc"
            && session["name"] == "pia"
            && session["roles"] == json!(["researcher:dpv:ScientificResearch"]),
        "{session}"
    );
    // The same code cannot be used twice (the state is spent).
    let again = browser.get(&back).send().await?;
    ensure!(again.status() == 400, "{}", again.status());
    server.abort();
    node.shutdown().await?;
    Ok(())
}
