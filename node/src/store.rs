//! The RDF store and everything that reads or writes it: SPARQL evaluation under the node's
//! limits, the Graph Store Protocol, bulk loading, RDF formats, in-memory solution tables,
//! and the sled database that holds the node's state beside its RDF data.
//!
//! | module | concern |
//! |---|---|
//! | [`sparql`] | SPARQL evaluation with timeout, result limit and concurrency bound |
//! | [`geo_index`] | the spatial index of GeoSPARQL geometries (R*-tree) |
//! | [`graph_store`] | atomic whole-graph reads and writes (Graph Store Protocol) |
//! | [`loader`] | atomic bulk loading of RDF files |
//! | [`nesting`] | how deeply an RDF document nests, checked before it is parsed |
//! | [`rdf_format`] | format detection from extensions, media types and names |
//! | [`solutions`] | tables of SPARQL solutions: wire form, joins, unions |
//! | [`state`] | the sled state database (agreements, audit log, dead letters, cursors) |
//! | [`visible`] | which named graphs a reader may see (decided by the access service) |
//! | [`subject_filter`] | which IRIs may be stored entities (a Bloom filter), so new ones are not read |

pub mod geo_index;
pub mod graph_store;
pub mod loader;
pub mod nesting;
pub mod observation_index;
pub mod rdf_format;
pub mod solutions;
pub mod sparql;
pub mod state;
pub mod subject_filter;
pub mod visible;
