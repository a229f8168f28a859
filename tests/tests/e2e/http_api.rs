//! The node's HTTP API over real sockets: SPARQL 1.1 Protocol, Graph Store Protocol, limits
//! and errors. Each test starts its own node on an ephemeral loopback port.

use anyhow::Result;
use hanse_node::client::NodeClient;
use hanse_node::{Config, Node, NodeHandle};
use reqwest::{StatusCode, header};
use std::collections::BTreeSet;
use tempfile::TempDir;

struct TestNode {
    node: Option<NodeHandle>,
    token: String,
    /// The operator (sends the admin token).
    http: NodeClient,
    /// A visitor (no credentials).
    visitor: NodeClient,
    _dir: TempDir,
}

impl TestNode {
    async fn start() -> Result<Self> {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut Config)) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let (node, node_dir) = Node::spawn_for_tests(dir.path(), configure).await?;
        let token = node_dir.load_admin_token()?.as_str().to_owned();
        Ok(Self {
            http: NodeClient::bearer(node.http_url(), &token),
            visitor: NodeClient::visitor(node.http_url()),
            token,
            node: Some(node),
            _dir: dir,
        })
    }

    async fn put_turtle(&self, graph: &str, turtle: &str) -> Result<reqwest::Response> {
        Ok(self
            .http
            .request(reqwest::Method::PUT, "/store")
            .query(&[("graph", graph)])
            .header(header::CONTENT_TYPE, "text/turtle")
            .body(turtle.to_owned())
            .send()
            .await?)
    }

    async fn select(&self, query: &str) -> Result<serde_json::Value> {
        let response = self
            .http
            .get_request("/sparql")
            .query(&[("query", query)])
            .send()
            .await?;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            response.text().await?
        );
        Ok(response.json().await?)
    }

    async fn count(&self) -> Result<u64> {
        let json = self
            .select("SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
            .await?;
        Ok(json["results"]["bindings"][0]["n"]["value"]
            .as_str()
            .unwrap_or("0")
            .parse()?)
    }

    async fn stop(mut self) -> Result<()> {
        if let Some(node) = self.node.take() {
            node.shutdown().await?;
        }
        Ok(())
    }
}

const G1: &str = "http://example.org/graph/1";
const G2: &str = "http://example.org/graph/2";
const DATA: &str = "@prefix ex: <http://example.org/> .\n\
    ex:a ex:name \"Alice\" ; ex:age 42 .\n\
    ex:b ex:name \"Bob\" ; ex:age 7 .\n";

fn bindings(json: &serde_json::Value, var: &str) -> BTreeSet<String> {
    json["results"]["bindings"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r[var]["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn query_by_get_post_and_form_agree() -> Result<()> {
    let node = TestNode::start().await?;
    assert_eq!(
        node.put_turtle(G1, DATA).await?.status(),
        StatusCode::CREATED
    );
    let query = format!("SELECT ?n {{ GRAPH <{G1}> {{ ?s <http://example.org/name> ?n }} }}");
    let expected: BTreeSet<String> = ["Alice", "Bob"].map(str::to_owned).into();

    let by_get = node.select(&query).await?;
    assert_eq!(bindings(&by_get, "n"), expected);

    let by_post: serde_json::Value = node
        .http
        .post_request("/sparql")
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(query.clone())
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(bindings(&by_post, "n"), expected);

    let by_form: serde_json::Value = node
        .http
        .post_request("/sparql")
        .form(&[("query", query.as_str())])
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(bindings(&by_form, "n"), expected);
    node.stop().await
}

#[tokio::test]
async fn every_result_format_is_negotiated() -> Result<()> {
    let node = TestNode::start().await?;
    node.put_turtle(G1, DATA).await?;
    let select =
        format!("SELECT ?n {{ GRAPH <{G1}> {{ ?s <http://example.org/name> ?n }} }} ORDER BY ?n");
    let cases = [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            "\"Alice\"",
        ),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<literal>Alice</literal>",
        ),
        ("text/csv", "text/csv", "n\r\nAlice\r\nBob\r\n"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            "?n\n\"Alice\"\n\"Bob\"\n",
        ),
        (
            "application/json",
            "application/sparql-results+json",
            "\"Alice\"",
        ),
        ("*/*", "application/sparql-results+json", "\"Alice\""),
    ];
    for (accept, content_type, needle) in cases {
        let response = node
            .http
            .get_request("/sparql")
            .query(&[("query", &select)])
            .header(header::ACCEPT, accept)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        let got = response.headers()[header::CONTENT_TYPE]
            .to_str()?
            .to_owned();
        assert!(got.starts_with(content_type), "{accept}: {got}");
        let body = response.text().await?;
        assert!(body.contains(needle), "{accept}: {body}");
    }

    let ask = node
        .http
        .get_request("/sparql")
        .query(&[("query", "ASK { GRAPH ?g { ?s ?p ?o } }")])
        .header(header::ACCEPT, "application/sparql-results+xml")
        .send()
        .await?
        .text()
        .await?;
    assert!(ask.contains("<boolean>true</boolean>"), "{ask}");

    let construct = format!("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}");
    for (accept, format) in [
        ("text/turtle", oxigraph::io::RdfFormat::Turtle),
        ("application/n-triples", oxigraph::io::RdfFormat::NTriples),
        ("application/rdf+xml", oxigraph::io::RdfFormat::RdfXml),
        (
            "application/ld+json",
            hanse_node::store::rdf_format::json_ld(),
        ),
    ] {
        let response = node
            .http
            .get_request("/sparql")
            .query(&[("query", &construct)])
            .header(header::ACCEPT, accept)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], accept);
        let body = response.bytes().await?;
        let triples = oxigraph::io::RdfParser::from_format(format)
            .for_slice(&body)
            .collect::<Result<Vec<_>, _>>()?;
        assert_eq!(triples.len(), 4, "{accept}");
    }

    let refused = node
        .http
        .get_request("/sparql")
        .query(&[("query", &select)])
        .header(header::ACCEPT, "image/png")
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
    assert!(refused.text().await?.contains("text/csv"));
    node.stop().await
}

#[tokio::test]
async fn updates_require_the_admin_token() -> Result<()> {
    let node = TestNode::start().await?;
    let update = "INSERT DATA { <http://e/s> <http://e/p> 1 }";
    let send = |auth: Option<&str>| {
        let mut request = node
            .visitor
            .post_request("/sparql")
            .header(header::CONTENT_TYPE, "application/sparql-update")
            .body(update);
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let anonymous = send(None).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key(header::WWW_AUTHENTICATE));
    // A token the node does not know is refused as such, never taken for a visitor.
    assert_eq!(
        send(Some("wrong-token-wrong-token")).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(node.count().await?, 0);
    let form_without_token = node
        .visitor
        .post_request("/sparql")
        .form(&[("update", update)])
        .send()
        .await?;
    assert_eq!(form_without_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(node.count().await?, 0);

    assert_eq!(
        send(Some(&node.token)).await?.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(node.count().await?, 1);
    let update_by_get = node
        .http
        .get_request("/sparql")
        .query(&[("update", update)])
        .send()
        .await?;
    assert_eq!(update_by_get.status(), StatusCode::METHOD_NOT_ALLOWED);
    node.stop().await
}

#[tokio::test]
async fn graph_store_round_trip() -> Result<()> {
    let node = TestNode::start().await?;
    let without_token = node
        .visitor
        .request(reqwest::Method::PUT, "/store")
        .query(&[("graph", G1)])
        .header(header::CONTENT_TYPE, "text/turtle")
        .body(DATA)
        .send()
        .await?;
    assert_eq!(without_token.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        node.put_turtle(G1, DATA).await?.status(),
        StatusCode::CREATED
    );
    assert_eq!(node.put_turtle(G1, DATA).await?.status(), StatusCode::OK);
    let got = node
        .http
        .get_request("/store")
        .query(&[("graph", G1)])
        .header(header::ACCEPT, "application/n-triples")
        .send()
        .await?;
    assert_eq!(got.status(), StatusCode::OK);
    let sent: BTreeSet<String> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
            .for_slice(DATA.as_bytes())
            .map(|q| q.map(|q| q.to_string()))
            .collect::<Result<_, _>>()?;
    let received: BTreeSet<String> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::NTriples)
            .for_slice(&got.bytes().await?)
            .map(|q| q.map(|q| q.to_string()))
            .collect::<Result<_, _>>()?;
    assert_eq!(sent, received);

    let added = node
        .http
        .post_request("/store")
        .query(&[("default", "")])
        .header(header::CONTENT_TYPE, "application/n-triples")
        .body("<http://e/s> <http://e/p> \"in default\" .\n")
        .send()
        .await?;
    assert_eq!(added.status(), StatusCode::OK);
    let default = node
        .http
        .get_request("/store?default")
        .header(header::ACCEPT, "application/n-triples")
        .send()
        .await?
        .text()
        .await?;
    assert!(default.contains("in default"), "{default}");

    let delete = || {
        node.http
            .request(reqwest::Method::DELETE, "/store")
            .query(&[("graph", G1)])
            .send()
    };
    assert_eq!(delete().await?.status(), StatusCode::NO_CONTENT);
    assert_eq!(delete().await?.status(), StatusCode::NOT_FOUND);
    let gone = node
        .http
        .get_request("/store")
        .query(&[("graph", G1)])
        .send()
        .await?;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(node.count().await?, 1);
    node.stop().await
}

#[tokio::test]
async fn dataset_parameters_select_graphs() -> Result<()> {
    let node = TestNode::start().await?;
    node.put_turtle(G1, "<http://e/a> <http://e/in> \"one\" .")
        .await?;
    node.put_turtle(G2, "<http://e/b> <http://e/in> \"two\" .")
        .await?;
    let run = |query: &str, params: Vec<(&'static str, &'static str)>| {
        let mut all = vec![("query", query.to_owned())];
        all.extend(params.into_iter().map(|(k, v)| (k, v.to_owned())));
        node.http.get_request("/sparql").query(&all).send()
    };
    let default_is_g1: serde_json::Value =
        run("SELECT ?v { ?s ?p ?v }", vec![("default-graph-uri", G1)])
            .await?
            .json()
            .await?;
    assert_eq!(bindings(&default_is_g1, "v"), ["one".to_owned()].into());
    let both: serde_json::Value = run(
        "SELECT ?v { ?s ?p ?v }",
        vec![("default-graph-uri", G1), ("default-graph-uri", G2)],
    )
    .await?
    .json()
    .await?;
    assert_eq!(
        bindings(&both, "v"),
        ["one".to_owned(), "two".to_owned()].into()
    );
    let named_only_g2: serde_json::Value = run(
        "SELECT ?g ?v { GRAPH ?g { ?s ?p ?v } }",
        vec![("named-graph-uri", G2)],
    )
    .await?
    .json()
    .await?;
    assert_eq!(bindings(&named_only_g2, "g"), [G2.to_owned()].into());
    // Without parameters the query's own FROM applies.
    let from: serde_json::Value = run(&format!("SELECT ?v FROM <{G2}> {{ ?s ?p ?v }}"), vec![])
        .await?
        .json()
        .await?;
    assert_eq!(bindings(&from, "v"), ["two".to_owned()].into());

    let bad = run(
        "SELECT * { ?s ?p ?o }",
        vec![("named-graph-uri", "not an iri")],
    )
    .await?;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await?.contains("named-graph-uri"));
    node.stop().await
}

#[tokio::test]
async fn timeout_and_result_limit_are_clear_errors() -> Result<()> {
    let node = TestNode::start_with(|config| {
        config.sparql.query_timeout_secs = 1;
        config.sparql.max_result_rows = 5;
    })
    .await?;
    let triples: String = (0..400)
        .map(|i| format!("<http://e/s{i}> <http://e/p> {i} .\n"))
        .collect();
    node.put_turtle(G1, &triples).await?;

    let too_many = node
        .http
        .get_request("/sparql")
        .query(&[("query", "SELECT * { GRAPH ?g { ?s ?p ?o } }")])
        .send()
        .await?;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_many.text().await?.contains("sparql.max_result_rows"));
    let too_many_triples = node
        .http
        .get_request("/sparql")
        .query(&[(
            "query",
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
        )])
        .send()
        .await?;
    assert_eq!(too_many_triples.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let at_limit = node
        .http
        .get_request("/sparql")
        .query(&[("query", "SELECT * { GRAPH ?g { ?s ?p ?o } } LIMIT 5")])
        .send()
        .await?;
    assert_eq!(at_limit.status(), StatusCode::OK);

    // 400^4 = 2.56e10 combinations: far beyond one second on any machine.
    let slow = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?a ?b ?c . ?d ?e ?f . ?h ?i ?j . ?k ?l ?m } }";
    let started = std::time::Instant::now();
    let timed_out = node
        .http
        .get_request("/sparql")
        .query(&[("query", slow)])
        .send()
        .await?;
    assert_eq!(timed_out.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        timed_out
            .text()
            .await?
            .contains("sparql.query_timeout_secs")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // The node still answers afterwards.
    assert_eq!(node.count().await?, 400);
    node.stop().await
}

#[tokio::test]
async fn malformed_input_is_rejected_and_nothing_is_half_written() -> Result<()> {
    let node = TestNode::start_with(|config| config.http.max_body_bytes = 4096).await?;
    node.put_turtle(G1, DATA).await?;
    let before = node.count().await?;

    let bad_query = node
        .http
        .get_request("/sparql")
        .query(&[("query", "SELECT * WHERE { ?s ?p }")])
        .send()
        .await?;
    assert_eq!(bad_query.status(), StatusCode::BAD_REQUEST);
    let message = bad_query.text().await?;
    assert!(
        message.contains("SPARQL syntax error") && message.contains("1:"),
        "{message}"
    );

    let bad_update = node
        .http
        .post_request("/sparql")
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .body("INSERT DATA { <http://e/s> <http://e/p> }")
        .send()
        .await?;
    assert_eq!(bad_update.status(), StatusCode::BAD_REQUEST);

    // Two good triples, then a broken third line: none of it may be stored.
    let bad_turtle = "<http://e/x> <http://e/p> 1 .\n<http://e/y> <http://e/p> 2 .\n<http://e/z> <http://e/p> .\n";
    for method in [reqwest::Method::POST, reqwest::Method::PUT] {
        let response = node
            .http
            .request(method.clone(), "/store")
            .query(&[("graph", G1)])
            .header(header::CONTENT_TYPE, "text/turtle")
            .body(bad_turtle)
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{method}");
        let message = response.text().await?;
        assert!(message.contains("line 3"), "{method}: {message}");
        assert_eq!(node.count().await?, before, "{method} half-wrote");
    }
    let new_graph = node.put_turtle(G2, bad_turtle).await?;
    assert_eq!(new_graph.status(), StatusCode::BAD_REQUEST);
    let absent = node
        .http
        .get_request("/store")
        .query(&[("graph", G2)])
        .send()
        .await?;
    assert_eq!(absent.status(), StatusCode::NOT_FOUND);

    let unsupported = node
        .http
        .post_request("/store")
        .query(&[("graph", G1)])
        .header(header::CONTENT_TYPE, "text/csv")
        .body("a,b")
        .send()
        .await?;
    assert_eq!(unsupported.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let oversized = node
        .http
        .post_request("/store")
        .query(&[("graph", G1)])
        .header(header::CONTENT_TYPE, "application/n-triples")
        .body("<http://e/s> <http://e/p> 1 .\n".repeat(500))
        .send()
        .await?;
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(oversized.text().await?.contains("http.max_body_bytes"));
    assert_eq!(node.count().await?, before);
    node.stop().await
}

#[tokio::test]
async fn health_and_node_info() -> Result<()> {
    let node = TestNode::start().await?;
    node.put_turtle(G1, DATA).await?;
    let health: serde_json::Value = node
        .http
        .get_request("/health")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let info: serde_json::Value = node
        .http
        .get_request("/api/node")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(info["name"], "test-node");
    assert_eq!(info["role"], "city");
    assert!(
        info["peer_id"]
            .as_str()
            .is_some_and(|p| p.starts_with("12D3KooW")),
        "{info}"
    );
    assert!(
        info["did_key"]
            .as_str()
            .is_some_and(|d| d.starts_with("did:key:z6Mk")),
        "{info}"
    );
    assert_eq!(info["store"]["quads"], 4);
    assert_eq!(info["store"]["named_graphs"], 1);
    assert!(
        info["store"]["disk_bytes"].as_u64().is_some_and(|b| b > 0),
        "{info}"
    );
    node.stop().await
}

#[tokio::test]
async fn audit_log_is_admin_only_and_verifiable() -> Result<()> {
    use hanse_node::audit::{AuditDecision, AuditRecord, query_hash};
    let node = TestNode::start().await?;
    let log = node.node.as_ref().expect("running").audit().clone();
    for decision in [AuditDecision::Allow, AuditDecision::Deny] {
        log.append(AuditRecord {
            requester: "12D3KooWResearcher".into(),
            dataset: "https://water.example/consumption".into(),
            purpose: None,
            agreement: None,
            query_hash: query_hash("ASK {}"),
            decision,
            reason: "test".into(),
            rows: None,
            person: Some("user:alice".into()),
        })?;
    }
    let anonymous = node.visitor.get_request("/api/audit").send().await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let entries: serde_json::Value = node
        .http
        .get_request("/api/audit?from=1")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "{entries}");
    assert_eq!(entries[0]["decision"], "deny");
    let verified: serde_json::Value = node
        .http
        .get_request("/api/audit/verify")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(verified["entries"], 2, "{verified}");
    node.stop().await
}
