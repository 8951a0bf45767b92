//! The crate's one error type.
//!
//! Every variant names what failed: the column (encoder), the table and the step
//! (COPY, merge, swap). Like every SkyFit error it answers [`Classify`]: whose failure it is,
//! and whether trying again can help (the one PostgreSQL list of `skyfit_core`).

use arrow::datatypes::DataType;
use skyfit_core::{Classify, ErrorDomain, Retry};
use tokio_postgres::error::SqlState;

use crate::PgType;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a caller-supplied batch stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while encoding or loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A target column has no Arrow column of that name.
    #[error("column `{column}` is not in the Arrow schema")]
    MissingColumn {
        /// Target column name.
        column: String,
    },
    /// The Arrow type has no encoding for the requested PostgreSQL type.
    #[error("column `{column}`: Arrow {arrow} cannot be encoded as PostgreSQL {pg}")]
    UnsupportedType {
        /// Target column name.
        column: String,
        /// Arrow type of the source column.
        arrow: DataType,
        /// Requested PostgreSQL type.
        pg: PgType,
    },
    /// A batch does not have the schema the encoder was built for.
    #[error("column `{column}`: batch has Arrow {found}, the encoder was built for {expected}")]
    SchemaMismatch {
        /// Target column name.
        column: String,
        /// Arrow type the encoder was built for.
        expected: DataType,
        /// Arrow type found in the batch (`Null` if the column is absent).
        found: DataType,
    },
    /// The encoder needs at least one and at most 1,664 columns (PostgreSQL's limit).
    #[error("a COPY needs 1 to 1664 columns, got {columns}")]
    ColumnCount {
        /// Number of target columns.
        columns: usize,
    },
    /// A single value is larger than a COPY field can hold (1 GiB).
    #[error("column `{column}`, row {row}: value of {bytes} bytes exceeds the 1 GiB field limit")]
    ValueTooLarge {
        /// Target column name.
        column: String,
        /// Row index within the batch.
        row: usize,
        /// Encoded size of the value.
        bytes: usize,
    },
    /// PostgreSQL refused a statement or the connection failed.
    #[error("table {table}: {step} failed: {source}")]
    Postgres {
        /// Table being loaded.
        table: String,
        /// What was being done (e.g. `COPY`, `upsert`, `swap`).
        step: &'static str,
        /// The driver error; carries the SQLSTATE.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The caller's batch stream yielded an error.
    #[error("table {table}: the batch source failed: {source}")]
    Source {
        /// Table being loaded.
        table: String,
        /// The upstream error.
        #[source]
        source: BoxError,
    },
    /// The caller's batch inspector stopped the load (e.g. too many bad values).
    #[error("table {table}: load stopped by the caller: {reason}")]
    Stopped {
        /// Table being loaded.
        table: String,
        /// Why the caller stopped.
        reason: String,
    },
    /// The table has a feature the shadow swap cannot carry over.
    #[error("table {table}: shadow swap not possible: {reason}")]
    SwapUnsupported {
        /// Table being refreshed.
        table: String,
        /// The blocking feature.
        reason: String,
    },
}

impl Error {
    /// The PostgreSQL SQLSTATE, when the server reported one.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            Error::Postgres { source, .. } => source.code(),
            _ => None,
        }
    }

    pub(crate) fn pg(
        table: &impl ToString,
        step: &'static str,
    ) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let table = table.to_string();
        move |source| Error::Postgres {
            table,
            step,
            source,
        }
    }
}

impl Classify for Error {
    /// Wrong input shape or configuration is the caller's; PostgreSQL and the batch source
    /// are external.
    fn domain(&self) -> ErrorDomain {
        match self {
            Error::MissingColumn { .. }
            | Error::UnsupportedType { .. }
            | Error::SchemaMismatch { .. }
            | Error::ColumnCount { .. }
            | Error::ValueTooLarge { .. }
            | Error::Stopped { .. }
            | Error::SwapUnsupported { .. } => ErrorDomain::User,
            Error::Postgres { .. } | Error::Source { .. } => ErrorDomain::External,
        }
    }

    /// A PostgreSQL failure a retry of the whole load can get past: connection loss,
    /// failover, shutdown, serialization failures, deadlocks.
    fn retry(&self) -> Retry {
        match self {
            Error::Postgres { source, .. } => skyfit_core::error::postgres_retry(
                source.code().map(SqlState::code),
                source.is_closed(),
            ),
            _ => Retry::Permanent,
        }
    }
}
