//! What a load is asked to do ([`LoadOptions`]).

use skyfit_core::{RunId, Source};
use skyfit_transform::{QuerySet, SessionOptions};

/// Connections a load uses at once unless told otherwise ([`LoadOptions::connections`]).
pub const DEFAULT_CONNECTIONS: usize = 2;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The query files: the binary's own copy, or a directory.
    pub queries: QuerySet,
    /// Only queries whose primary bronze table belongs to these sources (empty: all).
    pub sources: Vec<Source>,
    /// Only these bronze entities (`entries`) or targets (`core.evo_entries`, `evo_entries`).
    pub entities: Vec<String>,
    /// Rebuild every target from all complete runs.
    pub full_refresh: bool,
    /// Load parts again even if the ledger lists them.
    pub reload: bool,
    /// Above this many quarantined values in one target the load stops.
    pub max_bad_values: u64,
    /// Skip the `stg_*` targets (`skyfit transform`: core only).
    pub core_only: bool,
    /// What the SQL functions depend on (the EVO source time zone).
    pub session: SessionOptions,
    /// Above this many pending bronze records, a target keyed by an integer runs its query in
    /// several passes, each keeping one bucket of keys (see [`crate::passes`]), so the dedup's hash
    /// tables hold a bounded number of keys whatever the lake's size.
    pub chunk_records: u64,
    /// Connections a load uses at once (the load's own included). A full refresh runs its
    /// COPY on all of them, and so do a partitioned target's index builds and statistics; an
    /// incremental load whose targets together hold at most one pass of records
    /// (`chunk_records`) loads that many targets side by side. All of it is server-bound: more
    /// than the server's cores gains nothing. 1: one target after the other.
    pub connections: usize,
    /// When another load holds the database's load lock: wait for it (`--wait`) instead of
    /// failing at once.
    pub wait_for_lock: bool,
    /// Load runs the built-in API simulator wrote. Off, a load whose targets would read one
    /// fails before writing anything ([`crate::simulated`]); the CLI turns it on for the
    /// embedded default and when asked.
    pub allow_simulated: bool,
    /// The run the load's ledger rows (`meta.pipeline_runs`) belong to: `skyfit run` passes
    /// its own, so a night's extraction and load rows share one id.
    pub run_id: RunId,
}

impl LoadOptions {
    pub fn new(queries: impl Into<QuerySet>) -> Self {
        LoadOptions {
            queries: queries.into(),
            sources: Vec::new(),
            entities: Vec::new(),
            full_refresh: false,
            reload: false,
            max_bad_values: 10_000,
            core_only: false,
            session: SessionOptions::default(),
            chunk_records: 1_250_000,
            connections: DEFAULT_CONNECTIONS,
            wait_for_lock: false,
            allow_simulated: false,
            run_id: RunId::now(),
        }
    }
}
