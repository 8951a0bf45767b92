//! SkyFit API simulator: faithful EVO, Pipedrive and Zendesk servers over real sockets.
//!
//! Constraints:
//! * **No materialisation.** Every record is a pure function of `(seed, entity, index, clock)`
//!   and is written straight into the response buffer, so memory is flat at any scale (110M
//!   entries at `Scale::reference()`), and the same seed/scale/clock gives byte-identical bodies.
//! * **Index = time.** Records are created at a monotone function of their index over
//!   2020-01-01..2026-11-25 (Zendesk from 2023), so date windows are index ranges and
//!   [`ground_truth`] can give exact expected counts without generating anything.
//! * **Real semantics.** Paths, parameters, page-size limits, envelopes, error bodies, status
//!   codes and rate-limit headers follow the APIs as described in `docs/data-contract.md`
//!   (sections EVO, Pipedrive, Zendesk); output uses the real field names and JSON types of
//!   recorded public payloads (`tests/it/samples.rs` compares against them).
//! * **Separate listeners** per API (Pipedrive and Zendesk both use `/api/v2`).
//!
//! ```no_run
//! # async fn demo() -> skyfit_api_sim::Result<()> {
//! use skyfit_api_sim::{Scale, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::new(42, Scale::tiny()), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{}", sim.banner());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
pub mod config;
pub mod error;
pub mod evo;
pub mod faults;
pub mod ground_truth;
mod http;
mod limits;
pub mod pipedrive;
mod pipeline;
mod server;
mod state;
pub mod stats;
pub mod synth;
pub mod zendesk;

pub use config::{PipedriveScale, Scale, SimConfig};
pub use error::{Error, Result};
pub use evo::EvoEntity;
pub use faults::{
    ApiFaults, BodyFault, FaultConfig, PageFault, PageRedirect, RateLimit, RecordFault, ValueFault,
};
pub use http::Api;
pub use pipedrive::Scope;
pub use server::{RunningSim, Simulator, run_until_ctrl_c};
pub use state::Credentials;
pub use stats::{ApiStats, SimStats};
pub use synth::Gen;
