//! hanse's fuzz targets: [`harness`] runs the demo consortium in process, [`targets`] holds
//! each target's body; `fuzz_targets/` hands libFuzzer's inputs to them.

pub mod harness;
pub mod targets;
