//! Tests of [`super::SparqlService`]: limits, SERVICE refusal, restricted datasets.

use super::*;

fn parse_query(text: &str) -> Result<Query, spargebra::SparqlSyntaxError> {
    spargebra::SparqlParser::new().parse_query(text)
}
use oxigraph::io::RdfFormat;
use oxigraph::model::{Literal, QuadRef};
use oxigraph::sparql::results::QueryResultsFormat;

fn service(rows: usize, max_rows: usize) -> SparqlService {
    let store = Store::new().unwrap();
    let p = NamedNode::new("http://example.org/p").unwrap();
    for i in 0..rows {
        let s = NamedNode::new(format!("http://example.org/s{i}")).unwrap();
        let o = Literal::from(i as i64);
        store
            .insert(QuadRef::new(&s, &p, &o, GraphName::DefaultGraph.as_ref()))
            .unwrap();
    }
    let limits = SparqlSection {
        max_result_rows: max_rows,
        ..SparqlSection::default()
    };
    SparqlService::new(store, limits, 2)
}

const JSON: ResultFormat = ResultFormat::Results(QueryResultsFormat::Json);

#[tokio::test]
async fn result_limit_is_enforced_exactly() {
    let sparql = service(10, 10);
    let q = parse_query("SELECT * { ?s ?p ?o }").unwrap();
    sparql
        .query(q, &DatasetParams::default(), JSON)
        .await
        .unwrap();
    let sparql = service(11, 10);
    let q = parse_query("SELECT * { ?s ?p ?o }").unwrap();
    let err = sparql
        .query(q, &DatasetParams::default(), JSON)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SparqlError::TooManyResults { limit: 10 }),
        "{err}"
    );
}

#[tokio::test]
async fn service_calls_are_refused() {
    let sparql = service(1, 10);
    let q = parse_query("SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }").unwrap();
    let err = sparql
        .query(q, &DatasetParams::default(), JSON)
        .await
        .unwrap_err();
    assert!(matches!(err, SparqlError::Unsupported(_)), "{err}");
}

/// Found by the `sparql_query` and `sparql_update` fuzz targets: a cast called with no
/// argument was a 500 ("query evaluation failed"); it is the client's mistake.
#[tokio::test]
async fn a_function_called_with_the_wrong_arity_is_a_client_error() {
    let sparql = service(1, 10);
    let q = parse_query("SELECT ?x { BIND(<http://www.w3.org/2001/XMLSchema#string>() AS ?x) }")
        .unwrap();
    let err = sparql
        .query(q, &DatasetParams::default(), JSON)
        .await
        .unwrap_err();
    assert!(matches!(err, SparqlError::Invalid(_)), "{err}");
    assert!(err.is_client_error());
    assert!(
        err.to_string()
            .contains("requires between 1 and 1 arguments"),
        "{err}"
    );
    let u = spargebra::SparqlParser::new().parse_update(
        "INSERT { <http://e/s> <http://e/p> ?x } WHERE { BIND(<http://www.w3.org/2001/XMLSchema#string>() AS ?x) }",
    )
    .unwrap();
    let err = sparql
        .update(u, &DatasetParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, SparqlError::Invalid(_)), "{err}");
    assert!(err.is_client_error());
}

/// A store with an open graph and a secret one; only the open graph is permitted.
fn restricted_fixture() -> (SparqlService, Vec<NamedNode>) {
    let store = Store::new().unwrap();
    let load = |graph: &str, turtle: &str| {
        store
            .load_from_slice(
                oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
                    .with_default_graph(NamedNode::new(graph).unwrap()),
                turtle,
            )
            .unwrap();
    };
    load(
        "http://e/graph/open",
        "<http://e/open> <http://e/p> \"open\" ; <http://e/link> <http://e/secret-subject> .",
    );
    load(
        "http://e/graph/secret",
        "<http://e/secret-subject> <http://e/p> \"SECRET\" ; <http://e/q> \"SECRET\" .\n\
         <http://e/open> <http://e/p> \"SECRET\" .",
    );
    store
        .insert(QuadRef::new(
            NamedNode::new("http://e/default").unwrap().as_ref(),
            NamedNode::new("http://e/p").unwrap().as_ref(),
            Literal::new_simple_literal("SECRET").as_ref(),
            GraphName::DefaultGraph.as_ref(),
        ))
        .unwrap();
    let limits = SparqlSection {
        union_default_graph: true,
        ..SparqlSection::default()
    };
    (
        SparqlService::new(store, limits, 2),
        vec![NamedNode::new("http://e/graph/open").unwrap()],
    )
}

/// Runs `query` restricted to `permitted` and returns the result as text.
async fn restricted(
    sparql: &SparqlService,
    permitted: &[NamedNode],
    query: &str,
    format: ResultFormat,
) -> Result<String, SparqlError> {
    let out = sparql
        .query_restricted(parse_query(query).unwrap(), permitted, format)
        .await?;
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn restricted_dataset_resists_bypass_attempts() {
    let (sparql, permitted) = restricted_fixture();
    // Control: unrestricted, the secret is there to be leaked.
    let unrestricted = sparql
        .query(
            parse_query("SELECT * { GRAPH ?g { ?s ?p ?o } }").unwrap(),
            &DatasetParams::default(),
            JSON,
        )
        .await
        .unwrap();
    assert!(String::from_utf8(unrestricted).unwrap().contains("SECRET"));
    let attacks = [
        "SELECT * { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROM NAMED <http://e/graph/secret> { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROM <http://e/graph/secret> { ?s ?p ?o }",
        "SELECT * { GRAPH <http://e/graph/secret> { ?s ?p ?o } }",
        "SELECT * { VALUES ?g { <http://e/graph/secret> } GRAPH ?g { ?s ?p ?o } }",
        "SELECT * { GRAPH ?g { ?s ?p ?o } VALUES ?g { <http://e/graph/secret> } }",
        "SELECT * { BIND(<http://e/graph/secret> AS ?g) GRAPH ?g { ?s ?p ?o } }",
        "SELECT * { { SELECT ?g ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } } }",
        "SELECT * { ?s (<http://e/p>|!<http://e/p>)+ ?o }",
        "SELECT * { ?s <http://e/link>/<http://e/p> ?o }",
        "SELECT * { ?s <http://e/link>/(<http://e/p>|<http://e/q>) ?o }",
        "SELECT * { GRAPH ?g { ?s <http://e/link>/<http://e/p> ?o } }",
        "SELECT ?g { GRAPH ?g { } }",
        "SELECT * { ?s ?p ?o FILTER NOT EXISTS { GRAPH <http://e/graph/secret> { ?s ?p ?o } } }",
        "SELECT * { OPTIONAL { GRAPH <http://e/graph/secret> { ?s ?p ?o } } }",
        "SELECT ?o { ?s ?p ?o } ORDER BY ?o",
    ];
    for attack in attacks {
        let text = restricted(&sparql, &permitted, attack, JSON).await.unwrap();
        assert!(!text.contains("SECRET"), "leak via {attack}: {text}");
        assert!(
            !text.contains("graph/secret"),
            "graph name leak via {attack}: {text}"
        );
    }
    for graph_query in [
        "DESCRIBE <http://e/secret-subject>",
        "DESCRIBE <http://e/open>",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "CONSTRUCT { ?s ?p ?o } FROM <http://e/graph/secret> WHERE { ?s ?p ?o }",
    ] {
        let ntriples = ResultFormat::Rdf(RdfFormat::NTriples);
        let text = restricted(&sparql, &permitted, graph_query, ntriples)
            .await
            .unwrap();
        assert!(!text.contains("SECRET"), "leak via {graph_query}: {text}");
    }
    let ask = "ASK { GRAPH <http://e/graph/secret> { ?s ?p ?o } }";
    let ask = restricted(&sparql, &permitted, ask, JSON).await.unwrap();
    assert!(ask.contains("false"));
    let service = "SELECT * { SERVICE <http://127.0.0.1:7878/sparql> { ?s ?p ?o } }";
    let service = restricted(&sparql, &permitted, service, JSON).await;
    assert!(matches!(service, Err(SparqlError::Unsupported(_))));
    println!(
        "{} bypass attempts against the restricted graph (plus ASK and SERVICE): 0 leaked",
        attacks.len() + 4
    );
    // The open graph stays fully readable.
    let count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }";
    let count = restricted(&sparql, &permitted, count, JSON).await.unwrap();
    assert!(count.contains("\"2\""));
    // Nothing permitted: nothing visible, not everything.
    let none = "SELECT * { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
    let none = restricted(&sparql, &[], none, JSON).await.unwrap();
    assert!(none.contains("\"bindings\":[]"));
}

#[test]
fn syntax_errors_carry_a_position() {
    let err = parse_query("SELECT * WHERE { ?s ?p }")
        .unwrap_err()
        .to_string();
    assert!(err.contains("1:"), "{err}");
}

#[tokio::test]
async fn bad_dataset_iris_are_named() {
    let sparql = service(1, 10);
    let q = parse_query("ASK {}").unwrap();
    let params = DatasetParams {
        default_graphs: vec!["not an iri".into()],
        named_graphs: vec![],
    };
    let err = sparql
        .query(q, &params, JSON)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("default-graph-uri") && err.contains("not an iri"),
        "{err}"
    );
}

#[tokio::test]
async fn a_text_is_answered_over_the_visible_graphs_or_handed_back_parsed() {
    let (sparql, permitted) = restricted_fixture();
    let visible = Visible::Graphs(permitted.into_iter().collect());
    let json = |_| Some(JSON);
    let answer = sparql
        .answer_visible(
            "SELECT ?o { ?s ?p ?o }",
            &DatasetParams::default(),
            visible.clone(),
            json,
        )
        .await
        .unwrap();
    let TextAnswer::Written { body, format } = answer else {
        panic!("a plain query is answered: {answer:?}");
    };
    let body = String::from_utf8(body).unwrap();
    assert_eq!(format, JSON);
    assert!(
        body.contains("\"open\"") && !body.contains("SECRET"),
        "{body}"
    );
    // SERVICE needs the federation, and a form without a format the caller's 406.
    for (text, format_for) in [
        (
            "SELECT * { SERVICE <http://e/elsewhere> { ?s ?p ?o } }",
            Some(JSON),
        ),
        ("CONSTRUCT WHERE { ?s ?p ?o }", None),
    ] {
        let answer = sparql
            .answer_visible(
                text,
                &DatasetParams::default(),
                visible.clone(),
                move |_| format_for,
            )
            .await
            .unwrap();
        assert!(
            matches!(answer, TextAnswer::Parsed(_)),
            "{text}: {answer:?}"
        );
    }
    // Syntax errors and shape limits are refused before anything is evaluated.
    let err = sparql
        .answer_visible("SELECT {", &DatasetParams::default(), visible, json)
        .await
        .unwrap_err();
    assert!(err.is_client_error(), "{err}");
}
