use std::time::Duration;

/// Errors of the warehouse crate. Messages never contain connection passwords.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to PostgreSQL at {target}: {error}")]
    Connect {
        target: String,
        error: String,
        transient: bool,
    },
    #[error("PostgreSQL error during {context}: {source}")]
    Postgres {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "migration {name} was changed after it was applied (database has checksum {applied}, \
         the file has {current}); restore the file and put the change in a new migration"
    )]
    MigrationEdited {
        name: String,
        applied: String,
        current: String,
    },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "this database holds the original warehouse (tables in stg_*/core/meta, no \
         meta.schema_migrations); run `skyfit db migrate --plan` to see how it would be \
         adopted, then `skyfit db migrate`"
    )]
    OriginalWarehouse,
    #[error(
        "refusing to migrate: the warehouse differs from SkyFit's schema in ways it does not \
         know how to convert safely; nothing was changed.\n  - {}",
        problems.join("\n  - ")
    )]
    Unrecognised { problems: Vec<String> },
    #[error(
        "adopting the original warehouse failed at `{statement}` (nothing was changed): {source}"
    )]
    Adoption {
        statement: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("local PostgreSQL: {0}")]
    Local(String),
    #[error("invalid database settings: {0}")]
    Settings(String),
    #[error("gave up after {attempts} attempts over {elapsed:?}: {last}")]
    Exhausted {
        attempts: u32,
        elapsed: Duration,
        last: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn pg(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Postgres { context, source }
    }

    /// The SQLSTATE code when the server answered with an error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Postgres { source, .. }
            | Error::Migration { source, .. }
            | Error::Adoption { source, .. } => source.code().map(|c| c.code()),
            Error::Exhausted { last, .. } => last.sqlstate(),
            _ => None,
        }
    }

    /// Whether trying again can help: lost connections, failovers (read-only transaction,
    /// admin shutdown), too many connections.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { transient, .. } => *transient,
            Error::Postgres { source, .. } => is_transient_pg(source),
            _ => false,
        }
    }
}

/// Transient PostgreSQL failures, as the reference's failover retry recognised them
/// (`read-only`, `admin shutdown`, `server closed`), by SQLSTATE rather than by message.
pub fn is_transient_pg(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => matches!(
            code.code(),
            "25006" // read_only_sql_transaction: failover in progress
                | "57P01" // admin_shutdown
                | "57P02" // crash_shutdown
                | "57P03" // cannot_connect_now
                | "53300" // too_many_connections
                | "08000" | "08003" | "08006" | "08001" | "08004"
                | "40001" // serialization_failure
                | "40P01" // deadlock_detected
        ),
        // No SQLSTATE: an I/O error on the socket.
        None => true,
    }
}
