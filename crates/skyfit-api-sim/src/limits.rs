//! Fixed-window rate limiting with the real APIs' header conventions.
//!
//! Constraint: windows are measured on the wall clock (not the simulated clock), because a
//! client's back-off sleeps in real time. Counting happens even when a limit is not enforced,
//! so Pipedrive/Zendesk still send plausible `remaining` headers.

use std::collections::HashMap;

use crate::faults::RateLimit;

/// Which counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    General,
    Incremental,
}

/// Outcome of counting one request against a window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u32,
    pub exceeded: bool,
    pub retry_after: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: HashMap<(usize, u8, Kind), (u64, u32)>,
    daily_used: HashMap<(usize, u8), u64>,
}

impl Limiter {
    /// Counts a request. `enforced` is the configured limit; `display` is what to report when
    /// none is configured.
    pub fn hit(
        &mut self,
        key: (usize, u8, Kind),
        elapsed_ms: u64,
        enforced: Option<&RateLimit>,
        display: (u32, u32),
    ) -> Verdict {
        let (limit, window_secs) = enforced.map_or(display, |r| (r.requests, r.window_secs.max(1)));
        let window_ms = u64::from(window_secs.max(1)) * 1000;
        let idx = elapsed_ms / window_ms;
        let w = self.windows.entry(key).or_insert((idx, 0));
        if w.0 != idx {
            *w = (idx, 0);
        }
        let left_ms = window_ms - elapsed_ms % window_ms;
        let reset_secs = left_ms.div_ceil(1000) as u32;
        let exceeded = enforced.is_some() && w.1 >= limit;
        if !exceeded {
            w.1 = w.1.saturating_add(1);
        }
        let retry_after = enforced.and_then(|r| r.retry_after).unwrap_or(reset_secs);
        Verdict {
            limit,
            remaining: limit.saturating_sub(w.1),
            reset_secs,
            exceeded,
            retry_after,
        }
    }

    /// Spends `cost` daily tokens; returns the remaining budget, or `None` if it is exhausted.
    pub fn spend_daily(&mut self, key: (usize, u8), budget: u64, cost: u64) -> Option<u64> {
        let used = self.daily_used.entry(key).or_insert(0);
        if *used + cost > budget {
            return None;
        }
        *used += cost;
        Some(budget - *used)
    }
}
