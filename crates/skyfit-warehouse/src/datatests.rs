//! Data tests on loaded tables: the `-- @test` declarations of the query headers, run in
//! PostgreSQL at the end of each `skyfit run`, and their results in `meta.data_test_results`.
//!
//! This crate knows no query files: the caller describes each test ([`TableTest`]) and gets
//! back, per test, the number of offending rows and up to [`SAMPLE_KEYS`] of their keys.

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient};

use skyfit_core::sql::{
    quote_ident as ident, quote_literal as literal, quote_table as table_ident,
};

use crate::error::{Error, Result};

/// How many offending keys a result keeps.
pub const SAMPLE_KEYS: usize = 5;

/// What a test checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestKind {
    /// No two rows share the values of `columns`.
    Unique,
    /// None of `columns` is NULL.
    NotNull,
    /// The one column of `columns` is NULL or one of `values` (compared as text).
    AcceptedValues { values: Vec<String> },
    /// Every non-null value of the one column of `columns` exists in `table.column`.
    Relationships { table: String, column: String },
    /// The table has between `min` and `max` rows.
    RowCount { min: u64, max: Option<u64> },
}

impl TestKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TestKind::Unique => "unique",
            TestKind::NotNull => "not_null",
            TestKind::AcceptedValues { .. } => "accepted_values",
            TestKind::Relationships { .. } => "relationships",
            TestKind::RowCount { .. } => "row_count",
        }
    }
}

/// `error` fails the run, `warn` is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// One test on one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableTest {
    /// `schema.table`.
    pub table: String,
    /// The test as declared, e.g. `unique(scope, person_id)`.
    pub name: String,
    pub kind: TestKind,
    pub columns: Vec<String>,
    /// The table's key: what the sample of an offending row shows (the tested columns when
    /// empty; `unique` always shows its own columns).
    pub key: Vec<String>,
    pub severity: Severity,
}

/// The outcome of one [`TableTest`].
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub test: TableTest,
    pub passed: bool,
    /// Offending rows (duplicated keys for `unique`); the row count for a `row_count` out of
    /// its range.
    pub failing_rows: u64,
    /// Up to [`SAMPLE_KEYS`] offending keys, each a JSON object of column → value.
    pub sample_keys: Vec<serde_json::Value>,
    /// Why the test could not run; it then counts as failed.
    pub error: Option<String>,
}

fn join(cols: &[String], f: impl Fn(&str) -> String, sep: &str) -> String {
    cols.iter().map(|c| f(c)).collect::<Vec<_>>().join(sep)
}

/// The columns a sample shows: the key, then the tested columns not in it.
fn sample_columns(t: &TableTest) -> Vec<String> {
    let mut cols = t.key.clone();
    for c in &t.columns {
        if !cols.contains(c) {
            cols.push(c.clone());
        }
    }
    cols
}

/// The SELECT of the offending rows (or keys, for `unique`); `None` for `row_count`.
pub fn offending_sql(t: &TableTest) -> Result<Option<String>> {
    let table = table_ident(&t.table);
    let need_one = |kind: &str| -> Result<&String> {
        match t.columns.as_slice() {
            [c] => Ok(c),
            _ => Err(Error::DataTest(format!(
                "{kind} on {} takes one column, not {:?}",
                t.table, t.columns
            ))),
        }
    };
    if t.columns.is_empty() && !matches!(t.kind, TestKind::RowCount { .. }) {
        return Err(Error::DataTest(format!("{} names no column", t.name)));
    }
    let sample = join(&sample_columns(t), |c| format!("t.{}", ident(c)), ", ");
    Ok(Some(match &t.kind {
        TestKind::Unique => {
            let c = join(&t.columns, ident, ", ");
            format!("SELECT {c} FROM {table} GROUP BY {c} HAVING count(*) > 1")
        }
        TestKind::NotNull => {
            let cond = join(&t.columns, |c| format!("t.{} IS NULL", ident(c)), " OR ");
            format!("SELECT {sample} FROM {table} t WHERE {cond}")
        }
        TestKind::AcceptedValues { values } => {
            let c = ident(need_one("accepted_values")?);
            let list = join(values, literal, ", ");
            format!(
                "SELECT {sample} FROM {table} t WHERE t.{c} IS NOT NULL AND t.{c}::text NOT IN ({list})"
            )
        }
        TestKind::Relationships {
            table: other,
            column,
        } => {
            let c = ident(need_one("relationships")?);
            format!(
                "SELECT {sample} FROM {table} t WHERE t.{c} IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM {} o WHERE o.{} = t.{c})",
                table_ident(other),
                ident(column)
            )
        }
        TestKind::RowCount { .. } => return Ok(None),
    }))
}

async fn run_one(
    client: &impl GenericClient,
    t: &TableTest,
) -> Result<(bool, u64, Vec<serde_json::Value>)> {
    let context = || format!("data test {} on {}", t.name, t.table);
    if let TestKind::RowCount { min, max } = t.kind {
        let sql = format!("SELECT count(*) FROM {}", table_ident(&t.table));
        let row = client
            .query_one(&sql, &[])
            .await
            .map_err(Error::pg(context()))?;
        let n = row.get::<_, i64>(0).max(0) as u64;
        let ok = n >= min && max.is_none_or(|m| n <= m);
        return Ok((ok, if ok { 0 } else { n }, Vec::new()));
    }
    let bad = offending_sql(t)?.unwrap_or_default();
    let sql = format!(
        "WITH bad AS ({bad}) SELECT (SELECT count(*) FROM bad), \
         COALESCE((SELECT jsonb_agg(to_jsonb(s)) FROM (SELECT * FROM bad LIMIT {SAMPLE_KEYS}) s), '[]'::jsonb)"
    );
    let row = client
        .query_one(&sql, &[])
        .await
        .map_err(Error::pg(context()))?;
    let n = row.get::<_, i64>(0).max(0) as u64;
    let sample = match row.get::<_, serde_json::Value>(1) {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    Ok((n == 0, n, sample))
}

/// Runs every test, one statement each. A test that cannot run (a missing column or table)
/// is a failed result with its error, not an error of the whole: the others still run.
pub async fn run_data_tests(client: &Client, tests: &[TableTest]) -> Vec<TestResult> {
    let mut out = Vec::with_capacity(tests.len());
    for t in tests {
        let result = match run_one(client, t).await {
            Ok((passed, failing_rows, sample_keys)) => TestResult {
                test: t.clone(),
                passed,
                failing_rows,
                sample_keys,
                error: None,
            },
            Err(e) => {
                let error = skyfit_core::error::full_message(&e);
                tracing::warn!(table = %t.table, test = %t.name, %error, "A data test could not run.");
                TestResult {
                    test: t.clone(),
                    passed: false,
                    failing_rows: 0,
                    sample_keys: Vec::new(),
                    error: Some(error),
                }
            }
        };
        out.push(result);
    }
    out
}

/// Stores a run's results in `meta.data_test_results`, all in one statement (so one
/// transaction: a run's results are all there or none).
pub async fn record_data_tests(
    client: &impl GenericClient,
    run_id: &str,
    results: &[TestResult],
) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    struct Row {
        table: String,
        name: String,
        kind: &'static str,
        columns: Vec<String>,
        severity: &'static str,
        failing: i64,
        sample: serde_json::Value,
        passed: bool,
        error: Option<String>,
    }
    let rows: Vec<Row> = results
        .iter()
        .map(|r| Row {
            table: r.test.table.clone(),
            name: r.test.name.clone(),
            kind: r.test.kind.as_str(),
            columns: r.test.columns.clone(),
            severity: r.test.severity.as_str(),
            failing: i64::try_from(r.failing_rows).unwrap_or(i64::MAX),
            sample: serde_json::Value::Array(r.sample_keys.clone()),
            passed: r.passed,
            error: r.error.clone(),
        })
        .collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&run_id];
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        let base = params.len();
        values.push(format!(
            "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            base + 1,
            base + 2,
            base + 3,
            base + 4,
            base + 5,
            base + 6,
            base + 7,
            base + 8,
            base + 9
        ));
        params.extend_from_slice(&[
            &r.table as &(dyn ToSql + Sync),
            &r.name,
            &r.kind,
            &r.columns,
            &r.severity,
            &r.failing,
            &r.sample,
            &r.passed,
            &r.error,
        ]);
    }
    let sql = format!(
        "INSERT INTO meta.data_test_results (run_id, target_table, test_name, test_kind, columns, \
         severity, failing_rows, sample_keys, passed, error) VALUES {}",
        values.join(", ")
    );
    client
        .execute(&sql, &params)
        .await
        .map_err(Error::pg("recording the data test results"))?;
    Ok(())
}
