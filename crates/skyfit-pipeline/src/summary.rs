//! What a load reports: per target, per failed target, per bronze entity and the simulated
//! runs it read. Plain data, so every module can fill or read it without importing the load.

use serde::{Serialize, Serializer};
use skyfit_transform::Strategy;

use crate::stage::Stage;

fn strategy_name<S: Serializer>(s: &Strategy, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(s.as_str())
}

/// What one target got.
#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    pub target: String,
    pub query: String,
    pub stage: Stage,
    /// The strategy the load used: `full_refresh` for every target of `--full-refresh`.
    #[serde(serialize_with = "strategy_name")]
    pub strategy: Strategy,
    pub runs: usize,
    pub parts: usize,
    /// The primary bronze table read, e.g. `evo_entries` (the reconciliation's entity).
    pub bronze_table: String,
    /// Records in the parts read, as their run manifests list them.
    pub bronze_records: u64,
    /// Records DataFusion read from those parts (must equal `bronze_records`).
    pub read_records: u64,
    /// Records of the runs read that the lake rejected (`_rejects/`, never in a part).
    pub rejected: u64,
    /// Rows the query produced (after dedup and explosion).
    pub rows: u64,
    /// Records not loaded as rows: older versions of a key and records without a loadable
    /// key (0 for child tables, whose rows are exploded arrays).
    pub dropped: u64,
    /// Of `dropped`: records without a loadable key, quarantined whole (stg targets).
    pub unkeyed: u64,
    /// Rows the COPY wrote.
    pub copied: u64,
    /// A `replace_children` target (exploded arrays: its own cardinality).
    pub child: bool,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Rows not written because the stored version of their key is newer (a late older run).
    #[serde(skip_serializing_if = "is_zero")]
    pub kept_newer: u64,
    pub quarantined: u64,
    pub seconds: f64,
    pub up_to_date: bool,
    /// Connection losses/failovers retried before the load succeeded.
    pub retries: u32,
    /// Passes over ranges of the query's `@chunk_by` column (1 unless the load is large).
    pub passes: usize,
    /// Identifies the set of parts read, to tell whether two targets read the same ones.
    #[serde(skip)]
    pub parts_digest: u64,
    /// The query also reads other bronze tables (unions, lookups): its rows are not a
    /// function of the primary table's records alone.
    #[serde(skip)]
    pub reads_others: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for TargetSummary {
    fn default() -> Self {
        TargetSummary {
            target: String::new(),
            query: String::new(),
            stage: Stage::Core,
            strategy: Strategy::Merge,
            runs: 0,
            parts: 0,
            bronze_table: String::new(),
            bronze_records: 0,
            read_records: 0,
            rejected: 0,
            rows: 0,
            dropped: 0,
            unkeyed: 0,
            copied: 0,
            child: false,
            inserted: 0,
            updated: 0,
            deleted: 0,
            kept_newer: 0,
            quarantined: 0,
            seconds: 0.0,
            up_to_date: false,
            retries: 0,
            passes: 0,
            parts_digest: 0,
            reads_others: false,
        }
    }
}

/// A target that did not load, and why.
#[derive(Debug, Clone, Serialize)]
pub struct TargetFailure {
    pub target: String,
    pub query: String,
    pub error: String,
}

/// The record flow of one bronze entity in one load (see [`crate::reconcile`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reconciliation {
    /// Bronze table, e.g. `evo_entries`.
    pub entity: String,
    pub bronze_records: u64,
    pub rejected: u64,
    /// Older versions of a key and records without a loadable key.
    pub dropped: u64,
    /// Of `dropped`: records without a loadable key (quarantined whole).
    pub unkeyed: u64,
    pub stg_target: Option<String>,
    pub stg_rows: Option<u64>,
    pub core_target: Option<String>,
    pub core_rows: Option<u64>,
    /// What does not add up (empty: all good).
    pub problems: Vec<String>,
}

impl Reconciliation {
    /// One line: `evo_entries: 200000 bronze, 0 rejected, 12 dropped (1 without key) → stg 199988 → core 199988`.
    pub fn render(&self) -> String {
        let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let mut s = format!(
            "{}: {} bronze, {} rejected, {} dropped ({} without key) → stg {} → core {}",
            self.entity,
            self.bronze_records,
            self.rejected,
            self.dropped,
            self.unkeyed,
            n(self.stg_rows),
            n(self.core_rows)
        );
        if !self.problems.is_empty() {
            s.push_str(&format!("  MISMATCH: {}", self.problems.join("; ")));
        }
        s
    }
}

/// A simulated run a target reads in this load (see [`crate::simulated`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SimulatedRun {
    /// The target table, e.g. `core.evo_entries`.
    pub target: String,
    /// The bronze table, e.g. `evo_entries`.
    pub table: String,
    pub run_id: String,
    /// Some of the run's parts are not in the target yet (what the refusal is about).
    pub new: bool,
}

/// What a load did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadSummary {
    pub targets: Vec<TargetSummary>,
    /// Targets that failed; the others loaded.
    pub failed: Vec<TargetFailure>,
    /// Per bronze entity: bronze → rejected → dropped → stg → core.
    pub reconciliation: Vec<Reconciliation>,
    /// Runs of the built-in API simulator the targets read (only when allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated: Vec<SimulatedRun>,
}
