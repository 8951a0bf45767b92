//! A lake that does not hold what its manifests say, on every store the lake supports: the
//! load stops the affected targets before writing anything, names the part, and loads the
//! rest; once the part is restored, a plain load completes with exactly the reference rows.

use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use skyfit_core::Secret;
use skyfit_lake::{AzureCredentials, AzureOptions, LakeStore};
use skyfit_pipeline::{Error, LoadOptions, load};
use skyfit_test_utils::TestDb;
use skyfit_test_utils::azurite::{ACCOUNT, Azurite, KEY};

use crate::support::{count, entries, members, queries, run_id, with_field, write_run};

/// The stores the lake supports; a new one is a variant and an arm in [`TestLake::start`].
#[derive(Debug, Clone, Copy)]
enum Store {
    Local,
    Azurite,
}

struct TestLake {
    lake: LakeStore,
    _azurite: Option<Azurite>,
    _dir: tempfile::TempDir,
}

impl TestLake {
    fn start(store: Store) -> TestLake {
        let dir = tempfile::tempdir().unwrap();
        match store {
            Store::Local => TestLake {
                lake: LakeStore::try_new(dir.path().join("lake").to_str().unwrap()).unwrap(),
                _azurite: None,
                _dir: dir,
            },
            Store::Azurite => {
                let az = Azurite::start();
                az.create_container("datalake");
                let opts = AzureOptions::default()
                    .with_emulator(az.endpoint())
                    .with_account(ACCOUNT)
                    .with_credentials(AzureCredentials::AccessKey(Secret::new(KEY)));
                let lake = LakeStore::builder("az://datalake/faults/lake")
                    .with_azure(opts)
                    .build()
                    .unwrap();
                TestLake {
                    lake,
                    _azurite: Some(az),
                    _dir: dir,
                }
            }
        }
    }
}

fn options(entities: &[&str]) -> LoadOptions {
    let mut opts = LoadOptions::new(queries());
    opts.entities = entities.iter().map(|e| e.to_string()).collect();
    opts
}

async fn ledger(db: &TestDb) -> i64 {
    count(db, "meta.loaded_parts").await
}

/// The `n`th Parquet part of the only run of `evo/{entity}`.
async fn parquet_part(lake: &LakeStore, entity: &str, n: usize) -> Path {
    let key = skyfit_lake::EntityKey::try_new(skyfit_core::Source::Evo, None, entity).unwrap();
    let runs = lake.list_complete_runs(&key).await.unwrap();
    Path::from(runs[0].1.parts[n].parquet_path.as_str())
}

fn failed_targets(e: &Error) -> Vec<String> {
    match e {
        Error::TargetsFailed { summary } => {
            summary.failed.iter().map(|f| f.target.clone()).collect()
        }
        other => panic!("expected failed targets, got: {other}"),
    }
}

async fn missing_and_truncated_parts_fail_before_anything_is_written(store: Store) {
    let t = TestLake::start(store);
    let lake = &t.lake;
    write_run(lake, "entries", &run_id(20), &entries(0..3000)).await;
    write_run(lake, "members", &run_id(20), &members(0..300)).await;

    let reference = TestDb::new().await;
    load(lake, reference.database(), &options(&["entries"]))
        .await
        .unwrap();
    let want = count(&reference, "core.evo_entries").await;
    assert!(want > 2900, "{want}");

    let part = parquet_part(lake, "entries", 3).await;
    let store = lake.object_store();
    let bytes = store.get(&part).await.unwrap().bytes().await.unwrap();
    let db = TestDb::new().await;

    // Missing: both entries targets fail naming the part; members still load.
    store.delete(&part).await.unwrap();
    let e = load(lake, db.database(), &options(&["entries", "members"]))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(part.as_ref()) && msg.contains("not in the lake"),
        "{msg}"
    );
    let mut failed = failed_targets(&e);
    failed.sort();
    assert_eq!(failed, vec!["core.evo_entries", "stg_evo.entries_raw"]);
    assert_eq!(count(&db, "core.evo_entries").await, 0);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, 0);
    assert_eq!(count(&db, "core.evo_members").await, 300);
    let members_ledger = ledger(&db).await;

    // Truncated: the same, with the sizes in the message.
    store
        .put(&part, PutPayload::from(bytes.slice(..bytes.len() - 100)))
        .await
        .unwrap();
    let e = load(lake, db.database(), &options(&["entries"]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("where its manifest says"), "{e}");
    assert_eq!(ledger(&db).await, members_ledger);
    assert_eq!(count(&db, "core.evo_entries").await, 0);

    // Restored: a plain load (no --reload) completes with the reference rows.
    store.put(&part, PutPayload::from(bytes)).await.unwrap();
    load(lake, db.database(), &options(&["entries"]))
        .await
        .unwrap();
    assert_eq!(count(&db, "core.evo_entries").await, want);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_truncated_parts_on_a_local_lake() {
    missing_and_truncated_parts_fail_before_anything_is_written(Store::Local).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_truncated_parts_on_azurite() {
    missing_and_truncated_parts_fail_before_anything_is_written(Store::Azurite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_load_is_refused_or_waits_its_turn() {
    let t = TestLake::start(Store::Local);
    write_run(&t.lake, "entries", &run_id(20), &entries(0..3000)).await;
    let db = TestDb::new().await;

    let held = skyfit_pipeline::LoadLock::acquire(db.database(), false)
        .await
        .unwrap();
    let e = load(&t.lake, db.database(), &options(&["entries"]))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Busy { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("skyfit load (pid") && msg.contains("--wait"),
        "{msg}"
    );

    let mut waiting = options(&["entries"]);
    waiting.wait_for_lock = true;
    let (lake, database) = (t.lake.clone(), db.database().clone());
    let second = tokio::spawn(async move { load(&lake, &database, &waiting).await });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!second.is_finished(), "the load did not wait for the lock");
    assert_eq!(count(&db, "core.evo_entries").await, 0);
    drop(held);
    second.await.unwrap().unwrap();
    assert!(count(&db, "core.evo_entries").await > 2900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loads_at_once_end_with_the_rows_of_one() {
    let t = TestLake::start(Store::Local);
    write_run(&t.lake, "entries", &run_id(20), &entries(0..6000)).await;
    // Bad values (quarantined once, not once per load) and a full-refresh target (a shadow
    // table both loads would build and swap).
    let mut recs = members(0..300);
    for r in recs.iter_mut().skip(10).take(5) {
        *r = with_field(r, "idBranch", "not-a-number".into());
    }
    write_run(&t.lake, "members", &run_id(20), &recs).await;
    let branches: Vec<String> = (1..=12)
        .map(|i| format!("{{\"idBranch\":{i},\"name\":\"Unidade {i}\"}}"))
        .collect();
    write_run(&t.lake, "branches", &run_id(20), &branches).await;
    let entities = ["entries", "members", "branches"];
    let reference = TestDb::new().await;
    load(&t.lake, reference.database(), &options(&entities))
        .await
        .unwrap();

    let db = TestDb::new().await;
    let mut opts = options(&entities);
    opts.wait_for_lock = true;
    let spawn = || {
        let (lake, database, opts) = (t.lake.clone(), db.database().clone(), opts.clone());
        tokio::spawn(async move { load(&lake, &database, &opts).await })
    };
    let (a, b) = (spawn(), spawn());
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    for table in [
        "core.evo_entries",
        "stg_evo.entries_raw",
        "core.evo_members",
        "core.evo_branches",
        "meta.loaded_parts",
        "meta.quarantine",
    ] {
        assert_eq!(
            count(&db, table).await,
            count(&reference, table).await,
            "{table}"
        );
    }
    assert!(count(&db, "meta.quarantine").await >= 5);
}
