//! What a run reports: progress events while it runs, a serialisable summary at the end.
//!
//! The summary is the machine-readable record for the run ledger (`meta.pipeline_runs`); the
//! progress sink lets the CLI draw bars (records, pages, rate, ETA, the rate budget in use and
//! waits on the API's limit) without this crate knowing about terminals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use skyfit_core::{RunId, Source};

use crate::error::Location;
use crate::rate::BudgetUse;

/// Counts of one entity in one run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EntitySummary {
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub entity: String,
    pub run_id: Option<RunId>,
    /// `complete`, `failed`, or `skipped` (already complete when resuming).
    pub status: String,
    /// Records landed in bronze by this run (all runs of the manifest when resumed).
    pub records: u64,
    pub pages: u64,
    /// Records sent to `_rejects/`.
    pub rejects: u64,
    pub windows: u64,
    /// Windows split because they were too big.
    pub windows_split: u64,
    pub requests: u64,
    pub retries: u64,
    /// HTTP 429 answers.
    pub throttled: u64,
    pub server_errors: u64,
    pub network_errors: u64,
    /// Bodies that were not valid JSON (truncations, malformed records).
    pub invalid_bodies: u64,
    pub duration_secs: f64,
    /// The extracted range, as the watermark records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The entity's watermark document as stored in the lake after the run (what
    /// `meta.watermarks` mirrors); `None` when the run failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<serde_json::Value>,
    /// The run's records came from the built-in API simulator (its manifest says so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

/// The result of one `extract` call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunSummary {
    pub source: Source,
    pub run_id: RunId,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub entities: Vec<EntitySummary>,
    /// Requests this run sent to the API, every entity together (retries included).
    #[serde(default)]
    pub requests: u64,
    /// Requests the account's rate limit allowed in the run's time (`requests_per_minute` ×
    /// elapsed minutes, rounded up): how much of the shared budget the night used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_budget: Option<u64>,
    /// EVO webhook callbacks this run re-fetched or left pending (`None`: none were pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<crate::webhook::WebhookReport>,
}

impl RunSummary {
    pub fn records(&self) -> u64 {
        self.entities.iter().map(|e| e.records).sum()
    }

    pub fn rejects(&self) -> u64 {
        self.entities.iter().map(|e| e.rejects).sum()
    }

    pub fn entity(&self, scope: Option<&str>, entity: &str) -> Option<&EntitySummary> {
        self.entities
            .iter()
            .find(|e| e.entity == entity && e.scope.as_deref() == scope)
    }

    /// Fills [`Self::requests`] and [`Self::request_budget`] from the entities and the run's
    /// elapsed time under a limit of `requests_per_minute`.
    pub fn with_budget(mut self, requests_per_minute: u32) -> Self {
        self.requests = self.entities.iter().map(|e| e.requests).sum();
        let ms = (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0) as u64;
        self.request_budget = Some((u64::from(requests_per_minute) * ms).div_ceil(60_000));
        self
    }

    /// A one-screen table for the terminal.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{} run {} ({:.1}s)\n{:<28} {:>10} {:>7} {:>7} {:>7} {:>6} {:>8}  status\n",
            self.source,
            self.run_id,
            (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0,
            "entity",
            "records",
            "pages",
            "rejects",
            "retries",
            "429s",
            "secs"
        );
        for e in &self.entities {
            let name = match &e.scope {
                Some(s) => format!("{s}/{}", e.entity),
                None => e.entity.clone(),
            };
            out.push_str(&format!(
                "{name:<28} {:>10} {:>7} {:>7} {:>7} {:>6} {:>8.1}  {}\n",
                e.records, e.pages, e.rejects, e.retries, e.throttled, e.duration_secs, e.status
            ));
        }
        if let Some(budget) = self.request_budget {
            out.push_str(&format!(
                "requests {} of {budget} allowed by the rate limit in this time\n",
                self.requests
            ));
        }
        if let Some(w) = &self.webhooks {
            out.push_str(&w.render());
        }
        out
    }
}

/// One page landed.
#[derive(Debug, Clone)]
pub struct PageEvent<'a> {
    pub source: Source,
    pub scope: Option<&'a str>,
    pub entity: &'a str,
    pub window: &'a str,
    pub records: u64,
    pub rejects: u64,
    /// Windows of the entity finished so far and in total (for an ETA).
    pub windows_done: u64,
    pub windows_total: u64,
    /// How much of the account's rate limit is in use (every entity of the account together).
    pub budget: BudgetUse,
}

/// Why requests of an account wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleReason {
    /// The API answered HTTP 429.
    TooManyRequests,
    /// The API's rate-limit headers said its window is spent, before it had to say 429.
    Spent,
}

impl ThrottleReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            ThrottleReason::TooManyRequests => "429",
            ThrottleReason::Spent => "rate limit",
        }
    }
}

/// The account's requests are paused: every worker of the account waits `wait` before its next
/// request. Reported for the entity whose request saw it.
#[derive(Debug, Clone)]
pub struct ThrottleEvent<'a> {
    /// The request that saw it (source, scope, entity, window and page).
    pub at: &'a Location,
    pub wait: Duration,
    pub reason: ThrottleReason,
}

/// Receives progress; every method has a no-op default. Called from worker tasks.
pub trait ProgressSink: Send + Sync {
    fn entity_started(&self, _source: Source, _scope: Option<&str>, _entity: &str, _windows: u64) {}
    fn page(&self, _event: &PageEvent<'_>) {}
    /// A wait on the API's rate limit begins (live, before the page it delays lands).
    fn throttled(&self, _event: &ThrottleEvent<'_>) {}
    fn entity_finished(&self, _summary: &EntitySummary) {}
}

/// Ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl ProgressSink for NoProgress {}

/// Counts pages and records (tests, simple logs).
#[derive(Debug, Default)]
pub struct CountingProgress {
    pub pages: AtomicU64,
    pub records: AtomicU64,
}

impl ProgressSink for CountingProgress {
    fn page(&self, e: &PageEvent<'_>) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(e.records, Ordering::Relaxed);
    }
}
