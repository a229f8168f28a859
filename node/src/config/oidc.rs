//! `[oidc]`: single sign-on with the city's identity provider (Keycloak, Azure AD, a national
//! eID): bearer JWTs from one issuer, verified against its keys, their claims mapped to roles.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `[oidc]`: bearer JWTs from one OpenID Connect issuer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OidcSection {
    /// The issuer (`iss` of every accepted token), e.g.
    /// `https://login.mechelen.be/realms/city`. Without it, OIDC is off.
    pub issuer: Option<String>,
    /// The audience every accepted token must name (`aud`), e.g. `hanse`.
    pub audience: Option<String>,
    /// The issuer's signing keys as a JWKS file (relative to the node directory)…
    pub jwks_file: Option<PathBuf>,
    /// …or the URL the node fetches them from (cached, refreshed every
    /// `jwks_refresh_secs`, and when a token names an unknown key).
    pub jwks_url: Option<String>,
    /// How often the JWKS URL is fetched again, in seconds.
    pub jwks_refresh_secs: u64,
    /// The claim holding the person's groups or roles: a name, or a dotted path such as
    /// `realm_access.roles` (Keycloak).
    pub roles_claim: String,
    /// The claim the audit log names the person by (falls back to `sub`).
    pub name_claim: String,
    /// Claim value -> hanse roles, e.g. `"city-analysts" = ["reader"]`.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Roles every verified subject gets, whatever the claims say (default none).
    pub default_roles: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The console's client id at the issuer (public client, authorization code with PKCE);
    /// with the two endpoints below the console offers "Sign in with …".
    pub client_id: Option<String>,
    /// The issuer's authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// The issuer's token endpoint.
    pub token_endpoint: Option<String>,
    /// Scopes asked for at sign-in.
    pub scopes: String,
}

impl Default for OidcSection {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: None,
            jwks_file: None,
            jwks_url: None,
            jwks_refresh_secs: 300,
            roles_claim: "roles".into(),
            name_claim: "preferred_username".into(),
            roles: BTreeMap::new(),
            default_roles: Vec::new(),
            leeway_secs: 60,
            client_id: None,
            authorization_endpoint: None,
            token_endpoint: None,
            scopes: "openid profile".into(),
        }
    }
}

impl OidcSection {
    /// Whether bearer JWTs are accepted at all.
    pub fn enabled(&self) -> bool {
        self.issuer.is_some()
    }

    /// Whether the console can sign people in through the issuer.
    pub fn sign_in(&self) -> bool {
        self.enabled()
            && self.client_id.is_some()
            && self.authorization_endpoint.is_some()
            && self.token_endpoint.is_some()
    }
}

impl OidcSection {
    /// The issuer's settings must be complete and their roles known.
    pub fn check(&self) -> Result<(), super::ConfigError> {
        let invalid = |key, message: String| Err(super::ConfigError::Invalid { key, message });
        let Some(issuer) = &self.issuer else {
            if self.audience.is_some() || self.jwks_file.is_some() || self.jwks_url.is_some() {
                return invalid(
                    "oidc.issuer",
                    "oidc.audience and the JWKS are set but no oidc.issuer: tokens of which issuer?"
                        .into(),
                );
            }
            return Ok(());
        };
        let http_url = |text: &str| {
            reqwest::Url::parse(text)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        };
        if !http_url(issuer) {
            return invalid("oidc.issuer", format!("`{issuer}` is not an http(s) URL"));
        }
        if self.audience.as_deref().is_none_or(str::is_empty) {
            return invalid(
                "oidc.audience",
                "is required with oidc.issuer: a token meant for another service must not work here".into(),
            );
        }
        match (&self.jwks_file, &self.jwks_url) {
            (Some(_), None) => {}
            (None, Some(url)) if http_url(url) => {}
            (None, Some(url)) => {
                return invalid("oidc.jwks_url", format!("`{url}` is not an http(s) URL"));
            }
            _ => {
                return invalid(
                    "oidc.jwks_file / oidc.jwks_url",
                    "give exactly one: where the issuer's signing keys are".into(),
                );
            }
        }
        for (key, value) in [
            ("oidc.authorization_endpoint", &self.authorization_endpoint),
            ("oidc.token_endpoint", &self.token_endpoint),
        ] {
            if let Some(url) = value
                && !http_url(url)
            {
                return invalid(key, format!("`{url}` is not an http(s) URL"));
            }
        }
        Ok(())
    }
}
