//! `skyfit query run --limit`: a preview reads the smallest keys of the lake, and its rows are
//! rows of the full result even where those keys have versions in several runs.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use object_store::local::LocalFileSystem;
use skyfit_lake::LakeStore;
use skyfit_pipeline::{PreviewScope, preview, session_for};
use skyfit_test_utils::counting::{CallKind, CountingStore};
use skyfit_test_utils::temp_lake;
use skyfit_transform::{QueryFile, QuerySet, SessionOptions};

use crate::support::{entries, queries, run_id, with_field};

/// Each row as one JSON object, so result sets compare as sets of strings.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let mut w = datafusion::arrow::json::LineDelimitedWriter::new(Vec::new());
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    String::from_utf8(w.into_inner())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn query(path: &str) -> QueryFile {
    QuerySet::Dir(queries())
        .load_file(&queries().join(path))
        .unwrap()
}

#[tokio::test]
async fn a_preview_reads_the_smallest_keys_and_gives_rows_of_the_full_result() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    // Every key in both runs, the second run's version renamed: a preview that read one
    // run's versions of a key without the other would show a row the full result lacks.
    let first = entries(0..6000);
    let second: Vec<String> = first
        .iter()
        .enumerate()
        .map(|(i, r)| with_field(r, "nameMember", format!("renamed {i}").into()))
        .collect();
    // Parts of 300 records, as extraction writes them: 20 per run.
    crate::support::write_run(&lake, "entries", &run_id(20), &first).await;
    crate::support::write_run(&lake, "entries", &run_id(21), &second).await;
    let options = SessionOptions::default();

    for file in ["core/evo_entries.sql", "stg/evo_entries.sql"] {
        let q = query(file);
        let session = session_for(&lake, std::slice::from_ref(&q), &options)
            .await
            .unwrap();
        let full: HashSet<String> = rows(&session.plan(&q).await.unwrap().collect().await.unwrap())
            .into_iter()
            .collect();

        let p = preview(&lake, &q, &options, 5).await.unwrap();
        let shown = rows(&p.batches);
        assert_eq!(shown.len(), 5, "{file}");
        for row in &shown {
            assert!(
                full.contains(row),
                "{file}: the preview shows a row the full result lacks: {row}"
            );
        }
        match &p.scope {
            PreviewScope::Bounded {
                column,
                parts_read,
                parts_total,
                ..
            } => {
                assert_eq!(column, "_entry_id");
                assert_eq!(*parts_total, 40);
                // Five rows ask for the 20 row groups with the smallest minimums (one per
                // part here), unless too few rows come back and the bound widens.
                assert!(*parts_read <= 20, "{file}: {parts_read} of 40 parts read");
            }
            other => panic!("{file}: the preview ran the whole query: {other:?}"),
        }
        let p = preview(&lake, &q, &options, 2).await.unwrap();
        let shown = rows(&p.batches);
        assert_eq!(shown.len(), 2, "{file}");
        assert!(shown.iter().all(|r| full.contains(r)), "{file}: {shown:?}");
        match &p.scope {
            PreviewScope::Bounded { parts_read, .. } => {
                assert!(*parts_read <= 8, "{file}: {parts_read} of 40 parts read")
            }
            other => panic!("{file}: the preview ran the whole query: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_query_without_a_clustering_key_runs_whole_and_says_why() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let q = query("core/evo_branches.sql");
    let p = preview(&lake, &q, &SessionOptions::default(), 5)
        .await
        .unwrap();
    match p.scope {
        PreviewScope::Whole { reason } => assert!(reason.contains("@chunk_by"), "{reason}"),
        other => panic!("bounded without a clustering key: {other:?}"),
    }
}

#[tokio::test]
async fn a_preview_scans_each_manifest_once_and_checks_only_the_parts_it_reads() {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let first = entries(0..6000);
    crate::support::write_run(&lake, "entries", &run_id(20), &first).await;
    crate::support::write_run(&lake, "entries", &run_id(21), &first).await;
    // The same lake, each call of the preview recorded on its way to the real files.
    let store = CountingStore::new(Arc::new(
        LocalFileSystem::new_with_prefix(dir.path()).unwrap(),
    ));
    let counted = LakeStore::from_object_store(store.clone(), "", "counting://");

    let q = query("core/evo_entries.sql");
    let p = preview(&counted, &q, &SessionOptions::default(), 5)
        .await
        .unwrap();
    assert_eq!(rows(&p.batches).len(), 5);
    let PreviewScope::Bounded {
        parts_read,
        parts_total,
        ..
    } = p.scope
    else {
        panic!("the preview ran the whole query: {:?}", p.scope);
    };
    assert_eq!(parts_total, 40);

    let calls = store.calls();
    let entries_calls = |kind: CallKind, suffix: &str| -> Vec<&str> {
        calls
            .iter()
            .filter(|c| c.kind == kind && c.path.contains("entity=entries/"))
            .filter(|c| c.path.ends_with(suffix))
            .map(|c| c.path.as_str())
            .collect()
    };
    let manifests = entries_calls(CallKind::Get, "_manifest.json");
    let distinct: HashSet<&str> = manifests.iter().copied().collect();
    assert_eq!(distinct.len(), 2, "{manifests:?}");
    assert_eq!(
        manifests.len(),
        2,
        "each run's manifest read once: {manifests:?}"
    );
    // Only the parts below the bound are checked (HEAD) before they are read, once each.
    let heads = entries_calls(CallKind::Head, ".parquet");
    let distinct: HashSet<&str> = heads.iter().copied().collect();
    assert_eq!(
        (heads.len(), distinct.len()),
        (parts_read, parts_read),
        "{parts_read} of 40 parts read; HEADs: {heads:?}"
    );
}
