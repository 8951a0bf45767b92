//! The stages wired together. `skyfit-cli` calls this crate; it is the only library that sees
//! the lake, the transform and the warehouse at once.
//!
//! * [`bronze`] finds the complete bronze runs of each entity and turns them into the bronze
//!   tables the transform SQL reads.
//! * [`target`] analyses each query file once: its target table and stage, the bronze
//!   tables its plan scans, its key and strategy.
//! * [`load`] runs every query of `queries/` over the bronze parts its target has not loaded
//!   yet, converts the results to the target's column types (quarantining what does not
//!   fit) and writes them by binary COPY, recording the parts in `meta.loaded_parts` (and
//!   the run in `meta.pipeline_runs`) in the same transaction — so a load killed anywhere
//!   and rerun ends with the same rows.
//! * [`progress`] is what a load reports while it runs (the CLI's bars).
//! * [`datatests`] runs the loaded core tables' `@test` declarations in PostgreSQL.
//! * [`lock`] lets one load at a time run on a database.
//! * [`diff`] compares a query's result with its target table (`skyfit query diff`).
//! * [`preview`] gives a query's first rows from the smallest keys of the lake.
//! * [`sample`] copies a consistent sample of the lake (`skyfit query sample`).

pub mod bronze;
mod cast;
mod columns;
pub mod datatests;
pub mod diff;
mod drift;
pub mod error;
mod lift;
pub mod load;
pub mod lock;
pub mod options;
mod passes;
mod plan;
pub mod preview;
pub mod progress;
pub mod reconcile;
mod record;
pub mod sample;
pub mod simulated;
mod stage;
pub mod summary;
pub mod target;
mod unkeyed;

pub use diff::{DiffOptions, DiffReport, diff};
pub use error::{Error, Result};
pub use load::{load, load_with_progress, session_for};
pub use lock::LoadLock;
pub use options::{DEFAULT_CONNECTIONS, LoadOptions};
pub use preview::{Preview, PreviewScope, preview};
pub use progress::{LoadProgress, NoLoadProgress, Phase};
pub use sample::{SampleOptions, SampleSummary, sample};
pub use summary::{LoadSummary, Reconciliation, SimulatedRun, TargetFailure, TargetSummary};
pub use target::{Stage, Target};
