//! skyfit-report's integration tests: alerts and metrics pushes against local HTTP servers
//! started by each test, and the metrics file read back with a real parser.

mod alerts;
mod common;
mod metrics;
