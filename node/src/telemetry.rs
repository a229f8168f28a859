//! Logging setup: `tracing` to stderr, as text or JSON, filtered by `log.level` / `HANSE_LOG`.

use crate::config::{LogFormat, LogSection};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Calling it twice keeps the first one (tests may race).
pub fn init(log: &LogSection) -> Result<(), String> {
    let filter = EnvFilter::try_new(&log.level)
        .map_err(|e| format!("invalid log.level `{}`: {e}", log.level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // An already-installed subscriber is fine; anything else was reported above.
    let _ = result;
    Ok(())
}
