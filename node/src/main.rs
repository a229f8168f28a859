//! The `hanse` binary: parse arguments, run the command, report errors with their causes.

use clap::Parser;
use hanse_node::cli::{Cli, run};
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: with the node's many small, short-lived allocations
/// (terms, JSON, index keys) glibc's took an eighth of the CPU of a batch upsert.
#[cfg(feature = "rocksdb")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
