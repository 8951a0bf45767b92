//! The warehouse crate's one error type. Messages never contain connection passwords.
//!
//! [`Classify`] says whose failure it is and whether trying again can help; which
//! PostgreSQL failures are passing is decided in one place, [`pg_retry`].

use std::time::Duration;

use skyfit_core::{Classify, ErrorDomain, Retry};

/// Errors of the warehouse crate. Messages never contain connection passwords.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Opening a connection failed; the driver's error is kept as the source (its message
    /// is the server's, never the password).
    #[error("cannot connect to PostgreSQL at {target}: {}", connect_message(.source))]
    Connect {
        target: String,
        #[source]
        source: tokio_postgres::Error,
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
    /// A data test described so that no SQL can be made of it (e.g. no column).
    #[error("data test: {0}")]
    DataTest(String),
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
            Error::Connect { source, .. }
            | Error::Postgres { source, .. }
            | Error::Migration { source, .. }
            | Error::Adoption { source, .. } => source.code().map(|c| c.code()),
            Error::Exhausted { last, .. } => last.sqlstate(),
            _ => None,
        }
    }
}

impl Classify for Error {
    fn domain(&self) -> ErrorDomain {
        match self {
            Error::Connect { source, .. } if refused_login(source) => ErrorDomain::User,
            Error::Connect { .. }
            | Error::Postgres { .. }
            | Error::Migration { .. }
            | Error::Adoption { .. }
            | Error::Local(_) => ErrorDomain::External,
            Error::MigrationEdited { .. }
            | Error::OriginalWarehouse
            | Error::Unrecognised { .. }
            | Error::Settings(_)
            | Error::DataTest(_) => ErrorDomain::User,
            Error::Exhausted { last, .. } => last.domain(),
        }
    }

    /// Lost connections, failovers (read-only transaction, admin shutdown) and too many
    /// connections are transient; a refused login or a missing database is not, and neither
    /// is a connection that already used up its retries ([`Error::Exhausted`]).
    fn retry(&self) -> Retry {
        match self {
            Error::Connect { source, .. } => Retry::transient_if(!refused_login(source)),
            Error::Postgres { source, .. } => pg_retry(source),
            _ => Retry::Permanent,
        }
    }
}

/// Bad credentials (SQLSTATE class 28) or a missing database (3D000): they do not fix
/// themselves.
fn refused_login(e: &tokio_postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| c.code().starts_with("28") || c.code() == "3D000")
}

/// The server's message and SQLSTATE when it answered, else the driver's error and its
/// cause. tokio-postgres errors carry the server's message (e.g. "password authentication
/// failed for user x"), never the password itself.
fn connect_message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        format!("{db} ({})", db.code().code())
    } else if let Some(src) = std::error::Error::source(e) {
        format!("{e}: {src}")
    } else {
        e.to_string()
    }
}

/// Transient PostgreSQL failures (`skyfit_core::error::postgres_retry`: failovers, lost
/// connections, shutdowns), by SQLSTATE rather than by message. (A foreign error type cannot
/// implement [`Classify`] here, hence a function.)
pub fn pg_retry(e: &tokio_postgres::Error) -> Retry {
    skyfit_core::error::postgres_retry(e.code().map(|c| c.code()), e.is_closed())
}

#[cfg(test)]
mod tests {
    use skyfit_core::config::SslMode;

    use super::*;
    use crate::Database;

    #[tokio::test]
    async fn a_refused_connection_is_transient_and_keeps_the_drivers_error() {
        // Nothing listens on port 1 of the loopback.
        let db =
            Database::from_url("postgres://u:secret-pw@127.0.0.1:1/db", SslMode::Disable).unwrap();
        let e = db.connect().await.unwrap_err();
        assert!(matches!(e, Error::Connect { .. }), "{e}");
        assert_eq!(e.retry(), Retry::Transient);
        assert_eq!(e.domain(), ErrorDomain::External);
        let source = std::error::Error::source(&e).expect("the driver's error is the source");
        assert!(source.is::<tokio_postgres::Error>());
        let msg = e.to_string();
        assert!(msg.contains("error connecting to server"), "{msg}");
        assert!(!msg.contains("secret-pw"), "{msg}");
    }

    #[test]
    fn what_needs_a_change_first_is_permanent() {
        let edited = Error::MigrationEdited {
            name: "0001_init.sql".into(),
            applied: "a".into(),
            current: "b".into(),
        };
        assert_eq!(edited.retry(), Retry::Permanent);
        assert_eq!(edited.domain(), ErrorDomain::User);
        assert_eq!(Error::Settings("x".into()).retry(), Retry::Permanent);
        assert_eq!(
            Error::Local("initdb failed".into()).retry(),
            Retry::Permanent
        );
    }

    #[test]
    fn giving_up_is_permanent_and_keeps_the_last_errors_domain() {
        let e = Error::Exhausted {
            attempts: 3,
            elapsed: Duration::from_secs(2),
            last: Box::new(Error::Settings("x".into())),
        };
        assert_eq!(e.retry(), Retry::Permanent);
        assert_eq!(e.domain(), ErrorDomain::User);
    }
}
