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
