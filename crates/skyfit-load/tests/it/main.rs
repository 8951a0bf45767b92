//! Integration tests of skyfit-load: golden bytes (no server) and round trips
//! through a real PostgreSQL (see `db.rs` for how it is found).

mod db;
mod golden;
mod load;
mod roundtrip;
mod strategy;
