//! Warehouse integration tests against a real PostgreSQL server.

mod adopt;
mod datatests;
mod ledger;
mod migrations;
mod tls;
mod watermarks;
