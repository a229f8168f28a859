//! Signing people in to the console through the OIDC issuer: the authorization code flow
//! with PKCE (RFC 7636) for a public client, so no client secret sits on the node.
//!
//! `GET /auth/login` sends the browser to the issuer with a fresh `state` and code
//! challenge; `GET /auth/callback` takes the code back, exchanges it with the verifier at
//! the token endpoint, verifies the access token like any bearer token, and hands it to the
//! console, which keeps it in session storage as it keeps a personal token. Pending
//! sign-ins are bounded in number and age.

use super::{ApiError, AppState};
use crate::trust::oidc::OidcVerifier;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sign-ins waiting for the issuer's answer at once.
const MAX_PENDING: usize = 1024;
/// How long a sign-in may take at the issuer.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Time limit and largest answer of the token endpoint.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

struct Pending {
    verifier: String,
    started: Instant,
    back_to: String,
}

/// Sign-ins under way; cheap to clone.
#[derive(Clone, Default)]
pub struct SignIns {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

impl SignIns {
    fn start(&self, back_to: String) -> Result<(String, String), ApiError> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many sign-ins under way; try again in a few minutes",
            ));
        }
        let state = random(16);
        let verifier = random(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        pending.insert(
            state.clone(),
            Pending {
                verifier,
                started: Instant::now(),
                back_to,
            },
        );
        Ok((state, challenge))
    }

    fn finish(&self, state: &str) -> Option<Pending> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_FOR)
    }
}

fn random(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// `?back=` of `/auth/login`: the console page to return to.
#[derive(Deserialize)]
pub struct Login {
    back: Option<String>,
}

fn verifier(state: &AppState) -> Result<&OidcVerifier, ApiError> {
    state
        .people
        .oidc()
        .filter(|o| o.config().sign_in())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "this node signs nobody in through an issuer: [oidc] needs issuer, client_id, authorization_endpoint and token_endpoint",
            )
        })
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}auth/callback", state.info.public_base)
}

/// `GET /auth/login?back=/path`: to the issuer's sign-in page.
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    Query(login): Query<Login>,
) -> Result<Response, ApiError> {
    let oidc = verifier(&state)?.config();
    // Only a path of this console, never another site.
    let back = login
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let (csrf, challenge) = state.sign_ins.start(back)?;
    let mut url = reqwest::Url::parse(oidc.authorization_endpoint.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", oidc.client_id.as_deref().unwrap_or_default())
        .append_pair("redirect_uri", &redirect_uri(&state))
        .append_pair("scope", &oidc.scopes)
        .append_pair("state", &csrf)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(Redirect::to(url.as_str()).into_response())
}

/// `?code=&state=` (or `?error=`) of `/auth/callback`.
#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: exchanges the code, verifies the token and hands it to the console.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    Query(answer): Query<Callback>,
) -> Result<Response, ApiError> {
    let oidc = verifier(&state)?;
    if let Some(error) = answer.error {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "the issuer did not sign you in: {error} {}",
                answer.error_description.unwrap_or_default()
            ),
        ));
    }
    let (Some(code), Some(csrf)) = (answer.code, answer.state) else {
        return Err(ApiError::bad_request(
            "the issuer's answer has no code and state",
        ));
    };
    let pending = state.sign_ins.finish(&csrf).ok_or_else(|| {
        ApiError::bad_request("this sign-in is unknown or took longer than 10 minutes: start again")
    })?;
    let token = exchange(&state, oidc, &code, &pending.verifier).await?;
    let person = oidc
        .verify(&token)
        .await
        .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, e.to_string()))?;
    tracing::info!(person = %person.name, roles = %person.roles, "signed in through the issuer");
    Ok(hand_over(&token, &pending.back_to))
}

/// The code for an access token at the token endpoint.
async fn exchange(
    state: &AppState,
    oidc: &OidcVerifier,
    code: &str,
    verifier: &str,
) -> Result<String, ApiError> {
    let config = oidc.config();
    let endpoint = config.token_endpoint.as_deref().unwrap_or_default();
    let failed = |why: String| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("the issuer's token endpoint {endpoint}: {why}"),
        )
    };
    // The operator configured the token endpoint, so it is allowed whatever egress.allow says.
    let client = crate::trust::egress::Egress::allowing([endpoint])
        .client(EXCHANGE_TIMEOUT)
        .map_err(|e| failed(e.to_string()))?;
    let redirect = redirect_uri(state);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
        ("client_id", config.client_id.as_deref().unwrap_or_default()),
        ("code_verifier", verifier),
    ];
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut response = client
        .post(endpoint)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let status = response.status();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if bytes.len() + chunk.len() > MAX_TOKEN_RESPONSE {
            return Err(failed(format!(
                "answer larger than {MAX_TOKEN_RESPONSE} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        return Err(failed(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
                .chars()
                .take(300)
                .collect::<String>()
        )));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| failed(format!("not JSON: {e}")))?;
    json.get("access_token")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| failed("no access_token in the answer".into()))
}

/// A page that puts the token into the console's session storage and goes back; the
/// token travels in the page, never in a URL.
fn hand_over(token: &str, back_to: &str) -> Response {
    let attribute = |text: &str| {
        text.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title>\
         <meta name=\"hanse-token\" content=\"{}\"><meta name=\"hanse-back\" content=\"{}\">\
         <script type=\"module\" src=\"/console/signed-in.js\"></script></head>\
         <body><p>Signed in. <a href=\"{}\">Continue</a></p></body></html>",
        attribute(token),
        attribute(back_to),
        attribute(back_to),
    );
    let mut response = (StatusCode::OK, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
