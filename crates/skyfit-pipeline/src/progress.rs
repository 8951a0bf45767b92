//! What a load tells whoever watches it while it runs: which target it is on, in which phase,
//! and how many rows so far. The CLI draws bars from it; this crate knows nothing of
//! terminals. Every method has a no-op default and is called from the load's own task.

use crate::summary::TargetSummary;

/// Where a target's load is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Listing the pending parts, checking them and planning the query.
    Plan,
    /// Running the query and streaming its rows into PostgreSQL by COPY (a full refresh also
    /// builds the shadow table's indexes and swaps it in here), in `passes` passes.
    Write { passes: usize },
    /// Recording the parts, the quarantine and the ledger row, then committing.
    Commit,
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Plan => "planning",
            Phase::Write { .. } => "writing",
            Phase::Commit => "committing",
        }
    }
}

/// Receives a load's progress.
pub trait LoadProgress: Send + Sync {
    /// The load selected this many targets and starts on the first.
    fn load_started(&self, _targets: usize) {}
    fn target_started(&self, _target: &str) {}
    fn phase(&self, _target: &str, _phase: Phase) {}
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
