//! The crate's single error type.

use std::net::SocketAddr;

/// Errors of the simulator (start-up, configuration). Request-level problems never become an
/// `Error`: they are answered with the real API's status code and body.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A listener could not be bound (user error: the port is taken; retrying will not help).
    #[error("cannot bind the {api} simulator to {addr}: {source}")]
    Bind {
        /// Which API listener.
        api: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An unknown `--scale` preset name.
    #[error("unknown scale preset {name:?}; expected tiny, small, medium or reference")]
    UnknownScale {
        /// What was given.
        name: String,
    },
    /// A configuration value is invalid.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// Waiting for Ctrl-C or serving failed.
    #[error("simulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
