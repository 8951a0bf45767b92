//! An object store that adds a fixed delay to every request and counts them: a local lake
//! that answers like a remote one (ADLS answers a ranged GET in 20–50 ms from a VM in the
//! same region), so the load's sensitivity to latency is measured, not guessed.
//!
//! `get_ranges` is split as the trait's default splits it (nearby ranges coalesced, each merged
//! range a ranged GET), as the Azure store does: the count is the requests a remote store
//! would see.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use object_store::Result;
use skyfit_test_utils::hooked::{CallKind, HookedStore, StoreHook};

/// The inner store, `delay` slower per request ([`Latency`]).
pub type LatencyStore = HookedStore<Latency>;

/// The hook of a [`LatencyStore`]: the delay, and the GET and HEAD requests so far.
#[derive(Debug)]
pub struct Latency {
    delay: Duration,
    gets: AtomicU64,
}

impl Latency {
    pub fn new(delay: Duration) -> Self {
        Latency {
            delay,
            gets: AtomicU64::new(0),
        }
    }

    /// GET and HEAD requests so far.
    pub fn gets(&self) -> u64 {
        self.gets.load(Ordering::Relaxed)
    }
}

#[async_trait::async_trait]
impl StoreHook for Latency {
    fn name(&self) -> String {
        format!("LatencyStore({:?})", self.delay)
    }

    async fn before(&self, kind: CallKind, _path: &str) -> Result<()> {
        if matches!(kind, CallKind::Get | CallKind::Head) {
            self.gets.fetch_add(1, Ordering::Relaxed);
        }
        // A delete stream's requests are the inner store's to make; the rest is one round trip.
        if kind != CallKind::Delete && !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(())
    }

    fn split_ranges(&self) -> bool {
        true
    }
}
