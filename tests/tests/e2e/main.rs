//! End-to-end tests: real nodes, real sockets, on loopback. One test binary so the
//! heavy dependencies are linked once.

mod access;
mod aggregates;
mod catalogue;
mod federation;
mod hostile;
mod http_api;
mod ingest;
mod network;
mod support;
