//! The node's HTTP(S) IRIs dereferenced with content negotiation: the console page for
//! browsers, Turtle, JSON-LD, RDF/XML or N-Triples for machines. The old `hanse:` names
//! stay the identifiers inside the consortium; `/resolve?iri=hanse://…` redirects one to
//! its HTTP(S) name (this node's, or a member's from its catalogue's home page).

use super::harvest;
use super::{ConsoleState, assets};
use crate::http::{ApiError, AppState};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hanse_vocab::{dcat, dct, foaf, hydra, odrl, owl, rdf, skos, vcard, void, xsd};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::Graph;
use serde::Deserialize;

#[derive(Clone, Copy, PartialEq)]
enum Wanted {
    Html,
    Rdf(RdfFormat),
}

/// Machines first: a harvester sending `*/*` gets Turtle; browsers ask for HTML by name.
const FORMATS: &[(&str, Wanted)] = &[
    ("text/turtle", Wanted::Rdf(RdfFormat::Turtle)),
    ("text/html", Wanted::Html),
    ("application/xhtml+xml", Wanted::Html),
    (
        "application/ld+json",
        Wanted::Rdf(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
    ),
    ("application/rdf+xml", Wanted::Rdf(RdfFormat::RdfXml)),
    ("application/n-triples", Wanted::Rdf(RdfFormat::NTriples)),
];

fn wanted(headers: &HeaderMap) -> Result<Wanted, ApiError> {
    crate::http::negotiate_format(headers, FORMATS).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "this resource is available as text/html, text/turtle, application/ld+json, application/rdf+xml or application/n-triples",
        )
    })
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Serialises `graph` with the catalogue's prefixes.
pub fn serialise(graph: &Graph, format: RdfFormat) -> Result<Response, ApiError> {
    let mut serializer = RdfSerializer::from_format(format);
    for (prefix, iri) in [
        ("dcat", dcat::NS),
        ("dct", dct::NS),
        ("foaf", foaf::NS),
        ("vcard", vcard::NS),
        ("skos", skos::NS),
        ("void", void::NS),
        ("odrl", odrl::NS),
        ("owl", owl::NS),
        ("hydra", hydra::NS),
        ("xsd", xsd::NS),
        ("rdf", rdf::NS),
    ] {
        serializer = serializer.with_prefix(prefix, iri).map_err(internal)?;
    }
    let mut writer = serializer.for_writer(Vec::new());
    for triple in graph.iter() {
        writer.serialize_triple(triple).map_err(internal)?;
    }
    let body = writer.finish().map_err(internal)?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

fn own_document(state: &AppState) -> Result<Graph, ApiError> {
    state.catalog.own().map(|o| o.document).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the catalogue is being built; try again in a moment",
        )
    })
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("{what} is not in this node's public catalogue"),
    )
}

/// `?page=N` of the harvestable catalogue.
#[derive(Deserialize)]
pub struct Paging {
    page: Option<usize>,
}

/// `GET /catalog`: the console's catalogue page for browsers; the public DCAT-AP catalogue
/// (Hydra-paged, `?page=N`) for machines.
#[tracing::instrument(skip_all)]
pub async fn catalog(
    State(state): State<AppState>,
    Extension(console): Extension<ConsoleState>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Wanted::Rdf(format) = wanted(&headers)? else {
        return Ok(assets::shell(console.tile_url()));
    };
    let document = own_document(&state)?;
    let page = paging.page.unwrap_or(1);
    let graph =
        harvest::catalogue_page(&document, state.catalog.iris(), page).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("the catalogue has no page {page}"),
            )
        })?;
    serialise(&graph, format)
}

fn describe_own(
    state: &AppState,
    headers: &HeaderMap,
    iri: &str,
    console: &ConsoleState,
) -> Result<Response, ApiError> {
    let Wanted::Rdf(format) = wanted(headers)? else {
        return Ok(assets::shell(console.tile_url()));
    };
    let document = own_document(state)?;
    let graph =
        harvest::describe(&document, state.catalog.iris(), iri).ok_or_else(|| not_found(iri))?;
    serialise(&graph, format)
}

/// `GET /dataset/{id}`: the dataset's page, or its description.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn dataset(
    State(state): State<AppState>,
    Extension(console): Extension<ConsoleState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iri = state.catalog.iris().dataset(&id);
    describe_own(&state, &headers, &iri, &console)
}

/// `GET /dataset/{id}/{part}` (distribution, extent, period…): its description.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn dataset_part(
    State(state): State<AppState>,
    Extension(console): Extension<ConsoleState>,
    Path((id, part)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iri = state.catalog.iris().dataset_part(&id, &part);
    describe_own(&state, &headers, &iri, &console)
}

/// `GET /publisher`, `GET /contact`: the node's agent and contact point.
#[tracing::instrument(skip_all)]
pub async fn node_resource(
    State(state): State<AppState>,
    Extension(console): Extension<ConsoleState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iris = state.catalog.iris();
    let iri = match uri.path() {
        "/publisher" => iris.publisher(),
        _ => iris.contact(),
    };
    describe_own(&state, &headers, &iri, &console)
}

/// `GET /sparql/description`: a SPARQL 1.1 Service Description of the node's endpoint
/// (the catalogue's `dcat:endpointDescription`).
#[tracing::instrument(skip_all)]
pub async fn sparql_description(Extension(console): Extension<ConsoleState>) -> Response {
    let base = console.public_base();
    let body = format!(
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\
         @prefix dct: <http://purl.org/dc/terms/> .\n\n\
         <{base}sparql/description> dct:title \"SPARQL endpoint of this hanse node\"@en .\n\
         <{base}sparql> a sd:Service ;\n  sd:endpoint <{base}sparql> ;\n  \
         sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;\n  \
         sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/SPARQL_Results_XML>, <http://www.w3.org/ns/formats/SPARQL_Results_CSV>, <http://www.w3.org/ns/formats/SPARQL_Results_TSV>, <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>, <http://www.w3.org/ns/formats/JSON-LD> ;\n  \
         sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery .\n"
    );
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], body).into_response()
}

/// `?iri=hanse://…`
#[derive(Deserialize)]
pub struct Resolve {
    iri: String,
}

/// `GET /resolve?iri=hanse://<PeerId>/…`: 303 to the resource's HTTP(S) name.
#[tracing::instrument(skip_all)]
pub async fn resolve(
    State(state): State<AppState>,
    Query(query): Query<Resolve>,
) -> Result<Response, ApiError> {
    let iris = state.catalog.iris();
    if let Some(http) = iris.to_http(&query.iri) {
        return Ok(Redirect::to(&http).into_response());
    }
    let peer = crate::catalog::iris::peer_of(&query.iri).ok_or_else(|| {
        ApiError::bad_request(format!("`{}` is not a hanse://<PeerId>/… IRI", query.iri))
    })?;
    let path = query
        .iri
        .strip_prefix(&format!("hanse://{peer}/"))
        .unwrap_or_default();
    let home = state
        .catalog
        .federated()
        .datasets(&Default::default())
        .into_iter()
        .find(|d| d.publisher == peer.to_string())
        .and_then(|d| d.homepage);
    match home {
        Some(home) => Ok(Redirect::to(&format!("{home}{path}")).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("member {peer} publishes no web address in its catalogue"),
        )),
    }
}
