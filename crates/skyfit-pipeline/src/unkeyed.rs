//! Records a stg query cannot key (no id, a date that does not parse): they cannot be stored in
//! stg (the key is NOT NULL), so they go to `meta.quarantine` whole instead of vanishing in the
//! query's `WHERE key IS NOT NULL`.
//!
//! This needs the query's key before its filter, so every `queries/stg/*.sql` must define a
//! CTE named `src` that computes the `@key` columns over the bronze rows and carries
//! `_source_file`, `_line` and `_raw`. [`check`] enforces it when the query is analysed
//! ([`crate::target::Target::analyse`]): a stg query without it fails the load up front,
//! naming what is missing, instead of silently dropping its unkeyed records unreported.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use skyfit_load::sql::quote_ident;
use skyfit_transform::{QueryFile, TransformSession};

use crate::cast::Quarantined;
use crate::error::{Error, Result};

/// What a stg query must provide, for the error that says it does not.
const CONVENTION: &str = "a stg query must define a CTE named `src` that computes its @key \
    columns and carries _source_file, _line and _raw (queries/README.md): the loader lists \
    the records it cannot key from it";

/// The query listing the unkeyed records (`columns` of them) from the `src` CTE of `q`.
fn unkeyed_sql(q: &QueryFile, columns: &str, limit: u64) -> Result<String> {
    let err = |what: String| Error::Query {
        query: q.path.display().to_string(),
        message: format!("{what}; {CONVENTION}"),
    };
    let statements = Parser::parse_sql(&GenericDialect {}, &q.sql)
        .map_err(|e| err(format!("the SQL does not parse ({e})")))?;
    let Some(Statement::Query(query)) = statements.first() else {
        return Err(err("the file is not a query".into()));
    };
    let with = query
        .with
        .as_ref()
        .filter(|w| w.cte_tables.iter().any(|c| c.alias.name.value == "src"))
        .ok_or_else(|| err("it has no CTE named `src`".into()))?;
    let cond = q
        .key
        .iter()
        .map(|k| format!("{} IS NULL", quote_ident(k)))
        .collect::<Vec<_>>()
        .join(" OR ");
    Ok(format!(
        "{with} SELECT {columns} FROM src WHERE {cond} ORDER BY _source_file, _line LIMIT {limit}"
    ))
}

/// The first look for unkeyed records: lineage only, no `_raw`.
fn probe_sql(q: &QueryFile) -> Result<String> {
    unkeyed_sql(q, "_source_file, _line", 1)
}

/// Plans the search of `q`'s unkeyed records (nothing is read): an error names what the stg
/// query lacks.
pub(crate) async fn check(session: &TransformSession, q: &QueryFile) -> Result<()> {
    let all = unkeyed_sql(q, "_source_file, _line, _raw", 1)?;
    session
        .context()
        .sql(&all)
        .await
        .map_err(|e| Error::Query {
            query: q.path.display().to_string(),
            message: format!(
                "its `src` CTE does not give the key columns or lineage ({e}); {CONVENTION}"
            ),
        })?;
    Ok(())
}

fn strings(b: &RecordBatch, i: usize) -> Option<arrow::array::ArrayRef> {
    cast(b.column(i), &DataType::Utf8).ok()
}

/// At most `limit` records of the registered bronze parts that `q` cannot key, as
/// whole-record quarantine entries.
pub async fn find(
    session: &TransformSession,
    q: &QueryFile,
    limit: u64,
) -> Result<Vec<Quarantined>> {
    // Usually there are none: a first look without `_raw` spares decoding every record's text,
    // which only the rare hits need.
    let found = session
        .context()
        .sql(&probe_sql(q)?)
        .await?
        .collect()
        .await?;
    if found.iter().all(|b| b.num_rows() == 0) {
        return Ok(Vec::new());
    }
    let sql = unkeyed_sql(q, "_source_file, _line, _raw", limit)?;
    let batches = session.context().sql(&sql).await?.collect().await?;
    let reason = format!(
        "no loadable key ({}): the record cannot be stored",
        q.key.join(", ")
    );
    let mut out = Vec::new();
    for b in &batches {
        let (Some(files), Some(raws)) = (strings(b, 0), strings(b, 2)) else {
            continue;
        };
        let lines = cast(b.column(1), &DataType::Int64).ok();
        let (files, raws) = (files.as_string::<i32>(), raws.as_string::<i32>());
        for row in 0..b.num_rows() {
            out.push(Quarantined {
                column: String::new(),
                reason: reason.clone(),
                raw: if raws.is_valid(row) {
                    raws.value(row).to_string()
                } else {
                    String::new()
                },
                file: files.is_valid(row).then(|| files.value(row).to_string()),
                line: lines.as_ref().and_then(|l| {
                    let l = l.as_primitive::<Int64Type>();
                    l.is_valid(row).then(|| l.value(row))
                }),
            });
        }
    }
    Ok(out)
}
