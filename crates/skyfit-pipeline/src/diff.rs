//! `skyfit query diff`: a query's result over the whole lake against the current table in
//! PostgreSQL, row by row through the query's `@key`.
//!
//! Both sides are brought to one canonical text per value before comparing, chosen by the
//! target column's PostgreSQL type: the query side is first converted to the
//! target's types exactly as the loader does (bad values become NULL), the table side is read
//! as text with a plain query ([`canon`] has the rules per type). So a diff taken right after a load is empty, and a changed query
//! shows exactly the rows (and columns) it would change.
//!
//! Constraints:
//! - The table side is held in memory (key → canonical row) while the query side streams; the
//!   diff is a development tool for a sample or a local lake, not for the production volume.
//! - Only columns both sides have are compared; columns only the table has (defaults such as
//!   `_loaded_at`) or only the query has are listed, not counted as differences.
//! - Read-only: nothing is written to PostgreSQL or the lake.

use std::collections::HashMap;
use std::fmt;

use datafusion::error::DataFusionError;
use futures::{StreamExt, TryStreamExt};
use skyfit_load::sql::quote_ident;
use skyfit_transform::{QueryFile, TransformSession};
use tokio_postgres::GenericClient;
use tracing::info;

mod canon;

use self::canon::Canon;

use crate::error::{Error, Result};
use crate::{cast, target};

/// How much of each difference to show.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Example keys / values kept per kind of difference.
    pub examples: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { examples: 5 }
    }
}

impl DiffOptions {
    pub fn with_examples(mut self, examples: usize) -> Self {
        self.examples = examples;
        self
    }
}

/// Keys present on one side only.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeyDiff {
    pub count: u64,
    /// `col=value, col=value` of the first keys met.
    pub examples: Vec<String>,
}

/// One differing value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueDiff {
    pub key: String,
    pub query: Option<String>,
    pub table: Option<String>,
}

/// One column's differences among the rows whose key is on both sides.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnDiff {
    pub column: String,
    pub differing: u64,
    pub examples: Vec<ValueDiff>,
}

/// The outcome of [`diff`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DiffReport {
    pub query: String,
    pub target: String,
    pub key: Vec<String>,
    pub query_rows: u64,
    pub table_rows: u64,
    pub only_in_query: KeyDiff,
    pub only_in_table: KeyDiff,
    /// Keys the query returns more than once (the loader would fail or keep one of them).
    pub duplicate_query_keys: KeyDiff,
    /// Compared columns, with a count of 0 for those that agree.
    pub columns: Vec<ColumnDiff>,
    /// Result columns the table does not have (the loader ignores them).
    pub columns_only_in_query: Vec<String>,
    /// Table columns the query does not produce (defaults, generated columns).
    pub columns_only_in_table: Vec<String>,
    /// Values the loader would turn into NULL (and quarantine) when converting the result.
    pub unconvertible_values: u64,
}

impl DiffReport {
    /// Whether any row differs: keys on one side only, duplicate keys, or differing values.
    pub fn has_differences(&self) -> bool {
        self.only_in_query.count > 0
            || self.only_in_table.count > 0
            || self.duplicate_query_keys.count > 0
            || self.columns.iter().any(|c| c.differing > 0)
    }

    /// Rows with a key on both sides and at least one differing column.
    pub fn differing_columns(&self) -> impl Iterator<Item = &ColumnDiff> {
        self.columns.iter().filter(|c| c.differing > 0)
    }
}

fn show(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("`{s}`"),
        None => "NULL".into(),
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} vs {} (key: {})",
            self.query,
            self.target,
            self.key.join(", ")
        )?;
        writeln!(
            f,
            "  rows: {} in the query, {} in the table",
            self.query_rows, self.table_rows
        )?;
        for (label, k) in [
            ("only in the query", &self.only_in_query),
            ("only in the table", &self.only_in_table),
            ("duplicate keys in the query", &self.duplicate_query_keys),
        ] {
            writeln!(f, "  {label}: {}", k.count)?;
            for e in &k.examples {
                writeln!(f, "    {e}")?;
            }
        }
        let differing: Vec<&ColumnDiff> = self.differing_columns().collect();
        writeln!(
            f,
            "  columns compared: {}, differing: {}",
            self.columns.len(),
            differing.len()
        )?;
        for c in differing {
            writeln!(f, "    {}: {} row(s) differ", c.column, c.differing)?;
            for e in &c.examples {
                writeln!(
                    f,
                    "      {}: query {} table {}",
                    e.key,
                    show(&e.query),
                    show(&e.table)
                )?;
            }
        }
        if !self.columns_only_in_query.is_empty() {
            writeln!(
                f,
                "  not in the table (ignored by the loader): {}",
                self.columns_only_in_query.join(", ")
            )?;
        }
        if !self.columns_only_in_table.is_empty() {
            writeln!(
                f,
                "  not produced by the query (not compared): {}",
                self.columns_only_in_table.join(", ")
            )?;
        }
        if self.unconvertible_values > 0 {
            writeln!(
                f,
                "  values the loader would quarantine (compared as NULL): {}",
                self.unconvertible_values
            )?;
        }
        if self.has_differences() {
            write!(f, "Differences found.")
        } else {
            write!(f, "No differences.")
        }
    }
}

/// The table side: rows by key.
struct TableSide {
    index: HashMap<String, usize>,
    rows: Vec<Vec<Option<String>>>,
    matched: Vec<bool>,
}

fn key_text(names: &[String], values: &[&Option<String>]) -> String {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n}={}", v.as_deref().unwrap_or("NULL")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn push_example(k: &mut KeyDiff, key: &str, limit: usize) {
    k.count += 1;
    if k.examples.len() < limit {
        k.examples.push(key.to_string());
    }
}

/// Compares `q`'s result in `session` with its target table.
pub async fn diff(
    session: &TransformSession,
    client: &impl GenericClient,
    q: &QueryFile,
    opts: &DiffOptions,
) -> Result<DiffReport> {
    let query_name = q.path.display().to_string();
    let df = session.plan(q).await?;
    let result_schema = df.schema().as_arrow().clone();
    let targets = target::columns(client, &q.target).await?;
    let (cols, schema) = cast::plan(&result_schema, &targets, &Default::default());
    let key_idx: Vec<usize> = q
        .key
        .iter()
        .map(|k| {
            cols.iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| Error::Query {
                    query: query_name.clone(),
                    message: format!(
                        "the key column {k} is not both in the result and in {}",
                        q.target
                    ),
                })
        })
        .collect::<Result<_>>()?;
    let canons = canon::for_columns(client, &q.target, &cols).await?;
    let mut report = DiffReport {
        query: query_name.clone(),
        target: q.target.clone(),
        key: q.key.clone(),
        columns_only_in_query: result_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| targets.iter().all(|t| &t.name != n))
            .collect(),
        columns_only_in_table: targets
            .iter()
            .map(|t| t.name.clone())
            .filter(|n| cols.iter().all(|c| &c.name != n))
            .collect(),
        columns: cols
            .iter()
            .map(|c| ColumnDiff {
                column: c.name.clone(),
                differing: 0,
                examples: Vec::new(),
            })
            .collect(),
        ..Default::default()
    };

    let mut table = read_table(client, &q.target, &canons, &key_idx, &q.key, &mut report).await?;
    info!(target = %q.target, rows = report.table_rows, "Read the table for the diff.");

    let mut stream = df.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let (batch, bad) = cast::convert(&batch, &cols, &schema).map_err(DataFusionError::from)?;
        report.unconvertible_values += bad.len() as u64;
        let values: Vec<Vec<Option<String>>> = batch
            .columns()
            .iter()
            .zip(&canons)
            .map(|(a, c)| c.arrow_values(a))
            .collect::<std::result::Result<_, _>>()
            .map_err(DataFusionError::from)?;
        // Column-major: `values[column][row]`.
        #[allow(clippy::needless_range_loop)]
        for row in 0..batch.num_rows() {
            report.query_rows += 1;
            let key = key_text(
                &q.key,
                &key_idx.iter().map(|&i| &values[i][row]).collect::<Vec<_>>(),
            );
            let Some(&at) = table.index.get(&key) else {
                push_example(&mut report.only_in_query, &key, opts.examples);
                continue;
            };
            if std::mem::replace(&mut table.matched[at], true) {
                push_example(&mut report.duplicate_query_keys, &key, opts.examples);
                continue;
            }
            for (c, out) in report.columns.iter_mut().enumerate() {
                let (ours, theirs) = (&values[c][row], &table.rows[at][c]);
                if ours != theirs {
                    out.differing += 1;
                    if out.examples.len() < opts.examples {
                        out.examples.push(ValueDiff {
                            key: key.clone(),
                            query: ours.clone(),
                            table: theirs.clone(),
                        });
                    }
                }
            }
        }
    }
    let mut unmatched: Vec<&String> = table
        .index
        .iter()
        .filter(|(_, at)| !table.matched[**at])
        .map(|(k, _)| k)
        .collect();
    unmatched.sort();
    for k in unmatched {
        push_example(&mut report.only_in_table, k, opts.examples);
    }
    info!(
        target = %q.target,
        query_rows = report.query_rows,
        table_rows = report.table_rows,
        differences = report.has_differences(),
        "Diffed."
    );
    Ok(report)
}

/// Reads every row of `target` as canonical text, indexed by key.
async fn read_table(
    client: &impl GenericClient,
    target: &str,
    canons: &[Canon],
    key_idx: &[usize],
    key: &[String],
    report: &mut DiffReport,
) -> Result<TableSide> {
    let (schema, name) = target.split_once('.').unwrap_or(("public", target));
    let sql = format!(
        "SELECT {} FROM {}.{}",
        canons
            .iter()
            .map(Canon::select_expr)
            .collect::<Vec<_>>()
            .join(", "),
        quote_ident(schema),
        quote_ident(name)
    );
    let rows = client
        .query_raw(sql.as_str(), std::iter::empty::<i32>())
        .await
        .map_err(Error::pg(format!("reading {target}")))?;
    futures::pin_mut!(rows);
    let mut side = TableSide {
        index: HashMap::new(),
        rows: Vec::new(),
        matched: Vec::new(),
    };
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(Error::pg(format!("reading {target}")))?
    {
        report.table_rows += 1;
        let values: Vec<Option<String>> = canons
            .iter()
            .enumerate()
            .map(|(i, c)| c.pg_value(row.get::<_, Option<String>>(i)))
            .collect();
        let k = key_text(
            key,
            &key_idx.iter().map(|&i| &values[i]).collect::<Vec<_>>(),
        );
        // A duplicate key in the table (no primary key) keeps its first row.
        if side.index.contains_key(&k) {
            continue;
        }
        side.index.insert(k, side.rows.len());
        side.rows.push(values);
        side.matched.push(false);
    }
    Ok(side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_names_counts_and_examples() {
        let mut r = DiffReport {
            query: "queries/core/x.sql".into(),
            target: "core.x".into(),
            key: vec!["id".into()],
            query_rows: 3,
            table_rows: 3,
            columns: vec![ColumnDiff {
                column: "name".into(),
                differing: 1,
                examples: vec![ValueDiff {
                    key: "id=2".into(),
                    query: Some("b2".into()),
                    table: None,
                }],
            }],
            ..Default::default()
        };
        let text = r.to_string();
        assert!(text.contains("name: 1 row(s) differ"), "{text}");
        assert!(text.contains("id=2: query `b2` table NULL"), "{text}");
        assert!(text.ends_with("Differences found."), "{text}");
        r.columns[0].differing = 0;
        assert!(!r.has_differences());
        assert!(r.to_string().ends_with("No differences."));
    }

    #[test]
    fn keys_are_named_and_nulls_spelled_out() {
        let (a, b) = (Some("1".to_string()), None);
        assert_eq!(
            key_text(&["a".into(), "b".into()], &[&a, &b]),
            "a=1, b=NULL"
        );
    }
}
