//! The NGSI-LD API's routes under `/ngsi-ld/v1`: thin adapters over
//! [`crate::ngsi_ld::NgsiLdService`] (every route also answers with a trailing slash, as
//! clients and the ETSI suite send both).
//!
//! | module | routes |
//! |---|---|
//! | `request` | the caller's rights, @context, media types, bounded JSON bodies, answers |
//! | `entities` | `/entities`, `/entities/{id}`, `/entities/{id}/attrs[/{attr}]` |
//! | `batch` | `/entityOperations/{create,upsert,update,delete,query}` |
//! | `temporal` | `/temporal/entities[/{id}]`: entities' histories |
//! | `unsupported` | the common checks, then 501, for endpoints not implemented yet |
//! | `discovery` | `/types`, `/types/{type}`, `/attributes`, `/attributes/{attr}` |

mod batch;
mod discovery;
mod entities;
mod request;
mod temporal;
mod unsupported;

pub use request::caller_rights;

/// An NGSI-LD error as its ProblemDetails answer.
pub fn problem(error: crate::ngsi_ld::NgsiLdError) -> axum::response::Response {
    axum::response::IntoResponse::into_response(request::Problem(error))
}

use super::AppState;
use axum::Router;
use axum::routing::{MethodRouter, get, post};

fn both(router: Router<AppState>, path: &str, route: MethodRouter<AppState>) -> Router<AppState> {
    router
        .route(path, route.clone())
        .route(&format!("{path}/"), route)
}

/// The routes, to be nested under `/ngsi-ld/v1`.
pub fn routes() -> Router<AppState> {
    let router = Router::new();
    let router = both(
        router,
        "/entities",
        get(entities::query).post(entities::create),
    );
    let router = both(
        router,
        "/entities/{id}",
        get(entities::retrieve).delete(entities::delete),
    );
    let router = both(
        router,
        "/entities/{id}/attrs",
        post(entities::append).patch(entities::update),
    );
    let router = both(
        router,
        "/entities/{id}/attrs/{attr}",
        axum::routing::patch(entities::patch_attribute).delete(entities::delete_attribute),
    );
    let router = both(router, "/entityOperations/{op}", post(batch::operation));
    let router = both(router, "/types", get(discovery::types));
    let router = both(router, "/types/{name}", get(discovery::type_info));
    let router = both(router, "/attributes", get(discovery::attribute_list));
    let router = both(router, "/attributes/{name}", get(discovery::attribute));
    // The temporal API's other operations are not built yet: 501, as for the unknown.
    let router = both(
        router,
        "/temporal/entities",
        get(temporal::query).fallback(unsupported::fallback),
    );
    let router = both(
        router,
        "/temporal/entityOperations/query",
        post(temporal::query_by_body),
    );
    let router = both(
        router,
        "/temporal/entities/{id}",
        get(temporal::retrieve).fallback(unsupported::fallback),
    );
    router.fallback(unsupported::fallback)
}
