//! `skyfit extract` as a process: `kill -9` at random moments, then `--resume` (itself killed
//! now and then), must leave exactly the bronze records of an uninterrupted run — which are the
//! simulator's ground truth, byte for byte. Also `--json` and the `meta` mirror of watermarks.
//!
//! The kill moments are random; the seed is printed and `SKYFIT_KILL_SEED=<n>` replays it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use skyfit_api_sim::ground_truth::evo_index_range;
use skyfit_api_sim::synth::time::parse_query_time;
use skyfit_api_sim::{ApiFaults, EvoEntity, FaultConfig, RunningSim, Scale, SimConfig};
use skyfit_core::Source;
use skyfit_extract::RunSummary;
use skyfit_lake::{EntityKey, LakeStore};
use skyfit_test_utils::TestDb;

use crate::support::{Rng, kill_seed, skyfit, text};

const SEED: u64 = 11;
const SINCE: &str = "2024-01-01";
const UNTIL: &str = "2024-02-25";
/// Small parts, so kills land between parts as well as inside them.
const PART_RECORDS: &str = "3000";

/// ~5,500 entries a week: eight weekly windows of six 1,000-record pages each.
pub(crate) fn scale() -> Scale {
    let mut s = Scale::tiny();
    s.evo_entries = 2_000_000;
    s
}

pub(crate) async fn start_sim() -> RunningSim {
    let faults = FaultConfig {
        // Every response takes a moment, so one extraction lasts a couple of seconds.
        evo: ApiFaults {
            slow_rate: 1.0,
            slow_ms: 120,
            ..ApiFaults::default()
        },
        ..FaultConfig::none()
    };
    skyfit_api_sim::Simulator::start(
        SimConfig::new(SEED, scale()).with_faults(faults),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator starts")
}

fn lake_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("lake")
}

/// `skyfit extract evo entries` against the simulator, lake in `dir/lake`.
pub(crate) fn extract(dir: &Path, sim: &RunningSim, extra: &[&str]) -> std::process::Command {
    let creds = sim.credentials();
    let mut c = skyfit(dir);
    c.args([
        "extract", "evo", "entries", "--since", SINCE, "--until", UNTIL,
    ])
    .args(["--part-records", PART_RECORDS])
    .args(extra)
    .env("SKYFIT_LAKE_URL", lake_dir(dir))
    .env("EVO_API_URL", sim.evo_url())
    .env("EVO_USERNAME", &creds.evo_user)
    .env("EVO_PASSWORD", &creds.evo_password)
    .env("SKYFIT_EVO_REQUESTS_PER_MINUTE", "60000");
    c
}

/// The ground truth of [`extract`]: exactly these records, each once.
pub(crate) fn truth(sim: &RunningSim) -> BTreeMap<Vec<u8>, u32> {
    let range = evo_index_range(
        &scale(),
        EvoEntity::Entries,
        parse_query_time(SINCE, false),
        parse_query_time(UNTIL, true),
        sim.now(),
    );
    let truth: BTreeMap<Vec<u8>, u32> = range
        .map(|i| {
            (
                skyfit_api_sim::evo::entries::record_json(SEED, &scale(), i).into_bytes(),
                1,
            )
        })
        .collect();
    assert!(truth.len() > 30_000, "{}", truth.len());
    truth
}

/// Runs the command to completion; panics with its output when it fails.
pub(crate) async fn run_ok(cmd: std::process::Command, what: &str) -> std::process::Output {
    let out = tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("skyfit runs");
    assert!(out.status.success(), "{what}: {}", text(&out));
    out
}

/// Starts the command and SIGKILLs it after `after` (unless it ended first); true if killed.
async fn run_and_kill(cmd: std::process::Command, after: Duration) -> bool {
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect("skyfit starts");
    match tokio::time::timeout(after, child.wait()).await {
        Ok(status) => {
            assert!(status.expect("wait").success(), "run ended with a failure");
            false
        }
        Err(_) => {
            // `kill` sends SIGKILL on Unix: no destructor, no flush, no manifest update.
            child.kill().await.expect("SIGKILL");
            true
        }
    }
}

/// Every record of the entity's complete runs (bytes → copies), and how many complete runs.
pub(crate) async fn bronze(dir: &Path) -> (BTreeMap<Vec<u8>, u32>, usize) {
    let lake = LakeStore::try_new(lake_dir(dir).to_str().expect("utf-8")).expect("lake");
    let key = EntityKey::try_new(Source::Evo, None, "entries").expect("key");
    let runs = lake.list_complete_runs(&key).await.expect("list runs");
    let mut out = BTreeMap::new();
    for (_, manifest) in &runs {
        for part in &manifest.parts {
            let jsonl = lake.read_part_verified(part).await.expect("read part");
            for (_, rec) in jsonl.records() {
                *out.entry(rec.to_vec()).or_insert(0) += 1;
            }
        }
    }
    (out, runs.len())
}

/// The entity's `last_successful_until` as stored in the lake.
pub(crate) async fn watermark(dir: &Path) -> Option<chrono::DateTime<chrono::Utc>> {
    let lake = LakeStore::try_new(lake_dir(dir).to_str().expect("utf-8")).expect("lake");
    let key = EntityKey::try_new(Source::Evo, None, "entries").expect("key");
    let wm = lake.get_watermark(&key).await.expect("read watermark");
    assert!(wm.is_some(), "no watermark in {}", dir.display());
    wm.and_then(|w| w.last_successful_until)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume_repeatedly_gives_the_uninterrupted_bronze() {
    let started = Instant::now();
    let sim = start_sim().await;

    let truth = truth(&sim);

    // An uninterrupted run, timed to place the kills.
    let reference_dir = tempfile::tempdir().expect("temp dir");
    let t0 = Instant::now();
    run_ok(
        extract(reference_dir.path(), &sim, &[]),
        "uninterrupted run",
    )
    .await;
    let duration = t0.elapsed();
    let (reference, runs) = bronze(reference_dir.path()).await;
    assert_eq!(runs, 1);
    assert!(
        reference == truth,
        "the uninterrupted run is the ground truth"
    );

    let seed = kill_seed();
    println!("uninterrupted run: {duration:?}; kill seed {seed} (SKYFIT_KILL_SEED to replay)");
    let mut rng = Rng(seed);
    let mut kills = 0;
    for iteration in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut moments = Vec::new();
        // The first run, and up to two resumes, each killed at a random moment.
        for attempt in 0..3 {
            // From right after the start (before the first manifest) to just after the end.
            let after = duration.mul_f64(0.02 + rng.unit());
            let resume: &[&str] = if attempt == 0 { &[] } else { &["--resume"] };
            let killed = run_and_kill(extract(dir.path(), &sim, resume), after).await;
            moments.push(format!(
                "{after:?}{}",
                if killed { "" } else { " (ended first)" }
            ));
            kills += u32::from(killed);
            if !killed || rng.unit() < 0.4 {
                break;
            }
        }
        let out = run_ok(
            extract(dir.path(), &sim, &["--resume", "--json"]),
            "final resume",
        )
        .await;
        let summary: RunSummary = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("--json prints the summary ({e}): {}", text(&out)));
        let e = summary.entity(None, "entries").expect("entries summary");
        assert!(e.status == "complete" || e.status == "skipped", "{e:?}");
        assert_eq!(
            e.records,
            truth.len() as u64,
            "manifest count, kills at {moments:?}"
        );
        let (got, runs) = bronze(dir.path()).await;
        assert_eq!(runs, 1, "one complete run, kills at {moments:?}");
        assert_eq!(
            got.values().map(|n| u64::from(*n)).sum::<u64>(),
            truth.len() as u64,
            "record count, kills at {moments:?}"
        );
        assert!(
            got == reference,
            "same records, each once; kills at {moments:?}"
        );
        assert_eq!(
            watermark(dir.path()).await,
            watermark(reference_dir.path()).await,
            "the watermark is stored however the run died; kills at {moments:?}"
        );
        println!(
            "iteration {iteration}: kills at {moments:?}, {} records",
            got.len()
        );
    }
    assert!(kills >= 2, "kills must land mid-run");
    sim.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "bounded: {:?}",
        started.elapsed()
    );
}

/// `--json` prints the serde `RunSummary`; with a database configured the run is recorded in
/// `meta.pipeline_runs` and its watermark mirrored in `meta.watermarks`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_mirrors_the_watermark_and_prints_json() {
    let db = TestDb::new().await;
    let sim = skyfit_api_sim::Simulator::start(
        SimConfig::new(SEED, Scale::tiny()),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = extract(dir.path(), &sim, &["--json"]);
    cmd.env("DATABASE_URL", db.url());
    let out = run_ok(cmd, "extract with a database").await;
    let summary: RunSummary = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json ({e}): {}", text(&out)));
    let e = summary.entity(None, "entries").expect("entries");
    assert_eq!(e.status, "complete");
    let wm = e
        .watermark
        .clone()
        .expect("the summary carries the stored watermark");
    assert!(wm.get("last_successful_until").is_some(), "{wm}");

    let rows = skyfit_warehouse::watermarks(db.client())
        .await
        .expect("read");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].source.as_str(),
            rows[0].scope.as_deref(),
            rows[0].entity.as_str()
        ),
        ("evo", None, "entries")
    );
    assert_eq!(rows[0].value, wm);
    let ledger: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM meta.pipeline_runs
             WHERE stage = 'bronze' AND entity = 'entries' AND status = 'SUCCESS' AND run_id = $1",
            &[&summary.run_id.to_string()],
        )
        .await
        .expect("ledger")
        .get(0);
    assert_eq!(ledger, 1);

    // An unreachable database is a warning, not a failed extraction.
    let mut cmd = extract(dir.path(), &sim, &["--json"]);
    cmd.env("PG_HOST", "127.0.0.1")
        .env("PG_PORT", "1")
        .env("PG_USER", "nobody");
    let out = run_ok(cmd, "extract with an unreachable database").await;
    let t = text(&out);
    assert!(t.contains("Could not record the run"), "{t}");
    serde_json::from_slice::<RunSummary>(&out.stdout).expect("JSON on stdout only");
    sim.shutdown().await;
}
