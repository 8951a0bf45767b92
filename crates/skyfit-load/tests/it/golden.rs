//! Encoder output checked byte for byte against hand-computed expectations.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, LargeStringArray, StringArray, StringViewArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use skyfit_load::{CopyEncoder, Error, IssueKind, NulPolicy, PgColumn, PgType};

const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
const TRAILER: &[u8] = &[0xff, 0xff];
const NULL: &[u8] = &[0xff, 0xff, 0xff, 0xff];

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// Encodes `batch` with one target column per `(name, type)`, header to trailer.
fn encode(batch: &RecordBatch, targets: &[(&str, PgType)]) -> (Vec<u8>, skyfit_load::EncodeReport) {
    let columns: Vec<PgColumn> = targets.iter().map(|(n, t)| PgColumn::new(*n, *t)).collect();
    let encoder = CopyEncoder::try_new(&batch.schema(), &columns).unwrap();
    let (bytes, report) = encoder.encode_all([batch]).unwrap();
    (bytes.to_vec(), report)
}

/// Expected stream of single-column rows, each field given as its raw bytes.
fn one_column_stream(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    for f in fields {
        out.extend_from_slice(&[0, 1]);
        out.extend_from_slice(f);
    }
    out.extend_from_slice(TRAILER);
    out
}

#[test]
fn header_ints_and_text_with_nulls() {
    let b = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
        ),
        ("name", Arc::new(StringArray::from(vec![Some("ab"), None]))),
    ]);
    let (bytes, report) = encode(&b, &[("id", PgType::Int8), ("name", PgType::Text)]);
    let expected: Vec<u8> = [
        HEADER,
        &[0, 2],
        &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0, 0, 0, 2, b'a', b'b'],
        &[0, 2],
        NULL,
        NULL,
        TRAILER,
    ]
    .concat();
    assert_eq!(bytes, expected);
    assert_eq!(report.rows, 2);
    assert_eq!(
        report.bytes as usize,
        expected.len() - HEADER.len() - TRAILER.len()
    );
    assert!(!report.has_issues());
}

#[test]
fn integer_widths() {
    let b = batch(vec![
        ("a", Arc::new(Int16Array::from(vec![-2])) as ArrayRef),
        ("b", Arc::new(Int32Array::from(vec![258]))),
        ("c", Arc::new(UInt32Array::from(vec![u32::MAX]))),
    ]);
    let (bytes, _) = encode(
        &b,
        &[
            ("a", PgType::Int2),
            ("b", PgType::Int4),
            ("c", PgType::Int8),
        ],
    );
    let expected: Vec<u8> = [
        HEADER,
        &[0, 3],
        &[0, 0, 0, 2, 0xff, 0xfe],
        &[0, 0, 0, 4, 0, 0, 1, 2],
        &[0, 0, 0, 8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        TRAILER,
    ]
    .concat();
    assert_eq!(bytes, expected);
}

#[test]
fn narrowing_integer_out_of_range_is_null_and_reported() {
    let b = batch(vec![(
        "n",
        Arc::new(Int64Array::from(vec![7, i64::from(i32::MAX) + 1])) as ArrayRef,
    )]);
    let (bytes, report) = encode(&b, &[("n", PgType::Int4)]);
    assert_eq!(bytes, one_column_stream(&[&[0, 0, 0, 4, 0, 0, 0, 7], NULL]));
    assert_eq!(report.columns[0].out_of_range, 1);
    assert_eq!(report.issues[0].row, 1);
    assert_eq!(report.issues[0].kind, IssueKind::OutOfRange);
}

#[test]
fn rewritten_rows_name_the_cells_the_encoder_nulls() {
    let narrow = Int64Array::from(vec![Some(7), None, Some(i64::from(i32::MAX) + 1)]);
    let dates = Date32Array::from(vec![Some(i32::MIN), Some(0), Some(i32::MAX)]);
    for (array, pg, rows) in [
        (&narrow as &dyn arrow::array::Array, PgType::Int4, vec![2]),
        (&narrow, PgType::Int8, vec![]),
        (&dates, PgType::Date, vec![0, 2]),
    ] {
        let b = batch(vec![(
            "c",
            Arc::new(arrow::array::make_array(array.to_data())),
        )]);
        let (_, report) = encode(&b, &[("c", pg)]);
        let from_encoder: Vec<_> = report.issues.iter().map(|i| (i.row, i.kind)).collect();
        let predicted = skyfit_load::rewritten_rows(array, pg);
        assert_eq!(predicted, from_encoder, "{pg:?}");
        assert_eq!(
            predicted.iter().map(|r| r.0).collect::<Vec<_>>(),
            rows,
            "{pg:?}"
        );
    }
}

#[test]
fn floats_and_bool() {
    let b = batch(vec![
        ("f", Arc::new(Float32Array::from(vec![1.5])) as ArrayRef),
        ("d", Arc::new(Float64Array::from(vec![-2.0]))),
        ("w", Arc::new(Float32Array::from(vec![1.5]))),
        ("b", Arc::new(BooleanArray::from(vec![true]))),
    ]);
    let (bytes, _) = encode(
        &b,
        &[
            ("f", PgType::Float4),
            ("d", PgType::Float8),
            ("w", PgType::Float8),
            ("b", PgType::Bool),
        ],
    );
    let expected: Vec<u8> = [
        HEADER,
        &[0, 4],
        &[0, 0, 0, 4, 0x3f, 0xc0, 0, 0],
        &[0, 0, 0, 8, 0xc0, 0, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 8, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 1, 1],
        TRAILER,
    ]
    .concat();
    assert_eq!(bytes, expected);
}

#[test]
fn dates_before_and_after_2000_and_out_of_range() {
    // 2000-01-02 = day 10958 since 1970; 1999-12-31 = 10956; 1970-01-01 = 0.
    let b = batch(vec![(
        "d",
        Arc::new(Date32Array::from(vec![
            Some(10_958),
            Some(10_956),
            Some(0),
            Some(i32::MAX),
            None,
        ])) as ArrayRef,
    )]);
    let (bytes, report) = encode(&b, &[("d", PgType::Date)]);
    let expected = one_column_stream(&[
        &[0, 0, 0, 4, 0, 0, 0, 1],
        &[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff],
        &[0, 0, 0, 4, 0xff, 0xff, 0xd5, 0x33], // -10957
        NULL,
        NULL,
    ]);
    assert_eq!(bytes, expected);
    assert_eq!(report.columns[0].out_of_range, 1);
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].row, 3);
}

#[test]
fn timestamps_all_units_before_2000() {
    // 1970-01-01T00:00:00Z = -946684800000000 µs from 2000 = 0xfffca2fec4c82000.
    // 1969-07-20T20:17:40Z = -14182940 s since 1970 → 0xfffc96188bae6100.
    let epoch = [0, 0, 0, 8, 0xff, 0xfc, 0xa2, 0xfe, 0xc4, 0xc8, 0x20, 0x00];
    let moon = [0, 0, 0, 8, 0xff, 0xfc, 0x96, 0x18, 0x8b, 0xae, 0x61, 0x00];
    let one_sec = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]; // 2000-01-01T00:00:01
    let b = batch(vec![
        (
            "us",
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(0), Some(946_684_801_000_000), None])
                    .with_timezone("UTC"),
            ) as ArrayRef,
        ),
        (
            "ms",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(0),
                Some(-14_182_940_000),
                Some(i64::MAX),
            ])),
        ),
        (
            "ns",
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(0),
                    Some(946_684_801_000_000_000),
                    Some(-14_182_940_000_000_000),
                ])
                .with_timezone("+00:00"),
            ),
        ),
    ]);
    let (bytes, report) = encode(
        &b,
        &[
            ("us", PgType::Timestamptz),
            ("ms", PgType::Timestamp),
            ("ns", PgType::Timestamptz),
        ],
    );
    let expected: Vec<u8> = [
        HEADER,
        &[0, 3],
        &epoch,
        &epoch,
        &epoch,
        &[0, 3],
        &one_sec,
        &moon,
        &one_sec,
        &[0, 3],
        NULL,
        NULL, // i64::MAX ms overflows µs: out of range
        &moon,
        TRAILER,
    ]
    .concat();
    assert_eq!(bytes, expected);
    assert_eq!(report.columns[1].out_of_range, 1);
}

#[test]
fn numeric_edge_cases() {
    let values = vec![
        Some(0),
        Some(123_456_789),
        Some(-123_456_789),
        Some(1),
        None,
    ];
    let arr = Decimal128Array::from(values)
        .with_precision_and_scale(12, 4)
        .unwrap();
    let b = batch(vec![("n", Arc::new(arr) as ArrayRef)]);
    let (bytes, _) = encode(&b, &[("n", PgType::Numeric)]);
    // Layout: len, ndigits, weight, sign, dscale, digits (base 10000).
    let expected = one_column_stream(&[
        // 0.0000: no digits, dscale 4.
        &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4],
        // 12345.6789 = 1|2345|6789, weight 1.
        &[
            0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 4, 0, 1, 0x09, 0x29, 0x1a, 0x85,
        ],
        // -12345.6789: sign 0x4000.
        &[
            0, 0, 0, 14, 0, 3, 0, 1, 0x40, 0, 0, 4, 0, 1, 0x09, 0x29, 0x1a, 0x85,
        ],
        // 0.0001 = 1 × 10000^-1.
        &[0, 0, 0, 10, 0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 1],
        NULL,
    ]);
    assert_eq!(bytes, expected);
}

#[test]
fn numeric_from_integers() {
    let b = batch(vec![(
        "n",
        Arc::new(Int64Array::from(vec![-20_000])) as ArrayRef,
    )]);
    let (bytes, _) = encode(&b, &[("n", PgType::Numeric)]);
    // -20000 = 2 × 10000^1, trailing zero digit dropped.
    assert_eq!(
        bytes,
        one_column_stream(&[&[0, 0, 0, 10, 0, 1, 0, 1, 0x40, 0, 0, 0, 0, 2]])
    );
}

#[test]
fn jsonb_version_byte_and_escape_fix() {
    let b = batch(vec![(
        "j",
        Arc::new(StringArray::from(vec![
            r#"{"a":1}"#,
            r#"["\u0000","\\u0000"]"#,
        ])) as ArrayRef,
    )]);
    let (bytes, report) = encode(&b, &[("j", PgType::Jsonb)]);
    let mut first = vec![0, 0, 0, 8, 1];
    first.extend_from_slice(br#"{"a":1}"#);
    let fixed = br#"["\ufffd","\\u0000"]"#;
    let mut second = vec![0, 0, 0, fixed.len() as u8 + 1, 1];
    second.extend_from_slice(fixed);
    assert_eq!(bytes, one_column_stream(&[&first, &second]));
    assert_eq!(report.columns[0].json_nul_escape, 1);
    assert_eq!(report.issues[0].row, 1);
}

#[test]
fn text_nul_stripped_or_replaced_in_every_string_layout() {
    let cases: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["a\0b", "ok"])),
        Arc::new(LargeStringArray::from(vec!["a\0b", "ok"])),
        Arc::new(StringViewArray::from(vec!["a\0b", "ok"])),
    ];
    for array in cases {
        let b = batch(vec![("t", array)]);
        let (bytes, report) = encode(&b, &[("t", PgType::Varchar)]);
        assert_eq!(
            bytes,
            one_column_stream(&[&[0, 0, 0, 2, b'a', b'b'], &[0, 0, 0, 2, b'o', b'k']])
        );
        assert_eq!(report.columns[0].text_nul, 1);

        let encoder = CopyEncoder::try_new(&b.schema(), &[PgColumn::new("t", PgType::Text)])
            .unwrap()
            .with_nul_policy(NulPolicy::Replace);
        let (bytes, _) = encoder.encode_all([&b]).unwrap();
        let mut replaced = vec![0, 0, 0, 5, b'a'];
        replaced.extend_from_slice("\u{fffd}".as_bytes());
        replaced.push(b'b');
        assert_eq!(
            bytes.to_vec(),
            one_column_stream(&[&replaced, &[0, 0, 0, 2, b'o', b'k']])
        );
    }
}

#[test]
fn sliced_batches_and_block_sizes_give_the_same_bytes() {
    let n = 1000;
    let ids: Int64Array = (0..n).map(|i| (i % 7 != 0).then_some(i)).collect();
    let names: StringArray = (0..n)
        .map(|i| (i % 5 != 0).then(|| format!("name {i}")))
        .collect();
    let b = batch(vec![
        ("id", Arc::new(ids) as ArrayRef),
        ("name", Arc::new(names)),
    ]);
    let targets = [
        PgColumn::new("id", PgType::Int8),
        PgColumn::new("name", PgType::Text),
    ];
    let encoder = CopyEncoder::try_new(&b.schema(), &targets).unwrap();
    let (whole, _) = encoder.encode_all([&b]).unwrap();
    let parts = [b.slice(0, 333), b.slice(333, 1), b.slice(334, 666)];
    let (sliced, report) = encoder.with_block_rows(1).encode_all(&parts).unwrap();
    assert_eq!(whole, sliced);
    assert_eq!(report.rows, n as u64);
}

#[test]
fn schema_errors_name_the_column() {
    let b = batch(vec![(
        "x",
        Arc::new(Float64Array::from(vec![1.0])) as ArrayRef,
    )]);
    let err = CopyEncoder::try_new(&b.schema(), &[PgColumn::new("x", PgType::Int8)]).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedType { ref column, .. } if column == "x"),
        "{err}"
    );
    let err = CopyEncoder::try_new(&b.schema(), &[PgColumn::new("y", PgType::Int8)]).unwrap_err();
    assert!(
        matches!(err, Error::MissingColumn { ref column } if column == "y"),
        "{err}"
    );

    let encoder = CopyEncoder::try_new(&b.schema(), &[PgColumn::new("x", PgType::Float8)]).unwrap();
    let other = batch(vec![("x", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]);
    let err = encoder
        .encode_batch(&other, &mut Default::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SchemaMismatch {
                found: DataType::Int64,
                ..
            }
        ),
        "{err}"
    );
}
