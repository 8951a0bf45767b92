//! COPY round trips: write rows, SELECT them back, compare (NULLs too).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, StringArray, StringViewArray, TimestampMicrosecondArray,
    TimestampNanosecondArray,
};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use futures::stream;
use skyfit_load::sql::TableName;
use skyfit_load::{
    BoxError, CopyEncoder, CopyOptions, Error, PgColumn, PgType, copy_in, copy_in_parallel,
    copy_in_with,
};
use tokio_postgres::error::SqlState;

use crate::db::db;

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn ok_stream(
    batches: Vec<RecordBatch>,
) -> impl futures::Stream<Item = Result<RecordBatch, BoxError>> {
    stream::iter(batches.into_iter().map(Ok))
}

#[tokio::test]
async fn every_type_round_trips_with_nulls() {
    let db = db().await;
    db.client()
        .batch_execute(
            "CREATE TABLE t (i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, \
             n numeric(20,4), tx text, vc varchar(10), j jsonb, b boolean, d date, \
             tz timestamptz, ts timestamp)",
        )
        .await
        .unwrap();
    let b = batch(vec![
        (
            "i2",
            Arc::new(Int16Array::from(vec![Some(-7), None, Some(i16::MAX)])) as ArrayRef,
        ),
        (
            "i4",
            Arc::new(Int32Array::from(vec![Some(i32::MIN), None, Some(3)])),
        ),
        (
            "i8",
            Arc::new(Int64Array::from(vec![Some(i64::MAX), None, Some(-1)])),
        ),
        (
            "f4",
            Arc::new(Float32Array::from(vec![
                Some(1.5),
                None,
                Some(f32::INFINITY),
            ])),
        ),
        (
            "f8",
            Arc::new(Float64Array::from(vec![Some(-0.25), None, Some(1e300)])),
        ),
        (
            "n",
            Arc::new(
                Decimal128Array::from(vec![Some(123_456_789), None, Some(-1)])
                    .with_precision_and_scale(20, 4)
                    .unwrap(),
            ),
        ),
        (
            "tx",
            Arc::new(StringViewArray::from(vec![
                Some("Recepção"),
                None,
                Some(""),
            ])),
        ),
        (
            "vc",
            Arc::new(StringArray::from(vec![Some("Catraca 1"), None, Some("x")])),
        ),
        (
            "j",
            Arc::new(StringArray::from(vec![
                Some(r#"{"b":[1,2],"a":"é"}"#),
                None,
                Some("null"),
            ])),
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
        ),
        (
            "d",
            Arc::new(Date32Array::from(vec![Some(-1), None, Some(19_797)])),
        ),
        (
            "tz",
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(-1_000),
                    None,
                    Some(1_710_488_530_123_456_000),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(-946_684_800_000_001),
                None,
                Some(0),
            ])),
        ),
    ]);
    let targets = [
        ("i2", PgType::Int2),
        ("i4", PgType::Int4),
        ("i8", PgType::Int8),
        ("f4", PgType::Float4),
        ("f8", PgType::Float8),
        ("n", PgType::Numeric),
        ("tx", PgType::Text),
        ("vc", PgType::Varchar),
        ("j", PgType::Jsonb),
        ("b", PgType::Bool),
        ("d", PgType::Date),
        ("tz", PgType::Timestamptz),
        ("ts", PgType::Timestamp),
    ]
    .map(|(n, t)| PgColumn::new(n, t));
    let encoder = CopyEncoder::try_new(&b.schema(), &targets).unwrap();
    let out = copy_in(
        db.client(),
        &TableName::unqualified("t"),
        &encoder,
        ok_stream(vec![b]),
    )
    .await
    .unwrap();
    assert_eq!(out.rows, 3);

    let rows = db
        .client()
        .query(
            "SELECT i2, i4, i8, f4, f8, n::text, tx, vc, j::text, b, d, tz, ts FROM t ORDER BY i4 NULLS LAST",
            &[],
        )
        .await
        .unwrap();
    let r = &rows[0];
    assert_eq!(r.get::<_, Option<i16>>(0), Some(-7));
    assert_eq!(r.get::<_, Option<i32>>(1), Some(i32::MIN));
    assert_eq!(r.get::<_, Option<i64>>(2), Some(i64::MAX));
    assert_eq!(r.get::<_, Option<f32>>(3), Some(1.5));
    assert_eq!(r.get::<_, Option<f64>>(4), Some(-0.25));
    assert_eq!(r.get::<_, Option<String>>(5).as_deref(), Some("12345.6789"));
    assert_eq!(r.get::<_, Option<String>>(6).as_deref(), Some("Recepção"));
    assert_eq!(r.get::<_, Option<String>>(7).as_deref(), Some("Catraca 1"));
    assert_eq!(
        r.get::<_, Option<String>>(8).as_deref(),
        Some(r#"{"a": "é", "b": [1, 2]}"#)
    );
    assert_eq!(r.get::<_, Option<bool>>(9), Some(true));
    assert_eq!(
        r.get::<_, Option<NaiveDate>>(10),
        NaiveDate::from_ymd_opt(1969, 12, 31)
    );
    let tz: DateTime<Utc> = r.get(11);
    assert_eq!(tz.to_rfc3339(), "1969-12-31T23:59:59.999999+00:00");
    let ts: NaiveDateTime = r.get(12);
    assert_eq!(ts.to_string(), "1940-01-01 23:59:59.999999");

    let r = &rows[1];
    assert_eq!(r.get::<_, Option<String>>(5).as_deref(), Some("-0.0001"));
    assert_eq!(r.get::<_, Option<f32>>(3), Some(f32::INFINITY));
    assert_eq!(r.get::<_, Option<String>>(6).as_deref(), Some(""));
    assert_eq!(r.get::<_, Option<String>>(8).as_deref(), Some("null"));
    assert_eq!(
        r.get::<_, Option<NaiveDate>>(10),
        NaiveDate::from_ymd_opt(2024, 3, 15)
    );
    let tz: DateTime<Utc> = r.get(11);
    assert_eq!(tz.to_rfc3339(), "2024-03-15T07:42:10.123456+00:00");

    let nulls: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM t WHERE num_nulls(i2, i4, i8, f4, f8, n, tx, vc, j, b, d, tz, ts) = 13",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(nulls, 1);
}

#[tokio::test]
async fn numeric_edge_values_match_postgres_text() {
    let db = db().await;
    db.client()
        .batch_execute("CREATE TABLE n (v numeric)")
        .await
        .unwrap();
    let cases: &[(i128, i8, &str)] = &[
        (0, 0, "0"),
        (0, 3, "0.000"),
        (1, 4, "0.0001"),
        (100, 6, "0.000100"),
        (-123_456_789, 4, "-12345.6789"),
        (1, 5, "0.00001"),
        (120_000, 0, "120000"),
        (15, -3, "15000"),
        (i128::MAX, 0, "170141183460469231731687303715884105727"),
        (
            i128::MIN + 1,
            38,
            "-1.70141183460469231731687303715884105727",
        ),
        (99_999_999, 8, "0.99999999"),
        (100_000_001, 4, "10000.0001"),
    ];
    for (v, scale, text) in cases {
        let arr = Decimal128Array::from(vec![*v])
            .with_precision_and_scale(38, *scale)
            .unwrap();
        let b = batch(vec![("v", Arc::new(arr) as ArrayRef)]);
        let encoder =
            CopyEncoder::try_new(&b.schema(), &[PgColumn::new("v", PgType::Numeric)]).unwrap();
        db.client().batch_execute("TRUNCATE n").await.unwrap();
        copy_in(
            db.client(),
            &TableName::unqualified("n"),
            &encoder,
            ok_stream(vec![b]),
        )
        .await
        .unwrap();
        let got: String = db
            .client()
            .query_one("SELECT v::text FROM n", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(&got, text, "{v} scale {scale}");
    }
}

#[tokio::test]
async fn refused_values_are_made_storable_and_counted() {
    let db = db().await;
    db.client()
        .batch_execute("CREATE TABLE s (k integer, tx text, raw jsonb, d date)")
        .await
        .unwrap();
    let b = batch(vec![
        ("k", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "tx",
            Arc::new(StringArray::from(vec!["a\0b", "clean", "\0"])),
        ),
        (
            "raw",
            Arc::new(StringArray::from(vec![
                r#"{"name":"x\u0000y"}"#,
                r#"{"path":"C:\\u0000"}"#,
                r#"{"s":"\ud800","ok":"\ud83d\ude00"}"#,
            ])),
        ),
        (
            "d",
            Arc::new(Date32Array::from(vec![0, i32::MAX, i32::MIN])),
        ),
    ]);
    let targets = [
        PgColumn::new("k", PgType::Int4),
        PgColumn::new("tx", PgType::Text),
        PgColumn::new("raw", PgType::Jsonb),
        PgColumn::new("d", PgType::Date),
    ];
    let encoder = CopyEncoder::try_new(&b.schema(), &targets).unwrap();
    let out = copy_in(
        db.client(),
        &TableName::unqualified("s"),
        &encoder,
        ok_stream(vec![b]),
    )
    .await
    .unwrap();
    assert_eq!(out.rows, 3);
    let c = &out.report.columns;
    assert_eq!(
        (
            c[1].text_nul,
            c[2].json_nul_escape,
            c[2].json_lone_surrogate,
            c[3].out_of_range
        ),
        (2, 1, 1, 2)
    );

    let rows = db
        .client()
        .query("SELECT tx, raw->>'name', raw->>'path', raw->>'s', raw->>'ok', d IS NULL FROM s ORDER BY k", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, String>(0), "ab");
    assert_eq!(rows[0].get::<_, String>(1), "x\u{fffd}y");
    assert!(!rows[0].get::<_, bool>(5));
    assert_eq!(rows[1].get::<_, String>(2), "C:\\u0000");
    assert!(rows[1].get::<_, bool>(5));
    assert_eq!(rows[2].get::<_, String>(0), "");
    assert_eq!(rows[2].get::<_, String>(3), "\u{fffd}");
    assert_eq!(rows[2].get::<_, String>(4), "😀");
}

#[tokio::test]
async fn streams_many_batches_in_chunks() {
    let db = db().await;
    db.client()
        .batch_execute("CREATE TABLE m (id bigint, name text)")
        .await
        .unwrap();
    let batches: Vec<RecordBatch> = (0..5)
        .map(|k| {
            let ids: Int64Array = (k * 10_000..(k + 1) * 10_000).map(Some).collect();
            let names: StringArray = (k * 10_000..(k + 1) * 10_000)
                .map(|i| (i % 3 != 0).then(|| format!("member {i}")))
                .collect();
            batch(vec![
                ("id", Arc::new(ids) as ArrayRef),
                ("name", Arc::new(names)),
            ])
        })
        .collect();
    let encoder = CopyEncoder::try_from_schema(&batches[0].schema()).unwrap();
    let mut chunks = 0;
    let out = copy_in_with(
        db.client(),
        &TableName::unqualified("m"),
        &encoder,
        ok_stream(batches),
        &CopyOptions::default().with_max_chunk_rows(4_096),
        |_, _| {
            chunks += 1;
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(out.rows, 50_000);
    assert_eq!(chunks, 5 * 3);
    let row = db
        .client()
        .query_one("SELECT count(*), sum(id), count(name) FROM m", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 50_000);
    assert_eq!(row.get::<_, rust_decimal_free::Sum>(1).0, 1_249_975_000);
    assert_eq!(row.get::<_, i64>(2), 50_000 - 16_667);
}

/// `sum(bigint)` is numeric; read it as text to avoid a decimal crate.
mod rust_decimal_free {
    pub struct Sum(pub i64);
    impl<'a> tokio_postgres::types::FromSql<'a> for Sum {
        fn from_sql(
            _: &tokio_postgres::types::Type,
            raw: &'a [u8],
        ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
            // numeric binary: ndigits, weight, sign, dscale, digits.
            let word = |i: usize| i64::from(u16::from_be_bytes([raw[i], raw[i + 1]]));
            let (n, weight) = (
                word(0) as usize,
                i16::from_be_bytes([raw[2], raw[3]]) as i32,
            );
            let mut v = 0i64;
            for i in 0..n {
                v = v * 10_000 + word(8 + 2 * i);
            }
            for _ in 0..(weight + 1 - n as i32) {
                v *= 10_000;
            }
            Ok(Sum(v))
        }
        fn accepts(ty: &tokio_postgres::types::Type) -> bool {
            *ty == tokio_postgres::types::Type::NUMERIC
        }
    }
}

#[tokio::test]
async fn errors_carry_table_and_sqlstate_and_abort_cleanly() {
    let db = db().await;
    let b = batch(vec![(
        "id",
        Arc::new(Int64Array::from(vec![1])) as ArrayRef,
    )]);
    let encoder = CopyEncoder::try_from_schema(&b.schema()).unwrap();
    let err = copy_in(
        db.client(),
        &TableName::unqualified("missing"),
        &encoder,
        ok_stream(vec![b.clone()]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE));
    assert!(err.to_string().contains("\"missing\""), "{err}");

    // A failing source aborts the COPY; nothing is written and the client still works.
    db.client()
        .batch_execute("CREATE TABLE e (id bigint)")
        .await
        .unwrap();
    let failing = stream::iter(vec![
        Ok(b.clone()),
        Err::<RecordBatch, BoxError>("disk on fire".into()),
    ]);
    let err = copy_in(db.client(), &TableName::unqualified("e"), &encoder, failing)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Source { .. }), "{err}");
    let n: i64 = db
        .client()
        .query_one("SELECT count(*) FROM e", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);

    // The inspector can stop a load.
    let err = copy_in_with(
        db.client(),
        &TableName::unqualified("e"),
        &encoder,
        ok_stream(vec![b]),
        &CopyOptions::default(),
        |_, _| Err("too many bad values".into()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Stopped { .. }), "{err}");
}

/// Three connections share one stream: every row arrives once, and the report's row numbers
/// are the stream's, whichever connection sent the batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_copy_sends_every_batch_once_with_stream_row_numbers() {
    let db = db().await;
    db.client()
        .batch_execute("CREATE TABLE p (id bigint, j jsonb)")
        .await
        .unwrap();
    let batches: Vec<RecordBatch> = (0..40i64)
        .map(|k| {
            let ids: Vec<i64> = (k * 250..(k + 1) * 250).collect();
            // One value per batch needs its NUL escaped: row k * 250 + 7 of the stream.
            let json: Vec<String> = ids
                .iter()
                .map(|i| {
                    if i % 250 == 7 {
                        format!(r#"{{"i":{i},"s":"a\u0000b"}}"#)
                    } else {
                        format!(r#"{{"i":{i}}}"#)
                    }
                })
                .collect();
            batch(vec![
                ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
                ("j", Arc::new(StringArray::from(json))),
            ])
        })
        .collect();
    let encoder = CopyEncoder::try_new(
        &batches[0].schema(),
        &[
            PgColumn::new("id", PgType::Int8),
            PgColumn::new("j", PgType::Jsonb),
        ],
    )
    .unwrap();
    let (a, b) = (
        db.database().connect().await.unwrap(),
        db.database().connect().await.unwrap(),
    );
    let clients = [db.client(), &a, &b];
    let out = copy_in_parallel(
        &clients,
        &TableName::unqualified("p"),
        &encoder,
        ok_stream(batches),
    )
    .await
    .unwrap();
    assert_eq!(out.rows, 10_000);
    let rows: Vec<usize> = out.report.issues.iter().map(|i| i.row).collect();
    assert_eq!(rows, (0..40).map(|k| k * 250 + 7).collect::<Vec<_>>());
    let r = db
        .client()
        .query_one(
            "SELECT count(*), count(DISTINCT id), min(id), max(id), \
                    count(*) FILTER (WHERE (j->>'i')::bigint = id) FROM p",
            &[],
        )
        .await
        .unwrap();
    let got: (i64, i64, i64, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    assert_eq!(got, (10_000, 10_000, 0, 9_999, 10_000));
}

/// A stream that fails part-way aborts every connection's COPY: nothing is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_copy_failure_commits_nothing() {
    let db = db().await;
    db.client()
        .batch_execute("CREATE TABLE q (id bigint)")
        .await
        .unwrap();
    let items: Vec<Result<RecordBatch, BoxError>> = (0..10i64)
        .map(|k| {
            if k == 6 {
                Err("the source failed".into())
            } else {
                Ok(batch(vec![(
                    "id",
                    Arc::new(Int64Array::from(vec![k; 100])) as ArrayRef,
                )]))
            }
        })
        .collect();
    let schema = Schema::new(vec![Field::new(
        "id",
        arrow::datatypes::DataType::Int64,
        true,
    )]);
    let encoder = CopyEncoder::try_new(&schema, &[PgColumn::new("id", PgType::Int8)]).unwrap();
    let a = db.database().connect().await.unwrap();
    let clients = [db.client(), &a];
    let err = copy_in_parallel(
        &clients,
        &TableName::unqualified("q"),
        &encoder,
        stream::iter(items),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("the source failed"), "{err}");
    drop(a);
    let check = db.database().connect().await.unwrap();
    let n: i64 = check
        .query_one("SELECT count(*) FROM q", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}
