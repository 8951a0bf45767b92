//! The nightly job end to end: simulator → bronze → stg/core, through the real binary.

use skyfit_test_utils::TestDb;

use crate::lakes::{LakeKind, TestLake, on_every_lake};
use crate::support::{skyfit, text};

async fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

on_every_lake!(run_lands_every_source_then_a_second_run_changes_nothing);

async fn run_lands_every_source_then_a_second_run_changes_nothing(kind: LakeKind) {
    let lake = TestLake::start(kind);
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        lake.apply(&mut skyfit(dir.path()))
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

    // `skyfit load` on its own writes the ledger too: one `load` row per load, all SUCCESS.
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["load"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let loads: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM meta.pipeline_runs WHERE stage = 'load' AND status = 'SUCCESS'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(loads, 3);

    let status = lake
        .apply(&mut skyfit(dir.path()))
        .args(["status", "--limit", "500"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    let st = text(&status);
    assert!(st.contains("entries") && st.contains("SUCCESS"), "{st}");

    // The data tests of every shipped query pass on what the simulator produced.
    let tests = lake
        .apply(&mut skyfit(dir.path()))
        .args(["query", "test"])
        .output()
        .unwrap();
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
    let out = lake
        .apply(&mut skyfit(dir.path()))
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
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["query", "run", q, "--limit", "3"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // A lake this small has fewer row groups than a bounded preview would read: the whole
    // query runs, and says why.
    assert!(
        t.contains("3 rows shown") && t.contains("no more than a bounded preview would read"),
        "{t}"
    );
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["query", "run", q, "--limit", "3", "--count"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("2000 rows (3 shown)"), "{t}");
}

/// `text` with the simulator's port (each run starts it on another) as `PORT`: API URLs the
/// records carry (Zendesk's `url`) differ only by it.
fn without_port(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("127.0.0.1:") {
        out.push_str(&rest[..i + 10]);
        rest = rest[i + 10..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push_str("PORT");
    }
    out.push_str(rest);
    out
}

/// Every table of `core` and `stg_*` with its rows as sorted JSON, each row without lineage
/// (run ids, load times, lake paths) and surrogate `id`s, which differ between runs.
pub(crate) async fn table_rows(db: &TestDb) -> std::collections::BTreeMap<String, Vec<String>> {
    let tables = db
        .client()
        .query(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables
             WHERE (table_schema = 'core' OR table_schema LIKE 'stg\\_%') AND table_type = 'BASE TABLE'
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        let table: String = t.get(0);
        let rows = db
            .client()
            .query(
                &format!(
                    "SELECT coalesce((SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(t)) AS e(k, v)
                            WHERE k !~ '^_' AND k !~ '(line_no|loaded_at|blob_path|source_file|run_id)$' AND k NOT IN ('id', 'ingestion_date'))::text, '') AS r
                     FROM {table} t"
                ),
                &[],
            )
            .await
            .unwrap();
        let mut rows: Vec<String> = rows.iter().map(|r| without_port(r.get(0))).collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

/// Asserts that two [`table_rows`] results hold the same tables with the same rows, naming a
/// differing table with its counts and a few rows found on one side only.
pub(crate) fn assert_same_tables(
    want: &std::collections::BTreeMap<String, Vec<String>>,
    got: &std::collections::BTreeMap<String, Vec<String>>,
    want_is: &str,
    got_is: &str,
) {
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (table, w) in want {
        let g = &got[table];
        let only_want: Vec<&String> = w.iter().filter(|r| !g.contains(r)).take(2).collect();
        let only_got: Vec<&String> = g.iter().filter(|r| !w.contains(r)).take(2).collect();
        assert!(
            w == g,
            "{table}: {} rows from {want_is} vs {} from {got_is}; only in {want_is}: {only_want:?}; only in {got_is}: {only_got:?}",
            w.len(),
            g.len()
        );
    }
}

/// The production lake is ADLS: the same night on Azurite loads exactly what it loads from a
/// local lake, table by table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_azure_lake_loads_the_same_rows_as_a_local_lake() {
    let mut all = Vec::new();
    for kind in [LakeKind::Local, LakeKind::Azurite] {
        let lake = TestLake::start(kind);
        let db = TestDb::empty().await;
        let dir = tempfile::tempdir().unwrap();
        let out = lake
            .apply(&mut skyfit(dir.path()))
            .args(["run", "--sim-scale", "tiny"])
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap();
        assert!(out.status.success(), "{kind:?}: {}", text(&out));
        all.push(table_rows(&db).await);
    }
    let (local, azure) = (&all[0], &all[1]);
    assert!(local.values().map(Vec::len).sum::<usize>() > 0);
    assert_same_tables(local, azure, "the local lake", "Azure");
}

/// A missing credential on a real deployment (a configured database here) stops the run
/// before anything is extracted: the simulator never fills a real warehouse unasked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_deployment_without_credentials_is_never_filled_from_the_simulator() {
    let lake = TestLake::start(LakeKind::Local);
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["run", "--sources", "evo"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("no credentials for evo (EVO_USERNAME, EVO_PASSWORD)")
            && t.contains("refusing to fill it from the built-in simulator")
            && t.contains("--sim-scale"),
        "{t}"
    );
    let tables: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'core'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let rows: i64 = if tables > 0 {
        count(&db, "core.evo_members").await
    } else {
        0
    };
    assert_eq!(rows, 0, "{t}");
}
