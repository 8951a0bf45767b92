//! End-to-end tests of the `skyfit` binary: real process, real PostgreSQL.

mod adopt_lake;
mod adopt_warehouse;
mod change_capture_pd_zd;
mod config;
mod console;
mod data_tests;
mod db;
mod doctor;
mod extract_kill;
mod full_disk;
mod lakes;
mod load_kill;
mod nightly;
mod quarantine;
mod query;
mod run_kill;
mod simulated;
mod status_alerts;
mod support;
mod webhook;
