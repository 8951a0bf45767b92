//! Lakes whose files are all readable but not laid out as one clean run wrote them: a night
//! delivered twice, stray copies of parts, parts listed in another order or renamed, a part
//! listed twice, a manifest whose counts disagree with its parts. Each either loads exactly the
//! rows of the clean lake or fails its own targets, naming the part, before writing anything.

use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use skyfit_core::Source;
use skyfit_lake::{EntityKey, LakeStore, Manifest, RunRef};
use skyfit_pipeline::{Error, LoadOptions, load};
use skyfit_test_utils::TestDb;

use crate::support::{count, entries, members, queries, run_id, write_run};

const TABLES: [&str; 4] = [
    "core.evo_entries",
    "stg_evo.entries_raw",
    "core.evo_members",
    "stg_evo.members_raw",
];

fn options() -> LoadOptions {
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into(), "members".into()];
    opts
}

struct Lake {
    lake: LakeStore,
    _dir: tempfile::TempDir,
}

/// A local lake with one clean night of entries (10 parts) and members (1 part).
async fn clean_lake() -> Lake {
    let dir = tempfile::tempdir().unwrap();
    let lake = LakeStore::try_new(dir.path().join("lake").to_str().unwrap()).unwrap();
    write_run(&lake, "entries", &run_id(20), &entries(0..3000)).await;
    write_run(&lake, "members", &run_id(20), &members(0..300)).await;
    Lake { lake, _dir: dir }
}

async fn the_run(lake: &LakeStore, entity: &str) -> (RunRef, Manifest) {
    let key = EntityKey::try_new(Source::Evo, None, entity).unwrap();
    let mut runs = lake.list_complete_runs(&key).await.unwrap();
    assert_eq!(runs.len(), 1, "{entity}");
    runs.remove(0)
}

async fn save(lake: &LakeStore, run: &RunRef, m: &Manifest) {
    let bytes = serde_json::to_vec_pretty(m).unwrap();
    lake.object_store()
        .put(&run.manifest_path(), PutPayload::from(bytes))
        .await
        .unwrap();
}

/// Every business column of the four tables, lineage left out (a redelivered night carries
/// another run id), as one sorted text per table.
async fn content(db: &TestDb) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for table in TABLES {
        let (schema, name) = table.split_once('.').unwrap();
        let cols: Vec<String> = db
            .client()
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = $1 AND table_name = $2
                   AND column_name NOT IN ('_run_id', '_source_file', '_source_line', '_ingestion_date',
                                           '_loaded_at', '_updated_at', 'loaded_at', 'run_id', '_source_run_id',
                                           'source_file', 'source_line', 'ingestion_date')
                 ORDER BY ordinal_position",
                &[&schema, &name],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| format!("{:?}", r.get::<_, String>(0)))
            .collect();
        let row: (i64, String) = db
            .client()
            .query_one(
                &format!(
                    "SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '')
                     FROM (SELECT ROW({})::text AS r FROM {table}) t",
                    cols.join(", ")
                ),
                &[],
            )
            .await
            .map(|r| (r.get(0), r.get(1)))
            .unwrap();
        out.push((table.to_string(), row.0, row.1));
    }
    out
}

async fn reference() -> Vec<(String, i64, String)> {
    let l = clean_lake().await;
    let db = TestDb::new().await;
    load(&l.lake, db.database(), &options()).await.unwrap();
    let c = content(&db).await;
    assert!(c[0].1 > 2900 && c[2].1 == 300, "{c:?}");
    c
}

async fn loaded(lake: &LakeStore) -> Vec<(String, i64, String)> {
    let db = TestDb::new().await;
    load(lake, db.database(), &options()).await.unwrap();
    content(&db).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_delivered_twice_and_stray_copies_of_parts_change_no_row() {
    let want = reference().await;
    let l = clean_lake().await;
    let (_, m) = the_run(&l.lake, "members").await;
    // The same night again under a later run id (a re-delivered night, a repeated backfill).
    write_run(&l.lake, "entries", &run_id(21), &entries(0..3000)).await;
    write_run(&l.lake, "members", &run_id(21), &members(0..300)).await;
    // A copy of a part beside it that no manifest lists (a half-done manual copy).
    let store = l.lake.object_store();
    let part = Path::from(m.parts[0].parquet_path.as_str());
    let copy = Path::from(m.parts[0].parquet_path.replace("part-", "copy-of-part-"));
    store.copy(&part, &copy).await.unwrap();
    assert_eq!(loaded(&l.lake).await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_listed_in_another_order_or_renamed_load_the_same_rows() {
    let want = reference().await;
    let l = clean_lake().await;
    let (run, mut m) = the_run(&l.lake, "entries").await;
    m.parts.reverse();
    save(&l.lake, &run, &m).await;
    assert_eq!(loaded(&l.lake).await, want, "manifest parts reversed");

    // Swap the files of two parts and the manifest entries that describe them: the rows carry
    // their own lineage, so the same records load with the same file and line.
    let store = l.lake.object_store();
    let (a, b) = (
        Path::from(m.parts[1].parquet_path.as_str()),
        Path::from(m.parts[2].parquet_path.as_str()),
    );
    let bytes_a = store.get(&a).await.unwrap().bytes().await.unwrap();
    let bytes_b = store.get(&b).await.unwrap().bytes().await.unwrap();
    store.put(&a, PutPayload::from(bytes_b)).await.unwrap();
    store.put(&b, PutPayload::from(bytes_a)).await.unwrap();
    let (pa, pb) = (
        m.parts[1].parquet_path.clone(),
        m.parts[2].parquet_path.clone(),
    );
    m.parts.swap(1, 2);
    m.parts[1].parquet_path = pa;
    m.parts[2].parquet_path = pb;
    save(&l.lake, &run, &m).await;
    assert_eq!(loaded(&l.lake).await, want, "part files swapped");
}

/// The load fails exactly the entries targets with a message containing `needle`, writes
/// none of their rows, and still loads members.
async fn entries_fail_alone(lake: &LakeStore, needle: &str) {
    let db = TestDb::new().await;
    let e = load(lake, db.database(), &options()).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(needle), "{msg}");
    let Error::TargetsFailed { summary } = &e else {
        panic!("expected failed targets, got: {e}");
    };
    let mut failed: Vec<_> = summary.failed.iter().map(|f| f.target.as_str()).collect();
    failed.sort();
    assert_eq!(failed, ["core.evo_entries", "stg_evo.entries_raw"]);
    assert_eq!(count(&db, "core.evo_entries").await, 0);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, 0);
    assert_eq!(count(&db, "core.evo_members").await, 300);
    let ledger: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM meta.loaded_parts WHERE entity = 'entries'",
            &[],
        )
        .await
        .map(|r| r.get(0))
        .unwrap();
    assert_eq!(ledger, 0, "no entries part may be recorded as loaded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_listing_a_part_twice_fails_its_targets_before_writing() {
    let l = clean_lake().await;
    let (run, mut m) = the_run(&l.lake, "entries").await;
    let twice = m.parts[3].clone();
    m.parts.push(twice.clone());
    m.records += twice.records;
    save(&l.lake, &run, &m).await;
    entries_fail_alone(&l.lake, &format!("lists part {} twice", twice.path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_whose_counts_disagree_with_its_parts_fails_before_writing() {
    let l = clean_lake().await;
    let (run, mut m) = the_run(&l.lake, "entries").await;
    m.parts[3].records += 1;
    m.records += 1;
    save(&l.lake, &run, &m).await;
    entries_fail_alone(&l.lake, "manifests list 3001 records read as 3000").await;
}
