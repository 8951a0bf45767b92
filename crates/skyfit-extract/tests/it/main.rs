//! Integration tests of the extractors: the real client code against the API simulator on an
//! ephemeral port, landing in a temp-dir lake.

mod change_capture;
mod common;
mod evo;
mod lake_faults;
mod pipedrive;
mod progress;
mod rate;
mod takeover;
mod webhook;
mod zendesk;
