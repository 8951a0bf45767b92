//! What a load tells whoever watches it while it runs: which target it is on, in which phase,
//! which pass of a load in passes, and how many rows so far. The CLI draws bars from it; this
//! crate knows nothing of terminals. Every method has a no-op default and is called from the
//! load's own task.
//!
//! The phases inside the write (COPY, merge, indexes, swap) come from `skyfit-load`'s
//! strategies as [`WriteStep`]s, which [`Phase::from`] maps.

use skyfit_load::strategy::WriteStep;

use crate::summary::TargetSummary;

/// Where a target's load is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Listing the pending parts, checking them and planning the query.
    Plan,
    /// The write begins: the query runs in `passes` passes and its rows go to PostgreSQL
    /// through the phases below.
    Write { passes: usize },
    /// Streaming the rows into PostgreSQL by COPY (a temp stage, or a full refresh's shadow).
    Copy,
    /// Upserting the staged rows by key (an incremental load).
    Merge,
    /// Replacing the children of the parents in the load (a child target).
    Replace,
    /// Building the full refresh's indexes and constraints on its shadow.
    Indexes,
    /// Swapping the full refresh's shadow in (waits for readers of the table).
    Swap,
    /// Recording the parts, the quarantine and the ledger row, then committing.
    Commit,
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Plan => "planning",
            Phase::Write { .. } => "writing",
            Phase::Copy => "copy",
            Phase::Merge => "merge",
            Phase::Replace => "replace",
            Phase::Indexes => "indexes",
            Phase::Swap => "swap",
            Phase::Commit => "committing",
        }
    }
}

impl From<WriteStep> for Phase {
    fn from(step: WriteStep) -> Self {
        match step {
            WriteStep::Copy => Phase::Copy,
            WriteStep::Merge => Phase::Merge,
            WriteStep::Replace => Phase::Replace,
            WriteStep::Indexes => Phase::Indexes,
            WriteStep::Swap => Phase::Swap,
        }
    }
}

/// Receives a load's progress.
pub trait LoadProgress: Send + Sync {
    /// The load selected this many targets and starts on the first.
    fn load_started(&self, _targets: usize) {}
    fn target_started(&self, _target: &str) {}
    fn phase(&self, _target: &str, _phase: Phase) {}
    /// The query's pass `pass` (from 1) of `passes` begins; told for every pass, a load in
    /// one pass included.
    fn pass(&self, _target: &str, _pass: usize, _passes: usize) {}
    /// Rows written so far by the target's current attempt.
    fn rows(&self, _target: &str, _rows: u64) {}
    /// Loaded, or found up to date (`summary.up_to_date`).
    fn target_finished(&self, _summary: &TargetSummary) {}
    /// Failed; the other targets still load.
    fn target_failed(&self, _target: &str, _error: &str) {}
}

/// Ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLoadProgress;

impl LoadProgress for NoLoadProgress {}
