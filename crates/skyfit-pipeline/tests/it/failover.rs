//! A loader whose backend is terminated mid-COPY (a failover, an admin shutdown) reconnects,
//! retries the target with backoff and ends with the right rows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{count, entries, queries, run_id, write_run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_backend_is_retried_to_the_same_rows() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let recs = entries(0..60_000);
    write_run(&lake, "entries", &run_id(20), &recs).await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];

    let reference = TestDb::new().await;
    load(&lake, reference.database(), &opts).await.unwrap();
    let want = count(&reference, "core.evo_entries").await;

    let db = TestDb::new().await;
    let (stop, killed) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
    );
    // From another connection: terminate the loader's backend the first time it is seen in
    // a COPY, for each of the two targets.
    let killer = {
        let (stop, killed, database, name) = (
            stop.clone(),
            killed.clone(),
            db.database().clone(),
            db.name().to_string(),
        );
        tokio::spawn(async move {
            let c = database.connect().await.unwrap();
            while !stop.load(Ordering::Relaxed) && killed.load(Ordering::Relaxed) < 2 {
                let n: i64 = c
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                         WHERE datname = $1 AND pid <> pg_backend_pid() AND query ILIKE 'COPY%' AND state = 'active'",
                        &[&name],
                    )
                    .await
                    .unwrap()
                    .get(0);
                if n > 0 {
                    killed.fetch_add(1, Ordering::Relaxed);
                    // Let the retry get past its COPY of this target before looking again.
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let s = tokio::time::timeout(Duration::from_secs(90), load(&lake, db.database(), &opts))
        .await
        .expect("the load hung")
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    killer.await.unwrap();
    let killed = killed.load(Ordering::Relaxed);
    assert!(
        killed >= 1,
        "the loader's backend was never caught in a COPY"
    );
    let retries: u32 = s.targets.iter().map(|t| t.retries).sum();
    assert_eq!(retries, killed, "{s:?}");
    assert_eq!(count(&db, "core.evo_entries").await, want);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, want);
    // Exactly once: no part recorded twice, nothing recorded for the failed attempts.
    let ledger: i64 = db
        .client()
        .query_one("SELECT count(*) FROM meta.loaded_parts", &[])
        .await
        .unwrap()
        .get(0);
    let ref_ledger: i64 = reference
        .client()
        .query_one("SELECT count(*) FROM meta.loaded_parts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(ledger, ref_ledger);
}
