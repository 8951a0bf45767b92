//! Incremental merge and shadow-swap full refresh against a real server.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::stream;
use skyfit_load::merge::{MergeSpec, merge};
use skyfit_load::sql::TableName;
use skyfit_load::swap::Shadow;
use skyfit_load::{BoxError, CopyEncoder, Error, copy_in};

use crate::db::{SCHEMA, db};

fn members(ids: &[i64], names: &[&str]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("member_id", arrow::datatypes::DataType::Int64, false),
        Field::new("name", arrow::datatypes::DataType::Utf8, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from(ids.to_vec())) as ArrayRef,
            Arc::new(StringArray::from(names.to_vec())),
        ],
    )
    .unwrap()
}

fn one(b: RecordBatch) -> impl futures::Stream<Item = Result<RecordBatch, BoxError>> {
    stream::iter(vec![Ok(b)])
}

#[tokio::test]
async fn merge_inserts_then_updates_by_key() {
    let mut db = db().await;
    let schema = SCHEMA;
    db.client()
        .batch_execute(
            "CREATE TABLE members (member_id bigint PRIMARY KEY, name text, seen int DEFAULT 1)",
        )
        .await
        .unwrap();
    let target = TableName::new(schema, "members");
    let spec = MergeSpec::new(target.clone(), ["member_id"]);

    let first = members(&[1, 2, 3], &["ana", "bia", "caio"]);
    let encoder = CopyEncoder::try_from_schema(&first.schema()).unwrap();
    let tx = db.client_mut().transaction().await.unwrap();
    let out = merge(&tx, &spec, &encoder, one(first)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((out.copied, out.inserted, out.updated), (3, 3, 0));

    // Same transaction twice: the stage table is recreated.
    let tx = db.client_mut().transaction().await.unwrap();
    let out = merge(
        &tx,
        &spec,
        &encoder,
        one(members(&[3, 4], &["caio v2", "duda"])),
    )
    .await
    .unwrap();
    assert_eq!((out.inserted, out.updated), (1, 1));
    let keep = spec.clone().with_update_columns(Vec::<String>::new());
    let out = merge(
        &tx,
        &keep,
        &encoder,
        one(members(&[1, 5], &["ignored", "edu"])),
    )
    .await
    .unwrap();
    assert_eq!((out.inserted, out.updated), (1, 0));
    tx.commit().await.unwrap();

    let rows = db
        .client()
        .query("SELECT member_id, name, seen FROM members ORDER BY 1", &[])
        .await
        .unwrap();
    let got: Vec<(i64, String, i32)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "ana".into(), 1),
            (2, "bia".into(), 1),
            (3, "caio v2".into(), 1),
            (4, "duda".into(), 1),
            (5, "edu".into(), 1),
        ]
    );
}

#[tokio::test]
async fn shadow_swap_keeps_indexes_grants_and_views() {
    let mut db = db().await;
    let s = SCHEMA;
    db.client()
        .batch_execute(&format!(
            "CREATE TABLE {s}.members (member_id bigint PRIMARY KEY, name text NOT NULL DEFAULT '', \
               CHECK (member_id > 0)); \
             CREATE INDEX idx_members_name ON {s}.members (name); \
             INSERT INTO {s}.members VALUES (1, 'old'), (2, 'old'); \
             CREATE VIEW {s}.member_names AS SELECT name FROM {s}.members; \
             DO $$ BEGIN CREATE ROLE skyfit_it_reporting NOLOGIN; \
               EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
             GRANT SELECT ON {s}.members TO skyfit_it_reporting; \
             GRANT USAGE ON SCHEMA {s} TO skyfit_it_reporting;"
        ))
        .await
        .unwrap();
    let target = TableName::new(s, "members");
    let fresh = members(&[10, 11, 12], &["new a", "new b", "new c"]);
    let encoder = CopyEncoder::try_from_schema(&fresh.schema()).unwrap();

    let shadow = Shadow::create(db.client(), target.clone()).await.unwrap();
    let out = copy_in(db.client(), shadow.table(), &encoder, one(fresh))
        .await
        .unwrap();
    assert_eq!(out.rows, 3);
    shadow.build_indexes(db.client()).await.unwrap();
    shadow
        .swap(db.client_mut(), Duration::from_secs(5))
        .await
        .unwrap();

    let names: Vec<String> = db
        .client()
        .query(
            &format!("SELECT name FROM {s}.member_names ORDER BY 1"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["new a", "new b", "new c"]);
    let indexes: Vec<String> = db
        .client()
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
            &[&s],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(indexes, ["idx_members_name", "members_pkey"]);
    let can_read: bool = db
        .client()
        .query_one(
            "SELECT has_table_privilege('skyfit_it_reporting', $1::text::regclass, 'SELECT')",
            &[&target.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(can_read);
    let tables: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1",
            &[&s],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 1, "shadow and old tables are gone");
    // Constraints came along: the primary key and the check.
    let dup = db
        .client()
        .batch_execute(&format!("INSERT INTO {s}.members VALUES (10, 'dup')"))
        .await
        .unwrap_err();
    assert_eq!(
        dup.code(),
        Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
    );
    let neg = db
        .client()
        .batch_execute(&format!("INSERT INTO {s}.members VALUES (-1, 'neg')"))
        .await
        .unwrap_err();
    assert_eq!(
        neg.code(),
        Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION)
    );
    db.client()
        .batch_execute(&format!(
            "REVOKE ALL ON SCHEMA {s} FROM skyfit_it_reporting"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn shadow_swap_refuses_partitioned_tables() {
    let db = db().await;
    let s = SCHEMA;
    db.client()
        .batch_execute(&format!(
            "CREATE TABLE {s}.entries (entry_id bigint, entry_date date) PARTITION BY RANGE (entry_date)"
        ))
        .await
        .unwrap();
    let err = Shadow::create(db.client(), TableName::new(s, "entries"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SwapUnsupported { .. }), "{err}");
}

/// The contract's `core.evo_entries` (migrated, partitioned): COPY routes rows to
/// their yearly partitions and a merge upserts on `(entry_id, entry_date)`.
#[tokio::test]
async fn merge_into_migrated_core_evo_entries() {
    use arrow::array::TimestampMicrosecondArray;
    use arrow::datatypes::{DataType, TimeUnit};
    use skyfit_load::{PgColumn, PgType};

    let mut db = skyfit_test_utils::TestDb::new().await;
    let entries = |ids: Vec<i64>, names: Vec<Option<&str>>| {
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let schema = Schema::new(vec![
            Field::new("entry_id", DataType::Int64, false),
            Field::new("entry_date", ts, false),
            Field::new("member_name", DataType::Utf8, true),
        ]);
        // 2024-03-15T07:42:10Z and 2021-06-01T00:00:00Z.
        let dates =
            TimestampMicrosecondArray::from(vec![1_710_488_530_000_000, 1_622_505_600_000_000])
                .with_timezone("UTC");
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(Int64Array::from(ids)) as ArrayRef,
                Arc::new(dates),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap()
    };
    let first = entries(
        vec![480_161_953_445_189, 507_167_656_612_335],
        vec![Some("Ana\0"), None],
    );
    let columns = [
        PgColumn::new("entry_id", PgType::Int8),
        PgColumn::new("entry_date", PgType::Timestamptz),
        PgColumn::new("member_name", PgType::Text),
    ];
    let encoder = CopyEncoder::try_new(&first.schema(), &columns).unwrap();
    let spec = MergeSpec::new(
        TableName::new("core", "evo_entries"),
        ["entry_id", "entry_date"],
    );

    let tx = db.client_mut().transaction().await.unwrap();
    let out = merge(&tx, &spec, &encoder, one(first)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (out.inserted, out.updated, out.report.columns[2].text_nul),
        (2, 0, 1)
    );

    let second = entries(
        vec![480_161_953_445_189, 1],
        vec![Some("Ana Silva"), Some("Bia")],
    );
    let tx = db.client_mut().transaction().await.unwrap();
    let out = merge(&tx, &spec, &encoder, one(second)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((out.inserted, out.updated), (1, 1));

    let rows = db
        .client()
        .query(
            "SELECT tableoid::regclass::text, entry_id, member_name FROM core.evo_entries ORDER BY 2",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, i64, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("core.evo_entries_2021".into(), 1, Some("Bia".into())),
            (
                "core.evo_entries_2024".into(),
                480_161_953_445_189,
                Some("Ana Silva".into())
            ),
            ("core.evo_entries_2021".into(), 507_167_656_612_335, None),
        ]
    );
}
