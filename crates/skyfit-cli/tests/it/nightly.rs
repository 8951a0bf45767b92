//! The nightly job end to end: simulator → bronze → stg/core, through the real binary.

use skyfit_test_utils::TestDb;

use crate::support::{skyfit, text};

async fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn run_lands_every_source_then_a_second_run_changes_nothing() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        skyfit(dir.path())
            .args(["run", "--sim-scale", "tiny"])
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };
    let out = run();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("All steps succeeded"), "{t}");
    // Simulator `tiny`: 2,000 entries, 200 members, 300 sales; every row lands once.
    assert_eq!(count(&db, "core.evo_entries").await, 2000);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, 2000);
    assert_eq!(count(&db, "core.evo_members").await, 200);
    assert_eq!(count(&db, "core.evo_sales").await, 300);
    assert!(count(&db, "core.pd_deals").await > 0);
    assert!(count(&db, "core.zd_tickets").await > 0);
    let scopes: i64 = db
        .client()
        .query_one("SELECT count(DISTINCT scope) FROM core.pd_deals", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(scopes, 2);
    let failed: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM meta.pipeline_runs WHERE status <> 'SUCCESS'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failed, 0);

    // The second night: incremental, nothing new in the simulator, same rows.
    let out = run();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&db, "core.evo_entries").await, 2000);
    assert_eq!(count(&db, "core.evo_members").await, 200);

    let status = skyfit(dir.path())
        .args(["status", "--limit", "500"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    let st = text(&status);
    assert!(st.contains("entries") && st.contains("SUCCESS"), "{st}");

    // The data tests of every shipped query pass on what the simulator produced.
    let tests = skyfit(dir.path()).args(["query", "test"]).output().unwrap();
    let tt = text(&tests);
    assert!(tests.status.success(), "{tt}");
    assert!(tt.contains(" 0 failed"), "{tt}");

    // A test broken on purpose fails and shows the offending rows.
    let broken = dir.path().join("broken.sql");
    std::fs::write(
        &broken,
        "-- @target: core.evo_branches\n-- @key: branch_id\n-- @test accepted_values: branch_id = '-1'\n\
         SELECT json_get_int(_raw, 'idBranch') AS branch_id FROM bronze.evo_branches\n",
    )
    .unwrap();
    let out = skyfit(dir.path())
        .args(["query", "test", broken.to_str().unwrap()])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("FAIL")
            && t.contains("accepted_values(branch_id: -1)")
            && t.contains("branch_id"),
        "{t}"
    );

    // `query run` prints rows without touching PostgreSQL.
    let q = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../queries/core/evo_entries.sql"
    );
    let out = skyfit(dir.path())
        .args(["query", "run", q, "--limit", "3"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("2000 rows (3 shown)"), "{t}");
}
