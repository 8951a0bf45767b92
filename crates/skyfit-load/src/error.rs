//! The crate's one error type.
//!
//! Every variant names what failed: the column (encoder), the table and the step
//! (COPY, merge, swap). [`Error::kind`] says whose fault it is and
//! [`Error::is_retryable`] whether trying again can help.

use arrow::datatypes::DataType;
use tokio_postgres::error::SqlState;

use crate::PgType;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a caller-supplied batch stream.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Who is responsible for a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Wrong configuration or input shape: fix the caller, retrying does not help.
    User,
    /// PostgreSQL or the upstream batch source failed.
    External,
    /// A bug in this crate.
    Internal,
}

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

    /// Who is responsible for the failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::MissingColumn { .. }
            | Error::UnsupportedType { .. }
            | Error::SchemaMismatch { .. }
            | Error::ColumnCount { .. }
            | Error::ValueTooLarge { .. }
            | Error::Stopped { .. }
            | Error::SwapUnsupported { .. } => ErrorKind::User,
            Error::Postgres { .. } | Error::Source { .. } => ErrorKind::External,
        }
    }

    /// Whether retrying the whole load may succeed: connection loss, failover
    /// (read-only transaction), admin shutdown, serialization failures, deadlocks.
    pub fn is_retryable(&self) -> bool {
        let Error::Postgres { source, .. } = self else {
            return false;
        };
        match source.code() {
            None => {
                source.is_closed()
                    || std::error::Error::source(source).is_some_and(|e| e.is::<std::io::Error>())
            }
            Some(code) => {
                let c = code.code();
                // 08: connection exception; 57P: operator intervention; 40001/40P01: retry.
                c.starts_with("08")
                    || c.starts_with("57P")
                    || *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED
                    || *code == SqlState::READ_ONLY_SQL_TRANSACTION
                    || *code == SqlState::LOCK_NOT_AVAILABLE
            }
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
