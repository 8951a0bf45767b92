//! The `@test` declarations run at the end of `skyfit run`, in PostgreSQL on the loaded core
//! tables: an `error` test that fails makes the run exit non-zero with the data loaded, a
//! `warn` one is shown and the run succeeds; every result lands in meta.data_test_results.

use std::path::Path;
use std::process::Output;

use skyfit_test_utils::TestDb;

use crate::lakes::{LakeKind, TestLake};
use crate::support::{skyfit, text};

/// Fails on every branch: no EVO branch id is -1.
const EXTRA: &str = "accepted_values: branch_id = '-1'";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// The repository's queries, with one more test (`-- @test{severity} …`) on core.evo_branches.
fn queries_with_failing_test(dir: &Path, severity: &str) -> std::path::PathBuf {
    let queries = dir.join("queries");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries"),
        &queries,
    );
    let file = queries.join("core/evo_branches.sql");
    let sql = std::fs::read_to_string(&file).unwrap();
    let (first, rest) = sql.split_once('\n').unwrap();
    std::fs::write(
        &file,
        format!("{first}\n-- @test{severity} {EXTRA}\n{rest}"),
    )
    .unwrap();
    queries
}

async fn run_with(severity: &str) -> (Output, TestDb, TestLake) {
    let lake = TestLake::start(LakeKind::Local);
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let queries = queries_with_failing_test(dir.path(), severity);
    let mut c = skyfit(dir.path());
    lake.apply(&mut c);
    c.env("DATABASE_URL", db.url())
        .arg("--queries")
        .arg(&queries)
        .args(["run", "--sim-scale", "tiny"]);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    drop(dir);
    (out, db, lake)
}

const NAME: &str = "accepted_values(branch_id: -1)";

#[tokio::test]
async fn a_failing_error_test_fails_the_run_after_loading() {
    let (out, db, _lake) = run_with("").await;
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(
        shown.contains(&format!("[error] core.evo_branches {NAME}")),
        "{shown}"
    );
    assert!(shown.contains("Data tests: "), "{shown}");
    let c = db.client();
    let branches: i64 = c
        .query_one("SELECT count(*) FROM core.evo_branches", &[])
        .await
        .unwrap()
        .get(0);
    assert!(branches > 0, "the data stays loaded");
    let row = c
        .query_one(
            "SELECT severity, failing_rows, passed, jsonb_array_length(sample_keys), test_kind,
                    columns
             FROM meta.data_test_results WHERE target_table = 'core.evo_branches' AND test_name = $1",
            &[&NAME],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "error");
    assert_eq!(row.get::<_, i64>(1), branches);
    assert!(!row.get::<_, bool>(2));
    assert_eq!(row.get::<_, i32>(3) as i64, branches.min(5));
    assert_eq!(row.get::<_, String>(4), "accepted_values");
    assert_eq!(row.get::<_, Vec<String>>(5), ["branch_id"]);
    // Every other declared test of the loaded core tables ran and passed.
    let (total, failed): (i64, i64) = {
        let r = c
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE NOT passed) FROM meta.data_test_results",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(total > 20, "{total} tests");
    assert_eq!(failed, 1, "{shown}");
    let status: String = c
        .query_one(
            "SELECT status FROM meta.pipeline_runs WHERE stage = 'tests'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "FAILED");
}

#[tokio::test]
async fn a_failing_warn_test_is_shown_and_the_run_succeeds() {
    let (out, db, _lake) = run_with("[warn]").await;
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(&format!("[warn] core.evo_branches {NAME}")),
        "{shown}"
    );
    assert!(shown.contains("1 failed"), "{shown}");
    let c = db.client();
    let row = c
        .query_one(
            "SELECT severity, passed FROM meta.data_test_results WHERE test_name = $1",
            &[&NAME],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "warn");
    assert!(!row.get::<_, bool>(1));
    let status: String = c
        .query_one(
            "SELECT status FROM meta.pipeline_runs WHERE stage = 'tests'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "SUCCESS");
}
