//! The receiver: `POST /webhooks/evo` stores a callback in the lake, `GET /health` answers the
//! counters.
//!
//! Constraints:
//! - The shared secret comes in the `X-Skyfit-Webhook-Secret` header or the `secret` query
//!   parameter (EVO only lets one register a URL); it is compared in constant time and never
//!   logged — request URIs are not logged at all.
//! - 401 for a missing or wrong secret, 400 for a body that is not a callback of a documented
//!   event type, 503 when the lake write fails (so EVO sends it again); each refusal is
//!   counted and the count logged. 200 only once the callback's object is in the lake.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use skyfit_core::Secret;
use skyfit_lake::LakeStore;

use super::{Callback, WebhookError, store_pending};

/// Header carrying the shared secret.
pub const SECRET_HEADER: &str = "x-skyfit-webhook-secret";

/// Counters of one receiver since it started.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub accepted: AtomicU64,
    pub refused_unauthorized: AtomicU64,
    pub refused_malformed: AtomicU64,
    pub store_failures: AtomicU64,
}

/// The counters as `/health` answers them.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub accepted: u64,
    pub refused_unauthorized: u64,
    pub refused_malformed: u64,
    pub store_failures: u64,
}

impl WebhookStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused_unauthorized: self.refused_unauthorized.load(Ordering::Relaxed),
            refused_malformed: self.refused_malformed.load(Ordering::Relaxed),
            store_failures: self.store_failures.load(Ordering::Relaxed),
        }
    }
}

/// What a receiver needs.
#[derive(Clone)]
pub struct ServeOptions {
    pub lake: LakeStore,
    pub secret: Secret,
    pub stats: Arc<WebhookStats>,
}

#[derive(Clone)]
struct AppState {
    opts: ServeOptions,
    seq: Arc<AtomicU64>,
}

/// Byte-wise comparison whose time does not depend on where the first difference is.
fn same_secret(given: &str, secret: &Secret) -> bool {
    let (a, b) = (given.as_bytes(), secret.expose().as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0 && !b.is_empty()
}

#[derive(serde::Deserialize)]
struct SecretQuery {
    secret: Option<String>,
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(serde_json::json!({ "error": reason }))).into_response()
}

async fn receive(
    State(state): State<AppState>,
    Query(query): Query<SecretQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let stats = &state.opts.stats;
    let given = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(query.secret);
    if !given.is_some_and(|g| same_secret(&g, &state.opts.secret)) {
        let n = stats.refused_unauthorized.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(
            refused_unauthorized = n,
            "Webhook callback refused: missing or wrong secret."
        );
        return refuse(StatusCode::UNAUTHORIZED, "missing or wrong webhook secret");
    }
    let callback = match Callback::parse(&body) {
        Ok(c) => c,
        Err(reason) => {
            let n = stats.refused_malformed.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(refused_malformed = n, %reason, "Webhook callback refused: not an EVO callback.");
            return refuse(StatusCode::BAD_REQUEST, &reason);
        }
    };
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let (event, record) = (callback.event_type.clone(), callback.id_record);
    match store_pending(&state.opts.lake, callback, seq).await {
        Ok(name) => {
            let n = stats.accepted.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::info!(event = %event, id_record = record, object = %name, accepted = n, "Webhook callback stored.");
            (StatusCode::OK, Json(serde_json::json!({ "stored": name }))).into_response()
        }
        Err(error) => {
            let n = stats.store_failures.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::error!(%error, store_failures = n, "Webhook callback not stored; answering 503 so EVO retries.");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "callback could not be stored",
            )
        }
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let s = state.opts.stats.snapshot();
    Json(serde_json::json!({ "status": "ok", "stats": s })).into_response()
}

/// The receiver's routes.
pub fn router(opts: ServeOptions) -> Router {
    Router::new()
        .route("/webhooks/evo", post(receive))
        .route("/health", get(health))
        .with_state(AppState {
            opts,
            seq: Arc::new(AtomicU64::new(0)),
        })
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebhookError> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a: SocketAddr| a.to_string());
    axum::serve(listener, router(opts))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| WebhookError::Listen { addr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        let s = Secret::new("abcdef");
        assert!(same_secret("abcdef", &s));
        assert!(!same_secret("abcde", &s));
        assert!(!same_secret("abcdefg", &s));
        assert!(!same_secret("abcdeF", &s));
        assert!(!same_secret("", &Secret::new("")));
    }
}
