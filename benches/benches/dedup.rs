//! DataFusion over a Parquet bronze lake: the stg and core entries queries (dedup by
//! `row_number() OVER (PARTITION BY entry_id, entry_date …)`), 200K entries plus 3 %
//! re-extracted in a second run, written through the real bronze writer.
//!
//! `cargo bench -p skyfit-benches --bench dedup -- --quick` reports bronze records/s.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use skyfit_benches::e2e::lake;
use skyfit_lake::LakeStore;
use skyfit_transform::query::load_dir;

const RECORDS: u64 = 200_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = LakeStore::try_new(&dir.path().display().to_string()).expect("lake");
    let stats = rt
        .block_on(lake::build(
            &lake,
            &lake::entries_schema(false),
            RECORDS,
            3.0,
            42,
        ))
        .expect("lake build");
    let queries_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../queries");
    let queries: Vec<_> = load_dir(&queries_dir)
        .expect("queries")
        .into_iter()
        .filter(|q| skyfit_benches::e2e::TARGETS.contains(&q.target.as_str()))
        .collect();
    let session = rt
        .block_on(skyfit_pipeline::session_for(
            &lake,
            &queries,
            &Default::default(),
        ))
        .expect("session");

    let mut group = c.benchmark_group("dedup");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(stats.bronze_records));
    for q in &queries {
        let name = q.target.replace('.', "_");
        group.bench_function(format!("{name}_200k"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let df = session.plan(q).await.expect("plan");
                    let mut s = df.execute_stream().await.expect("execute");
                    let mut rows = 0;
                    while let Some(batch) = s.next().await {
                        rows += batch.expect("batch").num_rows();
                    }
                    assert_eq!(rows as u64, RECORDS, "dedup keeps one row per entry");
                    rows
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
