//! Adopting one original EVO entries part: `LakeStore::adopt` over an in-memory lake holding
//! one run of one 10,000-record `.jsonl.gz` part (gzip 9, Python separators) and its original
//! manifest. Each iteration reads and decompresses the part, extracts every record through
//! `PartBuffer::push_line`, sorts and encodes the Parquet twin and writes it with the run's
//! `_skyfit_run.json`: the per-part work of `skyfit bench adopt`, on one core.
//!
//! `cargo bench --profile release -p skyfit-benches --bench adopt_part -- --quick`

use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use skyfit_benches::adopt::{PART_RECORDS, python_separators};
use skyfit_core::Source;
use skyfit_lake::{AdoptOptions, AdoptStatus, LakeStore};

const DIR: &str = "bronze/evo/entity=entries/ingestion_date=2025-01-20/run_id=20250120T030000Z";

fn manifest(records: usize) -> String {
    format!(
        r#"{{"entity": "entries", "mode": "full_parallel", "run_id": "20250120T030000Z",
  "start_date": "2025-01-06", "end_date": "2025-01-12", "workers": 8,
  "total_records": {records}, "total_parts": 1, "total_elapsed_seconds": 1.0, "periods": 1,
  "errors": 0, "results": [{{"period": "2025-01-06 - 2025-01-12", "records": {records},
  "parts": 1, "elapsed": 1.0, "requests": 11, "worker_id": 0}}]}}"#
    )
}

async fn adopt(part: &Bytes, manifest: &Bytes) -> u64 {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    for (name, bytes) in [
        ("2025-01-06_part-00001.jsonl.gz", part),
        ("_manifest.json", manifest),
    ] {
        store
            .put(
                &Path::from(format!("{DIR}/{name}")),
                PutPayload::from_bytes(bytes.clone()),
            )
            .await
            .expect("in-memory put");
    }
    let lake = LakeStore::from_object_store(store, "", "memory");
    let report = lake
        .adopt(&AdoptOptions {
            sources: vec![Source::Evo],
            concurrency: 1,
            ..AdoptOptions::default()
        })
        .await
        .expect("adopt");
    assert_eq!(report.count(AdoptStatus::Adopted), 1, "{report:#?}");
    report.records()
}

fn bench(c: &mut Criterion) {
    let lines: Vec<String> = skyfit_benches::entries::api_records(PART_RECORDS as u64)
        .iter()
        .map(|r| python_separators(r))
        .collect();
    let raw: usize = lines.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    let part = skyfit_test_utils::original::jsonl_gz(&lines, false);
    eprintln!(
        "{PART_RECORDS} records, {raw} bytes of JSON ({} B/record), {} bytes gzip 9",
        raw / PART_RECORDS,
        part.len()
    );
    let manifest = Bytes::from(manifest(PART_RECORDS));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("adopt_part");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(PART_RECORDS as u64));
    group.bench_function("entries_10k_gzip9", |b| {
        b.iter(|| rt.block_on(adopt(&part, &manifest)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
