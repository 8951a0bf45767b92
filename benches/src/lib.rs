//! Realistic synthetic data for SkyFit Lake's criterion benches (`benches/*.rs`).
//!
//! Generation is deterministic (a fixed-seed LCG) and allocation-light, so bench
//! setup stays short even at a million rows.

pub mod entries;
