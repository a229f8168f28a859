//! Errors while reading or checking `hanse.toml`.

use std::path::PathBuf;

/// Errors while reading or checking a configuration file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a field of the wrong type.
    #[error("invalid configuration in {path}: {message}")]
    Parse {
        /// The configuration file.
        path: PathBuf,
        /// What the TOML parser reported, with line and column.
        message: String,
    },
    /// A value is syntactically fine but not usable.
    #[error("invalid configuration value `{key}`: {message}")]
    Invalid {
        /// The dotted key, e.g. `sparql.max_result_rows`.
        key: &'static str,
        /// Why it is not usable.
        message: String,
    },
}
