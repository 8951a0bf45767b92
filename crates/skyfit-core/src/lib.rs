//! Shared vocabulary of SkyFit Lake: sources, entities, run ids, the EVO synthetic
//! entry key, secrets, the typed configuration and the error vocabulary every crate's
//! `Error` speaks ([`Classify`]: whose failure, and whether a retry can help).
//!
//! This crate does no network or database I/O; every other crate depends on it and it
//! depends on none of them.

pub mod config;
pub mod entry_id;
pub mod error;
pub mod ids;
pub mod secret;
pub mod sql;

pub use config::{Config, ConfigError};
pub use entry_id::entry_id;
pub use error::{Classify, ErrorDomain, Retry};
pub use ids::{IngestionDate, RunId, RunIdError, Source};
pub use secret::Secret;
