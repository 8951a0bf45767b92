//! Never fabricated data outside the demo (issue 15, section 4): what the built-in simulator
//! serves is marked as simulated in the lake and the ledger, and a configured database takes
//! it only when asked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use skyfit_api_sim::{Scale, SimConfig, Simulator};
use skyfit_lake::Manifest;
use skyfit_test_utils::TestDb;

use crate::support::{skyfit, text};

/// Every run manifest under a local lake directory.
fn manifests(lake: &Path) -> Vec<(PathBuf, Manifest)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Manifest)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().is_some_and(|n| n == "_manifest.json") {
                let m = serde_json::from_slice(&std::fs::read(&p).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.push((p, m));
            }
        }
    }
    let mut out = Vec::new();
    walk(&lake.join("bronze"), &mut out);
    out
}

/// Ledger rows per stage: (stage, rows, rows marked simulated, statuses).
async fn ledger(db: &TestDb) -> Vec<(String, i64, i64, String)> {
    db.client()
        .query(
            "SELECT stage, count(*), count(*) FILTER (WHERE simulated),
                    string_agg(DISTINCT status, ',')
             FROM meta.pipeline_runs GROUP BY stage ORDER BY stage",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

/// Runs `cmd` without blocking the test's runtime (which may serve a simulator).
async fn output(cmd: &mut Command) -> Output {
    let cmd = std::mem::replace(cmd, Command::new("true"));
    tokio::process::Command::from(cmd).output().await.unwrap()
}

/// `skyfit run --sim-scale` into a configured database: asking for the simulator is also
/// asking to load what it serves, and everything it wrote says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_asks_for_the_simulator_marks_its_runs_in_the_lake_and_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let db = TestDb::empty().await;
    let out = output(
        skyfit(dir.path())
            .args(["run", "--sim-scale", "tiny", "--sources", "evo,zendesk"])
            .env("SKYFIT_LAKE_URL", &lake)
            .env("DATABASE_URL", db.url()),
    )
    .await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("marked simulated"), "{t}");

    let ms = manifests(&lake);
    assert!(ms.len() >= 5, "{ms:?}");
    for (path, m) in &ms {
        assert!(m.simulated, "{} is not marked simulated", path.display());
        let raw = std::fs::read_to_string(path).unwrap();
        assert!(raw.contains(r#""simulated": true"#) || raw.contains(r#""simulated":true"#));
    }
    let rows = ledger(&db).await;
    let stages: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    // `tests`: the data tests run after the load (meta.data_test_results).
    assert_eq!(
        stages,
        ["bronze", "core", "load", "stg", "tests"],
        "{rows:?}"
    );
    for (stage, n, simulated, status) in &rows {
        assert_eq!(
            n, simulated,
            "{stage}: not every row is marked simulated: {rows:?}"
        );
        assert_eq!(status, "SUCCESS", "{rows:?}");
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM core.evo_members").await,
        200
    );
}

/// A lake the simulator filled, loaded later into a configured database: refused before
/// anything is written, naming the runs; loaded with `--allow-simulated`, and marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_simulated_runs_into_a_configured_database_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = output(
        skyfit(dir.path())
            .args(["extract", "evo", "branches", "members", "--simulate"])
            .env("SKYFIT_LAKE_URL", &lake),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let ms = manifests(&lake);
    assert_eq!(ms.len(), 2, "{ms:?}");
    assert!(ms.iter().all(|(_, m)| m.simulated), "{ms:?}");
    let run_id = ms[0].1.run_id.to_string();
    let members = ms
        .iter()
        .find(|(_, m)| m.entity == "members")
        .map(|(_, m)| m.records as i64)
        .unwrap();
    assert!(members > 0);

    let db = TestDb::empty().await;
    let cmd = |args: &[&str]| {
        let mut c = skyfit(dir.path());
        c.args(args)
            .env("SKYFIT_LAKE_URL", &lake)
            .env("DATABASE_URL", db.url());
        c
    };
    for args in [
        &["load"][..],
        &["load", "--sources", "evo", "--entities", "members"],
        &["transform"],
    ] {
        let out = output(&mut cmd(args)).await;
        let t = text(&out);
        assert!(!out.status.success(), "{args:?} loaded simulated runs: {t}");
        assert!(
            t.contains("refusing to load")
                && t.contains(&format!("evo_members run {run_id}"))
                && t.contains("--allow-simulated")
                && t.contains("embedded default")
                && t.contains("nothing was loaded"),
            "{args:?}: {t}"
        );
    }
    // Nothing was written but the ledger's record of the refused loads.
    assert_eq!(count(&db, "SELECT count(*) FROM core.evo_members").await, 0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM stg_evo.members_raw").await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM meta.loaded_parts").await,
        0
    );
    // (Loads within one second share their run id, hence one to three rows.)
    let rows = ledger(&db).await;
    assert!(
        rows.len() == 1 && rows[0].0 == "load" && rows[0].2 == 0 && rows[0].3 == "FAILED",
        "{rows:?}"
    );

    let out = output(&mut cmd(&["load", "--allow-simulated"])).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&db, "SELECT count(*) FROM core.evo_members").await,
        members
    );
    let marked = count(
        &db,
        "SELECT count(*) FROM meta.pipeline_runs WHERE simulated AND status = 'SUCCESS'
           AND stage IN ('load', 'stg', 'core')",
    )
    .await;
    // The load row, and stg + core of branches and members.
    assert!(marked >= 5, "{:?}", ledger(&db).await);

    // What the targets hold was let in on purpose: loading again, or rebuilding from it, goes
    // through. A new simulated run is refused again, alone.
    for args in [&["load"][..], &["load", "--full-refresh"]] {
        let out = output(&mut cmd(args)).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let out = output(
        skyfit(dir.path())
            .args(["extract", "evo", "members", "--full", "--simulate"])
            .env("SKYFIT_LAKE_URL", &lake),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let second = manifests(&lake)
        .into_iter()
        .map(|(_, m)| m.run_id.to_string())
        .find(|r| *r != run_id)
        .unwrap();
    let out = output(&mut cmd(&["load"])).await;
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("1 run(s)") && t.contains(&format!("evo_members run {second}")),
        "{t}"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM core.evo_members").await,
        members
    );
}

/// Records from a configured API (here the simulator on a port, with credentials, as a real
/// API would be configured) are not marked, and load into a configured database as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_from_a_configured_api_are_not_marked_and_load_without_asking() {
    let sim = Simulator::start(SimConfig::new(7, Scale::tiny()), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let creds = sim.credentials().clone();
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let db = TestDb::empty().await;
    let out = output(
        skyfit(dir.path())
            .args(["run", "--sources", "evo", "--entities", "branches,members"])
            .env("SKYFIT_LAKE_URL", &lake)
            .env("DATABASE_URL", db.url())
            .env("EVO_API_URL", sim.evo_url())
            .env("EVO_USERNAME", &creds.evo_user)
            .env("EVO_PASSWORD", &creds.evo_password)
            .env("SKYFIT_EVO_REQUESTS_PER_MINUTE", "60000"),
    )
    .await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(!t.contains("simulator"), "{t}");
    let ms = manifests(&lake);
    assert_eq!(ms.len(), 2, "{ms:?}");
    for (path, m) in &ms {
        assert!(!m.simulated, "{}", path.display());
        let raw = std::fs::read_to_string(path).unwrap();
        assert!(!raw.contains("simulated"), "{raw}");
    }
    let rows = ledger(&db).await;
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.2 == 0),
        "{rows:?}"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM core.evo_members").await,
        200
    );
}

/// The README's first command is `skyfit run` on the embedded default: no flags, no
/// credentials. The simulator stands in, its runs are marked, and they load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_default_still_runs_on_the_simulator_without_asking() {
    // The embedded server is the test server; a database of the test's own on it keeps the
    // demo's `skyfit` database untouched. PG_DATABASE names it and keeps the default embedded.
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let out = output(
        skyfit(dir.path())
            .args(["run", "--sources", "evo", "--entities", "branches,members"])
            .env("PG_DATABASE", db.name()),
    )
    .await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("Using the embedded database") && t.contains("All steps succeeded"),
        "{t}"
    );
    let ms = manifests(&dir.path().join(".skyfit/lake"));
    assert_eq!(ms.len(), 2, "{ms:?}");
    assert!(ms.iter().all(|(_, m)| m.simulated), "{ms:?}");
    assert!(count(&db, "SELECT count(*) FROM core.evo_members").await > 0);
    let rows = ledger(&db).await;
    assert!(rows.iter().all(|r| r.1 == r.2), "{rows:?}");

    // A later `skyfit load` there takes them too (nothing pending; a full refresh rewrites them).
    let out = output(
        skyfit(dir.path())
            .args(["load", "--full-refresh"])
            .env("PG_DATABASE", db.name()),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
}
