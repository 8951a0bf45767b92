//! Warehouse integration tests against a real PostgreSQL server.

mod adopt;
mod ledger;
mod migrations;
mod tls;
mod watermarks;
