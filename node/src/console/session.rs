//! The console's own state (settings, the home page's counters) and its session endpoint,
//! which tells the pages who the access service says the caller is. The pages keep a token
//! (personal, OIDC or the admin token) in session storage and send it as
//! `Authorization: Bearer`, never in a URL.

use crate::http::AppState;
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::HashMap;
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
    /// Observations stored today per graph (`*` for all graphs) and when they were counted
    /// (counting scans the store).
    today: std::sync::Mutex<HashMap<String, (Instant, u64)>>,
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
                today: std::sync::Mutex::new(HashMap::new()),
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

    /// The count of today's observations in `graph` (`*`: all) if it is recent enough.
    pub fn cached_today(&self, graph: &str) -> Option<u64> {
        let held = self.inner.today.lock().unwrap_or_else(|e| e.into_inner());
        held.get(graph)
            .filter(|(at, _)| at.elapsed() < TODAY_TTL)
            .map(|(_, n)| *n)
    }

    /// Keeps a fresh count of today's observations in `graph`.
    pub fn remember_today(&self, graph: &str, count: u64) {
        let mut held = self.inner.today.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: graphs come from the node's own datasets, but a stale entry is dropped.
        held.retain(|_, (at, _)| at.elapsed() < TODAY_TTL);
        held.insert(graph.to_owned(), (Instant::now(), count));
    }

    /// The public base URL (ends in `/`).
    pub fn public_base(&self) -> &str {
        &self.inner.public_base
    }
}

/// What `/api/console/session` answers: who the caller is and what the pages may offer.
#[derive(Serialize)]
pub struct Session {
    /// `visitor`, `user`, `oidc`, `operator` or `source`.
    kind: &'static str,
    /// The person's name, if one signed in.
    name: Option<String>,
    /// Their roles.
    roles: Vec<String>,
    /// Whether the operator's pages apply.
    operator: bool,
    /// Whether the caller may act with the node's agreements (federated queries, previews).
    researcher: bool,
    /// Whether the caller may write data (KPIs among it).
    editor: bool,
    /// Whether "Sign in with …" through the OIDC issuer is offered.
    oidc_sign_in: bool,
}

/// `GET /api/console/session`: checks a token the sign-in form was given (a token that
/// names nobody is refused with 401 by the caller extractor).
#[tracing::instrument(skip_all)]
pub async fn session(State(state): State<AppState>, caller: Caller) -> Json<Session> {
    let roles = caller.roles();
    Json(Session {
        kind: caller.kind(),
        name: caller.person().map(|p| p.name.clone()),
        roles: roles.iter().map(ToString::to_string).collect(),
        operator: roles.operates(),
        researcher: roles.researches(),
        editor: roles.edits(),
        oidc_sign_in: state.people.oidc().is_some_and(|o| o.config().sign_in()),
    })
}
