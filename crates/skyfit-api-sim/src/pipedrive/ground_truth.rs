//! Expected Pipedrive ids for a query, by the same filter code the server uses.

use crate::synth::Gen;

use super::records::{Entity, meta, timeline};
use super::{Filters, ListParams, Scope, keep};

/// The subset of list parameters that decides membership (not order).
#[derive(Debug, Clone, Default)]
pub struct PipedriveQuery {
    /// `updated_since` (inclusive), epoch seconds.
    pub updated_since: Option<i64>,
    /// `updated_until` (exclusive), epoch seconds.
    pub updated_until: Option<i64>,
    /// Deal `status` values (`None` = all not deleted).
    pub statuses: Option<Vec<String>>,
}

/// Ids a complete walk of `GET /api/v2/<entity>` returns for `q`, ascending.
pub fn pipedrive_ids(g: &Gen, scope: Scope, entity: Entity, q: &PipedriveQuery) -> Vec<u64> {
    let f = Filters {
        statuses: q.statuses.clone(),
        ..Filters::default()
    };
    let p = ListParams {
        limit: 0,
        sort_by: "id",
        desc: false,
        after: None,
        since: q.updated_since,
        until: q.updated_until,
    };
    (0..timeline(g, scope, entity).visible(g.now))
        .filter(|i| keep(entity, &meta(g, scope, entity, *i), &f, &p, g.now))
        .map(|i| i + 1)
        .collect()
}

/// Ids of `entity` deleted at or before the clock, with their deletion time (epoch seconds),
/// ascending.
pub fn pipedrive_deleted(g: &Gen, scope: Scope, entity: Entity) -> Vec<(u64, i64)> {
    (0..timeline(g, scope, entity).visible(g.now))
        .filter_map(|i| meta(g, scope, entity, i).h.deleted.map(|d| (i + 1, d)))
        .collect()
}
