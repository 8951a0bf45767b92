//! What a load tells whoever watches it, through the real loader and a real server: the
//! phases inside a target's write (COPY, merge, indexes, swap) as `skyfit-load`'s strategies
//! begin them, and each pass of a load in passes.

use std::sync::Mutex;

use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, LoadProgress, Phase, load_with_progress};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{entries, queries, run_id, write_run};

/// The phases and passes each target was told, in order (rows left out: there are many).
#[derive(Default)]
struct Recording(Mutex<Vec<(String, String)>>);

impl Recording {
    fn of(&self, target: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| t == target)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

impl LoadProgress for Recording {
    fn phase(&self, target: &str, phase: Phase) {
        self.0
            .lock()
            .unwrap()
            .push((target.into(), phase.as_str().into()));
    }

    fn pass(&self, target: &str, pass: usize, passes: usize) {
        self.0
            .lock()
            .unwrap()
            .push((target.into(), format!("pass {pass}/{passes}")));
    }
}

#[tokio::test]
async fn a_load_tells_its_passes_and_the_steps_of_each_write() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    write_run(&lake, "entries", &run_id(20), &entries(0..1000)).await;
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];
    // 1000 records in chunks of 250: four passes over ranges of `_entry_id`.
    opts.chunk_records = 250;

    let progress = Recording::default();
    let s = load_with_progress(&lake, db.database(), &opts, &progress)
        .await
        .unwrap();
    assert_eq!(s.targets.len(), 2, "{s:?}");
    // An incremental load: the passes stream through one COPY into the stage, then the
    // upsert begins once the last pass is read.
    for target in ["stg_evo.entries_raw", "core.evo_entries"] {
        assert_eq!(
            progress.of(target),
            [
                "planning",
                "writing",
                "copy",
                "pass 1/4",
                "pass 2/4",
                "pass 3/4",
                "pass 4/4",
                "merge",
                "committing"
            ],
            "{target}"
        );
    }

    // A full refresh: the shadow is loaded by COPY, indexed, then swapped in.
    opts.full_refresh = true;
    opts.chunk_records = u64::MAX;
    let progress = Recording::default();
    load_with_progress(&lake, db.database(), &opts, &progress)
        .await
        .unwrap();
    for target in ["stg_evo.entries_raw", "core.evo_entries"] {
        assert_eq!(
            progress.of(target),
            [
                "planning",
                "writing",
                "copy",
                "pass 1/1",
                "indexes",
                "swap",
                "committing"
            ],
            "{target}"
        );
    }
}
