//! The one error type of reporting.
//!
//! Only setting things up can fail with it (a URL that does not parse, a metrics file that
//! cannot be written). Sending an alert or pushing metrics never returns an error: their
//! outcome is a [`crate::Delivery`], which the caller logs, so reporting can never fail a
//! run. No variant carries a URL (they are credentials).

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A webhook or Pushgateway URL that is not an `http(s)` URL. The URL itself is left
    /// out of the message.
    #[error("invalid URL: {reason}")]
    InvalidUrl { reason: String },

    /// The metrics file (or its temporary sibling) could not be written or renamed.
    #[error("cannot write the metrics file {}: {source}", path.display())]
    Textfile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether trying again unchanged can help: a full disk or a permission problem will
    /// not go away by itself, an invalid URL never; only interrupted writes are transient.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::InvalidUrl { .. } => false,
            Error::Textfile { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut
            ),
        }
    }
}
