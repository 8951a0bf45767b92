//! Per-API request counters, readable through `GET /_sim/stats` and `RunningSim::stats`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

/// A snapshot of one API's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiStats {
    /// Every request that reached the API (admin requests excluded).
    pub requests: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Records written into 2xx answers.
    pub records: u64,
    /// 401 answers.
    pub unauthorized: u64,
    /// 400 answers.
    pub bad_request: u64,
    /// 404 answers.
    pub not_found: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Random 5xx injected.
    pub fault_5xx: u64,
    /// Persistent-page 500s (including EVO deep-skip 500s).
    pub fault_fail_page: u64,
    /// Slow responses.
    pub fault_slow: u64,
    /// Connections dropped mid-body.
    pub fault_reset: u64,
    /// Truncated bodies.
    pub fault_truncated: u64,
    /// Malformed records written.
    pub fault_malformed: u64,
    /// Pages answered with an injected redirect.
    #[serde(default)]
    pub fault_redirect: u64,
    /// Values replaced by a value fault.
    #[serde(default)]
    pub fault_value: u64,
    /// Bodies sent with bytes that are not UTF-8.
    #[serde(default)]
    pub fault_invalid_utf8: u64,
}

/// Snapshot of all three APIs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// EVO.
    pub evo: ApiStats,
    /// Pipedrive.
    pub pipedrive: ApiStats,
    /// Zendesk.
    pub zendesk: ApiStats,
}

/// Live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub ok: AtomicU64,
    pub records: AtomicU64,
    pub unauthorized: AtomicU64,
    pub bad_request: AtomicU64,
    pub not_found: AtomicU64,
    pub rate_limited: AtomicU64,
    pub fault_5xx: AtomicU64,
    pub fault_fail_page: AtomicU64,
    pub fault_slow: AtomicU64,
    pub fault_reset: AtomicU64,
    pub fault_truncated: AtomicU64,
    pub fault_malformed: AtomicU64,
    pub fault_redirect: AtomicU64,
    pub fault_value: AtomicU64,
    pub fault_invalid_utf8: AtomicU64,
    /// Requests that matched `reset_page` / `invalid_utf8_page` (for their `times`).
    pub reset_page_hits: AtomicU64,
    pub utf8_page_hits: AtomicU64,
}

impl Counters {
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    /// Counts a response status.
    pub fn status(&self, status: u16) {
        match status {
            200..=299 => Self::inc(&self.ok),
            400 => Self::inc(&self.bad_request),
            401 => Self::inc(&self.unauthorized),
            404 => Self::inc(&self.not_found),
            429 => Self::inc(&self.rate_limited),
            _ => {}
        }
    }

    pub fn snapshot(&self) -> ApiStats {
        ApiStats {
            requests: self.requests.load(Relaxed),
            ok: self.ok.load(Relaxed),
            records: self.records.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            bad_request: self.bad_request.load(Relaxed),
            not_found: self.not_found.load(Relaxed),
            rate_limited: self.rate_limited.load(Relaxed),
            fault_5xx: self.fault_5xx.load(Relaxed),
            fault_fail_page: self.fault_fail_page.load(Relaxed),
            fault_slow: self.fault_slow.load(Relaxed),
            fault_reset: self.fault_reset.load(Relaxed),
            fault_truncated: self.fault_truncated.load(Relaxed),
            fault_malformed: self.fault_malformed.load(Relaxed),
            fault_redirect: self.fault_redirect.load(Relaxed),
            fault_value: self.fault_value.load(Relaxed),
            fault_invalid_utf8: self.fault_invalid_utf8.load(Relaxed),
        }
    }
}
