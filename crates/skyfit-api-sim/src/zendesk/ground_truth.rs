//! Expected Zendesk export contents, by the same selection code the server uses.

use crate::synth::Gen;

use super::Entity;

/// Ids an export from `start_time` returns over a complete walk (deduplicated, export order).
pub fn zendesk_ids(g: &Gen, entity: Entity, start_time: i64, exclude_deleted: bool) -> Vec<u64> {
    super::export_items(g, entity, (start_time, 0), true, exclude_deleted)
        .into_iter()
        .map(|(_, id, _)| id)
        .collect()
}

/// Ids of `entity` deleted at or before the clock, with their deletion time (epoch seconds),
/// ascending by id; for users also those suspended (`true` in the last field).
pub fn zendesk_deleted(g: &Gen, entity: Entity) -> Vec<(u64, Option<i64>, bool)> {
    (0..super::timeline(g, entity).visible(g.now))
        .filter_map(|i| {
            let h = super::history(g, entity, i);
            let suspended = entity == Entity::Users && super::records::suspended(g, i, &h);
            (h.deleted.is_some() || suspended).then_some((entity.id(i), h.deleted, suspended))
        })
        .collect()
}
