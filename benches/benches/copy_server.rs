//! COPY into a real PostgreSQL server (a fresh `TestDb`): 200K typed `core.evo_entries` rows
//! into an index-less table, over one connection, through `skyfit_load::copy_in`.
//!
//! `cargo bench -p skyfit-benches --bench copy_server -- --quick` reports rows/s. The server
//! is the test server (`SKYFIT_TEST_DATABASE_URL`, else the local one).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skyfit_benches::entries;
use skyfit_load::CopyEncoder;
use skyfit_load::sql::TableName;
use skyfit_test_utils::TestDb;

const ROWS: usize = 200_000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = rt.block_on(TestDb::empty());
    rt.block_on(db.client().batch_execute(entries::TABLE_DDL))
        .expect("create table");
    let batches = entries::batches(ROWS, 8_192, false);
    let encoder =
        CopyEncoder::try_new(&entries::schema(false), &entries::columns()).expect("encoder");
    let table = TableName::unqualified("evo_entries");

    let mut group = c.benchmark_group("copy_server");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(ROWS as u64));
    for (name, sync) in [("entries_200k", "on"), ("entries_200k_sync_off", "off")] {
        rt.block_on(
            db.client()
                .batch_execute(&format!("SET synchronous_commit = {sync}")),
        )
        .expect("set");
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    db.client()
                        .batch_execute("TRUNCATE evo_entries")
                        .await
                        .expect("truncate");
                    let stream = futures::stream::iter(
                        batches.iter().cloned().map(Ok::<_, skyfit_load::BoxError>),
                    );
                    skyfit_load::copy_in(db.client(), &table, &encoder, stream)
                        .await
                        .expect("copy")
                        .rows
                })
            })
        });
    }
    group.finish();
    drop(db);
}

criterion_group!(benches, bench);
criterion_main!(benches);
