//! Fixtures shared by the local and Azurite tests.

use futures::TryStreamExt;
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, LakeStore, PageRef, PartLimits, RunStatus};

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;

/// EVO entry records with awkward bytes: non-ASCII, escapes, odd spacing, key order, nulls.
pub fn entry_records() -> Vec<String> {
    vec![
        r#"{"date": "2026-01-09T06:01:02", "dateTurn": "2026-01-09T00:00:00", "timeZone": "America/Sao_Paulo", "idMember": 101, "nameMember": "João Ávila", "idProspect": null, "idBranch": 7, "entryAction": "ENTRADA", "device": "Catraca 1", "releasesByID": 3}"#.to_string(),
        "{ \"idMember\" :102 ,\t\"date\":\"2026-01-09T06:05:00\",\"nameMember\":\"Zoë \\\"Z\\\" \\u00e9\" , \"idBranch\":\"7\" }".to_string(),
        r#"{"date":"2026-01-09T07:00:00","idMember":"not-a-number","idProspect":55,"nameProspect":"Ana 😀","idBranch":7.5,"blockReason":"Inadimplência","idMigration":"M-1"}"#.to_string(),
        r#"{}"#.to_string(),
    ]
}

pub fn entries_key() -> EntityKey {
    EntityKey::try_new(Source::Evo, None, "entries").unwrap()
}

/// Write two pages of a window, read everything back, compare bytes and typed columns.
pub async fn round_trip(lake: &LakeStore) {
    let key = entries_key();
    let run_id = RunId::parse("20260109T203707Z").unwrap();
    let records = entry_records();
    let mut w = BronzeWriter::builder(lake, key.clone(), run_id.clone())
        .with_limits(PartLimits {
            max_records: 3,
            max_raw_bytes: u64::MAX,
        })
        .create()
        .await
        .unwrap();
    w.begin_window(
        "2026-01-05",
        Some(("2026-01-05".into(), "2026-01-11".into())),
    );
    let p1 = PageRef {
        window: "2026-01-05",
        page: 1,
        cursor: Some("0"),
    };
    let pushed = w.write_page(&p1, &records[..2]).await.unwrap();
    assert_eq!(pushed.accepted, 2);
    // Incomplete runs are invisible to loaders.
    assert!(lake.list_complete_runs(&key).await.unwrap().is_empty());
    let p2 = PageRef {
        window: "2026-01-05",
        page: 2,
        cursor: Some("1000"),
    };
    let pushed = w
        .write_page(
            &p2,
            [
                records[2].as_str(),
                "{\"idMember\": 1,",
                records[3].as_str(),
            ],
        )
        .await
        .unwrap();
    assert_eq!((pushed.accepted, pushed.rejected), (2, 1));
    w.complete_window("2026-01-05").unwrap();
    let manifest = w.finish().await.unwrap();
    assert_eq!(manifest.status, RunStatus::Complete);
    assert_eq!(manifest.records, 4);
    assert_eq!(manifest.rejects, 1);
    // Rolled after page 2 (4 ≥ 3 records): one part; the checkpoint is the last page.
    assert_eq!(manifest.parts.len(), 1);
    let win = manifest.window("2026-01-05").unwrap();
    assert_eq!((win.pages, win.records, win.last_page), (2, 4, Some(2)));
    assert_eq!(win.cursor.as_deref(), Some("1000"));
    // idMember "not-a-number", idBranch 7.5 drift; "7" (a numeric string) does not.
    assert_eq!(manifest.type_drift.get("idMember"), Some(&1));
    assert_eq!(manifest.type_drift.get("idBranch"), Some(&1));

    let runs = lake.list_complete_runs(&key).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].0.run_id, run_id);
    let parts = lake.list_parts(&runs[0].0).await.unwrap();
    assert_eq!(parts.len(), 1);

    let jsonl = lake.read_part_verified(&parts[0]).await.unwrap();
    let got: Vec<(u64, String)> = jsonl
        .records()
        .map(|(n, b)| (n, String::from_utf8(b.to_vec()).unwrap()))
        .collect();
    let want: Vec<(u64, String)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (i as u64 + 1, r.clone()))
        .collect();
    assert_eq!(got, want, "JSONL must hold the exact record bytes");

    let stream = lake
        .read_parquet(
            &object_store::path::Path::from(parts[0].parquet_path.as_str()),
            2,
        )
        .await
        .unwrap();
    let batches: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(batches.len(), 2);
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    // Entries' Parquet rows are in `_entry_id` order (clustered); `_line` gives the JSONL order.
    let order = arrow::compute::sort_to_indices(batch.column_by_name("_line").unwrap(), None, None)
        .unwrap();
    let batch = arrow::compute::take_record_batch(&batch, &order).unwrap();
    let raw = batch.column_by_name("_raw").unwrap().as_string::<i32>();
    let line = batch
        .column_by_name("_line")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(batch.num_rows(), records.len());
    for (i, record) in records.iter().enumerate() {
        assert_eq!(raw.value(i), record);
        assert_eq!(line.value(i), i as i64 + 1);
    }
    let member = batch
        .column_by_name("idMember")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(member.value(0), 101);
    assert_eq!(member.value(1), 102);
    assert!(member.is_null(2) && member.is_null(3));
    let branch = batch
        .column_by_name("idBranch")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!((branch.value(0), branch.value(1)), (7, 7));
    assert!(branch.is_null(2));
    let name = batch
        .column_by_name("nameMember")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(name.value(0), "João Ávila");
    assert_eq!(name.value(1), "Zoë \"Z\" é");
    let prospect = batch
        .column_by_name("nameProspect")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(prospect.value(2), "Ana 😀");

    let rejects = lake.read_rejects(&runs[0].0, &runs[0].1).await.unwrap();
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].raw.as_deref(), Some("{\"idMember\": 1,"));
    assert_eq!(rejects[0].position.page, Some(2));
    assert_eq!(rejects[0].position.index, Some(1));
    assert_eq!(rejects[0].position.window.as_deref(), Some("2026-01-05"));
}
