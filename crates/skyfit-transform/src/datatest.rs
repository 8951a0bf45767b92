//! The data tests declared in query headers (`-- @test …`), run with DataFusion over the
//! query's result: each failing test comes back with up to `sample` offending rows.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::DataFrame;

use crate::error::Result;
use crate::query::{DataTest, QueryFile};
use crate::session::TransformSession;

/// The outcome of one test.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub query: String,
    pub test: String,
    pub passed: bool,
    /// Number of offending rows (or the row count for `row_count`).
    pub failures: u64,
    /// Up to `sample` offending rows, as a table.
    pub sample: String,
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The test as `skyfit query test` and the nightly run name it, e.g. `unique(member_id)`.
pub fn describe(t: &DataTest) -> String {
    match t {
        DataTest::Unique(c) => format!("unique({})", c.join(", ")),
        DataTest::NotNull(c) => format!("not_null({})", c.join(", ")),
        DataTest::AcceptedValues { column, values } => {
            format!("accepted_values({column}: {})", values.join(", "))
        }
        DataTest::Relationships {
            column,
            target_table,
            target_column,
        } => {
            format!("relationships({column} -> {target_table}.{target_column})")
        }
        DataTest::RowCount { min, max } => {
            format!(
                "row_count({min}..{})",
                max.map(|m| m.to_string()).unwrap_or_default()
            )
        }
    }
}

/// The SQL selecting the offending rows of `t` over the view `result`.
fn offending_sql(t: &DataTest, related_view: Option<&str>) -> Option<String> {
    Some(match t {
        DataTest::Unique(cols) => {
            let c = cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
            format!("SELECT {c}, count(*) AS copies FROM result GROUP BY {c} HAVING count(*) > 1")
        }
        DataTest::NotNull(cols) => {
            let cond = cols
                .iter()
                .map(|c| format!("{} IS NULL", q(c)))
                .collect::<Vec<_>>()
                .join(" OR ");
            format!("SELECT * FROM result WHERE {cond}")
        }
        DataTest::AcceptedValues { column, values } => {
            let list = values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT * FROM result WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({list})",
                c = q(column)
            )
        }
        DataTest::Relationships {
            column,
            target_column,
            ..
        } => {
            let view = related_view?;
            format!(
                "SELECT * FROM result WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {t} FROM {view} WHERE {t} IS NOT NULL)",
                c = q(column),
                t = q(target_column)
            )
        }
        DataTest::RowCount { .. } => return None,
    })
}

async fn count(df: DataFrame) -> Result<u64> {
    Ok(df.count().await? as u64)
}

/// Runs every test of `query`; `all` is every query file, for `relationships` targets.
pub async fn run_tests(
    session: &TransformSession,
    query: &QueryFile,
    all: &[QueryFile],
    sample: usize,
) -> Result<Vec<TestOutcome>> {
    let ctx = session.context();
    let result = session.plan(query).await?;
    ctx.deregister_table("result")?;
    ctx.register_table("result", result.clone().into_view())?;
    let mut out = Vec::new();
    for t in &query.tests {
        let name = describe(t);
        let outcome = match t {
            DataTest::RowCount { min, max } => {
                let n = count(result.clone()).await?;
                let ok = n >= *min && max.is_none_or(|m| n <= m);
                TestOutcome {
                    query: query.path.display().to_string(),
                    test: name,
                    passed: ok,
                    failures: n,
                    sample: String::new(),
                }
            }
            _ => {
                let mut related = None;
                if let DataTest::Relationships { target_table, .. } = t {
                    let Some(other) = all.iter().find(|o| &o.target == target_table) else {
                        out.push(TestOutcome {
                            query: query.path.display().to_string(),
                            test: name,
                            passed: false,
                            failures: 1,
                            sample: format!("no query in queries/ targets {target_table}"),
                        });
                        continue;
                    };
                    let view = "related";
                    ctx.deregister_table(view)?;
                    ctx.register_table(view, session.plan(other).await?.into_view())?;
                    related = Some(view);
                }
                let Some(sql) = offending_sql(t, related) else {
                    continue;
                };
                let bad = ctx.sql(&sql).await?;
                let n = count(bad.clone()).await?;
                let sample = if n > 0 {
                    let rows = bad.limit(0, Some(sample))?.collect().await?;
                    pretty_format_batches(&rows)
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                TestOutcome {
                    query: query.path.display().to_string(),
                    test: name,
                    passed: n == 0,
                    failures: n,
                    sample,
                }
            }
        };
        out.push(outcome);
    }
    Ok(out)
}
