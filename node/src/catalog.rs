//! The catalogue: datasets, their statistics, the signed DCAT-AP catalogue and the
//! federated catalogue of every member.
//!
//! | module | concern |
//! |---|---|
//! | [`iris`] | the `hanse://<PeerId>/…` IRIs a node mints, and their HTTP(S) names |
//! | [`dataset`] | dataset definitions (metadata + ODRL offer) in sled |
//! | [`stats`] | VoID statistics computed from the store |
//! | [`dcat`] | the DCAT-AP 3.0.1 graph |
//! | [`signing`] | RDFC-1.0 + Ed25519 Data Integrity proofs (`eddsa-rdfc-2022`) |
//! | [`federated`] | members' verified catalogues, filters, rejections |
//! | [`verify_budget`] | how much verification time each peer may cost this node |
//! | [`quality`] | a metadata-quality score per dataset (after the EU portal's MQA) |
//! | [`service`] | the task that publishes, gossips, fetches and answers |

pub mod dataset;
pub mod dcat;
pub mod federated;
pub mod iris;
pub mod quality;
pub mod service;
pub mod signing;
pub mod stats;
pub mod verify_budget;

pub use dataset::{AccessRights, DatasetDefinition, DatasetError, DatasetRegistry, Text};
pub use federated::{DatasetFilter, FederatedCatalog, FederatedDataset, Rejection};
pub use iris::NodeIris;
pub use service::{CATALOG_TOPIC, CatalogError, CatalogParts, CatalogService, MAX_BACKGROUND};
pub use signing::{SignatureError, SignedCatalog};
pub use stats::{BoundingBox, DatasetStatistics};
