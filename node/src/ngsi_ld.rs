//! The ETSI NGSI-LD API (GS CIM 009) over the node's RDF store: entities, attributes,
//! batch operations, queries (`q`, geo, paging), discovery and JSON-LD @contexts. One truth:
//! an entity is RDF in a dataset's named graph (see `entity_store` and docs/ngsi-ld.md),
//! read and written only through the graphs the access service grants a caller.
//!
//! | module | concern |
//! |---|---|
//! | [`service`] | [`NgsiLdService`]: reads, queries, blocking work under bounds |
//! | `writes` | create, replace, delete, attribute updates, batch operations |
//! | `discovery` | types and attributes |
//! | [`entity_store`] | entities as RDF: plain triples, GeoSPARQL, the state as sent; reading |
//! | [`entity_quads`] | an entity as quads, and writes that change only what changed |
//! | [`state`] | the state as sent (`hanse:ngsiLdState`) |
//! | [`model`] | the expanded entity form and payload checks |
//! | [`terms`] | values as RDF terms and back |
//! | [`context`] | active contexts: expanding and compacting terms |
//! | [`context_loader`] | embedded core contexts, user contexts fetched once and cached |
//! | [`q`] | the query language |
//! | `pushdown` | `q` tried on the plain triples before an entity is read |
//! | [`selectors`] | type expressions and `scopeQ` |
//! | [`georel`] | geo-queries against the spatial index |
//! | [`geojson`] | GeoJSON, `geo` geometries and WKT |
//! | [`query`] | query evaluation and paging |
//! | [`render`] | compacted output: normalized, keyValues, GeoJSON |
//! | [`temporal`] | the temporal API: histories from SOSA observations, aggregation |
//! | [`error`] | [`NgsiLdError`] and ProblemDetails |

mod claims;
pub mod context;
pub mod context_loader;
mod discovery;
pub mod entity_quads;
pub mod entity_store;
pub mod error;
pub mod geojson;
pub mod georel;
pub mod model;
mod pushdown;
pub mod q;
pub mod query;
pub mod render;
pub mod selectors;
pub mod service;
pub mod state;
pub mod temporal;
pub mod terms;
mod writes;

pub use discovery::{Catalogue, TypeInfo, attributes};
pub use error::NgsiLdError;
pub use service::{NgsiLdParts, NgsiLdService};
pub use writes::{BatchError, BatchOp, BatchOutcome, UpdateOutcome};
