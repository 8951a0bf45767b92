//! `kill -9` during `skyfit load`, then a rerun: the tables must end exactly as an
//! uninterrupted load leaves them (issue 5, "exactly once, nothing forgotten").
//!
//! One bronze lake (the simulator's `small` EVO: 200K entries, 10K members, 10 branches) is
//! loaded twice: once without interruption into a reference database, and once into a second
//! database by the real binary, killed with SIGKILL at random moments (a few times, bounded)
//! and rerun to completion. Every stg/core table is then compared by row count and a digest
//! of its rows (load timestamps excluded), plus the parts ledger.
//!
//! The random moments are printed with their seed (`SKYFIT_KILL_SEED` replays them).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use skyfit_test_utils::TestDb;
use tokio::process::Command;

use crate::support::{Rng, kill_seed, skyfit, text};

/// The entities loaded: entries (partitioned, merge), members (merge, with two
/// replace_children tables) and branches (full refresh through a shadow swap).
const ENTITIES: &str = "entries,members,branches";

fn load_cmd(dir: &Path, db: &TestDb) -> Command {
    let mut c = Command::from(skyfit(dir));
    c.args(["load", "--sources", "evo", "--entities", ENTITIES])
        // The lake is the simulator's: a test database takes it when asked.
        .arg("--allow-simulated")
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    c
}

/// Every table of stg_evo and core (partitions folded into their parent) → (rows, digest).
async fn digests(db: &TestDb) -> BTreeMap<String, (i64, String)> {
    let tables: Vec<String> = db
        .client()
        .query(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('stg_evo', 'core') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        // Load timestamps differ between two loads by nature, and so do surrogate ids drawn
        // from a sequence (child tables' BIGSERIAL `id`: sequences are not transactional, and
        // parallel COPY streams insert in no fixed order); everything else must match.
        let generated: Vec<String> = db
            .client()
            .query(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass AND attnum > 0
                   AND (attidentity <> '' OR pg_get_expr((SELECT adbin FROM pg_attrdef WHERE adrelid = attrelid AND adnum = attnum), attrelid) LIKE 'nextval(%')",
                &[&t],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let minus: String = ["_loaded_at", "_updated_at"]
            .iter()
            .map(|c| c.to_string())
            .chain(generated)
            .map(|c| format!(" - '{c}'"))
            .collect();
        let row = db
            .client()
            .query_one(
                &format!(
                    "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM (
                       SELECT md5((to_jsonb(t){minus})::text) AS h FROM {t} t) s"
                ),
                &[],
            )
            .await
            .unwrap();
        out.insert(t, (row.get(0), row.get(1)));
    }
    out
}

async fn ledger(db: &TestDb) -> Vec<(String, String, String, String, i64)> {
    db.client()
        .query(
            "SELECT stage, target_table, part_path, coalesce(checksum, ''), rows FROM meta.loaded_parts ORDER BY 1, 2, 3",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_loads_rerun_to_the_same_tables_as_an_uninterrupted_load() {
    let dir = tempfile::tempdir().unwrap();
    let extract = skyfit(dir.path())
        .args(["extract", "evo", "entries", "members", "branches"])
        .args(["--sim-scale", "small"])
        .output()
        .unwrap();
    assert!(extract.status.success(), "{}", text(&extract));

    // The reference: one uninterrupted load; its duration bounds the kill moments.
    let reference = TestDb::new().await;
    let started = Instant::now();
    let out = load_cmd(dir.path(), &reference).output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let full = started.elapsed();

    let seed = kill_seed();
    let mut rng = Rng(seed);
    let killed = TestDb::new().await;
    let kills = kill_loop(dir.path(), &killed, &[], full, &mut rng, 4, 30).await;
    eprintln!(
        "seed {seed}: uninterrupted load {:.1}s, killed at {:?}",
        full.as_secs_f64(),
        kills
    );
    assert!(!kills.is_empty(), "no load was killed (seed {seed})");
    let out = load_cmd(dir.path(), &killed).output().await.unwrap();
    assert!(out.status.success(), "seed {seed}: {}", text(&out));
    assert!(text(&out).contains("reconciliation"), "{}", text(&out));

    let (want, got) = (digests(&reference).await, digests(&killed).await);
    assert!(
        want["core.evo_entries"].0 == 200_000,
        "{:?}",
        want["core.evo_entries"]
    );
    for (table, w) in &want {
        assert_eq!(got.get(table), Some(w), "seed {seed}: {table} differs");
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "seed {seed}: leftover tables"
    );
    assert_eq!(
        ledger(&killed).await,
        ledger(&reference).await,
        "seed {seed}: meta.loaded_parts differs"
    );
    // Full refreshes (shadow swap; entries partition by partition) killed too, then one to
    // completion: the same rows again, and no shadow left behind.
    let kills = kill_loop(
        dir.path(),
        &killed,
        &["--full-refresh"],
        full,
        &mut rng,
        2,
        15,
    )
    .await;
    eprintln!("seed {seed}: full refreshes killed at {kills:?}");
    let out = load_cmd(dir.path(), &killed)
        .arg("--full-refresh")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "seed {seed}: {}", text(&out));
    assert_eq!(
        digests(&killed).await,
        want,
        "seed {seed}: a killed full refresh changed rows"
    );
    assert_eq!(ledger(&killed).await, ledger(&reference).await);
}

/// Starts `skyfit load` (plus `args`) at most `max` times, each SIGKILLed at a random moment
/// within the uninterrupted duration, for at most `budget_secs`; stops early when a load
/// finishes before its moment. Returns the moments of the kills.
async fn kill_loop(
    dir: &Path,
    db: &TestDb,
    args: &[&str],
    full: Duration,
    rng: &mut Rng,
    max: usize,
    budget_secs: u64,
) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(budget_secs);
    let mut kills = Vec::new();
    for _ in 0..max {
        if Instant::now() >= deadline {
            break;
        }
        let at = Duration::from_secs_f64(0.3 + rng.unit() * full.as_secs_f64() * 0.8);
        let mut child = load_cmd(dir, db).args(args).spawn().unwrap();
        match tokio::time::timeout(at, child.wait()).await {
            Ok(status) => {
                // Finished before the kill: what was left was shorter than the moment drawn.
                assert!(status.unwrap().success(), "a load failed before its kill");
                break;
            }
            Err(_) => {
                child.start_kill().unwrap();
                child.wait().await.unwrap();
                kills.push(at);
            }
        }
    }
    kills
}
