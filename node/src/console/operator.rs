//! Operators are whoever sends the node's admin token (kept by the console in session
//! storage, sent as `Authorization: Bearer`, never in a URL); everyone else is a visitor.

use crate::http::{ApiError, AppState, bearer_token};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The console's own state: settings and the counters the home page shows; cheap to clone.
#[derive(Clone)]
pub struct ConsoleState {
    inner: Arc<Inner>,
}

struct Inner {
    served: AtomicU64,
    started: Instant,
    tile_url: Option<String>,
    public_base: String,
    /// Observations stored today and when they were counted (counting scans the store).
    today: std::sync::Mutex<Option<(Instant, u64)>>,
}

/// How long a count of today's observations is reused.
const TODAY_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl ConsoleState {
    /// Settings from the configuration: the public base URL and an optional tile URL.
    pub fn new(public_base: String, tile_url: Option<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                served: AtomicU64::new(0),
                started: Instant::now(),
                tile_url,
                public_base,
                today: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Counts one SPARQL request.
    pub fn query_served(&self) {
        self.inner.served.fetch_add(1, Ordering::Relaxed);
    }

    /// SPARQL requests since the node started.
    pub fn queries_served(&self) -> u64 {
        self.inner.served.load(Ordering::Relaxed)
    }

    /// Seconds since the node started.
    pub fn uptime_secs(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    /// The map tile URL template, if configured.
    pub fn tile_url(&self) -> Option<&str> {
        self.inner.tile_url.as_deref()
    }

    /// The count of today's observations if it is recent enough.
    pub fn cached_today(&self) -> Option<u64> {
        let held = *self.inner.today.lock().unwrap_or_else(|e| e.into_inner());
        held.filter(|(at, _)| at.elapsed() < TODAY_TTL)
            .map(|(_, n)| n)
    }

    /// Keeps a fresh count of today's observations.
    pub fn remember_today(&self, count: u64) {
        *self.inner.today.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), count));
    }

    /// The public base URL (ends in `/`).
    pub fn public_base(&self) -> &str {
        &self.inner.public_base
    }
}

/// Whether the request comes from an operator: no token is a visitor, the right token an
/// operator, a wrong one is refused (403) rather than silently treated as a visitor.
pub fn is_operator(state: &AppState, headers: &HeaderMap) -> Result<bool, ApiError> {
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Ok(false);
    }
    match bearer_token(headers) {
        Some(token) if state.admin_token.matches(token) => Ok(true),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the bearer token is not this node's admin token",
        )),
    }
}

/// What `/api/console/session` answers.
#[derive(Serialize)]
pub struct Session {
    operator: bool,
}

/// `GET /api/console/session`: checks a token the sign-in form was given.
#[tracing::instrument(skip_all)]
pub async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(Session {
        operator: is_operator(&state, &headers)?,
    }))
}
