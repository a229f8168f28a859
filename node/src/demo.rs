//! The demo consortium `hanse demo` starts: six members on loopback with deterministic data,
//! live simulated sensors over an embedded MQTT broker, and one agreement.
//!
//! | module | concern |
//! |---|---|
//! | [`members`] | the six members, their datasets, offers and starting data |
//! | [`consortium`] | starting and stopping the six nodes, membership and the agreement |
//! | [`sensors`] | the live MQTT sensors and their source mappings |
//! | [`data`] | deterministic sample data for the demo and benchmarks |
//! | [`mqtt_broker`] | the embedded MQTT broker of the demo and tests |
//! | [`kpis`] | the demo members' KPIs (U4SSC-style indicators) |

pub mod consortium;
pub mod data;
pub mod kpis;
pub mod members;
pub mod mqtt_broker;
pub mod sensors;
