//! One bronze part of realistic EVO entries: record bytes → gzip JSONL + typed Arrow columns →
//! Parquet (`PartBuffer`, the extractor's hot path).
//!
//! `cargo bench -p skyfit-benches --bench part_encode -- --quick` reports records/s and MB/s
//! of raw JSON for the default gzip level (6) and for level 1.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skyfit_core::Source;
use skyfit_lake::{PartBuffer, declared_schema};

/// One default part (`PartLimits::default().max_records`).
const RECORDS: u64 = 50_000;

fn encode(level: u32, records: &[String]) -> u64 {
    let mut buf = PartBuffer::try_new(declared_schema(Source::Evo, "entries"), level)
        .expect("entries schema is valid")
        .with_lineage("20261120T020000Z", "2026-11-20", None);
    for r in records {
        buf.push(r).expect("generated records are JSON objects");
    }
    let part = buf.finish("bench/part-00000.jsonl.gz").expect("encode");
    part.parquet.len() as u64
}

fn bench(c: &mut Criterion) {
    let records = skyfit_benches::entries::api_records(RECORDS);
    let bytes: u64 = records.iter().map(|r| r.len() as u64 + 1).sum();
    eprintln!(
        "{RECORDS} records, {bytes} bytes of JSONL ({} B/record)",
        bytes / RECORDS
    );
    for level in [6, 1] {
        let mut group = c.benchmark_group("part_encode_records");
        group
            .sample_size(10)
            .throughput(Throughput::Elements(RECORDS));
        group.bench_function(format!("entries_50k_gzip{level}"), |b| {
            b.iter(|| encode(level, &records))
        });
        group.finish();
        let mut group = c.benchmark_group("part_encode_bytes");
        group.sample_size(10).throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("entries_50k_gzip{level}"), |b| {
            b.iter(|| encode(level, &records))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
