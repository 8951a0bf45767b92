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
        exprs.push(lifted.unwrap_or_else(|| e.clone()));
    }
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
