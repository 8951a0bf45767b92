//! Reconciliation: per bronze entity, where every record went.
//!
//! ```text
//! bronze records (in the parts loaded) + rejected (lake `_rejects/`, never in a part)
//!   → dropped (older versions of a key; records without a loadable key, quarantined whole)
//!   → stg rows → core rows
//! ```
//!
//! What must hold, and fails the load when it does not:
//! * DataFusion reads exactly the records the run manifests list for the parts;
//! * dedup only drops: stg rows ≤ bronze records;
//! * every row the query produced reached the table (COPY count, and for a merge
//!   inserted + updated + kept, a row being kept when the stored version of its key is newer);
//! * the stg and the parent core table of an entity, loaded from the same parts, hold
//!   the same number of keys (two independently written queries agree on the keys).
//!
//! Child tables (`replace_children`: exploded arrays) have their own cardinality, and queries
//! that read several bronze tables (unions, lookups) are not a function of one entity's records:
//! both are only checked for the COPY and merge counts.

use std::collections::BTreeMap;

pub use crate::summary::Reconciliation;
use crate::summary::TargetSummary;
use crate::target::Stage;
use skyfit_transform::Strategy;

/// Checks of one target on its own (read vs manifests, produced vs written).
pub fn target_problems(t: &TargetSummary) -> Vec<String> {
    let mut out = Vec::new();
    if t.up_to_date {
        return out;
    }
    if t.read_records != t.bronze_records {
        out.push(format!(
            "{}: the parts hold {} records but their manifests list {}",
            t.target, t.read_records, t.bronze_records
        ));
    }
    if t.copied != t.rows {
        out.push(format!(
            "{}: the query produced {} rows but {} were written",
            t.target, t.rows, t.copied
        ));
    }
    if t.strategy == Strategy::Merge && t.inserted + t.updated + t.kept_newer != t.rows {
        out.push(format!(
            "{}: {} rows merged as {} inserted + {} updated + {} kept (stored version newer)",
            t.target, t.rows, t.inserted, t.updated, t.kept_newer
        ));
    }
    out
}

/// Groups the targets of one load by bronze entity and checks the flow.
pub fn reconcile(targets: &[TargetSummary]) -> Vec<Reconciliation> {
    let mut by_entity: BTreeMap<&str, Vec<&TargetSummary>> = BTreeMap::new();
    for t in targets.iter().filter(|t| !t.up_to_date) {
        by_entity
            .entry(t.bronze_table.as_str())
            .or_default()
            .push(t);
    }
    let mut out = Vec::new();
    for (entity, ts) in by_entity {
        let stg = ts.iter().find(|t| t.stage == Stage::Stg);
        let core = ts.iter().find(|t| t.stage == Stage::Core && !t.child);
        let first = stg.or(core).or(ts.first());
        let Some(first) = first else { continue };
        let mut r = Reconciliation {
            entity: entity.to_string(),
            bronze_records: first.bronze_records,
            rejected: first.rejected,
            unkeyed: stg.map_or(0, |t| t.unkeyed),
            stg_target: stg.map(|t| t.target.clone()),
            stg_rows: stg.map(|t| t.rows),
            core_target: core.map(|t| t.target.clone()),
            core_rows: core.map(|t| t.rows),
            ..Default::default()
        };
        for t in &ts {
            r.problems.extend(target_problems(t));
        }
        // Only child tables loaded (their parents committed earlier), or a query that unions
        // several bronze tables (Pipedrive's field definitions): no flow to compare.
        if let Some(kept) = stg.or(core).filter(|t| !t.reads_others).map(|t| t.rows) {
            match kept.checked_sub(first.bronze_records) {
                Some(extra) if extra > 0 => r.problems.push(format!(
                    "{} rows from {} bronze records: dedup cannot add rows",
                    kept, first.bronze_records
                )),
                _ => r.dropped = first.bronze_records.saturating_sub(kept),
            }
            if r.unkeyed > r.dropped {
                r.problems.push(format!(
                    "{} records without a key but only {} dropped",
                    r.unkeyed, r.dropped
                ));
            }
        }
        // Only comparable when both read the same parts (a full-refresh core table reads all
        // runs while its stg merges only the new ones; a killed load may have committed one).
        if let (Some(s), Some(c)) = (stg, core)
            && !s.reads_others
            && !c.reads_others
            && s.parts_digest == c.parts_digest
            && s.rows != c.rows
        {
            r.problems.push(format!(
                "{} has {} keys but {} has {} from the same {} parts",
                s.target, s.rows, c.target, c.rows, s.parts
            ));
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(stage: Stage, target: &str, rows: u64) -> TargetSummary {
        TargetSummary {
            target: target.into(),
            stage,
            strategy: Strategy::Merge,
            bronze_table: "evo_entries".into(),
            parts: 2,
            parts_digest: 7,
            bronze_records: 100,
            read_records: 100,
            rows,
            copied: rows,
            inserted: rows,
            ..Default::default()
        }
    }

    #[test]
    fn flow_adds_up() {
        let r = reconcile(&[
            t(Stage::Stg, "stg_evo.entries_raw", 90),
            t(Stage::Core, "core.evo_entries", 90),
        ]);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].dropped, 10);
        assert!(r[0].problems.is_empty(), "{r:?}");
    }

    #[test]
    fn stg_and_core_disagreeing_on_keys_is_a_mismatch() {
        let r = reconcile(&[
            t(Stage::Stg, "stg_evo.entries_raw", 90),
            t(Stage::Core, "core.evo_entries", 89),
        ]);
        assert_eq!(r[0].problems.len(), 1, "{r:?}");
        assert!(r[0].render().contains("MISMATCH"));
    }

    #[test]
    fn lost_rows_and_short_parts_are_mismatches() {
        let mut s = t(Stage::Stg, "stg_evo.entries_raw", 90);
        s.copied = 80;
        s.inserted = 80;
        s.read_records = 99;
        let r = reconcile(&[s]);
        assert_eq!(r[0].problems.len(), 3, "{r:?}");
    }
}
