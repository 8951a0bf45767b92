//! Golden tests of every query file in `queries/`: each runs through the session `skyfit query
//! run` uses, over a small fixture lake, and its rows must equal the ones checked in under
//! `tests/golden/`, so a change of the SQL shows its effect row by row.
//!
//! The lake is `tests/fixtures/golden_lake/{run_id}/{source}[.{scope}].{entity}.jsonl`, written
//! with the lake's own writer (one complete run per file). It holds several versions of a key
//! across runs and within a part, keyless records, nested arrays that are full, empty, null or
//! not arrays, Pipedrive custom fields named, renamed, unnamed and named twice, and dates that do
//! not parse.
//!
//! Each golden file starts with `#` lines: the bronze tables the query reads (in the order of its
//! text, which decides its primary table, and in the order of the plan's scans), how many records
//! its `src` CTE cannot key (what the loader quarantines), and the result's columns and types.
//! Then one line a row: a JSON array of the values as Arrow displays them (`null` for NULL),
//! rows sorted. `UPDATE_GOLDEN=1` rewrites the files instead of comparing.
//!
//! A query with no rows over the fixture lake fails, in both modes, as does a stg query whose
//! `src` CTE finds no keyless record: a golden of nothing passes whatever the SQL does, so a
//! new entity needs its fixture records, not only its golden file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, LakeStore, PageRef};
use skyfit_transform::query::load_dir;
use skyfit_transform::{QueryFile, SessionOptions, TransformSession};

use crate::support::queries;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden_lake")
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Writes every fixture file as one complete run of its entity.
async fn write_fixture_lake(lake: &LakeStore) {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    for run_dir in runs {
        let run = RunId::parse(run_dir.file_name().unwrap().to_str().unwrap()).unwrap();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&run_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_str().unwrap().to_string();
            let parts: Vec<&str> = stem.split('.').collect();
            let (source, scope, entity) = match parts.as_slice() {
                [source, entity] => (*source, None, *entity),
                [source, scope, entity] => (*source, Some(*scope), *entity),
                _ => panic!("{} is not source[.scope].entity.jsonl", file.display()),
            };
            let source: Source = source.parse().unwrap();
            let text = std::fs::read_to_string(&file).unwrap();
            let key = EntityKey::try_new(source, scope, entity).unwrap();
            let mut w = BronzeWriter::builder(lake, key, run.clone())
                .create()
                .await
                .unwrap();
            w.begin_window("w1", None);
            let page = PageRef {
                window: "w1",
                page: 0,
                cursor: None,
            };
            w.write_page(&page, text.lines()).await.unwrap();
            w.complete_window("w1").unwrap();
            w.finish().await.unwrap();
        }
    }
}

/// `bronze.x` names in the order the text mentions them (comments included), as the loader
/// finds a query's primary table today.
fn bronze_in_text(sql: &str) -> Vec<String> {
    let lower = sql.to_ascii_lowercase();
    let mut out: Vec<String> = Vec::new();
    for (i, _) in lower.match_indices("bronze.") {
        let name: String = lower[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The bronze tables the logical plan scans, first scan first.
fn bronze_in_plan(plan: &LogicalPlan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(scan) = p {
            let name = scan.table_name.to_string();
            if let Some(t) = name.strip_prefix("bronze.")
                && !out.iter().any(|o| o == t)
            {
                out.push(t.to_string());
            }
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })
    .unwrap();
    out
}

/// How many records a stg query's `src` CTE cannot key (NULL in a key column): the convention
/// the loader's quarantine of keyless records relies on. `-` for core queries.
async fn unkeyed(session: &TransformSession, q: &QueryFile) -> String {
    let schema = q.target.split('.').next().unwrap_or_default();
    if skyfit_pipeline::Stage::of_schema(schema) != Some(skyfit_pipeline::Stage::Stg) {
        return "-".into();
    }
    let statements = Parser::parse_sql(&GenericDialect {}, &q.sql).unwrap();
    let Some(Statement::Query(query)) = statements.first() else {
        panic!("{}: not a query", q.path.display());
    };
    let with = query
        .with
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no WITH", q.path.display()));
    assert!(
        with.cte_tables.iter().any(|c| c.alias.name.value == "src"),
        "{}: no `src` CTE",
        q.path.display()
    );
    let cond = q
        .key
        .iter()
        .map(|k| format!("\"{k}\" IS NULL"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!("{with} SELECT _source_file, _line, _raw FROM src WHERE {cond}");
    let batches = session
        .context()
        .sql(&sql)
        .await
        .unwrap_or_else(|e| panic!("{}: the src CTE does not key: {e}", q.path.display()))
        .collect()
        .await
        .unwrap();
    batches
        .iter()
        .map(|b| b.num_rows())
        .sum::<usize>()
        .to_string()
}

fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("\u{0}");
    let mut out = Vec::new();
    for b in batches {
        let formatters: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..b.num_rows() {
            let values: Vec<serde_json::Value> = formatters
                .iter()
                .map(|f| match f.value(row).to_string() {
                    s if s == "\u{0}" => serde_json::Value::Null,
                    s => serde_json::Value::String(s),
                })
                .collect();
            out.push(serde_json::to_string(&values).unwrap());
        }
    }
    out.sort();
    out
}

/// The golden text of one query over the fixture lake.
async fn golden_text(session: &TransformSession, q: &QueryFile) -> String {
    let df = session.plan(q).await.unwrap_or_else(|e| panic!("{e}"));
    let plan = df.logical_plan().clone();
    let columns: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect();
    let batches = df
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", q.path.display()));
    let mut text = format!(
        "# bronze tables (text order): {}\n# bronze tables (plan scans): {}\n\
         # unkeyed records (src CTE): {}\n# columns: {}\n",
        bronze_in_text(&q.sql).join(", "),
        bronze_in_plan(&plan).join(", "),
        unkeyed(session, q).await,
        columns.join(", "),
    );
    for r in rows(&batches) {
        text.push_str(&r);
        text.push('\n');
    }
    text
}

/// `stg/evo_members` for `queries/stg/evo_members.sql`.
fn name_of(q: &QueryFile, root: &Path) -> String {
    let rel = q.path.strip_prefix(root).unwrap_or(&q.path);
    rel.with_extension("").to_string_lossy().replace('\\', "/")
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let missing: Vec<&&str> = e.iter().filter(|l| !a.contains(l)).take(3).collect();
    let extra: Vec<&&str> = a.iter().filter(|l| !e.contains(l)).take(3).collect();
    format!(
        "{} lines expected, {} got\n  expected, not got: {missing:#?}\n  got, not expected: {extra:#?}",
        e.len(),
        a.len()
    )
}

#[tokio::test]
async fn every_query_matches_its_golden_rows() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0");
    let dir = tempfile::tempdir().unwrap();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    write_fixture_lake(&lake).await;

    let root = queries();
    let all = load_dir(&root).unwrap();
    assert!(!all.is_empty());
    let session = skyfit_pipeline::session_for(&lake, &all, &SessionOptions::default())
        .await
        .unwrap();

    let golden = golden_dir();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for q in &all {
        let name = name_of(q, &root);
        let path = golden.join(format!("{name}.golden"));
        names.insert(path.clone());
        let actual = golden_text(&session, q).await;
        // A golden of no rows would pass whatever the SQL does: the query's bronze tables need
        // records in the fixture lake (and a stg query a keyless one, for its `src` CTE).
        if !actual.lines().any(|l| !l.starts_with('#')) {
            failures.push(format!(
                "{name}: no rows over the fixture lake; add records for its bronze tables under {}",
                fixture_dir().display()
            ));
        }
        if actual.contains("\n# unkeyed records (src CTE): 0\n") {
            failures.push(format!(
                "{name}: the fixture lake has no keyless record for its `src` CTE to find"
            ));
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Err(_) => failures.push(format!(
                "{name}: no golden file {} (run with UPDATE_GOLDEN=1 and check it in)",
                path.display()
            )),
            Ok(expected) if expected != actual => failures.push(format!(
                "{name}: rows differ from {}: {}",
                path.display(),
                first_difference(&expected, &actual)
            )),
            Ok(_) => {}
        }
    }
    // A golden file whose query is gone is stale.
    let mut stack = vec![golden.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !names.contains(&p) {
                if update {
                    std::fs::remove_file(&p).unwrap();
                } else {
                    failures.push(format!("{}: no query file has this golden", p.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries fail their golden test (UPDATE_GOLDEN=1 rewrites the files):\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// The fixture exercises what the goldens are meant to guard: without these, a refactor of the
/// dedup or of the array explosion could pass unseen.
#[tokio::test]
async fn the_fixture_lake_exercises_dedup_arrays_custom_fields_and_keyless_records() {
    let dir = tempfile::tempdir().unwrap();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    write_fixture_lake(&lake).await;
    let all = load_dir(&queries()).unwrap();
    let session = skyfit_pipeline::session_for(&lake, &all, &SessionOptions::default())
        .await
        .unwrap();
    let count = |sql: &'static str| {
        let ctx = session.context().clone();
        async move {
            let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let v =
                arrow::compute::cast(b[0].column(0), &arrow::datatypes::DataType::Int64).unwrap();
            v.as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .unwrap()
                .value(0)
        }
    };
    // Keys sent in two runs, and twice within one part.
    assert!(
        count(
            "SELECT count(*) FROM (SELECT json_as_text(_raw, 'idMember') k FROM bronze.evo_members \
             GROUP BY k HAVING count(DISTINCT _run_id) > 1 AND count(*) > 2)"
        )
        .await
            > 0
    );
    // Keyless records.
    assert!(
        count("SELECT count(*) FROM bronze.pipedrive_deals WHERE json_as_text(_raw, 'id') IS NULL")
            .await
            > 0
    );
    // Empty, null and non-array children.
    for sql in [
        "SELECT count(*) FROM bronze.evo_members WHERE json_as_text(_raw, 'contacts') = '[]'",
        "SELECT count(*) FROM bronze.evo_members WHERE json_get_array(_raw, 'memberships') IS NULL",
        "SELECT count(*) FROM bronze.zendesk_tickets WHERE json_as_text(_raw, 'tags') = '[]'",
        "SELECT count(*) FROM bronze.evo_sales WHERE json_as_text(_raw, 'saleItens') = '[]'",
    ] {
        assert!(count(sql).await > 0, "{sql}");
    }
    // Custom fields: an empty object, and a hash no definition names (persons).
    assert!(
        count(
            "SELECT count(*) FROM bronze.pipedrive_deals WHERE json_as_text(_raw, 'custom_fields') = '{}'"
        )
        .await
            > 0
    );
    assert!(
        count(
            "SELECT count(*) FROM bronze.pipedrive_persons \
             WHERE json_contains(json_get_json(_raw, 'custom_fields'), 'ffffffffffffffffffffffffffffffffffffffff')"
        )
        .await
            > 0
    );
}
