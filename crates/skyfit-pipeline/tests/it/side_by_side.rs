//! Small incremental loads run their targets side by side (one connection each, up to the
//! load's `connections`); a load larger than one pass, or one told to use one connection,
//! runs them one after the other. Either way the tables end the same.

use std::sync::Mutex;

use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, LoadProgress, Phase, TargetSummary, load_with_progress};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{entries, queries, run_id, write_run};

/// Every target's start, phases and end, in the order the load told them.
#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl Events {
    fn push(&self, e: String) {
        self.0.lock().unwrap().push(e);
    }

    fn position(&self, event: &str) -> usize {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no {event} in {events:?}"))
    }

    /// `a` ended before `b` began.
    fn one_after_the_other(&self, a: &str, b: &str) -> bool {
        self.position(&format!("{a} finished")) < self.position(&format!("{b} started"))
    }
}

impl LoadProgress for Events {
    fn target_started(&self, target: &str) {
        self.push(format!("{target} started"));
    }

    fn phase(&self, target: &str, phase: Phase) {
        self.push(format!("{target} {}", phase.as_str()));
    }

    fn target_finished(&self, s: &TargetSummary) {
        self.push(format!("{} finished", s.target));
    }
}

const STG: &str = "stg_evo.entries_raw";
const CORE: &str = "core.evo_entries";

/// Loads two nights (the second re-extracting a third of the first and changing nothing else)
/// into a fresh database with `connections` and `chunk_records`; returns the second load's
/// events and the rows of both tables, in key order.
async fn two_nights(connections: usize, chunk_records: u64) -> (Events, Vec<String>) {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];
    opts.connections = connections;
    opts.chunk_records = chunk_records;
    write_run(&lake, "entries", &run_id(20), &entries(0..600)).await;
    load_with_progress(&lake, db.database(), &opts, &Events::default())
        .await
        .unwrap();
    write_run(&lake, "entries", &run_id(21), &entries(400..900)).await;
    let events = Events::default();
    let s = load_with_progress(&lake, db.database(), &opts, &events)
        .await
        .unwrap();
    assert!(s.failed.is_empty(), "{s:?}");
    let loaded: Vec<(&str, u64, u64)> = s
        .targets
        .iter()
        .map(|t| (t.target.as_str(), t.inserted, t.updated))
        .collect();
    assert_eq!(loaded, [(STG, 300, 200), (CORE, 300, 200)], "{s:?}");
    let mut rows = Vec::new();
    for (table, columns) in [
        (
            STG,
            "entry_id, entry_date, raw_data::text, run_id, _source_file, _source_line",
        ),
        (
            CORE,
            "entry_id, entry_date, member_id, branch_id, entry_action, _source_run_id",
        ),
    ] {
        for r in db
            .client()
            .query(
                &format!("SELECT ({columns})::text FROM {table} ORDER BY entry_id, entry_date"),
                &[],
            )
            .await
            .unwrap()
        {
            rows.push(r.get::<_, String>(0));
        }
    }
    assert_eq!(rows.len(), 1800);
    (events, rows)
}

#[tokio::test]
async fn a_small_nightly_load_runs_stg_and_core_side_by_side_with_the_same_rows() {
    let (side_by_side, rows) = two_nights(2, 1_250_000).await;
    // The core target began before the stg one was done, and was planning while stg was.
    assert!(!side_by_side.one_after_the_other(STG, CORE));
    assert!(
        side_by_side.position(&format!("{CORE} planning"))
            < side_by_side.position(&format!("{STG} finished"))
    );

    // One connection: one target after the other, and the same rows.
    let (one_by_one, same) = two_nights(1, 1_250_000).await;
    assert!(one_by_one.one_after_the_other(STG, CORE));
    assert_eq!(rows, same);
}

#[tokio::test]
async fn targets_whose_pending_records_exceed_one_pass_load_one_after_the_other() {
    // 500 records pending for each target, 1000 together: more than a pass of 800, so side by
    // side they would hold more than one pass in memory.
    let (events, _) = two_nights(2, 800).await;
    assert!(events.one_after_the_other(STG, CORE));
    // Each alone fits its pass: 500 and 500 fit 1000.
    let (events, _) = two_nights(2, 1000).await;
    assert!(!events.one_after_the_other(STG, CORE));
}
