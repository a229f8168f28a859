//! `[egress]`: where the node may call out over HTTP on a caller's behalf.

use serde::{Deserialize, Serialize};

/// `[egress]`: the URLs the node may fetch: user `@context` documents, `SERVICE`
/// endpoints, notification endpoints. Nothing else is fetched because a request asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EgressSection {
    /// URL prefixes (`https://contexts.example.org/`) or exact URLs
    /// (`https://query.wikidata.org/sparql`); scheme, host and port must match exactly, the
    /// path must start with the prefix's. Empty by default: the node fetches nothing.
    pub allow: Vec<String>,
}

impl EgressSection {
    /// Every entry must be an absolute http(s) URL.
    pub fn check(&self) -> Result<(), super::ConfigError> {
        for entry in &self.allow {
            let parsed = reqwest::Url::parse(entry).ok();
            let fine = parsed.as_ref().is_some_and(|url| {
                matches!(url.scheme(), "http" | "https") && url.host_str().is_some()
            });
            if !fine {
                return Err(super::ConfigError::Invalid {
                    key: "egress.allow",
                    message: format!(
                        "`{entry}` is not an absolute http:// or https:// URL (a prefix such as https://contexts.example.org/)"
                    ),
                });
            }
        }
        Ok(())
    }
}
