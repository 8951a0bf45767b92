//! The bronze lake on a local temp directory.

use std::process::Command;

use object_store::path::Path;
use skyfit_core::{RunId, Source};
use skyfit_lake::{
    BronzeObject, BronzePath, BronzeWriter, ColumnType, EntityKey, EntitySchema, LakeStore,
    PageRef, PartLimits, RunStatus, WindowStatus,
};

use crate::common::{entries_key, entry_records, round_trip};

fn temp_lake() -> (tempfile::TempDir, LakeStore) {
    let dir = tempfile::tempdir().unwrap();
    let lake = LakeStore::try_new(dir.path().join("lake").to_str().unwrap()).unwrap();
    (dir, lake)
}

#[tokio::test]
async fn round_trip_on_local_dir() {
    let (_dir, lake) = temp_lake();
    round_trip(&lake).await;
}

#[tokio::test]
async fn parts_roll_by_records_and_bytes_at_page_boundaries() {
    let (dir, lake) = temp_lake();
    let key = EntityKey::try_new(Source::Pipedrive, Some("comercial"), "deals").unwrap();
    let mut w = BronzeWriter::builder(
        &lake,
        key.clone(),
        RunId::parse("20260110T010203Z").unwrap(),
    )
    .with_limits(PartLimits {
        max_records: 100,
        max_raw_bytes: 50,
    })
    .create()
    .await
    .unwrap();
    w.begin_window("all", None);
    // 10 pages of 2 records of 10 bytes each (with newline): the byte limit (50) is reached
    // within the 3rd page, and the part closes after that page: a part never splits a page.
    for page in 1..=10u64 {
        let recs: Vec<String> = (0..2)
            .map(|i| format!("{{\"id\":{}}}", page * 10 + i))
            .collect();
        let cursor = page.to_string();
        w.write_page(
            &PageRef {
                window: "all",
                page,
                cursor: Some(&cursor),
            },
            &recs,
        )
        .await
        .unwrap();
    }
    let m = w.finish().await.unwrap();
    let sizes: Vec<u64> = m.parts.iter().map(|p| p.records).collect();
    assert_eq!(sizes, vec![6, 6, 6, 2]);
    assert_eq!(m.records, 20);
    for (i, p) in m.parts.iter().enumerate() {
        let parsed = BronzePath::parse(&Path::from(p.path.as_str())).unwrap();
        assert_eq!(
            parsed.object,
            BronzeObject::Jsonl {
                seq: i as u32 + 1,
                name_prefix: String::new()
            }
        );
        assert_eq!(parsed.run.key, key);
        assert!(dir.path().join("lake").join(&p.parquet_path).is_file());
    }

    // The standard gzip tool reads our parts.
    let gz = dir.path().join("lake").join(&m.parts[0].path);
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(&gz)
        .output()
        .expect("run gzip");
    assert!(
        out.status.success(),
        "gzip -dc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"id\":10}\n{\"id\":11}\n{\"id\":20}\n{\"id\":21}\n{\"id\":30}\n{\"id\":31}\n"
    );
}

#[tokio::test]
async fn manifest_states_and_visibility() {
    let (_dir, lake) = temp_lake();
    let key = entries_key();
    let r1 = RunId::parse("20260101T000000Z").unwrap();
    let r2 = RunId::parse("20260102T000000Z").unwrap();
    let r3 = RunId::parse("20260103T000000Z").unwrap();

    // r2 completes first, r1 later: listing is by run id, oldest first.
    for run in [&r2, &r1] {
        let mut w = BronzeWriter::builder(&lake, key.clone(), run.clone())
            .create()
            .await
            .unwrap();
        w.write_records(entry_records()).await.unwrap();
        w.finish().await.unwrap();
    }
    // r3 stays running: its parts are on disk but it is not listed.
    let mut w3 = BronzeWriter::builder(&lake, key.clone(), r3.clone())
        .create()
        .await
        .unwrap();
    w3.write_records(entry_records()).await.unwrap();
    let entry = w3.flush().await.unwrap().unwrap();
    let run3 = w3.run().clone();
    assert_eq!(
        lake.read_manifest(&run3).await.unwrap().unwrap().status,
        RunStatus::Running
    );
    assert!(
        lake.read_jsonl(&Path::from(entry.path.as_str()))
            .await
            .is_ok()
    );

    let complete: Vec<RunId> = lake
        .list_complete_runs(&key)
        .await
        .unwrap()
        .into_iter()
        .map(|(r, _)| r.run_id)
        .collect();
    assert_eq!(complete, vec![r1.clone(), r2.clone()]);
    assert_eq!(lake.list_runs(&key).await.unwrap().len(), 3);
    assert!(lake.list_parts(&run3).await.is_err());

    // Creating an existing run again is refused; a failed run is listed as not complete.
    assert!(
        BronzeWriter::builder(&lake, key.clone(), r1.clone())
            .create()
            .await
            .is_err()
    );
    let m = w3.fail("EVO returned 401").await.unwrap();
    assert_eq!(m.status, RunStatus::Failed);
    assert_eq!(m.error.as_deref(), Some("EVO returned 401"));
    assert!(m.finished_at.is_some());
    assert_eq!(lake.list_complete_runs(&key).await.unwrap().len(), 2);
}

#[tokio::test]
async fn resume_continues_after_the_last_durable_page() {
    let (_dir, lake) = temp_lake();
    let key = entries_key();
    let run_id = RunId::parse("20260105T120000Z").unwrap();
    let limits = PartLimits {
        max_records: 4,
        max_raw_bytes: u64::MAX,
    };
    let page = |n: u64| -> Vec<String> {
        (0..2)
            .map(|i| {
                format!(
                    "{{\"idMember\":{},\"date\":\"2026-01-0{n}T00:00:00\"}}",
                    n * 100 + i
                )
            })
            .collect()
    };

    let mut w = BronzeWriter::builder(&lake, key.clone(), run_id.clone())
        .with_limits(limits)
        .create()
        .await
        .unwrap();
    w.begin_window("w1", Some(("2026-01-01".into(), "2026-01-07".into())));
    for n in 1..=3 {
        let c = (n * 1000).to_string();
        w.write_page(
            &PageRef {
                window: "w1",
                page: n,
                cursor: Some(&c),
            },
            page(n),
        )
        .await
        .unwrap();
    }
    // Simulated kill -9: page 3 is only in memory, the manifest checkpoint is page 2.
    drop(w);

    let mut w = BronzeWriter::builder(&lake, key.clone(), run_id.clone())
        .with_limits(limits)
        .open()
        .await
        .unwrap();
    let state = w.begin_window("w1", None).clone();
    assert_eq!(state.last_page, Some(2));
    assert_eq!(state.cursor.as_deref(), Some("2000"));
    assert_eq!(state.status, WindowStatus::Running);
    for n in state.last_page.unwrap() + 1..=4 {
        let c = (n * 1000).to_string();
        w.write_page(
            &PageRef {
                window: "w1",
                page: n,
                cursor: Some(&c),
            },
            page(n),
        )
        .await
        .unwrap();
    }
    w.complete_window("w1").unwrap();
    let m = w.finish().await.unwrap();
    assert_eq!(m.records, 8);
    assert_eq!(
        m.parts.iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let w1 = m.window("w1").unwrap();
    assert_eq!(
        (w1.pages, w1.records, w1.status),
        (4, 8, WindowStatus::Complete)
    );

    // Same content as an uninterrupted run: every member exactly once, in page order.
    let mut members = Vec::new();
    for p in lake.list_parts(&w_run(&key, &run_id)).await.unwrap() {
        let part = lake.read_part_verified(&p).await.unwrap();
        for (_, bytes) in part.records() {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            members.push(v["idMember"].as_i64().unwrap());
        }
    }
    assert_eq!(members, vec![100, 101, 200, 201, 300, 301, 400, 401]);

    // A complete run cannot be resumed.
    assert!(
        BronzeWriter::builder(&lake, key, run_id)
            .resume()
            .await
            .is_err()
    );
}

fn w_run(key: &EntityKey, run_id: &RunId) -> skyfit_lake::RunRef {
    skyfit_lake::RunRef::new(key.clone(), run_id.clone())
}

#[tokio::test]
async fn a_failed_window_fails_the_run() {
    let (_dir, lake) = temp_lake();
    let key = EntityKey::try_new(Source::Evo, None, "members").unwrap();
    let mut w = BronzeWriter::builder(
        &lake,
        key.clone(),
        RunId::parse("20260106T000000Z").unwrap(),
    )
    .create()
    .await
    .unwrap();
    w.begin_window("2025-Q1", None);
    w.begin_window("2025-Q2", None);
    w.write_page(
        &PageRef {
            window: "2025-Q1",
            page: 1,
            cursor: None,
        },
        [r#"{"idMember":1}"#],
    )
    .await
    .unwrap();
    assert!(
        w.write_page(
            &PageRef {
                window: "nope",
                page: 1,
                cursor: None
            },
            ["{}"]
        )
        .await
        .is_err()
    );
    w.fail_window("2025-Q2", "page 7: HTTP 500 after 8 tries")
        .unwrap();
    let err = w.finish().await.unwrap_err().to_string();
    assert!(err.contains("2025-Q2"), "{err}");
    assert!(lake.list_complete_runs(&key).await.unwrap().is_empty());
    let run = lake.list_runs(&key).await.unwrap().remove(0);
    let m = lake.read_manifest(&run).await.unwrap().unwrap();
    assert_eq!(m.status, RunStatus::Failed);
    assert_eq!(m.records, 1);
}

#[tokio::test]
async fn type_drift_is_counted_per_column_and_never_fails() {
    let (_dir, lake) = temp_lake();
    let key = EntityKey::try_new(Source::Zendesk, Some("support"), "tickets").unwrap();
    let schema = EntitySchema::new("zendesk.tickets.test")
        .with_field("id", ColumnType::Int64)
        .with_field("updated_at", ColumnType::TimestampText)
        .with_column("via_channel", "via.channel", ColumnType::Utf8)
        .with_field("has_incidents", ColumnType::Boolean);
    let mut w = BronzeWriter::builder(
        &lake,
        key.clone(),
        RunId::parse("20260107T000000Z").unwrap(),
    )
    .with_schema(schema)
    .create()
    .await
    .unwrap();
    let pushed = w
        .write_records([
            r#"{"id":1,"updated_at":"2026-01-07T10:00:00Z","via":{"channel":"web"},"has_incidents":false}"#,
            r#"{"id":"x","updated_at":12,"via":{"channel":["web"]},"has_incidents":"maybe"}"#,
            r#"{"id":3.5,"updated_at":null,"via":null}"#,
        ])
        .await
        .unwrap();
    assert_eq!(pushed.accepted, 3);
    let m = w.finish().await.unwrap();
    let drift: Vec<(&str, u64)> = m.type_drift.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        drift,
        vec![
            ("has_incidents", 1),
            ("id", 2),
            ("updated_at", 1),
            ("via_channel", 1)
        ]
    );
    assert_eq!(m.parts[0].type_drift, m.type_drift);
    assert_eq!(m.schema, "zendesk.tickets.test");
}

#[tokio::test]
async fn generic_schema_and_explicit_rejects() {
    let (_dir, lake) = temp_lake();
    let key = EntityKey::try_new(Source::Pipedrive, Some("expansao"), "dealFields").unwrap();
    let mut w = BronzeWriter::builder(
        &lake,
        key.clone(),
        RunId::parse("20260108T000000Z").unwrap(),
    )
    .create()
    .await
    .unwrap();
    w.write_records([r#"{"key":"abc","name":"Origem"}"#, "[1,2]"])
        .await
        .unwrap();
    w.reject(
        skyfit_lake::RejectPosition {
            window: None,
            page: Some(9),
            index: None,
            cursor: Some("c9".into()),
            ..Default::default()
        },
        "truncated body",
        &[0x7b, 0xff],
    );
    let m = w.finish().await.unwrap();
    assert_eq!((m.records, m.rejects), (1, 2));
    let (run, manifest) = lake.list_complete_runs(&key).await.unwrap().remove(0);
    let rejects = lake.read_rejects(&run, &manifest).await.unwrap();
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0].raw.as_deref(), Some("[1,2]"));
    assert_eq!(rejects[1].bytes(), vec![0x7b, 0xff]);
    assert_eq!(rejects[1].reason, "truncated body");
    let objects = lake.list_run_objects(&run).await.unwrap();
    let names: Vec<&str> = objects
        .iter()
        .filter_map(|p| p.as_ref().rsplit_once("run_id="))
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        names,
        vec![
            "20260108T000000Z/_manifest.json",
            "20260108T000000Z/_rejects/part-00001.jsonl",
            "20260108T000000Z/part-00001.jsonl.gz",
            "20260108T000000Z/part-00001.parquet",
        ]
    );
    // Parquet of a generic entity: only _raw and _line.
    let mut s = lake
        .read_parquet(&Path::from(manifest.parts[0].parquet_path.as_str()), 1024)
        .await
        .unwrap();
    let batch = futures::StreamExt::next(&mut s).await.unwrap().unwrap();
    let names: Vec<&str> = batch
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "_raw",
            "_line",
            "_source_file",
            "_run_id",
            "_ingestion_date",
            "_scope"
        ]
    );
    // Lineage: every row names its part and run.
    let files = batch.column_by_name("_source_file").unwrap();
    let files = arrow::array::AsArray::as_string::<i32>(files);
    assert!(files.value(0).ends_with(".jsonl.gz"), "{}", files.value(0));
}
