//! The load strategies behind one trait, against a real server: rows stay invisible until
//! the caller commits the transaction a strategy hands back.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::{StreamExt, stream};
use skyfit_load::sql::TableName;
use skyfit_load::strategy::{
    Destination, LoadStrategy, Merge, ReplaceChildren, Swap, WriteStep, Writer,
};
use skyfit_load::{BoxError, CopyEncoder};

use crate::db::{SCHEMA, db};

fn items(rows: &[(i64, &str)]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("sale_id", DataType::Int64, false),
        Field::new("item", DataType::Utf8, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
        ],
    )
    .unwrap()
}

fn one(b: RecordBatch) -> impl futures::Stream<Item = Result<RecordBatch, BoxError>> {
    stream::iter(vec![Ok(b)])
}

async fn all(client: &tokio_postgres::Client, table: &str) -> Vec<(i64, String)> {
    client
        .query(
            &format!("SELECT sale_id, item FROM {SCHEMA}.{table} ORDER BY 1, 2"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn replace_children_replaces_the_children_of_the_parents_present() {
    let mut db = db().await;
    db.client()
        .batch_execute("CREATE TABLE items (sale_id bigint NOT NULL, item text NOT NULL)")
        .await
        .unwrap();
    let table = TableName::new(SCHEMA, "items");
    let first = items(&[(1, "a"), (1, "b"), (2, "c")]);
    let encoder = CopyEncoder::try_from_schema(&first.schema()).unwrap();
    let to = Destination::new(&table, &encoder);
    let strategy = Writer::ReplaceChildren(ReplaceChildren::new("sale_id"));
    let staged = strategy
        .write(db.client_mut(), Vec::new(), to, one(first))
        .await
        .unwrap();
    let written = staged.commit().await.unwrap();
    assert_eq!((written.copied, written.deleted), (3, 0));

    // Sale 1 lost an item at the source and gained one; sale 2 is not in the batch.
    let staged = strategy
        .write(
            db.client_mut(),
            Vec::new(),
            to,
            one(items(&[(1, "b"), (1, "d")])),
        )
        .await
        .unwrap();
    assert_eq!(staged.written().deleted, 2);
    staged.commit().await.unwrap();
    let want: Vec<(i64, String)> = vec![(1, "b".into()), (1, "d".into()), (2, "c".into())];
    assert_eq!(all(db.client(), "items").await, want);
}

#[tokio::test]
async fn nothing_is_visible_until_the_caller_commits() {
    let mut db = db().await;
    db.client()
        .batch_execute("CREATE TABLE sales (sale_id bigint PRIMARY KEY, item text)")
        .await
        .unwrap();
    let table = TableName::new(SCHEMA, "sales");
    let batch = items(&[(1, "a"), (2, "b")]);
    let encoder = CopyEncoder::try_from_schema(&batch.schema()).unwrap();
    let to = Destination::new(&table, &encoder);
    for strategy in [
        Writer::Merge(Merge::new(["sale_id"])),
        Writer::Swap(Swap::new(1)),
    ] {
        let staged = strategy
            .write(db.client_mut(), Vec::new(), to, one(batch.clone()))
            .await
            .unwrap();
        // What the caller records goes in the same transaction.
        staged
            .transaction()
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {SCHEMA}.ledger (n int); INSERT INTO {SCHEMA}.ledger VALUES (1)"
            ))
            .await
            .unwrap();
        // Dropped uncommitted: rolled back, ledger included.
        drop(staged);
        assert!(all(db.client(), "sales").await.is_empty(), "{strategy:?}");
    }
    let staged = Writer::Swap(Swap::new(1))
        .write(db.client_mut(), Vec::new(), to, one(batch))
        .await
        .unwrap();
    assert_eq!(staged.commit().await.unwrap().inserted, 2);
    assert_eq!(all(db.client(), "sales").await.len(), 2);
}

/// Each strategy tells its steps as it begins them: an incremental merge its COPY, then the
/// upsert once the last batch has been taken; a full refresh its COPY, indexes and swap.
#[tokio::test]
async fn each_strategy_tells_its_steps_as_they_begin() {
    use std::sync::Mutex;
    let mut db = db().await;
    db.client()
        .batch_execute(
            "CREATE TABLE sales (sale_id bigint PRIMARY KEY, item text); \
             CREATE TABLE items (sale_id bigint NOT NULL, item text NOT NULL)",
        )
        .await
        .unwrap();
    let batch = items(&[(1, "a"), (2, "b")]);
    let encoder = CopyEncoder::try_from_schema(&batch.schema()).unwrap();
    let log: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let on_step = |step: WriteStep| log.lock().unwrap().push(step.as_str().to_string());
    let cases = [
        ("sales", Writer::Merge(Merge::new(["sale_id"]))),
        (
            "items",
            Writer::ReplaceChildren(ReplaceChildren::new("sale_id")),
        ),
        ("sales", Writer::Swap(Swap::new(1))),
    ];
    for (table, strategy) in &cases {
        log.lock().unwrap().clear();
        let table = TableName::new(SCHEMA, *table);
        let to = Destination::new(&table, &encoder).with_on_step(&on_step);
        // Three batches, each logged as the COPY takes it.
        let rows = stream::iter((0..3).map(|k| Ok::<_, BoxError>(items(&[(k, "x")]))))
            .inspect(|_| log.lock().unwrap().push("batch".into()));
        let staged = strategy
            .write(db.client_mut(), Vec::new(), to, rows)
            .await
            .unwrap();
        staged.commit().await.unwrap();
        let got = log.lock().unwrap().clone();
        let want: &[&str] = match strategy {
            Writer::Merge(_) => &["copy", "batch", "batch", "batch", "merge"],
            Writer::ReplaceChildren(_) => &["copy", "batch", "batch", "batch", "replace"],
            _ => &["copy", "batch", "batch", "batch", "indexes", "swap"],
        };
        assert_eq!(got, want, "{strategy:?}");
    }
    assert_eq!(all(db.client(), "sales").await.len(), 3);
}
