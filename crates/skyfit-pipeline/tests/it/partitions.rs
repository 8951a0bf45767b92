//! Full refresh of the partitioned entries tables: partition by partition, readers always see
//! the complete table, new years get a partition (incremental loads too), dates outside stay
//! in DEFAULT.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{count, entries, queries, run_id, with_field, write_run};

async fn names(db: &TestDb, sql: &str) -> Vec<String> {
    db.client()
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_refresh_replaces_partitions_while_readers_see_complete_tables() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    // 20,000 entries; 40 of them in 2031 (no partition yet), 10 in 1850 (never a partition).
    let mut recs = entries(0..20_000);
    for (i, r) in recs.iter_mut().enumerate().take(50) {
        let date = if i < 40 {
            format!("2031-03-04T10:{:02}:00", i)
        } else {
            format!("1850-01-01T00:{:02}:00", i)
        };
        *r = with_field(r, "date", serde_json::Value::String(date));
    }
    write_run(&lake, "entries", &run_id(20), &recs).await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];
    load(&lake, db.database(), &opts).await.unwrap();
    let total = count(&db, "core.evo_entries").await;
    assert_eq!(count(&db, "stg_evo.entries_raw").await, total);
    // Incremental loads give 2031 a partition of its own; 1850 stays in DEFAULT.
    assert_eq!(count(&db, "core.evo_entries_default").await, 10);
    assert_eq!(count(&db, "stg_evo.entries_raw_2031").await, 40);
    let indexes_2025 = "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'core' AND tablename = 'evo_entries_2025' ORDER BY 1";
    let before = names(&db, indexes_2025).await;

    // Readers count both tables in a loop while three full refreshes run.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, database) = (stop.clone(), db.database().clone());
        tokio::spawn(async move {
            let c = database.connect().await.unwrap();
            let (mut reads, mut wrong) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                for t in ["core.evo_entries", "stg_evo.entries_raw"] {
                    match c.query_one(&format!("SELECT count(*) FROM {t}"), &[]).await {
                        Ok(r) if r.get::<_, i64>(0) == total => reads += 1,
                        Ok(r) => wrong.push(format!("{t}: {}", r.get::<_, i64>(0))),
                        Err(e) => wrong.push(format!("{t}: {e}")),
                    }
                }
            }
            (reads, wrong)
        })
    };
    opts.full_refresh = true;
    for _ in 0..3 {
        let s = load(&lake, db.database(), &opts).await.unwrap();
        assert!(
            s.targets
                .iter()
                .all(|t| t.strategy.as_str() == "full_refresh"),
            "{s:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (reads, wrong) = reader.await.unwrap();
    assert!(wrong.is_empty(), "readers saw incomplete tables: {wrong:?}");
    assert!(reads > 10, "the readers hardly ran ({reads} reads)");

    assert_eq!(count(&db, "core.evo_entries").await, total);
    // 2031 got its own partition in both tables; 1850 stayed in DEFAULT.
    for (t, n) in [
        ("core.evo_entries_2031", 40),
        ("stg_evo.entries_raw_2031", 40),
        ("core.evo_entries_default", 10),
        ("stg_evo.entries_raw_default", 10),
    ] {
        assert_eq!(count(&db, t).await, n, "{t}");
    }
    // Partition names, index names, grants and comments survive; no shadow is left behind.
    assert_eq!(names(&db, indexes_2025).await, before);
    // Each partition's indexes were built before the swap and adopted by its ATTACH: exactly
    // one per index of the parent (a mismatch would have made the ATTACH build another).
    let extra = names(
        &db,
        "SELECT c.relname::text || ': ' || count(x.indexrelid) || ' indexes, parent ' || \
           (SELECT count(*) FROM pg_index WHERE indrelid = i.inhparent) \
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         LEFT JOIN pg_index x ON x.indrelid = c.oid \
         WHERE i.inhparent IN ('core.evo_entries'::regclass, 'stg_evo.entries_raw'::regclass) \
         GROUP BY c.relname, i.inhparent \
         HAVING count(x.indexrelid) <> (SELECT count(*) FROM pg_index WHERE indrelid = i.inhparent)",
    )
    .await;
    assert!(extra.is_empty(), "{extra:?}");
    // Every partition with rows has statistics, except for the raw JSONB (statistics target 0,
    // migration 0010, carried to the shadow partitions).
    let stats = names(
        &db,
        "SELECT tablename::text || '.' || attname::text FROM pg_stats \
         WHERE schemaname = 'stg_evo' AND tablename LIKE 'entries_raw_20%' AND NOT inherited \
         ORDER BY 1",
    )
    .await;
    assert!(
        stats.contains(&"entries_raw_2020.entry_id".to_string()),
        "{stats:?}"
    );
    assert!(
        stats.contains(&"entries_raw_2031.entry_date".to_string()),
        "{stats:?}"
    );
    assert!(!stats.iter().any(|s| s.ends_with(".raw_data")), "{stats:?}");
    let leftovers = names(
        &db,
        "SELECT relname::text FROM pg_class WHERE relname LIKE '%\\_\\_shadow%' OR relname LIKE '%\\_\\_sh'",
    )
    .await;
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let granted: bool = db
        .client()
        .query_one(
            "SELECT has_table_privilege('skyfit_reader', 'core.evo_entries_2025', 'SELECT')
                AND has_table_privilege('skyfit_reader', 'core.evo_entries_2031', 'SELECT')
                AND has_table_privilege('skyfit_reader', 'core.evo_entries', 'SELECT')
                AND NOT has_table_privilege('skyfit_reader', 'stg_evo.entries_raw_2025', 'SELECT')
                AND obj_description('core.evo_entries_default'::regclass, 'pg_class') IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(granted);
    // The refreshed table still merges: the next incremental load is a no-op.
    opts.full_refresh = false;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    assert!(s.targets.iter().all(|t| t.up_to_date), "{s:?}");

    // A year first seen by a full refresh gets its partition there, with proper index names.
    let later: Vec<String> = entries(30_000..30_005)
        .iter()
        .enumerate()
        .map(|(i, r)| with_field(r, "date", format!("2033-05-0{}T08:00:00", i + 1).into()))
        .collect();
    write_run(&lake, "entries", &run_id(21), &later).await;
    opts.full_refresh = true;
    load(&lake, db.database(), &opts).await.unwrap();
    assert_eq!(count(&db, "core.evo_entries_2033").await, 5);
    assert_eq!(count(&db, "core.evo_entries").await, total + 5);
    let idx = names(
        &db,
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'evo_entries_2033' ORDER BY 1",
    )
    .await;
    assert!(
        !idx.is_empty()
            && idx
                .iter()
                .all(|i| i.starts_with("evo_entries_2033_") && !i.contains("shadow")),
        "{idx:?}"
    );
}
