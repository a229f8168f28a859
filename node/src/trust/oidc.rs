//! Single sign-on: bearer JWTs from the configured OpenID Connect issuer (`[oidc]`), checked
//! against the issuer's signing keys (a JWKS file, or a URL fetched and cached), its `iss`,
//! the node's `aud`, `exp` and `nbf`; the roles claim is mapped to hanse roles.
//!
//! Only asymmetric algorithms are accepted (RSA, RSA-PSS, ECDSA, EdDSA), and each key only
//! with its own family: a token signed with HMAC using the public key as secret, or with
//! `alg: none`, is refused.

use super::caller::{Credential, Person};
use super::egress::{Egress, fetch_bounded};
use super::roles::{Role, Roles};
use crate::config::OidcSection;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest JWKS document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Longest bearer JWT looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// A token naming an unknown key makes the node fetch the JWKS again at most this often.
const UNKNOWN_KEY_REFETCH: Duration = Duration::from_secs(30);
/// Time limit of a JWKS fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors setting OIDC up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The JWKS file cannot be read or is not a JWKS.
    #[error("cannot use the JWKS file {path} (oidc.jwks_file): {reason}")]
    JwksFile {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("OIDC HTTP client: {0}")]
    Client(String),
    /// A configured role is not a role.
    #[error("oidc.roles / oidc.default_roles: {0}")]
    Role(String),
}

/// Why a bearer JWT was not accepted; every variant is a 401 for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRefused {
    /// Not a JWT, or one this node cannot read.
    #[error("the bearer token is not a readable JWT: {0}")]
    Malformed(String),
    /// A symmetric or unknown algorithm.
    #[error("the token is signed with {0:?}; this node accepts only RS*, PS*, ES* and EdDSA")]
    Algorithm(Algorithm),
    /// No key of the issuer matches.
    #[error("no signing key of the issuer matches the token (kid {0:?})")]
    UnknownKey(Option<String>),
    /// The signature does not verify.
    #[error("the token's signature does not verify against the issuer's key")]
    BadSignature,
    /// Past `exp`.
    #[error("the token expired; sign in again")]
    Expired,
    /// Before `nbf`.
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// Another issuer.
    #[error("the token was issued by another issuer than oidc.issuer")]
    WrongIssuer,
    /// Meant for another service.
    #[error("the token is not meant for this node (aud is not oidc.audience)")]
    WrongAudience,
    /// Other claims are missing or wrong.
    #[error("the token's claims are not acceptable: {0}")]
    Claims(String),
    /// The issuer's keys could not be fetched.
    #[error("the issuer's signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

struct Keys {
    set: Option<JwkSet>,
    fetched: Option<Instant>,
}

struct Inner {
    config: OidcSection,
    keys: Mutex<Keys>,
    http: reqwest::Client,
    /// Serialises fetches, so a burst of tokens fetches the JWKS once.
    fetching: tokio::sync::Mutex<()>,
}

/// Verifies bearer JWTs of the configured issuer; cheap to clone.
#[derive(Clone)]
pub struct OidcVerifier {
    inner: Arc<Inner>,
}

fn lock(keys: &Mutex<Keys>) -> std::sync::MutexGuard<'_, Keys> {
    // The cache holds no invariant a panic could break halfway.
    keys.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl OidcVerifier {
    /// The verifier `config` describes, or `None` when OIDC is off. A JWKS file is read now;
    /// a JWKS URL is fetched on the first token.
    pub fn new(config: &OidcSection, root: &Path) -> Result<Option<Self>, OidcError> {
        if !config.enabled() {
            return Ok(None);
        }
        // Checked here, not in `config` (which knows no roles): a mistyped role would
        // otherwise be dropped silently from every token.
        for role in config.roles.values().flatten().chain(&config.default_roles) {
            role.parse::<Role>()
                .map_err(|e| OidcError::Role(e.to_string()))?;
        }
        let set = match &config.jwks_file {
            Some(file) => {
                let path = root.join(file);
                let failed = |reason: String| OidcError::JwksFile {
                    path: path.clone(),
                    reason,
                };
                let text = std::fs::read_to_string(&path).map_err(|e| failed(e.to_string()))?;
                Some(serde_json::from_str::<JwkSet>(&text).map_err(|e| failed(e.to_string()))?)
            }
            None => None,
        };
        // The operator configured the JWKS URL, so it is allowed whatever egress.allow says.
        let egress = Egress::allowing(config.jwks_url.iter().map(String::as_str));
        let http = egress
            .client(FETCH_TIMEOUT)
            .map_err(|e| OidcError::Client(e.to_string()))?;
        Ok(Some(Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                keys: Mutex::new(Keys {
                    fetched: set.as_ref().map(|_| Instant::now()),
                    set,
                }),
                http,
                fetching: tokio::sync::Mutex::new(()),
            }),
        }))
    }

    /// Whether a bearer token is shaped like a JWT (three base64url parts).
    pub fn looks_like_jwt(token: &str) -> bool {
        token.len() <= MAX_TOKEN_BYTES
            && token.split('.').count() == 3
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    }

    /// The settings.
    pub fn config(&self) -> &OidcSection {
        &self.inner.config
    }

    /// The person a bearer JWT names, with the roles its claims map to.
    pub async fn verify(&self, token: &str) -> Result<Person, TokenRefused> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenRefused::Malformed(format!(
                "longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let header = decode_header(token).map_err(|e| TokenRefused::Malformed(e.to_string()))?;
        if !asymmetric(header.alg) {
            return Err(TokenRefused::Algorithm(header.alg));
        }
        let jwk = self.key(header.kid.as_deref(), header.alg).await?;
        let key =
            DecodingKey::from_jwk(&jwk).map_err(|e| TokenRefused::Malformed(e.to_string()))?;
        if family(&jwk) != Some(family_of(header.alg)) {
            return Err(TokenRefused::UnknownKey(header.kid));
        }
        let config = &self.inner.config;
        let mut validation = Validation::new(header.alg);
        validation.leeway = config.leeway_secs;
        validation.validate_nbf = true;
        validation.set_issuer(&[config.issuer.as_deref().unwrap_or_default()]);
        validation.set_audience(&[config.audience.as_deref().unwrap_or_default()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(refusal)?
            .claims;
        self.person(&claims)
    }

    /// Maps verified claims to a person.
    fn person(&self, claims: &Value) -> Result<Person, TokenRefused> {
        let config = &self.inner.config;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| TokenRefused::Claims("no `sub`".into()))?;
        let name = claim(claims, &config.name_claim)
            .and_then(Value::as_str)
            .unwrap_or(subject);
        let mut roles: Vec<Role> = config
            .default_roles
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        let values: Vec<&str> = match claim(claims, &config.roles_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(one)) => one.split_whitespace().collect(),
            _ => Vec::new(),
        };
        for value in values {
            if let Some(mapped) = config.roles.get(value) {
                roles.extend(mapped.iter().filter_map(|r| r.parse::<Role>().ok()));
            }
        }
        Ok(Person {
            name: name.chars().take(128).collect(),
            credential: Credential::Oidc {
                issuer: config.issuer.clone().unwrap_or_default(),
                subject: subject.chars().take(256).collect(),
            },
            roles: roles.into_iter().collect::<Roles>(),
        })
    }

    /// The issuer's key for `kid` (or its only key of the algorithm's family), fetching the
    /// JWKS when none is cached, when it is stale, or (at most every 30 s) when the token
    /// names a key the cache does not hold.
    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk, TokenRefused> {
        let refresh = Duration::from_secs(self.inner.config.jwks_refresh_secs.max(1));
        let (found, age) = {
            let keys = lock(&self.inner.keys);
            (
                keys.set.as_ref().and_then(|set| pick(set, kid, alg)),
                keys.fetched.map(|at| at.elapsed()),
            )
        };
        let url = self.inner.config.jwks_url.as_deref();
        let stale = age.is_none_or(|age| age > refresh);
        let retry_unknown = found.is_none() && age.is_none_or(|age| age > UNKNOWN_KEY_REFETCH);
        match (url, found) {
            (Some(url), found) if stale || retry_unknown => {
                match self.fetch(url).await {
                    Ok(set) => {
                        let key = pick(&set, kid, alg);
                        let mut keys = lock(&self.inner.keys);
                        keys.set = Some(set);
                        keys.fetched = Some(Instant::now());
                        key.ok_or_else(|| TokenRefused::UnknownKey(kid.map(str::to_owned)))
                    }
                    // A stale cache still verifies while the issuer is unreachable.
                    Err(e) => found.ok_or(e),
                }
            }
            (_, Some(key)) => Ok(key),
            (_, None) => Err(TokenRefused::UnknownKey(kid.map(str::to_owned))),
        }
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, TokenRefused> {
        let _one = self.inner.fetching.lock().await;
        let unavailable = |why: String| TokenRefused::KeysUnavailable(format!("{url}: {why}"));
        tracing::info!(%url, "fetching the OIDC issuer's signing keys");
        let body = fetch_bounded(self.inner.http.get(url), MAX_JWKS_BYTES)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| unavailable(format!("not a JWKS: {e}")))
    }
}

/// A claim by name or dotted path (`realm_access.roles`).
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(direct) = claims.get(path) {
        return Some(direct);
    }
    path.split('.')
        .try_fold(claims, |value, part| value.get(part))
}

fn asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

#[derive(Debug, PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
    Ed,
}

fn family_of(alg: Algorithm) -> Family {
    match alg {
        Algorithm::ES256 | Algorithm::ES384 => Family::Ec,
        Algorithm::EdDSA => Family::Ed,
        _ => Family::Rsa,
    }
}

fn family(jwk: &Jwk) -> Option<Family> {
    match jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Family::Rsa),
        AlgorithmParameters::EllipticCurve(_) => Some(Family::Ec),
        AlgorithmParameters::OctetKeyPair(_) => Some(Family::Ed),
        // Symmetric keys never verify a token here.
        AlgorithmParameters::OctetKey(_) => None,
    }
}

/// The key named `kid`, or without a kid the only key of the algorithm's family.
fn pick(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None => {
            let mut candidates = set
                .keys
                .iter()
                .filter(|k| family(k) == Some(family_of(alg)));
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only.clone()),
                _ => None,
            }
        }
    }
}

fn refusal(error: jsonwebtoken::errors::Error) -> TokenRefused {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => TokenRefused::BadSignature,
        ErrorKind::ExpiredSignature => TokenRefused::Expired,
        ErrorKind::ImmatureSignature => TokenRefused::NotYetValid,
        ErrorKind::InvalidIssuer => TokenRefused::WrongIssuer,
        ErrorKind::InvalidAudience => TokenRefused::WrongAudience,
        ErrorKind::MissingRequiredClaim(c) => TokenRefused::Claims(format!("no `{c}`")),
        _ => TokenRefused::Malformed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::test_issuer::TestIssuer;

    const ISSUER: &str = "https://login.example.org/realms/city";

    fn verifier(issuer: &TestIssuer) -> (tempfile::TempDir, OidcVerifier) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jwks.json"), issuer.jwks().to_string()).unwrap();
        let mut config = OidcSection {
            issuer: Some(ISSUER.into()),
            audience: Some("hanse".into()),
            jwks_file: Some("jwks.json".into()),
            ..OidcSection::default()
        };
        config.roles.insert(
            "analysts".into(),
            vec!["reader".into(), "researcher:dpv:ScientificResearch".into()],
        );
        config.check().unwrap();
        let verifier = OidcVerifier::new(&config, dir.path()).unwrap().unwrap();
        (dir, verifier)
    }

    #[test]
    fn a_mistyped_role_stops_the_verifier() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("jwks.json"), r#"{"keys":[]}"#).unwrap();
        let mut config = OidcSection {
            issuer: Some(ISSUER.into()),
            audience: Some("hanse".into()),
            jwks_file: Some("jwks.json".into()),
            ..OidcSection::default()
        };
        config.default_roles = vec!["reseacher".into()];
        let error = OidcVerifier::new(&config, dir.path()).err().unwrap();
        assert!(matches!(error, OidcError::Role(_)), "{error}");
        assert!(error.to_string().contains("reseacher"), "{error}");
    }

    #[tokio::test]
    async fn valid_tokens_name_a_person_with_mapped_roles() {
        let issuer = TestIssuer::new(ISSUER, 7);
        let (_dir, verifier) = verifier(&issuer);
        let token = issuer.token("alice", "hanse", &["analysts", "other"], 300);
        assert!(OidcVerifier::looks_like_jwt(&token));
        let person = verifier.verify(&token).await.unwrap();
        assert_eq!(person.name, "alice");
        assert_eq!(
            person.credential,
            Credential::Oidc {
                issuer: ISSUER.into(),
                subject: "alice".into()
            }
        );
        assert_eq!(
            person.roles.to_string(),
            "reader, researcher:dpv:ScientificResearch"
        );
        let plain = issuer.token("bob", "hanse", &[], 300);
        assert!(verifier.verify(&plain).await.unwrap().roles.is_empty());
    }

    #[tokio::test]
    async fn expired_foreign_and_forged_tokens_are_refused() {
        let issuer = TestIssuer::new(ISSUER, 7);
        let (_dir, verifier) = verifier(&issuer);
        let refused = |token: String| {
            let verifier = verifier.clone();
            async move { verifier.verify(&token).await.unwrap_err() }
        };
        assert_eq!(
            refused(issuer.token("a", "hanse", &[], -600)).await,
            TokenRefused::Expired
        );
        assert_eq!(
            refused(issuer.token("a", "other-service", &[], 300)).await,
            TokenRefused::WrongAudience
        );
        let elsewhere = TestIssuer::new("https://evil.example/", 7);
        assert_eq!(
            refused(elsewhere.token("a", "hanse", &[], 300)).await,
            TokenRefused::WrongIssuer
        );
        // Another key under the same kid: the signature fails.
        let mut impostor = TestIssuer::new(ISSUER, 9);
        impostor.kid = issuer.kid.clone();
        assert_eq!(
            refused(impostor.token("a", "hanse", &[], 300)).await,
            TokenRefused::BadSignature
        );
        // An HMAC token is refused before any key is tried.
        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &serde_json::json!({"iss": ISSUER, "sub": "a", "aud": "hanse", "exp": 9_999_999_999u64}),
            &jsonwebtoken::EncodingKey::from_secret(b"public key as secret"),
        )
        .unwrap();
        assert_eq!(
            refused(hmac).await,
            TokenRefused::Algorithm(Algorithm::HS256)
        );
        assert!(matches!(
            refused("a.b.c".into()).await,
            TokenRefused::Malformed(_)
        ));
    }
}
