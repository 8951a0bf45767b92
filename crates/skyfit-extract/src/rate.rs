//! The shared rate budget: one token bucket per API account, shared by every worker.
//!
//! Constraints:
//! - One [`RateBudget`] per API account (EVO key, Pipedrive token, Zendesk account and its
//!   incremental-export family): N concurrent windows together never exceed the account's
//!   limit, unlike the reference whose N processes each took the full 40/min.
//! - Reservations, not polling: a caller takes its slot at once (tokens may go negative) and
//!   sleeps until its slot, so workers are served in arrival order and nobody spins.
//! - A 429 or a pacing header pauses the whole account ([`RateBudget::pause_for`]), not only
//!   the worker that saw it.
//! - The steady rate is a little under the configured limit ([`SAFETY`]) so a server counting
//!   fixed windows never sees more than its limit, and the burst is small for the same reason.
//! - It counts the slots it handed out over the last minute ([`RateBudget::in_use`]), so a
//!   person watching a run sees how much of the account's limit the run takes.

use std::sync::Mutex;
use std::time::Duration;

use chrono::Timelike;
use tokio::time::Instant;

/// Fraction of the nominal limit actually used.
pub const SAFETY: f64 = 0.97;

/// Hours `[start, end)` in a time zone during which the API does not throttle.
#[derive(Debug, Clone, Copy)]
pub struct FreeWindow {
    pub start_hour: u8,
    pub end_hour: u8,
    pub tz: chrono_tz::Tz,
}

impl FreeWindow {
    pub fn contains_now(&self) -> bool {
        let hour = chrono::Utc::now().with_timezone(&self.tz).hour() as u8;
        if self.start_hour <= self.end_hour {
            (self.start_hour..self.end_hour).contains(&hour)
        } else {
            hour >= self.start_hour || hour < self.end_hour
        }
    }
}

/// How much of an account's limit is in use: requests of the last minute, against the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetUse {
    /// Request slots taken in the last 60 seconds.
    pub used: u64,
    /// The configured requests per minute; `None` for an unlimited budget.
    pub limit: Option<u32>,
}

/// Slots taken per second over the last minute: one counter per second of the minute, each
/// tagged with the second it counts, so a stale counter reads as zero.
#[derive(Debug)]
struct Minute {
    start: Instant,
    counts: [(u64, u64); 60],
}

impl Minute {
    fn new() -> Self {
        Minute {
            start: Instant::now(),
            counts: [(u64::MAX, 0); 60],
        }
    }

    fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_secs()
    }

    fn add(&mut self, at: Instant) {
        let second = self.second(at);
        let slot = &mut self.counts[(second % 60) as usize];
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
    }

    fn sum(&self, at: Instant) -> u64 {
        let now = self.second(at);
        self.counts
            .iter()
            .filter(|(second, _)| *second != u64::MAX && now.saturating_sub(*second) < 60)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug)]
struct Bucket {
    /// Tokens added per second; `None` = unlimited.
    per_sec: Option<f64>,
    capacity: f64,
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
    /// The configured limit, for [`RateBudget::in_use`].
    per_minute: Option<u32>,
    minute: Minute,
}

/// A token bucket shared by all workers of one API account.
#[derive(Debug)]
pub struct RateBudget {
    name: String,
    bucket: Mutex<Bucket>,
    free_window: Option<FreeWindow>,
}

impl RateBudget {
    /// `requests_per_minute` for the whole account, smoothed (burst of a few requests).
    pub fn per_minute(name: impl Into<String>, requests_per_minute: u32) -> Self {
        let rpm = f64::from(requests_per_minute.max(1));
        let per_sec = rpm * SAFETY / 60.0;
        let capacity = (rpm / 60.0).clamp(1.0, 20.0);
        RateBudget {
            name: name.into(),
            bucket: Mutex::new(Bucket {
                per_sec: Some(per_sec),
                capacity,
                tokens: 1.0,
                last: Instant::now(),
                paused_until: None,
                per_minute: Some(requests_per_minute.max(1)),
                minute: Minute::new(),
            }),
            free_window: None,
        }
    }

    /// No client-side limit (429s and pacing headers still pause it).
    pub fn unlimited(name: impl Into<String>) -> Self {
        RateBudget {
            name: name.into(),
            bucket: Mutex::new(Bucket {
                per_sec: None,
                capacity: 1.0,
                tokens: 1.0,
                last: Instant::now(),
                paused_until: None,
                per_minute: None,
                minute: Minute::new(),
            }),
            free_window: None,
        }
    }

    /// Hours in which the budget does not throttle (EVO's optional free window).
    pub fn with_free_window(mut self, window: Option<FreeWindow>) -> Self {
        self.free_window = window;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        match self.bucket.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Request slots taken in the last minute, and the limit they count against.
    pub fn in_use(&self) -> BudgetUse {
        let b = self.lock();
        BudgetUse {
            used: b.minute.sum(Instant::now()),
            limit: b.per_minute,
        }
    }

    /// How long the caller must wait for its slot; the slot is taken.
    fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut b = self.lock();
        b.minute.add(now);
        let pause = b
            .paused_until
            .filter(|t| *t > now)
            .map(|t| t - now)
            .unwrap_or_default();
        let Some(per_sec) = b.per_sec else {
            return pause;
        };
        if self.free_window.is_some_and(|w| w.contains_now()) {
            return pause;
        }
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.last = now;
        b.tokens = (b.tokens + elapsed * per_sec).min(b.capacity);
        b.tokens -= 1.0;
        let wait = if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / per_sec)
        };
        wait.max(pause)
    }

    /// Waits for the next request slot of this account.
    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tracing::trace!(budget = %self.name, wait_ms = wait.as_millis() as u64, "Waiting for rate budget.");
            tokio::time::sleep(wait).await;
        }
    }

    /// Pauses every worker of the account for `d` (after a 429, or when a pacing header says
    /// the window is spent). Never shortens an existing pause.
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut b = self.lock();
        if b.paused_until.is_none_or(|t| t < until) {
            b.paused_until = Some(until);
        }
        // Tokens accrued before the pause must not burst out right after it.
        b.tokens = b.tokens.min(1.0);
    }
}

/// A little randomness for back-off jitter without a RNG dependency (splitmix64 of the clock
/// and a counter): enough to de-synchronise workers, not for anything else.
pub fn jitter_unit() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_at_the_configured_rate() {
        let b = RateBudget::per_minute("t", 6000); // 100/s nominal, 97/s used
        let start = Instant::now();
        for _ in 0..50 {
            b.acquire().await;
        }
        // 50 slots at 97/s cannot be served in much less than half a second.
        assert!(start.elapsed() >= Duration::from_millis(400));
    }

    #[tokio::test]
    async fn pause_blocks_everyone() {
        let b = RateBudget::unlimited("t");
        b.pause_for(Duration::from_millis(300));
        let start = Instant::now();
        b.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(300));
    }

    #[test]
    fn the_minute_counts_the_slots_of_the_last_60_seconds() {
        let mut m = Minute::new();
        let t0 = m.start;
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        assert_eq!(m.sum(at(0)), 0);
        for _ in 0..5 {
            m.add(at(0));
        }
        m.add(at(30));
        assert_eq!(m.sum(at(30)), 6);
        // The first five slots are more than a minute old, the last one is not.
        assert_eq!(m.sum(at(61)), 1);
        // A slot reused a minute later counts afresh.
        m.add(at(60));
        assert_eq!(m.sum(at(60)), 2);
        assert_eq!(m.sum(at(200)), 0);
    }

    #[tokio::test]
    async fn in_use_counts_the_slots_taken() {
        let b = RateBudget::per_minute("t", 6000);
        assert_eq!(
            b.in_use(),
            BudgetUse {
                used: 0,
                limit: Some(6000)
            }
        );
        for _ in 0..5 {
            b.acquire().await;
        }
        assert_eq!(b.in_use().used, 5);
        assert_eq!(RateBudget::unlimited("u").in_use().limit, None);
    }

    #[test]
    fn jitter_is_a_unit_interval() {
        for _ in 0..1000 {
            let j = jitter_unit();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
