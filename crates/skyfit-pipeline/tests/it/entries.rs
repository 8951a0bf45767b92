use std::collections::HashSet;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use skyfit_api_sim::Scale;
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, LakeStore, PageRef};
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

fn queries() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

fn records(range: std::ops::Range<u64>) -> Vec<String> {
    let scale = Scale::small();
    range
        .map(|i| skyfit_api_sim::evo::entries::record_json(7, &scale, i))
        .collect()
}

/// Distinct (entry_id, date text) keys, as the warehouse must hold them.
fn keys(recs: &[String]) -> HashSet<(i64, String)> {
    recs.iter()
        .filter_map(|r| {
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r).unwrap();
            Some((
                skyfit_core::entry_id(&v)?,
                v.get("date")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

async fn write_run(lake: &LakeStore, run: &RunId, recs: &[String]) {
    let key = EntityKey::try_new(Source::Evo, None, "entries").unwrap();
    let mut w = BronzeWriter::builder(lake, key, run.clone())
        .create()
        .await
        .unwrap();
    w.begin_window("w1", None);
    for (page, chunk) in recs.chunks(300).enumerate() {
        let p = PageRef {
            window: "w1",
            page: page as u64,
            cursor: None,
        };
        w.write_page(&p, chunk.iter().map(String::as_str))
            .await
            .unwrap();
        w.flush().await.unwrap();
    }
    w.complete_window("w1").unwrap();
    w.finish().await.unwrap();
}

async fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn entries_load_incrementally_exactly_once_with_real_keys() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];

    let first = records(0..1000);
    let r1 = RunId::from_time(Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap());
    write_run(&lake, &r1, &first).await;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    assert_eq!(s.targets.len(), 2, "{s:?}");
    let expected = keys(&first);
    assert_eq!(count(&db, "core.evo_entries").await, expected.len() as i64);
    assert_eq!(
        count(&db, "stg_evo.entries_raw").await,
        expected.len() as i64
    );

    // The keys are the reference's synthetic ids.
    let got: HashSet<i64> = db
        .client()
        .query("SELECT entry_id FROM core.evo_entries", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(got, expected.iter().map(|(id, _)| *id).collect());

    // Nothing new: both targets are up to date and nothing changes.
    let again = load(&lake, db.database(), &opts).await.unwrap();
    assert!(again.targets.iter().all(|t| t.up_to_date), "{again:?}");

    // A later run re-extracts half of the first and adds new entries: only those change.
    let second = records(500..1500);
    let r2 = RunId::from_time(Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap());
    write_run(&lake, &r2, &second).await;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    let core = s
        .targets
        .iter()
        .find(|t| t.target == "core.evo_entries")
        .unwrap();
    let all: HashSet<_> = keys(&first).union(&keys(&second)).cloned().collect();
    let new = all.len() - expected.len();
    assert_eq!(core.inserted as usize, new, "{core:?}");
    assert_eq!(count(&db, "core.evo_entries").await, all.len() as i64);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, all.len() as i64);

    // Lineage: re-extracted rows now point at the second run's parts.
    let runs: Vec<String> = db
        .client()
        .query(
            "SELECT DISTINCT run_id FROM stg_evo.entries_raw ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(runs, [r1.to_string(), r2.to_string()]);
    let ledger: i64 = db
        .client()
        .query_one("SELECT count(DISTINCT part_path) FROM meta.loaded_parts WHERE target_table = 'core.evo_entries'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(ledger >= 4, "{ledger}");

    // A full refresh rebuilds the same rows.
    opts.full_refresh = true;
    load(&lake, db.database(), &opts).await.unwrap();
    assert_eq!(count(&db, "core.evo_entries").await, all.len() as i64);
}
