//! End-to-end tests: real nodes, real sockets, on loopback. One test binary so the
//! heavy dependencies are linked once.

mod access;
mod aggregates;
mod catalogue;
mod console;
mod federation;
mod flood;
mod fuzz_seeds;
mod gate;
mod hostile;
mod http_api;
mod ingest;
mod malformed;
mod network;
mod ngsi_ld;
mod ngsi_ld_temporal;
mod ogc_features;
mod p2p_frames;
mod support;
