//! Integration tests of the bronze lake: one binary (see STYLE.md), one module per concern.
//!
//! `local` runs everything against a temp directory; `azure` runs the shared round trip
//! against Azurite, which `skyfit_test_utils::azurite` installs once into `target/azurite` (or `AZURITE_DIR`).

mod adopt;
mod azure;
mod common;
mod faults;
mod local;
