//! The one error type of the bronze lake.
//!
//! Every variant names the object path, entity or URL it concerns so a failed run says where
//! it failed. No variant ever carries a credential: URLs are stored with their query string
//! removed and Azure builder errors are rendered without the options that produced them.
//!
//! [`Classify`] says whose failure it is and whether retrying can help: only storage calls
//! that failed for a passing reason (not a missing object, a refused credential or an
//! unsupported call) are [`Retry::Transient`].

use object_store::path::Path;
use skyfit_core::{Classify, ErrorDomain, Retry};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake URL could not be understood (user error; a retry will not help).
    #[error("invalid lake URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// object_store refused the Azure configuration (user error).
    #[error("cannot configure Azure lake `{url}`: {source}")]
    AzureConfig {
        url: String,
        #[source]
        source: object_store::Error,
    },

    /// The local lake directory could not be created.
    #[error("cannot create lake directory `{dir}`: {source}")]
    LocalDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },

    /// A storage operation failed (external; often transient).
    #[error("lake {op} of `{path}` failed: {source}")]
    Store {
        op: &'static str,
        path: String,
        #[source]
        source: object_store::Error,
    },

    /// A source, scope or entity name that cannot be used as a path segment.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },

    /// An object path that is not part of the bronze layout.
    #[error("`{path}` is not a bronze lake path: {reason}")]
    InvalidPath { path: String, reason: String },

    /// Adopting the original system's runs failed for a reason of SkyFit's own.
    #[error("adopting the original runs: {reason}")]
    Adopt { reason: String },

    /// A JSON document of the lake (manifest, watermark) could not be read or written.
    #[error("JSON document `{path}`: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },

    /// Encoding or decoding a Parquet part failed.
    #[error("Parquet part `{path}`: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// Building an Arrow batch failed (internal: the declared schema and builders disagree).
    #[error("Arrow batch for `{entity}`: {source}")]
    Arrow {
        entity: String,
        #[source]
        source: arrow::error::ArrowError,
    },

    /// Compressing or decompressing a JSONL.GZ part failed.
    #[error("gzip of `{path}`: {source}")]
    Gzip {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A part's bytes do not match the checksum its manifest recorded.
    #[error("part `{path}` is corrupt: sha256 {actual}, manifest says {expected}")]
    Checksum {
        path: String,
        expected: String,
        actual: String,
    },

    /// The run cannot do what was asked in its current state (e.g. resuming a complete run).
    #[error("run `{run}`: {reason}")]
    RunState { run: String, reason: String },

    /// A page referred to a window the writer was never told about.
    #[error("run `{run}`: unknown window `{window}`")]
    UnknownWindow { run: String, window: String },
}

impl Error {
    pub(crate) fn store(op: &'static str, path: &Path, source: object_store::Error) -> Self {
        Error::Store {
            op,
            path: path.to_string(),
            source,
        }
    }

    /// Whether the object a read asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }
        )
    }
}

/// object_store failures that a retry of the same call will not fix.
fn store_is_permanent(e: &object_store::Error) -> bool {
    matches!(
        e,
        object_store::Error::NotFound { .. }
            | object_store::Error::InvalidPath { .. }
            | object_store::Error::NotSupported { .. }
            | object_store::Error::NotImplemented { .. }
            | object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. }
            | object_store::Error::UnknownConfigurationKey { .. }
    )
}

impl Classify for Error {
    fn domain(&self) -> ErrorDomain {
        match self {
            Error::InvalidUrl { .. }
            | Error::AzureConfig { .. }
            | Error::InvalidName { .. }
            | Error::InvalidPath { .. }
            | Error::RunState { .. } => ErrorDomain::User,
            Error::Store { source, .. } => match source {
                object_store::Error::PermissionDenied { .. }
                | object_store::Error::Unauthenticated { .. }
                | object_store::Error::UnknownConfigurationKey { .. } => ErrorDomain::User,
                _ => ErrorDomain::External,
            },
            Error::LocalDir { .. }
            | Error::Adopt { .. }
            | Error::Json { .. }
            | Error::Parquet { .. }
            | Error::Gzip { .. }
            | Error::Checksum { .. } => ErrorDomain::External,
            Error::Arrow { .. } | Error::UnknownWindow { .. } => ErrorDomain::Internal,
        }
    }

    /// Storage hiccups are transient; everything else needs a change of input or
    /// configuration first.
    fn retry(&self) -> Retry {
        match self {
            Error::Store { source, .. } => Retry::transient_if(!store_is_permanent(source)),
            _ => Retry::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(source: object_store::Error) -> Error {
        Error::store("put", &Path::from("bronze/evo/x"), source)
    }

    #[test]
    fn storage_hiccups_are_transient() {
        let e = store(object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "connection reset".into(),
        });
        assert_eq!(e.retry(), Retry::Transient);
        assert_eq!(e.domain(), ErrorDomain::External);
        // The object_store error stays reachable as the source.
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn missing_objects_and_refused_credentials_are_permanent() {
        let missing = store(object_store::Error::NotFound {
            path: "bronze/evo/x".into(),
            source: "gone".into(),
        });
        assert_eq!(missing.retry(), Retry::Permanent);
        assert!(missing.is_not_found());
        let denied = store(object_store::Error::Unauthenticated {
            path: "bronze/evo/x".into(),
            source: "bad key".into(),
        });
        assert_eq!(denied.retry(), Retry::Permanent);
        assert_eq!(denied.domain(), ErrorDomain::User);
    }

    #[test]
    fn errors_outside_storage_are_permanent() {
        let e = Error::InvalidUrl {
            url: "ftp://x".into(),
            reason: "unsupported scheme".into(),
        };
        assert_eq!(e.retry(), Retry::Permanent);
        assert_eq!(e.domain(), ErrorDomain::User);
        let e = Error::Checksum {
            path: "p".into(),
            expected: "a".into(),
            actual: "b".into(),
        };
        assert_eq!(e.retry(), Retry::Permanent);
    }
}
