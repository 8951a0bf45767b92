//! Switching over from the original system: its bronze lake, adopted, loads to the same
//! stg and core rows as if SkyFit had extracted the same records itself.

use std::collections::BTreeMap;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use skyfit_core::Source;
use skyfit_lake::{BronzeObject, BronzePath, LakeStore};
use skyfit_test_utils::TestDb;
use skyfit_test_utils::original::jsonl_gz;

use crate::lakes::{LakeKind, TestLake, on_every_lake};
use crate::nightly::{assert_same_tables, table_rows};
use crate::support::{skyfit, text};

async fn put(store: &dyn ObjectStore, path: &str, bytes: Bytes) {
    store
        .put(&Path::from(path), PutPayload::from(bytes))
        .await
        .unwrap();
}

/// Rewrites every complete run of the SkyFit lake `from` in the original system's layout into
/// `to`: EVO parts with window prefixes and the original `_manifest.json`, Pipedrive/Zendesk
/// parts with their run manifests under `_meta/`, each source's line endings. Records keep
/// their bytes.
async fn write_original_layout(from: &LakeStore, to: &LakeStore) {
    use futures::TryStreamExt;
    let src = from.object_store();
    let dst = to.object_store();
    let objects: Vec<_> = src
        .list(Some(&Path::from("bronze")))
        .try_collect()
        .await
        .unwrap();
    // (source, run id) → scope → entity → (records, parts), for the run manifests under _meta.
    type Reports = BTreeMap<String, BTreeMap<String, (u64, usize)>>;
    let mut runs_meta: BTreeMap<(Source, String), Reports> = BTreeMap::new();
    for o in objects {
        let Ok(p) = BronzePath::parse(&o.location) else {
            continue;
        };
        if p.object != BronzeObject::Manifest {
            continue;
        }
        let run = p.run;
        let manifest = from.read_manifest(&run).await.unwrap().unwrap();
        assert!(manifest.is_complete(), "{run}");
        let source = run.key.source();
        let entity = run.key.entity().to_string();
        let date = run.ingestion_date.to_string();
        let dir = run.dir().to_string();
        let prefix = match (source, entity.as_str()) {
            (Source::Evo, "entries") => format!("{date}_"),
            (Source::Evo, _) => format!("{}_", &date[..7]),
            _ => String::new(),
        };
        let mut records = 0;
        for (i, part) in manifest.parts.iter().enumerate() {
            let jsonl = from.read_part_verified(part).await.unwrap();
            let lines: Vec<String> = jsonl
                .records()
                .map(|(_, r)| String::from_utf8(r.to_vec()).unwrap())
                .collect();
            records += lines.len() as u64;
            let trailing_newline = source == Source::Zendesk;
            let name = format!("{dir}/{prefix}part-{:05}.jsonl.gz", i + 1);
            put(dst.as_ref(), &name, jsonl_gz(&lines, trailing_newline)).await;
        }
        match source {
            Source::Evo => {
                let m = serde_json::json!({
                    "entity": entity, "mode": "full_parallel", "run_id": run.run_id.to_string(),
                    "start_date": "2020-01-01", "end_date": date, "workers": 4,
                    "total_records": records, "total_parts": manifest.parts.len(),
                    "periods": 1,
                    "results": [{"period": format!("2020-01-01 - {date}"), "records": records,
                                 "parts": manifest.parts.len(), "worker_id": 0}],
                });
                let text = serde_json::to_string_pretty(&m).unwrap();
                put(dst.as_ref(), &format!("{dir}/_manifest.json"), text.into()).await;
            }
            _ => {
                let scope = run.key.scope().unwrap_or("support").to_string();
                *runs_meta
                    .entry((source, run.run_id.to_string()))
                    .or_default()
                    .entry(scope)
                    .or_default()
                    .entry(entity)
                    .or_default() = (records, manifest.parts.len());
            }
        }
    }
    for ((source, run_id), scopes) in runs_meta {
        let reports: Vec<_> = scopes
            .into_iter()
            .map(|(scope, entities)| {
                let entities: serde_json::Map<String, serde_json::Value> = entities
                    .into_iter()
                    .map(|(e, (records, parts))| {
                        (e, serde_json::json!({"mode": "incremental", "records": records, "parts": parts}))
                    })
                    .collect();
                serde_json::json!({"scope": scope, "run_id": run_id, "entities": entities})
            })
            .collect();
        let m =
            serde_json::json!({"run_started_at_utc": "2026-01-01T00:00:00Z", "reports": reports});
        put(
            dst.as_ref(),
            &format!("_meta/{source}/runs/run_id={run_id}/manifest.json"),
            serde_json::to_vec(&m).unwrap().into(),
        )
        .await;
    }
}

/// Path → bytes of every original file (everything the original system wrote).
async fn originals(lake: &LakeStore) -> BTreeMap<String, Bytes> {
    use futures::TryStreamExt;
    let store = lake.object_store();
    let objects: Vec<_> = store.list(None).try_collect().await.unwrap();
    let mut out = BTreeMap::new();
    for o in objects {
        let path = o.location.to_string();
        if path.ends_with(".jsonl.gz") || path.ends_with("manifest.json") {
            let bytes = store.get(&o.location).await.unwrap().bytes().await.unwrap();
            out.insert(path, bytes);
        }
    }
    out
}

on_every_lake!(an_adopted_lake_loads_the_same_rows_as_a_native_one);

async fn an_adopted_lake_loads_the_same_rows_as_a_native_one(kind: LakeKind) {
    // SkyFit extracts and loads the simulator's records itself…
    let native = TestLake::start(LakeKind::Local);
    let native_db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let out = native
        .apply(&mut skyfit(dir.path()))
        .args(["run", "--sim-scale", "tiny"])
        .env("DATABASE_URL", native_db.url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // …and the same records, as the original system would have left them, are adopted.
    let original = TestLake::start(kind);
    write_original_layout(&native.store(), &original.store()).await;
    let before = originals(&original.store()).await;
    let db = TestDb::empty().await;
    let load = || {
        original
            .apply(&mut skyfit(dir.path()))
            .args(["load"])
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };
    let out = load();
    let t = text(&out);
    assert!(!out.status.success(), "an unadopted lake loaded: {t}");
    assert!(
        t.contains("not adopted yet") && t.contains("skyfit lake adopt --sources evo"),
        "{t}"
    );

    let out = original
        .apply(&mut skyfit(dir.path()))
        .args(["lake", "adopt"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("; 0 were adopted already; 0 not adopted"), "{t}");
    let out = load();
    assert!(out.status.success(), "{}", text(&out));

    let want = table_rows(&native_db).await;
    let got = table_rows(&db).await;
    assert!(want.values().map(Vec::len).sum::<usize>() > 0);
    assert_same_tables(&want, &got, "SkyFit's extraction", "the adopted lake");
    // Not one original byte changed.
    assert_eq!(originals(&original.store()).await, before);

    // A second adoption finds nothing to do.
    let out = original
        .apply(&mut skyfit(dir.path()))
        .args(["lake", "adopt"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success() && t.contains("Adopted 0 runs"), "{t}");
}

/// What adoption could not do (here a window the original run reported as failed, and a run
/// that never finished) is in its output and stays in `skyfit status` until it is dealt with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_adoption_could_not_do_stays_in_status() {
    let lake = TestLake::start(LakeKind::Local);
    let store = lake.store().object_store();
    let run = "bronze/evo/entity=entries/ingestion_date=2024-01-20/run_id=20240120T030000Z";
    let entry = r#"{"idMember": 1, "date": "2024-01-02T07:00:00", "idBranch": 7}"#.to_string();
    put(
        store.as_ref(),
        &format!("{run}/2024-01-01_part-00001.jsonl.gz"),
        jsonl_gz(std::slice::from_ref(&entry), false),
    )
    .await;
    put(
        store.as_ref(),
        &format!("{run}/2024-01-08_part-00001.jsonl.gz"),
        jsonl_gz(&[entry], false),
    )
    .await;
    let manifest = r#"{"entity": "entries", "run_id": "20240120T030000Z", "start_date": "2024-01-01", "end_date": "2024-01-14",
        "total_records": 2, "errors": 1, "results": [{"period": "2024-01-01 - 2024-01-07", "records": 1, "parts": 1},
        {"period": "2024-01-08 - 2024-01-14", "error": "HTTPError 500", "partial_records": 1}]}"#;
    put(
        store.as_ref(),
        &format!("{run}/_manifest.json"),
        Bytes::from(manifest),
    )
    .await;
    let unfinished = "bronze/evo/entity=members/ingestion_date=2024-01-21/run_id=20240121T030000Z";
    put(
        store.as_ref(),
        &format!("{unfinished}/2024-01_part-00001.jsonl.gz"),
        jsonl_gz(&[r#"{"idMember": 1}"#.into()], false),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["lake", "adopt", "--dry-run"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(
        out.status.success()
            && t.contains("1 runs would be adopted")
            && t.contains("1 cannot be adopted"),
        "{t}"
    );
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["lake", "adopt"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    for expected in [
        "window 2024-01-08 – 2024-01-14 failed in the original run",
        "skyfit extract evo entries --since 2024-01-08 --until 2024-01-14",
        "not adopted  evo/members@20240121T030000Z",
        "--include-unfinished",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from: {t}");
    }
    let db = TestDb::empty().await;
    let out = lake
        .apply(&mut skyfit(dir.path()))
        .args(["status"])
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("2 runs need attention")
            && t.contains("failed in the original run")
            && t.contains("not adopted  evo/members"),
        "{t}"
    );
}
