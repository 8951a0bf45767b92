//! The PostgreSQL warehouse: connecting (with TLS as `sslmode` asks), the embedded local
//! server used when none is configured, schema migrations and the `meta` run ledger.
//!
//! Loading data lives in `skyfit-load`; this crate knows nothing about entities.

mod adopt;
mod catalog;
mod datatests;
mod embedded;
mod error;
pub mod health;
mod ledger;
mod migrate;
mod tls;
mod upgrade;
mod watermarks;

pub mod connect;
pub mod freshness;

pub use adopt::{Plan, Step};
pub use connect::{Database, connect_with_retry};
pub use datatests::{
    SAMPLE_KEYS, Severity as TestSeverity, TableTest, TestKind, TestResult, offending_sql,
    record_data_tests, run_data_tests,
};
pub use embedded::{LocalServer, ensure_local_server};
pub use error::{Error, Result, pg_retry};
pub use freshness::{Freshness, FreshnessLimits, SourceFreshness, TableFreshness, freshness};
pub use ledger::{
    LoadedPart, QuarantineRow, RunOutcome, RunRecord, RunRow, RunStatus, finish_run, loaded_parts,
    mark_simulated, quarantine, recent_runs, record_parts, record_run, reset_loaded_parts,
    start_run,
};
pub use migrate::{Migration, MigrationState, migrate, migrations, status};
pub use upgrade::{plan, upgrade};
pub use watermarks::{WatermarkRow, upsert_watermark, watermarks};
