//! Failed writes through a fault-injecting object store: the manifest never claims more than
//! the lake holds, and a resume ends with exactly the records of an uninterrupted run.

use std::sync::Arc;

use object_store::memory::InMemory;
use skyfit_core::RunId;
use skyfit_lake::{BronzeWriter, LakeStore, PageRef, PartLimits, RunRef, RunStatus};
use skyfit_test_utils::faults::{Fault, FaultyStore, Op};

use crate::common::entries_key;

const PAGES: u64 = 10;

fn page(n: u64) -> Vec<String> {
    (0..3)
        .map(|i| {
            format!(
                "{{\"idMember\":{},\"date\":\"2026-01-05T00:00:00\"}}",
                n * 10 + i
            )
        })
        .collect()
}

fn limits() -> PartLimits {
    PartLimits {
        max_records: 6,
        max_raw_bytes: u64::MAX,
    }
}

/// Writes pages from the window's durable checkpoint on; `Err` at the first failed write.
async fn write_window(w: &mut BronzeWriter) -> Result<(), skyfit_lake::Error> {
    let state = w.begin_window("w1", None).clone();
    let first = state.last_page.map_or(1, |p| p + 1);
    for n in first..=PAGES {
        let cursor = (n * 100).to_string();
        let at = PageRef {
            window: "w1",
            page: n,
            cursor: Some(&cursor),
        };
        w.write_page(&at, page(n)).await?;
    }
    w.complete_window("w1")
}

async fn members(lake: &LakeStore, run: &RunRef) -> Vec<i64> {
    let mut out = Vec::new();
    for p in lake.list_parts(run).await.unwrap() {
        let part = lake.read_part_verified(&p).await.unwrap();
        for (_, bytes) in part.records() {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            out.push(v["idMember"].as_i64().unwrap());
        }
    }
    out
}

/// A failed part write (a full disk, an Azure timeout) then `fail`, then resume: the window's
/// checkpoint stayed at the last durable part, so the resume fetches the lost pages again.
async fn failed_write_then_resume(fault: Fault) {
    let store = FaultyStore::new(Arc::new(InMemory::new()));
    let lake = LakeStore::from_object_store(store.clone(), "lake", "faulty://lake");
    let run_id = RunId::parse("20260105T120000Z").unwrap();
    let run = RunRef::new(entries_key(), run_id.clone());
    let mut w = BronzeWriter::builder(&lake, entries_key(), run_id.clone())
        .with_limits(limits())
        .create()
        .await
        .unwrap();
    w.begin_window("w1", Some(("2026-01-01".into(), "2026-01-07".into())));
    store.inject(fault);
    let err = write_window(&mut w).await.unwrap_err();
    assert!(err.to_string().contains("injected fault"), "{err}");
    assert_eq!(store.injected().len(), 1);
    // Later writes are refused: their checkpoints would skip the lost pages.
    let more = w
        .write_page(
            &PageRef {
                window: "w1",
                page: 99,
                cursor: None,
            },
            page(99),
        )
        .await
        .unwrap_err();
    assert!(more.to_string().contains("resume"), "{more}");
    let m = w.fail(&err.to_string()).await.unwrap();
    assert_eq!(m.status, RunStatus::Failed);
    // The manifest claims only what its parts hold.
    let in_parts: u64 = m.parts.iter().map(|p| p.records).sum();
    assert_eq!(m.records, in_parts);
    let w1 = m.window("w1").unwrap();
    assert_eq!(w1.records, in_parts, "{w1:?}");
    assert_eq!(w1.last_page.unwrap_or(0) * 3, in_parts, "{w1:?}");

    store.heal();
    let mut w = BronzeWriter::builder(&lake, entries_key(), run_id)
        .with_limits(limits())
        .open()
        .await
        .unwrap();
    write_window(&mut w).await.unwrap();
    let m = w.finish().await.unwrap();
    assert_eq!(m.status, RunStatus::Complete);
    let expected: Vec<i64> = (1..=PAGES)
        .flat_map(|n| (0..3).map(move |i| (n * 10 + i) as i64))
        .collect();
    assert_eq!(m.records, expected.len() as u64);
    assert_eq!(members(&lake, &run).await, expected);
}

#[tokio::test]
async fn a_failed_parquet_write_loses_nothing_after_resume() {
    failed_write_then_resume(Fault::on(Op::Put).matching("part-00003.parquet").times(1)).await;
}

#[tokio::test]
async fn a_failed_jsonl_write_loses_nothing_after_resume() {
    failed_write_then_resume(Fault::on(Op::Put).matching("part-00002.jsonl.gz").times(1)).await;
}

#[tokio::test]
async fn a_failed_manifest_write_loses_nothing_after_resume() {
    // The 3rd manifest write: the one naming part 2.
    failed_write_then_resume(Fault::on(Op::Put).matching("_manifest").after(2).times(1)).await;
}
