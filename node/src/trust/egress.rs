//! Where the node may call out on a caller's behalf (`[egress] allow`): user `@context`
//! documents, `SERVICE` endpoints and notification endpoints all pass this one check, and
//! the HTTP clients that fetch them follow a redirect only to an allowed URL too. Without
//! it, anyone who can reach the node could make it fetch a URL of their choosing (inside the
//! city's network, say).

use crate::config::EgressSection;
use reqwest::Url;
use std::sync::Arc;
use std::time::Duration;

/// Most redirects followed (each to an allowed URL).
const MAX_REDIRECTS: usize = 3;

/// Why the node will not fetch a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EgressDenied {
    /// Not an absolute http(s) URL.
    #[error("`{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    /// The configuration does not list it.
    #[error(
        "this node fetches only URLs its operator allowed (egress.allow in hanse.toml), and `{0}` is not among them"
    )]
    NotAllowed(String),
}

/// The allowed URLs; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    allow: Arc<Vec<Url>>,
}

impl Egress {
    /// The policy `egress.allow` describes (entries were checked when the file was loaded;
    /// one that does not parse allows nothing).
    pub fn new(section: &EgressSection) -> Self {
        Self::allowing(section.allow.iter().map(String::as_str))
    }

    /// A policy allowing `urls` (prefixes ending in `/`, or exact URLs).
    pub fn allowing<'a>(urls: impl IntoIterator<Item = &'a str>) -> Self {
        let allow = urls
            .into_iter()
            .filter_map(|entry| Url::parse(entry).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .collect();
        Self {
            allow: Arc::new(allow),
        }
    }

    /// Whether `url` may be fetched: same scheme, host and port as an entry, and a path
    /// under the entry's (which ends in `/`) or equal to it, with the same query then.
    pub fn allows(&self, url: &Url) -> bool {
        self.allow.iter().any(|entry| {
            entry.scheme() == url.scheme()
                && entry.host_str() == url.host_str()
                && entry.port_or_known_default() == url.port_or_known_default()
                && if entry.path().ends_with('/') {
                    url.path().starts_with(entry.path())
                } else {
                    entry.path() == url.path() && entry.query() == url.query()
                }
        })
    }

    /// The parsed URL if the node may fetch it.
    pub fn check(&self, url: &str) -> Result<Url, EgressDenied> {
        let parsed = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| EgressDenied::NotHttp(url.to_owned()))?;
        if self.allows(&parsed) {
            Ok(parsed)
        } else {
            Err(EgressDenied::NotAllowed(url.to_owned()))
        }
    }

    /// An HTTP client bounded by `timeout` that follows at most three redirects, each only
    /// to an allowed URL.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        let policy = self.clone();
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if policy.allows(attempt.url()) {
                    attempt.follow()
                } else {
                    let url = attempt.url().to_string();
                    attempt.error(EgressDenied::NotAllowed(url))
                }
            }))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_urls_pass() {
        let egress = Egress::allowing([
            "https://contexts.example.org/ld/",
            "http://sparql.example.org:8890/sparql",
        ]);
        for fine in [
            "https://contexts.example.org/ld/context.jsonld",
            "https://CONTEXTS.example.org:443/ld/a/b",
            "http://sparql.example.org:8890/sparql",
        ] {
            assert!(egress.check(fine).is_ok(), "{fine}");
        }
        for refused in [
            "https://contexts.example.org/other",
            "https://contexts.example.org.evil.net/ld/x",
            "http://contexts.example.org/ld/x",
            "https://contexts.example.org:8443/ld/x",
            "http://sparql.example.org:8890/sparql2",
            "http://sparql.example.org:8890/sparql?x=1",
            "http://127.0.0.1:7878/api/audit",
        ] {
            assert!(
                matches!(egress.check(refused), Err(EgressDenied::NotAllowed(_))),
                "{refused}"
            );
        }
        for junk in ["file:///etc/passwd", "not a url", "gopher://x/"] {
            assert!(
                matches!(egress.check(junk), Err(EgressDenied::NotHttp(_))),
                "{junk}"
            );
        }
        assert!(Egress::default().check("https://example.org/").is_err());
    }
}

/// Why a bounded fetch gave no document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The request failed or the answer was not a success.
    #[error("{0}")]
    Failed(String),
    /// The document is larger than allowed.
    #[error("larger than {0} bytes")]
    TooLarge(usize),
}

/// Sends `request` and reads the body of a success answer, at most `max` bytes: every
/// document the node fetches (an issuer's keys, a user's `@context`) is bounded while it
/// arrives, not after.
pub async fn fetch_bounded(
    request: reqwest::RequestBuilder,
    max: usize,
) -> Result<Vec<u8>, FetchError> {
    let failed = |e: reqwest::Error| FetchError::Failed(e.to_string());
    let mut response = request.send().await.map_err(failed)?;
    if !response.status().is_success() {
        return Err(FetchError::Failed(format!("HTTP {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > max {
            return Err(FetchError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
