//! Realistic data and harnesses for SkyFit Lake's benchmarks.
//!
//! * [`adopt`]: `skyfit bench adopt` — adopting an EVO entries lake in the original system's
//!   layout (`LakeStore::adopt`), timed.
//! * [`entries`]: typed `core.evo_entries` batches for the encoder benches (a fixed-seed LCG,
//!   allocation-light, so setup stays short even at a million rows).
//! * [`e2e`]: `skyfit bench entries` — a bronze lake of N entries loaded into stg and core,
//!   beside PostgreSQL's own server-side binary COPY of the same rows (the hardware limit).
//! * [`latency`]: an object store that answers like a remote one, counting its requests.
//! * [`rss`]: peak resident memory of the process.

pub mod adopt;
pub mod e2e;
pub mod entries;
pub mod error;
pub mod latency;
pub mod rss;

pub use error::{Error, Result};
