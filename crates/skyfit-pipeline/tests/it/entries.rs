use std::collections::HashSet;

use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{count, entries as records, queries, run_id};

/// Distinct (entry_id, date text) keys, as the warehouse must hold them.
fn keys(recs: &[String]) -> HashSet<(i64, String)> {
    recs.iter()
        .filter_map(|r| {
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r).unwrap();
            Some((
                skyfit_core::entry_id(&v)?,
                v.get("date")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The entries schema as it was before `_entry_id` was written with the part.
fn v1_schema() -> skyfit_lake::EntitySchema {
    skyfit_lake::schema::evo_entries()
        .columns()
        .iter()
        .fold(skyfit_lake::EntitySchema::new("evo.entries.v1"), |s, c| {
            s.with_column(&c.name, &c.path.join("."), c.ty)
        })
}

/// The entry ids in core.
async fn entry_ids(db: &TestDb) -> HashSet<i64> {
    db.client()
        .query("SELECT entry_id FROM core.evo_entries", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn write_run(lake: &LakeStore, run: &skyfit_core::RunId, recs: &[String]) {
    crate::support::write_run(lake, "entries", run, recs).await
}

#[tokio::test]
async fn entries_load_incrementally_exactly_once_with_real_keys() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];

    let first = records(0..1000);
    let r1 = run_id(20);
    write_run(&lake, &r1, &first).await;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    assert_eq!(s.targets.len(), 2, "{s:?}");
    let expected = keys(&first);
    // Reconciliation: 1000 bronze records, the duplicates dropped, the same keys in stg and core.
    let r = &s.reconciliation[0];
    assert_eq!(
        (r.entity.as_str(), r.bronze_records),
        ("evo_entries", 1000),
        "{r:?}"
    );
    assert_eq!(r.stg_rows, Some(expected.len() as u64), "{r:?}");
    assert_eq!(r.core_rows, r.stg_rows, "{r:?}");
    assert_eq!(r.dropped, 1000 - expected.len() as u64, "{r:?}");
    assert!(
        r.problems.is_empty() && r.render().contains("→ stg"),
        "{r:?}"
    );
    assert_eq!(count(&db, "core.evo_entries").await, expected.len() as i64);
    assert_eq!(
        count(&db, "stg_evo.entries_raw").await,
        expected.len() as i64
    );

    // The keys are the reference's synthetic ids.
    let got = entry_ids(&db).await;
    assert_eq!(got, expected.iter().map(|(id, _)| *id).collect());

    // Nothing new: both targets are up to date and nothing changes.
    let again = load(&lake, db.database(), &opts).await.unwrap();
    assert!(again.targets.iter().all(|t| t.up_to_date), "{again:?}");

    // A later run re-extracts half of the first and adds new entries: only those change.
    let second = records(500..1500);
    let r2 = run_id(21);
    write_run(&lake, &r2, &second).await;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    let core = s
        .targets
        .iter()
        .find(|t| t.target == "core.evo_entries")
        .unwrap();
    let all: HashSet<_> = keys(&first).union(&keys(&second)).cloned().collect();
    let new = all.len() - expected.len();
    assert_eq!(core.inserted as usize, new, "{core:?}");
    assert_eq!(count(&db, "core.evo_entries").await, all.len() as i64);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, all.len() as i64);

    // Lineage: re-extracted rows now point at the second run's parts.
    let runs: Vec<String> = db
        .client()
        .query(
            "SELECT DISTINCT run_id FROM stg_evo.entries_raw ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(runs, [r1.to_string(), r2.to_string()]);
    let ledger: i64 = db
        .client()
        .query_one("SELECT count(DISTINCT part_path) FROM meta.loaded_parts WHERE target_table = 'core.evo_entries'", &[])
        .await
        .unwrap()
        .get(0);
    assert!(ledger >= 4, "{ledger}");

    // A full refresh rebuilds the same rows.
    opts.full_refresh = true;
    load(&lake, db.database(), &opts).await.unwrap();
    assert_eq!(count(&db, "core.evo_entries").await, all.len() as i64);
}

/// Parts written before `_entry_id` existed (schema `evo.entries.v1`) and parts with it load
/// together: the session computes the key from `_raw` for the old ones, to the same values.
#[tokio::test]
async fn parts_without_the_written_key_get_the_same_keys() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let db = TestDb::new().await;
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["entries".into()];

    let v1 = v1_schema();
    let old = records(0..700);
    crate::support::write_run_with(&lake, "entries", &run_id(20), &old, Some(v1)).await;
    let new = records(600..1000);
    write_run(&lake, &run_id(21), &new).await;

    load(&lake, db.database(), &opts).await.unwrap();
    let all: HashSet<_> = keys(&old).union(&keys(&new)).cloned().collect();
    let got = entry_ids(&db).await;
    assert_eq!(got, all.iter().map(|(id, _)| *id).collect());
    assert_eq!(count(&db, "core.evo_entries").await, all.len() as i64);
    assert_eq!(count(&db, "stg_evo.entries_raw").await, all.len() as i64);
}

/// A load larger than `chunk_records` runs in passes over ranges of `entry_id`; the tables
/// end up exactly as after a single pass.
#[tokio::test]
async fn a_load_split_into_passes_gives_the_same_rows() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    // The first run without `_entry_id` (computed from `_raw` in a union), so the passes'
    // filter goes through both branches.
    let first = records(0..1000);
    let second = records(900..1200);
    crate::support::write_run_with(&lake, "entries", &run_id(20), &first, Some(v1_schema())).await;
    write_run(&lake, &run_id(21), &second).await;
    let all: HashSet<_> = keys(&first).union(&keys(&second)).cloned().collect();

    let mut rows = Vec::new();
    for chunk in [u64::MAX, 150] {
        let db = TestDb::new().await;
        let mut opts = LoadOptions::new(queries());
        opts.entities = vec!["entries".into()];
        opts.chunk_records = chunk;
        let s = load(&lake, db.database(), &opts).await.unwrap();
        assert!(s.reconciliation[0].problems.is_empty(), "{s:?}");
        // 1300 bronze records in chunks of 150: nine passes, for stg and core alike.
        let passes: Vec<usize> = s.targets.iter().map(|t| t.passes).collect();
        assert_eq!(
            passes,
            [if chunk == 150 { 9 } else { 1 }; 2],
            "chunk_records {chunk}"
        );
        let table: Vec<(i64, String, Option<i64>, String)> = db
            .client()
            .query(
                "SELECT e.entry_id, e.entry_date::text, e.member_id, s.raw_data::text
                 FROM core.evo_entries e JOIN stg_evo.entries_raw s USING (entry_id, entry_date)
                 ORDER BY 1, 2",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        assert_eq!(table.len(), all.len(), "chunk_records {chunk}");
        rows.push(table);
    }
    assert_eq!(rows[0], rows[1]);
}

/// A pass's range filter on `_entry_id` reaches the Parquet scan, and the clustered parts let
/// it skip the pages outside the range from the page index: a pass decodes about its share of
/// the lake, not all of it.
#[tokio::test]
async fn a_range_of_entry_ids_reads_only_its_pages() {
    use datafusion::logical_expr::{col, lit};
    use skyfit_lake::CLUSTER_PAGE_ROWS;
    use skyfit_pipeline::bronze::{bronze_table, complete_parts};

    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let recs = records(0..10_000);
    crate::support::write_run_in_one_part(&lake, "entries", &run_id(20), &recs).await;

    let mut ids: Vec<i64> = keys(&recs).into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    // A fifth of the keys, from the middle: at most two of the key column's 2,048-row pages.
    let (lo, hi) = (ids[ids.len() * 2 / 5], ids[ids.len() * 3 / 5]);
    let want = ids.iter().filter(|id| (lo..hi).contains(*id)).count();
    let pages = recs.len().div_ceil(CLUSTER_PAGE_ROWS);

    let parts = complete_parts(&lake, skyfit_core::Source::Evo, "entries")
        .await
        .unwrap();
    assert_eq!(parts.len(), 1);
    let mut table = bronze_table("evo_entries", skyfit_core::Source::Evo, "entries", &parts);
    table.filter = Some(
        col("_entry_id")
            .gt_eq(lit(lo))
            .and(col("_entry_id").lt(lit(hi))),
    );
    let session = skyfit_transform::TransformSession::try_new(&lake).unwrap();
    session.register_bronze(&table).await.unwrap();
    let sql = "SELECT count(DISTINCT _entry_id), max(length(_raw)) FROM bronze.evo_entries";
    let rows = session
        .context()
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let got = rows[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(got as usize, want);

    let explain = session
        .context()
        .sql(&format!("EXPLAIN ANALYZE {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = arrow::util::pretty::pretty_format_batches(&explain)
        .unwrap()
        .to_string();
    let metric = "page_index_pages_pruned=";
    let at = text
        .find(metric)
        .unwrap_or_else(|| panic!("no {metric} in\n{text}"));
    let counts: Vec<usize> = text[at + metric.len()..]
        .split(" matched")
        .next()
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|d| d.parse().ok())
        .collect();
    let [total, matched] = counts[..] else {
        panic!("unexpected metric: {counts:?}")
    };
    // Pages hold at most 2,048 rows (the writer may cut one earlier).
    assert!(
        total >= pages,
        "{total} pages for {} rows:\n{text}",
        recs.len()
    );
    assert!(
        (1..=2).contains(&matched),
        "read {matched} of {total} pages:\n{text}"
    );
}
