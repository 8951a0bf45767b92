//! Bad input: values the target type cannot hold are NULL in core and quarantined with file,
//! line, column and raw value while the record still lands in stg; above `max_bad_values` the
//! load stops naming the target, file and line.

use skyfit_lake::LakeStore;
use skyfit_pipeline::{Error, LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{count, entries, members, queries, run_id, with_field, write_run};

#[tokio::test]
async fn bad_values_are_quarantined_with_lineage_and_the_record_kept() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut recs = members(0..500);
    // Line 8 of the first part (parts count from 1): text in a numeric field; line 9: an impossible date.
    recs[7] = with_field(&recs[7], "idBranch", "abc".into());
    recs[8] = with_field(&recs[8], "birthDate", "2024-02-31".into());
    let (bad_branch_member, bad_date_member): (i64, i64) = {
        let id = |r: &str| {
            serde_json::from_str::<serde_json::Value>(r).unwrap()["idMember"]
                .as_i64()
                .unwrap()
        };
        (id(&recs[7]), id(&recs[8]))
    };
    write_run(&lake, "members", &run_id(20), &recs).await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["members".into()];
    let s = load(&lake, db.database(), &opts).await.unwrap();
    let core = s
        .targets
        .iter()
        .find(|t| t.target == "core.evo_members")
        .unwrap();
    assert_eq!(core.quarantined, 2, "{core:?}");

    let rows = db
        .client()
        .query(
            "SELECT bronze_file, line, column_name, raw_value, entity, reason FROM meta.quarantine
             WHERE target_table = 'core.evo_members' ORDER BY line",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, i64, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].0.ends_with("part-00001.jsonl.gz"), "{got:?}");
    assert_eq!(
        (got[0].1, got[0].2.as_str(), got[0].3.as_str()),
        (8, "branch_id", "abc")
    );
    assert_eq!(
        (got[1].1, got[1].2.as_str(), got[1].3.as_str()),
        (9, "birth_date", "2024-02-31")
    );
    assert_eq!(rows[0].get::<_, String>(4), "members");

    // The records are in stg as sent and in core with the typed column NULL.
    let kept: String = db
        .client()
        .query_one(
            "SELECT raw_data->>'idBranch' FROM stg_evo.members_raw WHERE member_id = $1",
            &[&bad_branch_member],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, "abc");
    let nulls: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM core.evo_members WHERE (member_id = $1 AND branch_id IS NULL) OR (member_id = $2 AND birth_date IS NULL)",
            &[&bad_branch_member, &bad_date_member],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(nulls, 2);
    assert_eq!(count(&db, "core.evo_members").await, 500);
}

#[tokio::test]
async fn too_many_bad_values_stop_the_load_naming_file_and_line() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut recs = members(0..100);
    for r in recs.iter_mut().skip(10).take(5) {
        *r = with_field(r, "idBranch", "not-a-number".into());
    }
    write_run(&lake, "members", &run_id(20), &recs).await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["members".into()];
    opts.max_bad_values = 3;
    let e = load(&lake, db.database(), &opts).await.unwrap_err();
    let msg = e.to_string();
    // The target fails on its own; the others (stg, the child tables) still load.
    let Error::TargetsFailed { summary } = &e else {
        panic!("{msg}")
    };
    let failed: Vec<&str> = summary.failed.iter().map(|f| f.target.as_str()).collect();
    assert_eq!(failed, vec!["core.evo_members"], "{msg}");
    assert!(msg.contains("could not be stored"), "{msg}");
    assert!(
        msg.contains("core.evo_members")
            // one of lines 11-15: the first bad value in stream order
            && msg.contains("part-00001.jsonl.gz:1")
            && msg.contains("not-a-number"),
        "{msg}"
    );
    // Nothing of the stopped target committed.
    assert_eq!(count(&db, "core.evo_members").await, 0);
}

/// A record whose key cannot be read (an entry without a parseable date) cannot land in stg:
/// it is quarantined whole and counted in the reconciliation, never lost silently.
#[tokio::test]
async fn unloadable_records_are_quarantined_whole() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut recs = entries(0..300);
    recs[4] = with_field(&recs[4], "date", "not-a-date".into());
    write_run(&lake, "entries", &run_id(20), &recs).await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];
    let s = load(&lake, db.database(), &opts).await.unwrap();
    let r = &s.reconciliation[0];
    let stg = r.stg_rows.unwrap();
    assert_eq!((r.bronze_records, r.unkeyed), (300, 1), "{r:?}");
    assert!(r.dropped >= 1 && stg + r.dropped == 300, "{r:?}");
    assert_eq!(count(&db, "stg_evo.entries_raw").await as u64, stg);
    let q = db
        .client()
        .query_one(
            "SELECT bronze_file, line, column_name, raw_value, reason FROM meta.quarantine
             WHERE target_table = 'stg_evo.entries_raw'",
            &[],
        )
        .await
        .unwrap();
    assert!(q.get::<_, String>(0).ends_with("part-00001.jsonl.gz"));
    assert_eq!(q.get::<_, i64>(1), 5);
    assert_eq!(q.get::<_, Option<String>>(2), None);
    assert!(q.get::<_, String>(3).contains("not-a-date"));
    assert!(q.get::<_, String>(4).contains("no loadable key"));
    // Core reads the same records: quarantined once, not per target.
    assert_eq!(count(&db, "meta.quarantine").await, 1);
}
