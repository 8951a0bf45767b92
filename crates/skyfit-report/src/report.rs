//! [`RunReport`]: how one run went, as plain data.
//!
//! The CLI fills it from its extraction and load summaries, the data-test results and the
//! freshness check; alerts ([`crate::alert`]) and metrics ([`crate::metrics`]) only read it.
//! It holds counts, names and messages, never row data: the only values taken from rows are
//! the sample keys of a failing data test.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything the outside world hears about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    /// The run id (`meta.pipeline_runs`), as `skyfit status --run` takes it.
    pub run_id: String,
    /// The command that ran: `run`, `extract`, `load`, …
    pub command: String,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Seconds spent in each stage that ran.
    #[serde(default)]
    pub stages: BTreeMap<Stage, f64>,
    /// One row per extracted entity.
    #[serde(default)]
    pub entities: Vec<EntityReport>,
    /// One row per load target (table).
    #[serde(default)]
    pub targets: Vec<TargetReport>,
    /// The data tests that failed (passing tests are not listed).
    #[serde(default)]
    pub test_failures: Vec<TestFailure>,
    /// Tables older than their source's freshness limit.
    #[serde(default)]
    pub stale_tables: Vec<StaleTable>,
    /// The last successful extraction of each source (`evo`, `pipedrive`, `zendesk`), this
    /// run's or an earlier one's, from the ledger.
    #[serde(default)]
    pub last_success: BTreeMap<String, DateTime<Utc>>,
    /// Why the run stopped or failed, when no entity or target row says it (the database
    /// was unreachable, the lake could not be opened, the load failed as a whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunReport {
    /// An empty report: no stage, entity, target or finding yet.
    pub fn new(
        run_id: impl Into<String>,
        command: impl Into<String>,
        status: RunStatus,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
    ) -> Self {
        RunReport {
            run_id: run_id.into(),
            command: command.into(),
            status,
            started_at,
            finished_at,
            stages: BTreeMap::new(),
            entities: Vec::new(),
            targets: Vec::new(),
            test_failures: Vec::new(),
            stale_tables: Vec::new(),
            last_success: BTreeMap::new(),
            error: None,
        }
    }

    /// Wall-clock seconds from start to finish (0 if the clock went backwards).
    pub fn duration_secs(&self) -> f64 {
        let ms = (self.finished_at - self.started_at).num_milliseconds();
        ms.max(0) as f64 / 1000.0
    }

    /// Rows quarantined by this run, all targets together.
    pub fn quarantined(&self) -> u64 {
        self.targets.iter().map(|t| t.quarantined).sum()
    }

    /// The targets whose load failed.
    pub fn failed_targets(&self) -> impl Iterator<Item = &TargetReport> {
        self.targets
            .iter()
            .filter(|t| t.status == TargetStatus::Failed)
    }

    /// The entities whose extraction failed.
    pub fn failed_entities(&self) -> impl Iterator<Item = &EntityReport> {
        self.entities.iter().filter(|e| e.error.is_some())
    }
}

/// The outcome of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Succeeded,
    /// Some targets or entities failed, the others completed.
    Partial,
    Failed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 3] = [RunStatus::Succeeded, RunStatus::Partial, RunStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage of a run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Extract,
    Transform,
    Load,
    /// The data tests on the loaded tables.
    Tests,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Extract => "extract",
            Stage::Transform => "transform",
            Stage::Load => "load",
            Stage::Tests => "tests",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one entity's extraction did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityReport {
    /// `evo`, `pipedrive`, `zendesk`.
    pub source: String,
    /// The API account, for sources with several (Pipedrive: `comercial`, `expansao`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub entity: String,
    /// Records landed in bronze.
    pub records: u64,
    /// Records sent to `_rejects/`.
    pub rejects: u64,
    pub pages: u64,
    /// HTTP requests made, retries included.
    pub requests: u64,
    /// HTTP 429 answers (each one a wait).
    pub throttled: u64,
    /// Why the extraction failed; `None` when it completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one load target got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetReport {
    /// Schema-qualified table, e.g. `core.members`.
    pub table: String,
    /// Rows written by this run.
    pub rows: u64,
    /// Values or records quarantined by this run (`meta.quarantine`).
    pub quarantined: u64,
    pub status: TargetStatus,
    /// Why the load failed; `None` unless `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Loaded,
    /// Nothing new to load.
    UpToDate,
    Failed,
    /// Not attempted (an earlier failure stopped the run).
    Skipped,
}

impl TargetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Loaded => "loaded",
            TargetStatus::UpToDate => "up_to_date",
            TargetStatus::Failed => "failed",
            TargetStatus::Skipped => "skipped",
        }
    }
}

/// A data test (`-- @test` in a query header) that found offending rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFailure {
    /// The test as declared, e.g. `unique(member_id)`.
    pub test: String,
    pub table: String,
    pub severity: Severity,
    pub failing_rows: u64,
    /// Keys of a few offending rows (the alert shows at most five).
    #[serde(default)]
    pub sample_keys: Vec<String>,
}

/// How much a failing data test matters: `error` fails the run, `warn` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warn,
    Error,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Severity::Warn, Severity::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table whose last successful load is older than its source's freshness limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleTable {
    pub table: String,
    /// Seconds since the table's last successful load.
    pub age_secs: u64,
    /// The freshness limit it exceeds, in seconds (default 26 h).
    pub limit_secs: u64,
}
