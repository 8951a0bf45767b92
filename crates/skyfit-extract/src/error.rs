//! The one error type of the extractors.
//!
//! Every variant that concerns a request carries a [`Location`]: source, scope, entity,
//! window and page (offset or cursor), so a failed run says exactly where it stopped. No
//! variant ever carries a credential: URLs are kept as paths with their query string, and
//! credentials are named by the environment variable that holds them.
//!
//! [`Classify`]: the retry hint says whether rerunning (with `--resume`) unchanged may
//! succeed. The HTTP client's own retries (429, 5xx, resets) happen before an error is made;
//! a page that still failed after them ([`Error::PageFailed`]) is transient for the *run*.

use std::fmt;

use skyfit_core::{Classify, ErrorDomain, Retry, Source};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a request was made: enough to re-run exactly that page by hand.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub source: Option<Source>,
    pub scope: Option<String>,
    pub entity: String,
    /// The window id (`2024-01-01T00:00:00..2024-01-08T00:00:00`, `all`, …).
    pub window: String,
    /// The page within the window: `skip=2000`, `cursor=abc`, `first page`.
    pub page: String,
}

impl Location {
    pub fn new(source: Source, scope: Option<&str>, entity: &str) -> Self {
        Location {
            source: Some(source),
            scope: scope.map(str::to_string),
            entity: entity.to_string(),
            window: String::new(),
            page: String::new(),
        }
    }

    pub fn with_window(mut self, window: impl Into<String>) -> Self {
        self.window = window.into();
        self
    }

    pub fn with_page(mut self, page: impl Into<String>) -> Self {
        self.page = page.into();
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Some(s) => write!(f, "{s}")?,
            None => f.write_str("?")?,
        }
        if let Some(scope) = &self.scope {
            write!(f, "/{scope}")?;
        }
        write!(f, " entity `{}`", self.entity)?;
        if !self.window.is_empty() {
            write!(f, " window `{}`", self.window)?;
        }
        if !self.page.is_empty() {
            write!(f, " page `{}`", self.page)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API refused the credentials: the whole source stops at once.
    #[error("{at}: the API refused the credentials (HTTP {status}); check {credential}")]
    Auth {
        at: Location,
        status: u16,
        /// The environment variable(s) holding the credential to check.
        credential: String,
    },

    /// A page still failed after every retry: the run fails, nothing is skipped.
    #[error(
        "{at}: page failed after {attempts} attempts, last error: {last}; the run is incomplete, rerun with --resume"
    )]
    PageFailed {
        at: Location,
        attempts: u32,
        last: String,
    },

    /// The API answered with a client error that a retry will not fix.
    #[error("{at}: HTTP {status} from `{path}`: {body}")]
    Http {
        at: Location,
        status: u16,
        path: String,
        body: String,
    },

    /// A well-formed response that does not have the shape the API documents.
    #[error("{at}: unexpected response: {reason}")]
    InvalidResponse { at: Location, reason: String },

    /// Pipedrive's daily token budget is (nearly) spent: continuing would only collect 429s.
    #[error(
        "{at}: the daily API budget is exhausted ({remaining} of {limit} tokens left); rerun with --resume after it resets"
    )]
    BudgetExhausted {
        at: Location,
        remaining: u64,
        limit: u64,
    },

    /// The bronze lake refused a write or read.
    #[error("{at}: lake: {source}")]
    Lake {
        at: Location,
        #[source]
        source: skyfit_lake::Error,
    },

    /// The request cannot be run as given (unknown entity, missing credentials, bad dates).
    #[error("{source_name}: {reason}")]
    Config { source_name: String, reason: String },

    /// `--resume` found nothing it can continue, or a manifest that disagrees with the request.
    #[error("{at}: cannot resume: {reason}")]
    Resume { at: Location, reason: String },

    /// The HTTP client could not be built (TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),

    /// A worker task panicked or was cancelled.
    #[error("{at}: worker task failed: {reason}")]
    Task { at: Location, reason: String },

    /// Reading or settling the pending EVO webhook callbacks failed (they stay pending).
    #[error("evo webhooks: {0}")]
    Webhook(#[source] crate::webhook::WebhookError),
}

impl Error {
    pub fn config(source: impl fmt::Display, reason: impl Into<String>) -> Self {
        Error::Config {
            source_name: source.to_string(),
            reason: reason.into(),
        }
    }

    /// Where the error happened, when it concerns one entity.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Auth { at, .. }
            | Error::PageFailed { at, .. }
            | Error::Http { at, .. }
            | Error::InvalidResponse { at, .. }
            | Error::BudgetExhausted { at, .. }
            | Error::Lake { at, .. }
            | Error::Resume { at, .. }
            | Error::Task { at, .. } => Some(at),
            Error::Config { .. } | Error::Client(_) | Error::Webhook(_) => None,
        }
    }
}

impl Classify for Error {
    fn domain(&self) -> ErrorDomain {
        match self {
            Error::Auth { .. } | Error::Config { .. } | Error::Resume { .. } => ErrorDomain::User,
            Error::PageFailed { .. }
            | Error::Http { .. }
            | Error::InvalidResponse { .. }
            | Error::BudgetExhausted { .. }
            | Error::Lake { .. }
            | Error::Client(_)
            | Error::Webhook(_) => ErrorDomain::External,
            Error::Task { .. } => ErrorDomain::Internal,
        }
    }

    fn retry(&self) -> Retry {
        match self {
            Error::PageFailed { .. }
            | Error::BudgetExhausted { .. }
            | Error::Task { .. }
            | Error::Webhook(_) => Retry::Transient,
            Error::Lake { source, .. } => source.retry(),
            Error::Auth { .. }
            | Error::Http { .. }
            | Error::InvalidResponse { .. }
            | Error::Config { .. }
            | Error::Resume { .. }
            | Error::Client(_) => Retry::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_page() {
        let at = Location::new(Source::Evo, None, "entries")
            .with_window("2024-01-01..2024-01-08")
            .with_page("skip=2000");
        let e = Error::PageFailed {
            at,
            attempts: 8,
            last: "HTTP 500".into(),
        };
        let s = e.to_string();
        assert!(
            s.contains("evo entity `entries` window `2024-01-01..2024-01-08` page `skip=2000`"),
            "{s}"
        );
        assert_eq!(e.retry(), Retry::Transient);
        assert_eq!(e.domain(), ErrorDomain::External);
    }

    fn at() -> Location {
        Location::new(Source::Pipedrive, Some("comercial"), "deals")
    }

    #[test]
    fn what_a_rerun_can_fix_is_transient() {
        let budget = Error::BudgetExhausted {
            at: at(),
            remaining: 10,
            limit: 10_000,
        };
        assert_eq!(budget.retry(), Retry::Transient);
        let task = Error::Task {
            at: at(),
            reason: "cancelled".into(),
        };
        assert_eq!(task.retry(), Retry::Transient);
        assert_eq!(task.domain(), ErrorDomain::Internal);
    }

    #[test]
    fn what_needs_a_change_first_is_permanent() {
        let auth = Error::Auth {
            at: at(),
            status: 401,
            credential: "PIPEDRIVE_TOKEN_COMERCIAL".into(),
        };
        assert_eq!(auth.retry(), Retry::Permanent);
        assert_eq!(auth.domain(), ErrorDomain::User);
        let http = Error::Http {
            at: at(),
            status: 404,
            path: "/v1/deals".into(),
            body: "not found".into(),
        };
        assert_eq!(http.retry(), Retry::Permanent);
        let invalid = Error::InvalidResponse {
            at: at(),
            reason: "redirect".into(),
        };
        assert_eq!(invalid.retry(), Retry::Permanent);
        assert_eq!(
            Error::config("evo", "unknown entity").retry(),
            Retry::Permanent
        );
    }

    #[test]
    fn a_lake_error_keeps_the_lakes_hint_and_source() {
        let lake = skyfit_lake::Error::RunState {
            run: "r".into(),
            reason: "complete".into(),
        };
        let e = Error::Lake {
            at: at(),
            source: lake,
        };
        assert_eq!(e.retry(), Retry::Permanent);
        let source = std::error::Error::source(&e).expect("the lake error is the source");
        assert!(source.is::<skyfit_lake::Error>());
    }
}
