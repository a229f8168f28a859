//! The web console: an open-data portal and an operator's dashboard, served by the node at
//! `/` from assets embedded in the binary.
//!
//! The pages are plain HTML, CSS and JavaScript modules in `node/console/` (no framework,
//! no build step); they read the node's JSON APIs. This module serves the assets, answers
//! the node's HTTP(S) IRIs with content negotiation (the page for browsers, RDF for
//! machines), publishes the harvestable public catalogue, and adds the few JSON endpoints
//! the pages need on top of the existing services (catalogue, access, federation, ingest,
//! audit). It decides nothing itself: every handler takes the request's `Caller`, and what
//! that caller may see or do comes from the access service.
//!
//! | module | concern |
//! |---|---|
//! | `assets` | the embedded files and the page shell for every console route |
//! | `pages` | dereferencing the node's HTTP(S) IRIs: HTML or RDF, old `hanse:` names |
//! | `harvest` | the public DCAT-AP catalogue at `/catalog`, with Hydra paging |
//! | `overview` | the home page: identity, members, KPIs, health |
//! | `search` | full-text search, facets, sort and paging over the federated catalogue |
//! | `dataset` | one dataset: metadata, signature, policy in plain words, preview |
//! | `sensors` | sensors with latest values, series, and the live stream (SSE) |
//! | `kpis` | saved SPARQL queries with title, unit and target, stored as RDF |
//! | `session` | the console's state and counters; who the caller is, as the pages need it |

mod assets;
mod dataset;
mod harvest;
pub(crate) mod kpis;
mod overview;
mod pages;
mod search;
mod sensors;
mod session;

pub use kpis::Kpi;
pub use session::ConsoleState;

use crate::http::AppState;
use axum::Router;
use axum::routing::{get, post};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The console's routes, with the node's state; merged into the API's router by the node.
pub fn router(state: AppState, console: ConsoleState) -> Router {
    let pages = [
        "/",
        "/catalogue",
        "/query",
        "/sensors",
        "/kpis",
        "/access",
        "/audit",
        "/members/{peer}/datasets/{id}",
    ];
    let mut router = Router::new();
    for page in pages {
        router = router.route(page, get(assets::page));
    }
    router
        .route("/console/{file}", get(assets::file))
        .route("/catalog", get(pages::catalog))
        .route("/dataset/{id}", get(pages::dataset))
        .route("/dataset/{id}/{*part}", get(pages::dataset_part))
        .route("/publisher", get(pages::node_resource))
        .route("/contact", get(pages::node_resource))
        .route("/sparql/description", get(pages::sparql_description))
        .route("/resolve", get(pages::resolve))
        .route("/api/console/session", get(session::session))
        .route("/api/console/overview", get(overview::overview))
        .route("/api/console/catalogue", get(search::search))
        .route("/api/console/datasets/{peer}/{id}", get(dataset::detail))
        .route(
            "/api/console/datasets/{peer}/{id}/preview",
            get(dataset::preview),
        )
        .route("/api/console/sensors", get(sensors::sensors))
        .route("/api/console/sensors/series", get(sensors::series))
        .route("/api/console/live", get(sensors::live))
        .route("/api/console/kpis", get(kpis::list).post(kpis::create))
        .route(
            "/api/console/kpis/{id}",
            axum::routing::delete(kpis::delete),
        )
        .route("/api/console/kpis/{id}/compare", post(kpis::compare))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(crate::http::caller::request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(axum::Extension(console))
        .with_state(state)
}

/// Counts SPARQL requests (local, federated and to one member) for the home page's KPI.
pub async fn count_queries(
    axum::Extension(console): axum::Extension<ConsoleState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    if path == "/sparql" || path == "/api/remote/sparql" {
        console.query_served();
    }
    next.run(request).await
}
