//! Expected record counts, computed arithmetically (no generation), so extractor tests can
//! assert that bronze holds exactly what the simulator serves.
//!
//! EVO windows use the same inclusive semantics as the server: a date-only start means 00:00:00
//! of that day, a date-only end 23:59:59; times are naive local time.

use crate::config::Scale;
use crate::evo::{self, EvoEntity};
use crate::synth::time;

/// Records of `entity` whose main date lies in `[start, end]` (epoch seconds of naive local
/// time, either bound optional) and that exist at clock `now`.
pub fn evo_count(
    scale: &Scale,
    entity: EvoEntity,
    start: Option<i64>,
    end: Option<i64>,
    now: i64,
) -> u64 {
    let r = match entity {
        EvoEntity::Entries => evo::entries_tl(scale).range(start, end, now),
        EvoEntity::Members => evo::members_tl(scale).range(start, end, now),
        EvoEntity::Prospects => evo::prospects_tl(scale).range(start, end, now),
        EvoEntity::Sales => evo::sales_tl(scale).range(start, end, now),
        EvoEntity::Receivables => {
            evo::sales::receivable_range(evo::sales_tl(scale).range(start, end, now))
        }
    };
    r.end - r.start
}

/// [`evo_count`] with the query-string forms the API accepts (`2024-01-01`,
/// `2024-01-01T00:00:00`); `None` if a date does not parse.
pub fn evo_count_str(
    scale: &Scale,
    entity: EvoEntity,
    start: Option<&str>,
    end: Option<&str>,
    now: i64,
) -> Option<u64> {
    let s = match start {
        Some(v) => Some(time::parse_query_time(v, false)?),
        None => None,
    };
    let e = match end {
        Some(v) => Some(time::parse_query_time(v, true)?),
        None => None,
    };
    Some(evo_count(scale, entity, s, e, now))
}

/// Index range (0-based, creation order) of an EVO window: record ids are `index + 1`.
pub fn evo_index_range(
    scale: &Scale,
    entity: EvoEntity,
    start: Option<i64>,
    end: Option<i64>,
    now: i64,
) -> std::ops::Range<u64> {
    match entity {
        EvoEntity::Entries => evo::entries_tl(scale).range(start, end, now),
        EvoEntity::Members => evo::members_tl(scale).range(start, end, now),
        EvoEntity::Prospects => evo::prospects_tl(scale).range(start, end, now),
        EvoEntity::Sales => evo::sales_tl(scale).range(start, end, now),
        EvoEntity::Receivables => {
            evo::sales::receivable_range(evo::sales_tl(scale).range(start, end, now))
        }
    }
}

pub use crate::pipedrive::ground_truth::{PipedriveQuery, pipedrive_ids};
pub use crate::zendesk::ground_truth::zendesk_ids;
