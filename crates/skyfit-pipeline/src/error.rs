use skyfit_core::{Classify, ErrorDomain, Retry};

/// Errors of the pipeline; each names the query or table it happened in.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Transform(#[from] skyfit_transform::Error),
    #[error("lake: {0}")]
    Lake(#[from] skyfit_lake::Error),
    #[error("loading {target}: {source}")]
    Load {
        target: String,
        #[source]
        source: skyfit_load::Error,
    },
    #[error("{context}: {source}")]
    Postgres {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("query {query}: {message}")]
    Query { query: String, message: String },
    #[error(
        "{target}: {quarantined} values could not be stored (more than the limit of {limit}); first: {first}"
    )]
    TooManyBadValues {
        target: String,
        quarantined: u64,
        limit: u64,
        first: String,
    },
    /// A part of `table` is missing or not the part its manifest describes.
    #[error("{table}: {source}")]
    Parts {
        table: String,
        #[source]
        source: Box<skyfit_transform::Error>,
    },
    #[error(
        "{target}: {parts} bronze parts whose manifests list {listed} records read as {read}; nothing was loaded. Check the lake with `skyfit doctor`"
    )]
    ReadMismatch {
        target: String,
        parts: usize,
        listed: u64,
        read: u64,
    },
    #[error(
        "another load is running on this database ({holder}); wait for it to end, or rerun with --wait to queue behind it"
    )]
    Busy { holder: String },
    /// Some targets failed, the others loaded; `summary` says which.
    #[error("{}", failed_targets(summary))]
    TargetsFailed {
        summary: Box<crate::summary::LoadSummary>,
    },
    #[error(
        "{table}: {runs} run(s) written by the original system are not adopted yet (first: {first}); \
         nothing of {table} was loaded. Run `skyfit lake adopt --sources {of}` and load again"
    )]
    NotAdopted {
        table: String,
        runs: usize,
        first: String,
        /// The source whose runs need adopting (`source` would be taken for the error's cause).
        of: skyfit_core::Source,
    },
    /// The load would write runs the built-in API simulator produced into a database that
    /// did not ask for them ([`crate::options::LoadOptions::allow_simulated`]).
    #[error(
        "refusing to load {runs} run(s) written by the built-in API simulator into this database \
         ({targets} target(s) would read them): {names}; nothing was loaded. Simulated records are \
         invented: load them into the embedded default (no DATABASE_URL or PG_HOST), keep demos in \
         a lake of their own (SKYFIT_LAKE_URL), or pass --allow-simulated if this database is a demo"
    )]
    SimulatedRuns {
        runs: usize,
        targets: usize,
        /// The first runs as `{table} run {run_id}`.
        names: String,
    },
    #[error("reconciliation of {entity} does not add up: {detail}")]
    Reconciliation { entity: String, detail: String },
    /// The warehouse (a ledger write that is not a plain PostgreSQL error).
    #[error(transparent)]
    Warehouse(skyfit_warehouse::Error),
    #[error("DataFusion: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn failed_targets(s: &crate::summary::LoadSummary) -> String {
    let list: Vec<String> = s
        .failed
        .iter()
        .map(|f| format!("{} ({}): {}", f.target, f.query, f.error))
        .collect();
    format!(
        "{} of {} targets failed (the others loaded): {}",
        s.failed.len(),
        s.failed.len() + s.targets.len(),
        list.join("; ")
    )
}

/// A ledger write's PostgreSQL error stays one, so a dropped connection is still retried.
impl From<skyfit_warehouse::Error> for Error {
    fn from(e: skyfit_warehouse::Error) -> Error {
        match e {
            skyfit_warehouse::Error::Postgres { context, source } => {
                Error::Postgres { context, source }
            }
            other => Error::Warehouse(other),
        }
    }
}

impl Error {
    pub(crate) fn pg(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Postgres { context, source }
    }
}

impl Classify for Error {
    fn domain(&self) -> ErrorDomain {
        match self {
            Error::Lake(e) => e.domain(),
            Error::Load { source, .. } => source.domain(),
            Error::Warehouse(e) => e.domain(),
            Error::Transform(_)
            | Error::Query { .. }
            | Error::NotAdopted { .. }
            | Error::SimulatedRuns { .. } => ErrorDomain::User,
            Error::Postgres { .. }
            | Error::TooManyBadValues { .. }
            | Error::Parts { .. }
            | Error::ReadMismatch { .. }
            | Error::Busy { .. }
            | Error::TargetsFailed { .. } => ErrorDomain::External,
            Error::Reconciliation { .. } | Error::DataFusion(_) => ErrorDomain::Internal,
        }
    }

    /// Whether the load loop may run a target again: dropped connections and failovers. A
    /// lake error is permanent here because the lake retries its own calls before it reports
    /// one.
    fn retry(&self) -> Retry {
        match self {
            Error::Postgres { source, .. } => skyfit_warehouse::pg_retry(source),
            Error::Load { source, .. } => source.retry(),
            _ => Retry::Permanent,
        }
    }
}
