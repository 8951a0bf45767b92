//! Records a stg query cannot key (no id, a date that does not parse): they cannot be stored in
//! stg (the key is NOT NULL), so they go to `meta.quarantine` whole instead of vanishing in the
//! query's `WHERE key IS NOT NULL`.
//!
//! Relies on the convention of `queries/stg/*.sql`: a CTE named `src` computes the `@key`
//! columns over the bronze rows and carries `_source_file`, `_line` and `_raw`. A query that
//! does not follow it is not checked (logged at debug); its dropped records stay counted in the
//! reconciliation.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use skyfit_load::sql::quote_ident;
use skyfit_transform::{QueryFile, TransformSession};
use tracing::debug;

use crate::cast::Quarantined;
use crate::error::Result;

/// The query listing the unkeyed records (`columns` of them), or `None` when `q` has no `src`
/// CTE.
fn unkeyed_sql(q: &QueryFile, columns: &str, limit: u64) -> Option<String> {
    let statements = Parser::parse_sql(&GenericDialect {}, &q.sql).ok()?;
    let Some(Statement::Query(query)) = statements.first() else {
        return None;
    };
    let with = query.with.as_ref()?;
    with.cte_tables
        .iter()
        .find(|c| c.alias.name.value == "src")?;
    if q.key.is_empty() {
        return None;
    }
    let cond = q
        .key
        .iter()
        .map(|k| format!("{} IS NULL", quote_ident(k)))
        .collect::<Vec<_>>()
        .join(" OR ");
    Some(format!(
        "{with} SELECT {columns} FROM src WHERE {cond} ORDER BY _source_file, _line LIMIT {limit}"
    ))
}

fn strings(b: &RecordBatch, i: usize) -> Option<arrow::array::ArrayRef> {
    cast(b.column(i), &DataType::Utf8).ok()
}

/// At most `limit` records of the registered bronze parts that `q` cannot key, as whole-record
/// quarantine entries.
pub async fn find(
    session: &TransformSession,
    q: &QueryFile,
    limit: u64,
) -> Result<Vec<Quarantined>> {
    // Usually there are none: a first look without `_raw` spares decoding every record's text,
    // which only the rare hits need.
    let (Some(probe), Some(sql)) = (
        unkeyed_sql(q, "_source_file, _line", 1),
        unkeyed_sql(q, "_source_file, _line, _raw", limit),
    ) else {
        debug!(query = %q.path.display(), "No `src` CTE: unkeyed records are not looked for.");
        return Ok(Vec::new());
    };
    let found = match session.context().sql(&probe).await {
        Ok(df) => df.collect().await?,
        Err(error) => {
            debug!(query = %q.path.display(), %error, "The `src` CTE does not give the key columns.");
            return Ok(Vec::new());
        }
    };
    if found.iter().all(|b| b.num_rows() == 0) {
        return Ok(Vec::new());
    }
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
