//! Arrow → PostgreSQL binary COPY encoding of 1M realistic EVO entry rows.
//!
//! `cargo bench -p skyfit-benches --bench copy_encode` reports MB/s of COPY output
//! (`bytes` group) and rows/s (`rows` group), for `Utf8` and `Utf8View` strings.

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skyfit_benches::entries;
use skyfit_load::CopyEncoder;

const ROWS: usize = 1_000_000;
const BATCH_ROWS: usize = 8_192;

fn encode_all(
    encoder: &CopyEncoder,
    batches: &[arrow::record_batch::RecordBatch],
    out: &mut BytesMut,
) -> usize {
    out.clear();
    let mut total = 0;
    for b in batches {
        encoder.encode_batch(b, out).expect("encode");
        total += out.len();
        out.clear(); // a COPY sends each chunk away; keep one chunk's buffer
    }
    total
}

fn bench(c: &mut Criterion) {
    for view in [false, true] {
        let label = if view { "utf8view" } else { "utf8" };
        let batches = entries::batches(ROWS, BATCH_ROWS, view);
        let encoder =
            CopyEncoder::try_new(&entries::schema(view), &entries::columns()).expect("encoder");
        let mut out = BytesMut::new();
        let bytes = encode_all(&encoder, &batches, &mut out) as u64;
        eprintln!(
            "{label}: {ROWS} rows → {bytes} bytes of COPY data ({} B/row)",
            bytes / ROWS as u64
        );

        let mut group = c.benchmark_group("copy_encode_bytes");
        group.sample_size(10).throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("entries_1m_{label}"), |b| {
            b.iter(|| encode_all(&encoder, &batches, &mut out))
        });
        group.finish();

        let mut group = c.benchmark_group("copy_encode_rows");
        group
            .sample_size(10)
            .throughput(Throughput::Elements(ROWS as u64));
        group.bench_function(format!("entries_1m_{label}"), |b| {
            b.iter(|| encode_all(&encoder, &batches, &mut out))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
