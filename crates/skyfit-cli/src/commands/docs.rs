//! `skyfit docs`: writes `docs/catalog.md`, the catalog of the `core` tables.
//!
//! Everything comes from the query files and, when reachable, the database:
//! - tables, keys, load strategies, data tests and descriptions from the `-- @` headers and the
//!   header's other comment lines of `queries/core/*.sql`;
//! - column descriptions from the trailing `-- ` comments of the select list
//!   ([`QueryFile::column_docs`]);
//! - column types from the migrated database (`format_type`, table order, columns filled by
//!   defaults included) or, without one, from the query's result schema over an empty lake
//!   (Arrow types mapped to the PostgreSQL type the loader would write);
//! - lineage: the bronze tables the query reads, and per column the bronze JSON fields and
//!   typed columns its expression (and the CTE columns it is built from) names — found by a
//!   textual scan of the SQL, so it is a guide, not a proof.
//!
//! The output is deterministic for a given set of queries and type source.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use datafusion::arrow::datatypes::{DataType, Schema};
use skyfit_pipeline::{Stage, Target};
use skyfit_transform::{DataTest, QueryFile, TransformSession};

use crate::cli::{DocsArgs, TypeSource};
use crate::context::Context;

/// One column of the catalog.
struct Column {
    name: String,
    ty: String,
    description: String,
}

pub async fn run(ctx: &Context, args: DocsArgs) -> Result<ExitCode> {
    let set = ctx.queries();
    let files = set.files().with_context(|| format!("reading {set}"))?;
    // Each query's bronze tables come from its plan, over a session where every table it
    // reads is registered empty (planning needs schemas, not parts).
    let session = TransformSession::with_options(
        &skyfit_lake::LakeStore::in_memory(),
        &ctx.session_options(),
    )?;
    let mut targets = Vec::new();
    for q in files {
        let t = Target::analyse(&session, q).await?;
        if t.stage == Stage::Core {
            targets.push(t);
        }
    }
    targets.sort_by(|a, b| a.name().cmp(b.name()));
    let client = match args.types {
        TypeSource::Query => None,
        TypeSource::Database => Some(connect(ctx).await?),
        TypeSource::Auto => match connect(ctx).await {
            Ok(c) => Some(c),
            Err(error) => {
                tracing::info!(error = %format!("{error:#}"), "No database; types come from the queries.");
                None
            }
        },
    };
    // Types from the database only when every core table is there (a migrated database);
    // otherwise all from the queries, so the catalog never mixes the two.
    let mut db_tables = Vec::new();
    if let Some(c) = &client {
        for t in &targets {
            match db_columns(c, &t.query).await? {
                Some(cols) => db_tables.push(cols),
                None if args.types == TypeSource::Database => {
                    anyhow::bail!("{} does not exist: run `skyfit db migrate` first", t.name())
                }
                None => {
                    tracing::info!(table = %t.name(), "Table missing; types come from the queries.");
                    db_tables.clear();
                    break;
                }
            }
        }
    }
    let from_db = !db_tables.is_empty();
    let mut tables = Vec::new();
    let mut db_tables = db_tables.into_iter();
    for t in &targets {
        let cols = match db_tables.next() {
            Some(cols) => cols,
            None => query_columns(&session, &t.query).await?,
        };
        tables.push((t, cols));
    }
    let types = if from_db {
        "the migrated database (PostgreSQL types)"
    } else {
        "the query result schema over an empty lake (Arrow types mapped to the PostgreSQL type the loader writes)"
    };
    // Embedded files are already named `queries/...`; a directory's are made relative to it.
    let dir = match &set {
        skyfit_transform::QuerySet::Dir(d) => Some(d.as_path()),
        skyfit_transform::QuerySet::Embedded(_) => None,
    };
    let text = render(dir, &tables, types);
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.output, text)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "Wrote {} ({} core tables; types from {}).",
        args.output.display(),
        tables.len(),
        if from_db {
            "the database"
        } else {
            "the queries"
        }
    );
    Ok(ExitCode::SUCCESS)
}

async fn connect(ctx: &Context) -> Result<tokio_postgres::Client> {
    let db = ctx.database().await?;
    Ok(skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(10)).await?)
}

async fn query_columns(session: &TransformSession, q: &QueryFile) -> Result<Vec<Column>> {
    let df = session.plan(q).await?;
    let schema: Schema = df.schema().as_arrow().clone();
    Ok(schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            ty: pg_type_of(f.data_type()),
            description: doc(q, f.name()),
        })
        .collect())
}

/// The table's columns in table order, or `None` when the table does not exist.
async fn db_columns(client: &tokio_postgres::Client, q: &QueryFile) -> Result<Option<Vec<Column>>> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&q.target])
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), col_description(a.attrelid, a.attnum)
             FROM pg_attribute a WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum",
            &[&q.target],
        )
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| {
                let name: String = r.get(0);
                let mut description = doc(q, &name);
                if description.is_empty() {
                    description = r.get::<_, Option<String>>(2).unwrap_or_default();
                }
                if description.is_empty() && !produces(q, &name) {
                    description = "(filled by the database, not by the query)".into();
                }
                Column {
                    ty: r.get(1),
                    name,
                    description,
                }
            })
            .collect(),
    ))
}

fn doc(q: &QueryFile, column: &str) -> String {
    q.column_docs
        .iter()
        .find(|(c, _)| c == column)
        .map(|(_, d)| d.clone())
        .unwrap_or_default()
}

fn produces(q: &QueryFile, column: &str) -> bool {
    q.column_docs.iter().any(|(c, _)| c == column) || !defining_exprs(&q.sql, column).is_empty()
}

/// The PostgreSQL type the loader writes an Arrow type into.
fn pg_type_of(t: &DataType) -> String {
    match t {
        DataType::Int8 | DataType::Int16 => "smallint".into(),
        DataType::Int32 => "integer".into(),
        DataType::Int64 => "bigint".into(),
        DataType::Float32 => "real".into(),
        DataType::Float64 => "double precision".into(),
        DataType::Decimal128(p, s) => format!("numeric({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone".into(),
        DataType::Timestamp(_, None) => "timestamp without time zone".into(),
        other => format!("{other} (Arrow)"),
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The expressions defining `name` (`<expr> AS name`) in the SQL's code (comments dropped).
fn defining_exprs(sql: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in sql.lines() {
        let code = line.split("--").next().unwrap_or("");
        let lower = code.to_ascii_lowercase();
        let needle = format!(" as {}", name.to_ascii_lowercase());
        for (at, _) in lower.match_indices(&needle) {
            let end = at + needle.len();
            // `name` must end there, and `CAST(x AS type)` is not a definition.
            let next = lower[end..].chars().find(|c| !c.is_whitespace());
            if lower[end..].chars().next().is_some_and(is_ident) || next == Some(')') {
                continue;
            }
            // Walk back to the start of the select item: a comma at depth 0 or `SELECT`.
            let (mut depth, mut start) = (0i32, 0usize);
            for (i, c) in code[..at].char_indices().rev() {
                match c {
                    ')' => depth += 1,
                    '(' if depth == 0 => {
                        start = i + 1;
                        break;
                    }
                    '(' => depth -= 1,
                    ',' if depth == 0 => {
                        start = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let expr = code[start..at].trim();
            let expr = expr
                .strip_prefix("SELECT ")
                .or_else(|| expr.strip_prefix("select "))
                .unwrap_or(expr);
            out.push(expr.to_string());
        }
    }
    out
}

/// Bronze fields an expression names: string arguments of `json_*` calls and quoted
/// (typed bronze) columns; plus the identifiers it uses, to follow through CTEs.
fn scan(expr: &str) -> (Vec<String>, Vec<String>) {
    let (mut fields, mut idents) = (Vec::new(), Vec::new());
    let chars: Vec<char> = expr.chars().collect();
    let (mut i, mut json_depth, mut depth) = (0, Vec::<i32>::new(), 0i32);
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == c)
                .map_or(chars.len(), |p| i + 1 + p);
            let lit: String = chars[i + 1..end.min(chars.len())].iter().collect();
            if c == '"' || !json_depth.is_empty() {
                fields.push(lit);
            }
            i = end + 1;
            continue;
        }
        if is_ident(c) && (i == 0 || !is_ident(chars[i - 1])) {
            let word: String = chars[i..].iter().take_while(|&&x| is_ident(x)).collect();
            let next = chars.get(i + word.len()).copied();
            if word.to_ascii_lowercase().starts_with("json_") && next == Some('(') {
                json_depth.push(depth + 1);
            } else if next != Some('(') && !word.chars().all(|x| x.is_ascii_digit()) {
                idents.push(word.clone());
            }
            i += word.len();
            continue;
        }
        match c {
            '(' => depth += 1,
            ')' => {
                if json_depth.last() == Some(&depth) {
                    json_depth.pop();
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    (fields, idents)
}

/// The bronze fields behind an output column, following CTE columns a few levels deep.
fn lineage(sql: &str, column: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![(column.to_string(), 0)];
    while let Some((name, level)) = todo.pop() {
        if level > 4 || !seen.insert(name.to_ascii_lowercase()) {
            continue;
        }
        for expr in defining_exprs(sql, &name) {
            let (f, idents) = scan(&expr);
            for f in f {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
            todo.extend(idents.into_iter().map(|i| (i, level + 1)));
        }
    }
    fields
}

fn test_text(t: &DataTest) -> String {
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
        } => format!("{column} → {target_table}.{target_column}"),
        DataTest::RowCount { min, max } => format!(
            "row_count {min}..{}",
            max.map(|m| m.to_string()).unwrap_or_default()
        ),
    }
}

/// The header's comment lines that are not directives: the table's description.
fn description(sql: &str) -> String {
    sql.lines()
        .map(str::trim)
        .take_while(|l| l.starts_with("--") || l.is_empty())
        .filter(|l| !l.starts_with("-- @"))
        .map(|l| l.trim_start_matches('-').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn render(dir: Option<&std::path::Path>, tables: &[(&Target, Vec<Column>)], types: &str) -> String {
    let mut out = String::new();
    let rel = |q: &QueryFile| {
        dir.and_then(|d| q.path.strip_prefix(d).ok())
            .map(|p| format!("queries/{}", p.display()))
            .unwrap_or_else(|| q.path.display().to_string())
    };
    let _ = writeln!(out, "# Data catalog: the `core` schema\n");
    let _ = writeln!(
        out,
        "Generated by `skyfit docs` from `queries/core/*.sql` (headers and column comments); \
column types from {types}. Do not edit by hand: change the query (or migration) and run \
`skyfit docs` again. Each table's bronze tables come from its query's plan; a column's bronze \
fields are read from the SQL text.\n"
    );
    let _ = writeln!(out, "| table | key | load | bronze |\n|---|---|---|---|");
    let bronze = |t: &Target, quote: &str| {
        t.reads()
            .map(|b| format!("{quote}bronze.{}{quote}", b.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (t, _) in tables {
        let q = &t.query;
        let anchor = q.target.replace('.', "");
        let _ = writeln!(
            out,
            "| [{name}](#{anchor}) | {k} | {s} | {b} |",
            name = q.target,
            k = q.key.join(", "),
            s = q.strategy,
            b = bronze(t, "")
        );
    }
    for (t, cols) in tables {
        let q = &t.query;
        let _ = writeln!(out, "\n## {}\n", q.target);
        let d = description(&q.sql);
        if !d.is_empty() {
            let _ = writeln!(out, "{d}\n");
        }
        let _ = writeln!(out, "- Query: `{}`", rel(q));
        let mut load = q.strategy.as_str().to_string();
        if let Some(p) = &q.parent_key {
            load.push_str(&format!(" (parent key `{p}`)"));
        }
        let _ = writeln!(out, "- Key: `{}` · load: {load}", q.key.join("`, `"));
        let _ = writeln!(out, "- Bronze: {}", bronze(t, "`"));
        if !q.tests.is_empty() {
            let tests: Vec<String> = q.tests.iter().map(test_text).collect();
            let _ = writeln!(out, "- Tests: {}", tests.join("; "));
        }
        let _ = writeln!(
            out,
            "\n| column | type | description | bronze fields |\n|---|---|---|---|"
        );
        for c in cols {
            let fields = lineage(&q.sql, &c.name)
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                c.name,
                cell(&c.ty),
                cell(&c.description),
                cell(&fields)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str = "-- @target: core.x
-- @key: sale_item_id
-- Lines of each sale.
WITH src AS (
    SELECT TRY_CAST(json_as_text(_raw, 'idSale') AS BIGINT) AS sale_id, _raw FROM bronze.evo_sales
),
arrays AS (SELECT sale_id, json_get_array(_raw, 'saleItens') AS arr FROM src),
elems AS (SELECT sale_id, unnest(arr) AS elem FROM arrays)
SELECT
    TRY_CAST(json_as_text(elem, 'idSaleItem') AS BIGINT) AS sale_item_id,  -- item id
    sale_id,  -- parent sale
    CASE WHEN json_get_json(elem, 'x') IN ('[', '{') THEN 1 END AS shape,  -- shape
    \"idMember\" AS member_id  -- typed bronze column
FROM elems
";

    #[test]
    fn lineage_follows_cte_columns_to_bronze_fields() {
        assert_eq!(lineage(SQL, "sale_item_id"), ["idSaleItem", "saleItens"]);
        assert_eq!(lineage(SQL, "sale_id"), ["idSale"]);
        assert_eq!(lineage(SQL, "shape"), ["x", "saleItens"]);
        assert_eq!(lineage(SQL, "member_id"), ["idMember"]);
        assert_eq!(description(SQL), "Lines of each sale.");
    }

    #[test]
    fn arrow_types_map_to_what_the_loader_writes() {
        assert_eq!(pg_type_of(&DataType::Int64), "bigint");
        assert_eq!(pg_type_of(&DataType::Decimal128(15, 2)), "numeric(15,2)");
        assert_eq!(
            pg_type_of(&DataType::Timestamp(
                datafusion::arrow::datatypes::TimeUnit::Microsecond,
                Some("UTC".into())
            )),
            "timestamp with time zone"
        );
    }
}
