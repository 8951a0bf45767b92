//! Tells the outside world how a run went: a chat alert when it needs attention, and its
//! figures as Prometheus metrics.
//!
//! The CLI fills a [`RunReport`] (plain data) at the end of a run and hands it to
//! [`notify`] and [`publish`]. Neither can fail or hold up the run: network deliveries are
//! retried within a fixed bound ([`RetryPolicy`], default 3 tries within 30 s) and return a
//! [`Delivery`] to log, and a metrics file that cannot be written comes back in
//! [`Published`]. Webhook and Pushgateway URLs are [`SecretUrl`]s: they never appear in a
//! log line, an error or a `Display`.
//!
//! ```
//! use chrono::Utc;
//! use skyfit_report::{Alert, RunReport, RunStatus, metrics};
//!
//! let now = Utc::now();
//! let report = RunReport::new("20250304T030000Z-1a2b", "run", RunStatus::Failed, now, now);
//! let alert = Alert::for_report(&report, 0).expect("a failed run is worth a message");
//! assert!(alert.to_text().contains("skyfit status --run 20250304T030000Z-1a2b"));
//! assert!(metrics::render(&report).contains("skyfit_run_success 0\n"));
//! ```

pub mod alert;
pub mod delivery;
pub mod error;
pub mod metrics;
pub mod push;
pub mod report;
pub mod secret_url;
pub mod textfile;

pub use alert::{Alert, AlertConfig, WebhookFormat, notify};
pub use delivery::{Delivery, RetryPolicy};
pub use error::{Error, Result};
pub use push::{MetricsConfig, Published, PushConfig, publish, push};
pub use report::{
    EntityReport, RunReport, RunStatus, Severity, Stage, StaleTable, TargetReport, TargetStatus,
    TestFailure,
};
pub use secret_url::SecretUrl;
