//! End-to-end tests of the `skyfit` binary: real process, real PostgreSQL.

mod config;
mod db;
mod nightly;
mod support;
