//! Lifts the top-level `TRY_CAST`s of a query's final `SELECT` into the loader's cast.
//!
//! The queries type text with `TRY_CAST(text AS T)`, which turns a bad value into NULL
//! silently. Lifted, the loader receives the text and casts it with the same Arrow rules
//! ([`crate::cast`]), so a value that does not convert is still NULL in the table but is also
//! quarantined with its bronze file, line, column and raw text (issue 5, "Bad input").
//!
//! Only `TRY_CAST(<text> AS <non-text>) AS name` and `evo_timestamp(<text>) AS name` /
//! `utc_timestamp(<text>) AS name` directly in the final projection are lifted: those are pure
//! parses, and the loader's target type (and, for the timestamp functions, their zone) decides
//! them. Casts inside expressions (`COALESCE(TRY_CAST(…), false)`) and in CTEs (dedup keys)
//! stay as written.
//!
//! The lineage columns `_source_file` and `_source_line` (from `_line`) are added to the result
//! when the query did not select them but its final input has them, so quarantine rows of core
//! tables point at the bronze line too; columns the target table lacks are not loaded.

use arrow::datatypes::DataType;
use std::collections::HashMap;

use datafusion::common::Column;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Projection};
use skyfit_transform::ZonedTimestamp;

use crate::error::Result;

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Prefix of the hidden result columns that carry, for a column computed with `TRY_CAST`s the
/// loader cannot lift (`COALESCE(TRY_CAST(a AS T), TRY_CAST(b AS T))`), the text that failed
/// to convert when the column came out NULL (`null_check`). They are never loaded.
pub const CHECK_PREFIX: &str = "_quarantine_check__";

/// The `TRY_CAST`s whose result is the value of `e` (through `COALESCE`, `CAST` and nested
/// `TRY_CAST`s), each with the innermost input it parses. A `TRY_CAST` in a condition
/// (`CASE WHEN TRY_CAST(…)`) or an argument of another function does not decide the value
/// and is not listed.
fn value_casts<'e>(e: &'e Expr, out: &mut Vec<(&'e Expr, &'e Expr)>) {
    match e {
        Expr::Alias(a) => value_casts(&a.expr, out),
        Expr::Cast(c) => value_casts(&c.expr, out),
        Expr::TryCast(tc) => {
            let mut source = tc.expr.as_ref();
            loop {
                match source {
                    Expr::TryCast(inner) => source = inner.expr.as_ref(),
                    Expr::Cast(inner) => source = inner.expr.as_ref(),
                    _ => break,
                }
            }
            out.push((e, source));
        }
        Expr::ScalarFunction(f) if f.func.name() == "coalesce" => {
            for a in &f.args {
                value_casts(a, out);
            }
        }
        _ => {}
    }
}

/// For a result column computed by `e`: `CASE WHEN e IS NULL THEN <the first non-NULL input
/// of its value-deciding TRY_CASTs that did not convert> END`, as text, or `None` when `e`
/// has no such TRY_CAST. A NULL input (absent in the record) is not a failure.
fn null_check(e: &Expr, schema: &datafusion::common::DFSchema) -> Option<Expr> {
    use datafusion::logical_expr::{cast, lit, when};
    let mut casts = Vec::new();
    value_casts(e, &mut casts);
    let failed: Vec<Expr> = casts
        .into_iter()
        .map(|(tc, source)| {
            let text = if source.get_type(schema).is_ok_and(|t| is_text(&t)) {
                source.clone()
            } else {
                cast(source.clone(), DataType::Utf8)
            };
            when(tc.clone().is_null().and(source.clone().is_not_null()), text)
                .otherwise(lit(datafusion::common::ScalarValue::Utf8(None)))
                .ok()
        })
        .collect::<Option<_>>()?;
    if failed.is_empty() {
        return None;
    }
    let first = if failed.len() == 1 {
        failed.into_iter().next()?
    } else {
        datafusion::functions::core::expr_fn::coalesce(failed)
    };
    when(e.clone().is_null(), first)
        .otherwise(lit(datafusion::common::ScalarValue::Utf8(None)))
        .ok()
}

/// A query's plan with its parses lifted, and the zone of each lifted timestamp column.
pub struct Lifted {
    pub df: DataFrame,
    /// Column → zone its naive timestamp texts are read in (see [`crate::cast::plan`]).
    pub zones: HashMap<String, String>,
}

/// The plan of `df` with its final projection's text `TRY_CAST`s and zoned timestamp parses
/// lifted; unchanged when the plan does not end in a projection.
pub fn lift(df: DataFrame) -> Result<Lifted> {
    let (state, plan) = df.into_parts();
    let mut zones = HashMap::new();
    let LogicalPlan::Projection(p) = &plan else {
        return Ok(Lifted {
            df: DataFrame::new(state, plan),
            zones,
        });
    };
    let input = p.input.schema();
    let text = |e: &Expr| e.get_type(input).is_ok_and(|t| is_text(&t));
    let mut exprs = Vec::with_capacity(p.expr.len() + 2);
    let mut checks = Vec::new();
    for e in &p.expr {
        let lifted = match e {
            Expr::Alias(a) => match a.expr.as_ref() {
                Expr::TryCast(tc) if !is_text(tc.field.data_type()) && text(&tc.expr) => {
                    Some(tc.expr.as_ref().clone())
                }
                Expr::ScalarFunction(f) => match (ZonedTimestamp::of(&f.func), f.args.as_slice()) {
                    (Some(z), [arg]) if text(arg) => {
                        zones.insert(a.name.clone(), z.zone().to_string());
                        Some(arg.clone())
                    }
                    _ => None,
                },
                _ => None,
            }
            .map(|inner| inner.alias_qualified(a.relation.clone(), a.name.clone())),
            _ => None,
        };
        if lifted.is_none()
            && let Expr::Alias(a) = e
            && let Some(check) = null_check(&a.expr, input)
        {
            checks.push(check.alias(format!("{CHECK_PREFIX}{}", a.name)));
        }
        exprs.push(lifted.unwrap_or_else(|| e.clone()));
    }
    exprs.extend(checks);
    let out = plan.schema();
    for (name, from) in [("_source_file", "_source_file"), ("_source_line", "_line")] {
        if out.has_column_with_unqualified_name(name) {
            continue;
        }
        // Ambiguous or absent in the input (joins, aggregates): no lineage, as before.
        if let Ok((qualifier, field)) = input.qualified_field_with_unqualified_name(from) {
            let c = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            exprs.push(c.alias(name));
        }
    }
    let projection = Projection::try_new(exprs, p.input.clone())?;
    Ok(Lifted {
        df: DataFrame::new(state, LogicalPlan::Projection(projection)),
        zones,
    })
}
