//! `kill -9` anywhere in the nightly job, extraction through load, then plain reruns: the
//! warehouse ends with exactly the rows of an uninterrupted night.
//!
//! The moments are drawn from a seed printed with the number of kills (`SKYFIT_KILL_SEED`
//! replays them); the loop is bounded in count and time so CI stays fast.

use std::time::{Duration, Instant};

use skyfit_test_utils::TestDb;
use tokio::process::Command;

use crate::lakes::{LakeKind, TestLake};
use crate::nightly::{assert_same_tables, table_rows};
use crate::support::{Rng, kill_seed, skyfit, text};

const KILLS: usize = 5;
const BUDGET: Duration = Duration::from_secs(60);

fn night(lake: &TestLake, dir: &std::path::Path, db: &TestDb) -> Command {
    let mut cmd = skyfit(dir);
    lake.apply(&mut cmd)
        .args(["run", "--sim-scale", "tiny"])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn");
    let mut cmd = Command::from(cmd);
    cmd.kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_nights_rerun_to_the_rows_of_an_uninterrupted_night() {
    let dir = tempfile::tempdir().unwrap();
    let reference_lake = TestLake::start(LakeKind::Local);
    let reference = TestDb::empty().await;
    let started = Instant::now();
    let out = night(&reference_lake, dir.path(), &reference)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut full = started.elapsed();

    let seed = kill_seed();
    let mut rng = Rng(seed);
    let mut lake = TestLake::start(LakeKind::Local);
    let mut db = TestDb::empty().await;
    let deadline = Instant::now() + BUDGET;
    let mut kills = Vec::new();
    while kills.len() < KILLS && Instant::now() < deadline {
        // Anywhere from the first request to the last COPY.
        let at = full.mul_f64(0.05 + 0.9 * rng.unit());
        let began = Instant::now();
        let mut child = night(&lake, dir.path(), &db).spawn().unwrap();
        match tokio::time::timeout(at, child.wait()).await {
            Ok(status) => {
                assert!(
                    status.unwrap().success(),
                    "seed {seed}: a night failed before its kill"
                );
                if !kills.is_empty() {
                    break;
                }
                // The first night outran its moment (timings vary with the machine's load):
                // start again on an empty lake and database, with moments drawn from this
                // night's duration.
                full = began.elapsed();
                lake = TestLake::start(LakeKind::Local);
                db = TestDb::empty().await;
            }
            Err(_) => {
                child.start_kill().unwrap();
                child.wait().await.unwrap();
                kills.push(at);
            }
        }
    }
    println!(
        "kill seed {seed} (SKYFIT_KILL_SEED replays): uninterrupted night {:.1}s, {} kills at {:?}",
        full.as_secs_f64(),
        kills.len(),
        kills
    );
    assert!(!kills.is_empty(), "seed {seed}: no night was killed");
    let out = night(&lake, dir.path(), &db).output().await.unwrap();
    assert!(out.status.success(), "seed {seed}: {}", text(&out));

    let (want, got) = (table_rows(&reference).await, table_rows(&db).await);
    assert!(want["core.evo_entries"].len() == 2000);
    let after_kills = format!("the killed nights (seed {seed})");
    assert_same_tables(&want, &got, "the uninterrupted night", &after_kills);
    // Bad values are quarantined once, however often their load was killed.
    assert_eq!(
        quarantined(&db).await,
        quarantined(&reference).await,
        "seed {seed}"
    );
}

async fn quarantined(db: &TestDb) -> i64 {
    db.client()
        .query_one("SELECT count(*) FROM meta.quarantine", &[])
        .await
        .unwrap()
        .get(0)
}
