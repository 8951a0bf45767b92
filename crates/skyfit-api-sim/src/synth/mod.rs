//! Deterministic record-generation primitives shared by the three APIs.
//!
//! Constraints: nothing here allocates per record except the caller's output buffer, nothing
//! holds global state, and every value is a pure function of `(seed, entity, index, clock)`.
//! That is what lets the simulator serve 110M entries with flat memory and byte-identical
//! responses for the same seed, scale and clock.

pub mod hash;
pub mod json;
pub mod names;
pub mod time;

pub use hash::{Rng, mix};
pub use time::Timeline;

use crate::config::Scale;

/// Everything a record generator needs: the seed, the volumes and the simulated clock.
///
/// `now` is seconds since the Unix epoch. For EVO it is read as naive local gym time (EVO
/// never sends offsets); for Pipedrive and Zendesk it is UTC.
#[derive(Debug, Clone, Copy)]
pub struct Gen {
    /// Master seed; every record derives its own stream from it.
    pub seed: u64,
    /// Record volumes.
    pub scale: Scale,
    /// Simulated clock, epoch seconds.
    pub now: i64,
}

impl Gen {
    /// A generator at the default clock (`time::DEFAULT_NOW`).
    pub fn new(seed: u64, scale: Scale) -> Self {
        Self {
            seed,
            scale,
            now: time::DEFAULT_NOW,
        }
    }

    /// The same generator with another clock.
    pub fn at(self, now: i64) -> Self {
        Self { now, ..self }
    }
}

/// An "edit history" shared by all mutable entities: a record created at `created` may be edited
/// up to twice and deleted once, each event at a deterministic offset after creation. Only events
/// at or before the clock are visible, so advancing the clock makes records change.
#[derive(Debug, Clone, Copy)]
pub struct History {
    /// Creation time (epoch seconds).
    pub created: i64,
    /// Last visible modification time (>= created).
    pub updated: i64,
    /// Deletion time, when the record is deleted at or before the clock.
    pub deleted: Option<i64>,
    /// Number of visible edits (0..=2); generators use it to vary mutable fields.
    pub edits: u8,
}

impl History {
    /// Computes the visible history. `delete_per_mille` is the share of records that eventually
    /// get deleted; `max_delay` bounds how long after creation an event may happen.
    pub fn compute(
        rng_seed: u64,
        created: i64,
        now: i64,
        delete_per_mille: u64,
        max_delay: i64,
    ) -> Self {
        let mut rng = Rng::from_state(rng_seed ^ 0x5EED_ED17);
        // A small creation-to-first-save delay so update_time is rarely equal to add_time.
        let mut updated = created + rng.below(120) as i64;
        let mut edits = 0u8;
        let max_delay = max_delay.max(3_600) as u64;
        for _ in 0..2 {
            if rng.below(100) < 45 {
                let at = created + 3_600 + rng.below(max_delay) as i64;
                if at <= now {
                    updated = updated.max(at);
                    edits += 1;
                }
            }
        }
        let mut deleted = None;
        if rng.below(1000) < delete_per_mille {
            let at = created + 86_400 + rng.below(max_delay) as i64;
            if at <= now {
                deleted = Some(at);
                updated = updated.max(at);
            }
        }
        updated = updated.min(now.max(created));
        Self {
            created,
            updated,
            deleted,
            edits,
        }
    }
}
