//! Values the bronze Parquet typed as NULL because their JSON type did not fit the declared
//! column (`"idMember": "12abc"` in an Int64 column), quarantined for every target that stores
//! that column (as NULL).
//!
//! The lake keeps the record whole in `_raw` and counts the drift per part and column in the
//! run manifest; it does not say which line. Finding the lines costs a read of `_raw`, so it is
//! done only for the parts whose manifest counts drift in a column the query reads: a clean
//! load (the usual case, and the EVO entries hot path) costs one manifest read per pending run
//! and nothing per record.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::tree_node::TreeNode;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, LogicalPlan};
use skyfit_core::RunId;
use skyfit_lake::schema::declared_schema;
use skyfit_lake::{EntityKey, LakeStore, RunRef};
use skyfit_load::sql::quote_ident;
use skyfit_transform::TransformSession;

use crate::bronze::{BronzePart, BronzeRef};
use crate::cast::Quarantined;
use crate::error::Result;

/// Part path → column → drifted values, from the manifests of the runs of `parts`.
async fn drift_of(
    lake: &LakeStore,
    primary: &BronzeRef,
    parts: &[BronzePart],
) -> Result<HashMap<String, BTreeMap<String, u64>>> {
    let mut out = HashMap::new();
    let wanted: HashSet<&str> = parts.iter().map(|p| p.path.as_str()).collect();
    let runs: BTreeSet<(&str, Option<&str>)> = parts
        .iter()
        .map(|p| (p.run_id.as_str(), p.scope.as_deref()))
        .collect();
    for (run, scope) in runs {
        let Ok(run_id) = RunId::parse(run) else {
            continue;
        };
        let key = EntityKey::try_new(primary.source, scope, &primary.lake_entity())?;
        let Some(manifest) = lake.read_manifest(&RunRef::new(key, run_id)).await? else {
            continue;
        };
        for p in manifest.parts {
            if !p.type_drift.is_empty() && wanted.contains(p.path.as_str()) {
                out.insert(p.path, p.type_drift);
            }
        }
    }
    Ok(out)
}

/// The columns of bronze table `primary` that the optimized plan of `df` scans.
fn scanned_columns(df: &DataFrame, primary: &str) -> Result<HashSet<String>> {
    let plan = df.clone().into_optimized_plan()?;
    let mut out = HashSet::new();
    plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && scan.table_name.table() == primary
        {
            out.extend(
                scan.projected_schema
                    .fields()
                    .iter()
                    .map(|f| f.name().clone()),
            );
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })?;
    Ok(out)
}

/// The name of the result column that passes bronze column `bronze` on unchanged (`"idMember"
/// AS member_id`, or a parse the loader performs, [`crate::lift`]), if any. A drifted value
/// used otherwise (in a key, a filter) changes no stored value: a key it breaks is quarantined
/// whole by [`crate::unkeyed`].
fn result_column(df: &DataFrame, bronze: &str) -> Option<String> {
    let LogicalPlan::Projection(p) = df.logical_plan() else {
        return None;
    };
    p.expr.iter().find_map(|e| match e {
        Expr::Alias(a) => match a.expr.as_ref() {
            Expr::Column(c) if c.name == bronze => Some(a.name.clone()),
            _ => None,
        },
        Expr::Column(c) if c.name == bronze => Some(c.name.clone()),
        _ => None,
    })
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// At most `limit` drifted values of the pending `parts` of `primary` in the columns `df` (the
/// target's query) reads, each with its bronze file and line and the JSON text it had.
pub async fn find(
    session: &TransformSession,
    lake: &LakeStore,
    df: &DataFrame,
    primary: &BronzeRef,
    parts: &[BronzePart],
    limit: u64,
) -> Result<Vec<Quarantined>> {
    let drift = drift_of(lake, primary, parts).await?;
    if drift.is_empty() {
        return Ok(Vec::new());
    }
    let scanned = scanned_columns(df, &primary.name())?;
    let schema = declared_schema(primary.source, &primary.lake_entity());
    let mut out = Vec::new();
    for spec in schema.columns() {
        if !scanned.contains(&spec.name) {
            continue;
        }
        let Some(column) = result_column(df, &spec.name) else {
            continue;
        };
        let files: Vec<String> = drift
            .iter()
            .filter(|(_, cols)| cols.get(&spec.name).is_some_and(|n| *n > 0))
            .map(|(f, _)| sql_literal(f))
            .collect();
        if files.is_empty() {
            continue;
        }
        let path = spec
            .path
            .iter()
            .map(|k| sql_literal(k))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT _source_file, _line, v FROM (
                 SELECT _source_file, _line, {col}, json_get_json(_raw, {path}) AS v
                 FROM bronze.{primary} WHERE _source_file IN ({files}) AND {col} IS NULL
             ) d WHERE v IS NOT NULL AND v <> 'null' ORDER BY _source_file, _line LIMIT {limit}",
            col = quote_ident(&spec.name),
            files = files.join(", "),
        );
        let batches = session.context().sql(&sql).await?.collect().await?;
        let reason = format!(
            "JSON value does not fit the bronze column {} ({:?}): read as NULL",
            spec.name, spec.ty
        );
        for b in &batches {
            push_rows(b, &column, &reason, &mut out);
        }
    }
    Ok(out)
}

fn push_rows(b: &RecordBatch, column: &str, reason: &str, out: &mut Vec<Quarantined>) {
    let (Ok(files), Ok(lines), Ok(values)) = (
        cast(b.column(0), &DataType::Utf8),
        cast(b.column(1), &DataType::Int64),
        cast(b.column(2), &DataType::Utf8),
    ) else {
        return;
    };
    let (files, lines, values) = (
        files.as_string::<i32>(),
        lines.as_primitive::<Int64Type>(),
        values.as_string::<i32>(),
    );
    for row in 0..b.num_rows() {
        out.push(Quarantined {
            column: column.to_string(),
            reason: reason.to_string(),
            raw: values.value(row).to_string(),
            file: files.is_valid(row).then(|| files.value(row).to_string()),
            line: lines.is_valid(row).then(|| lines.value(row)),
        });
    }
}
