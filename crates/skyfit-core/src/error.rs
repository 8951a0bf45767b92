//! The one vocabulary every crate's `Error` speaks about its failures: who has to act
//! ([`ErrorDomain`]) and whether trying the same thing again, unchanged, can help ([`Retry`]).
//!
//! Each crate implements [`Classify`] for its own `Error`; retry loops and messages ask
//! `error.retry()` instead of a crate-specific `is_retryable`/`is_transient`. The
//! classification is a hint about the failure, not a policy: how often and how long to retry
//! stays with the caller (HTTP pages, connections, loads each have their own budget).
//!
//! Errors that wrap another crate's error delegate to it, so a lost PostgreSQL connection
//! three layers down is still [`Retry::Transient`] at the top.

use std::fmt;

/// Who has to act for the failure to go away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorDomain {
    /// Wrong input, configuration or credentials: the user fixes them, then reruns.
    User,
    /// A system outside SkyFit (an API, the lake's storage, PostgreSQL) failed or refused.
    External,
    /// A bug in SkyFit itself.
    Internal,
}

/// Whether trying the same operation again, unchanged, can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// A passing failure (a lost connection, a failover, a storage hiccup, a rate limit):
    /// retry after a back-off, or rerun later (`--resume`).
    Transient,
    /// Retrying unchanged fails the same way: something has to change first.
    Permanent,
}

impl Retry {
    /// `Transient` when `transient` holds, else `Permanent`.
    pub fn transient_if(transient: bool) -> Retry {
        if transient {
            Retry::Transient
        } else {
            Retry::Permanent
        }
    }

    pub fn is_transient(self) -> bool {
        self == Retry::Transient
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Retry::Transient => "transient",
            Retry::Permanent => "permanent",
        })
    }
}

impl fmt::Display for ErrorDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorDomain::User => "user",
            ErrorDomain::External => "external",
            ErrorDomain::Internal => "internal",
        })
    }
}

/// Implemented by each crate's `Error`: whose failure it is and whether a retry can help.
pub trait Classify {
    /// Who has to act.
    fn domain(&self) -> ErrorDomain;
    /// Whether retrying the same operation unchanged can succeed.
    fn retry(&self) -> Retry;
}

impl<T: Classify + ?Sized> Classify for Box<T> {
    fn domain(&self) -> ErrorDomain {
        (**self).domain()
    }

    fn retry(&self) -> Retry {
        (**self).retry()
    }
}

impl Classify for crate::ConfigError {
    fn domain(&self) -> ErrorDomain {
        ErrorDomain::User
    }

    fn retry(&self) -> Retry {
        Retry::Permanent
    }
}

/// Whether a failed PostgreSQL operation can succeed when tried again: the one list every crate
/// that talks to PostgreSQL uses (the driver's error type is not known here, so callers pass
/// its SQLSTATE and whether the connection is gone).
///
/// Transient: connection exceptions (class 08), operator intervention (57P: admin or crash
/// shutdown, cannot connect now), a failover in progress (25006 read-only transaction), too
/// many connections (53300), serialization failures and deadlocks (40001, 40P01), a lock not
/// available (55P03), and an error without SQLSTATE (an I/O error on the socket, a closed
/// connection). Anything else the server answered needs a change first.
pub fn postgres_retry(sqlstate: Option<&str>, closed: bool) -> Retry {
    if closed {
        return Retry::Transient;
    }
    let Some(code) = sqlstate else {
        return Retry::Transient;
    };
    Retry::transient_if(
        code.starts_with("08")
            || code.starts_with("57P")
            || matches!(code, "25006" | "53300" | "40001" | "40P01" | "55P03"),
    )
}

/// `e` with every cause its own message does not already quote: a driver error such as
/// tokio-postgres' prints only "db error" and keeps the server's message in its source, which a
/// failed target's summary and ledger row must not lose.
pub fn full_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut causes = Vec::new();
    let mut next = e.source();
    while let Some(c) = next {
        causes.push(c.to_string());
        next = c.source();
    }
    for (i, cause) in causes.iter().enumerate() {
        if !causes[i..].iter().any(|c| out.contains(c.as_str())) {
            out.push_str(": ");
            out.push_str(cause);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("db error")]
    struct Driver(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("upsert failed: {0}")]
    struct Step(#[source] Driver);

    #[test]
    fn the_server_message_behind_a_bare_driver_error_is_kept_once() {
        let e = Step(Driver(std::io::Error::other(
            "ERROR: ON CONFLICT DO UPDATE command cannot affect row a second time",
        )));
        assert_eq!(
            full_message(&e),
            "upsert failed: db error: ERROR: ON CONFLICT DO UPDATE command cannot affect row a second time"
        );
    }

    #[test]
    fn transient_if_maps_the_flag() {
        assert_eq!(Retry::transient_if(true), Retry::Transient);
        assert_eq!(Retry::transient_if(false), Retry::Permanent);
        assert!(Retry::Transient.is_transient());
        assert!(!Retry::Permanent.is_transient());
    }

    #[test]
    fn a_bad_configuration_is_the_users_and_permanent() {
        let e = crate::ConfigError::Invalid(vec!["lake.url: empty".into()]);
        assert_eq!(e.domain(), ErrorDomain::User);
        assert_eq!(e.retry(), Retry::Permanent);
        // Through a box, as errors wrap each other.
        let boxed: Box<dyn Classify> = Box::new(e);
        assert_eq!(boxed.retry(), Retry::Permanent);
    }

    #[test]
    fn postgres_failovers_and_lost_connections_are_transient_constraint_errors_are_not() {
        for code in [
            "08006", "57P01", "25006", "53300", "40001", "40P01", "55P03",
        ] {
            assert_eq!(
                postgres_retry(Some(code), false),
                Retry::Transient,
                "{code}"
            );
        }
        for code in ["23505", "42P01", "22003", "28P01"] {
            assert_eq!(
                postgres_retry(Some(code), false),
                Retry::Permanent,
                "{code}"
            );
        }
        assert_eq!(postgres_retry(None, false), Retry::Transient);
        assert_eq!(postgres_retry(Some("23505"), true), Retry::Transient);
    }

    #[test]
    fn names_print_lowercase() {
        assert_eq!(Retry::Transient.to_string(), "transient");
        assert_eq!(ErrorDomain::External.to_string(), "external");
    }
}
