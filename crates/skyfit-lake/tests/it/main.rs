//! Integration tests of the bronze lake: one binary (see STYLE.md), one module per concern.
//!
//! `local` runs everything against a temp directory; `azure` runs the shared round trip
//! against Azurite, which `azurite::ensure_azurite` installs once into `target/azurite`.

mod azure;
mod azurite;
mod common;
mod local;
