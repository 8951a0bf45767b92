//! Runtime knobs of an extraction (CLI flags), with defaults in code.
//!
//! Pipeline facts (base URLs, credentials, EVO's request budget and free window) come from
//! [`skyfit_core::Config`]; these are the knobs an operator or a test turns per run.

use std::time::Duration;

use chrono::NaiveDate;
use skyfit_core::Source;
use skyfit_lake::PartLimits;

use crate::http::RetryPolicy;

#[derive(Debug, Clone)]
pub struct EvoOptions {
    /// First day a full extraction covers.
    pub history_start: NaiveDate,
    /// Days re-extracted before the watermark on incremental runs (late registrations).
    pub overlap_days: i64,
    /// A window with a record at this offset is split (keeps `skip` below EVO's deep-skip 500s).
    pub max_window_records: u64,
    /// Smallest window the adaptive split produces.
    pub min_window: chrono::Duration,
}

impl Default for EvoOptions {
    fn default() -> Self {
        EvoOptions {
            history_start: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
            overlap_days: 1,
            max_window_records: 100_000,
            min_window: chrono::Duration::hours(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PipedriveOptions {
    /// Requests per minute per account on top of header pacing (burst window 80/2 s).
    pub requests_per_minute: u32,
    /// Re-extract this much before the watermark (reference: 5 minutes).
    pub overlap: chrono::Duration,
    /// v2 `limit` (max 500).
    pub page_limit: u64,
    /// Stop the source before the daily token budget falls below this.
    pub daily_reserve: u64,
}

impl Default for PipedriveOptions {
    fn default() -> Self {
        PipedriveOptions {
            requests_per_minute: 1_800,
            overlap: chrono::Duration::minutes(5),
            page_limit: 500,
            daily_reserve: 500,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ZendeskOptions {
    /// Account-wide requests per minute (plan limit; Growth/Professional 400).
    pub requests_per_minute: u32,
    /// Incremental-export requests per minute (documented 10/min).
    pub incremental_per_minute: u32,
    /// `per_page` of incremental exports (max 1000).
    pub per_page: u64,
    /// `per_page` of plain lists (max 100).
    pub list_per_page: u64,
}

impl Default for ZendeskOptions {
    fn default() -> Self {
        ZendeskOptions {
            requests_per_minute: 400,
            incremental_per_minute: 10,
            per_page: 1000,
            list_per_page: 100,
        }
    }
}

/// Everything tunable about one extraction.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Windows of one entity fetched concurrently (all share the account's rate budget).
    pub workers: usize,
    pub retry: RetryPolicy,
    pub part_limits: PartLimits,
    pub evo: EvoOptions,
    pub pipedrive: PipedriveOptions,
    pub zendesk: ZendeskOptions,
    /// Sources served by the built-in API simulator rather than their real API: their runs are
    /// marked `simulated` in the manifest (and the summary), so no loader mistakes them for
    /// real data.
    pub simulated: Vec<Source>,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            workers: 4,
            retry: RetryPolicy::default(),
            part_limits: PartLimits::default(),
            evo: EvoOptions::default(),
            pipedrive: PipedriveOptions::default(),
            zendesk: ZendeskOptions::default(),
            simulated: Vec::new(),
        }
    }
}

impl ExtractOptions {
    /// Short delays for tests against the simulator: no real waits beyond milliseconds.
    pub fn fast_for_tests() -> Self {
        ExtractOptions {
            retry: RetryPolicy {
                backoff_base: Duration::from_millis(10),
                backoff_cap: Duration::from_millis(200),
                retry_after_floor: Duration::from_millis(50),
                timeout: Duration::from_secs(30),
                ..RetryPolicy::default()
            },
            ..ExtractOptions::default()
        }
    }
}
