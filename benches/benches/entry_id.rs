//! The EVO synthetic `entry_id` (MD5 over seven key fields) on realistic records.
//!
//! * `parse_and_hash`: what the `evo_entry_id(_raw)` UDF does per row — parse the whole record
//!   into a JSON map, build the key string, hash it;
//! * `udf_in_datafusion`: the UDF itself over a 50K-row `_raw` column in a DataFusion query;
//! * `from_raw_slices`: what the bronze writer now does once per record — the key from the raw
//!   JSON text of the seven key fields its streaming scan already captured;
//! * `hash_only`: the MD5 and modulo on prebuilt key strings (the floor of any approach).
//!
//! `cargo bench -p skyfit-benches --bench entry_id -- --quick`

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

const RECORDS: u64 = 50_000;

fn bench(c: &mut Criterion) {
    let records = skyfit_benches::entries::api_records(RECORDS);
    let keys: Vec<String> = records
        .iter()
        .filter_map(|r| {
            let m: serde_json::Map<String, serde_json::Value> = serde_json::from_str(r).ok()?;
            skyfit_core::entry_id::entry_key_string(&m)
        })
        .collect();
    let slices: Vec<Vec<Option<String>>> = records
        .iter()
        .map(|r| {
            let m: std::collections::HashMap<String, &serde_json::value::RawValue> =
                serde_json::from_str(r).expect("record");
            skyfit_core::entry_id::ENTRY_KEY_FIELDS
                .iter()
                .map(|f| m.get(*f).map(|v| v.get().to_string()))
                .collect()
        })
        .collect();
    let mut group = c.benchmark_group("entry_id");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(RECORDS));
    group.bench_function("parse_and_hash", |b| {
        b.iter(|| {
            records
                .iter()
                .filter_map(|r| {
                    let m: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(r).ok()?;
                    skyfit_core::entry_id(&m)
                })
                .fold(0i64, |a, x| a ^ x)
        })
    });
    group.bench_function("from_raw_slices", |b| {
        b.iter(|| {
            slices
                .iter()
                .filter_map(|f| {
                    skyfit_core::entry_id::entry_id_from_raw(std::array::from_fn(|i| {
                        f[i].as_deref()
                    }))
                })
                .fold(0i64, |a, x| a ^ x)
        })
    });
    group.bench_function("hash_only", |b| {
        b.iter(|| {
            keys.iter()
                .map(|k| skyfit_core::entry_id::entry_id_from_key(k))
                .fold(0i64, |a, x| a ^ x)
        })
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let schema = Arc::new(Schema::new(vec![Field::new("_raw", DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from_iter_values(records.iter()))],
    )
    .expect("batch");
    let ctx = SessionContext::new();
    for udf in skyfit_transform::udf::udfs("UTC").expect("udfs") {
        ctx.register_udf(udf);
    }
    ctx.register_table(
        "t",
        Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("table")),
    )
    .expect("register");
    group.bench_function("udf_in_datafusion", |b| {
        b.iter(|| {
            rt.block_on(async {
                let df = ctx
                    .sql("SELECT sum(evo_entry_id(_raw) % 1000) FROM t")
                    .await
                    .expect("plan");
                df.collect().await.expect("run")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
