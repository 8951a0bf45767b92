//! Safe conversion of a query result to the target's column types.
//!
//! A value that does not convert (text in a numeric column, an impossible date, an
//! out-of-range number) becomes NULL and is reported with the row's bronze file and line, so
//! the load never aborts on one bad value and never loses it silently.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::target::TargetColumn;

/// One value that could not be stored.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub column: String,
    pub reason: String,
    pub raw: String,
    pub file: Option<String>,
    pub line: Option<i64>,
}

/// The columns of `targets` that `input` provides, in target order; `zones` gives the zone of
/// columns whose naive timestamp texts are not UTC (from [`crate::lift`]).
pub fn plan(
    input: &Schema,
    targets: &[TargetColumn],
    zones: &HashMap<String, String>,
) -> (Vec<TargetColumn>, SchemaRef) {
    let cols: Vec<TargetColumn> = targets
        .iter()
        .filter(|t| input.field_with_name(&t.name).is_ok())
        .map(|t| TargetColumn {
            zone: zones.get(&t.name).cloned(),
            ..t.clone()
        })
        .collect();
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| Field::new(&c.name, c.arrow.clone(), true))
            .collect::<Vec<_>>(),
    ));
    (cols, schema)
}

fn text_column(batch: &RecordBatch, name: &str, ty: DataType) -> Option<ArrayRef> {
    let a = batch.column_by_name(name)?;
    cast_with_options(
        a,
        &ty,
        &CastOptions {
            safe: true,
            ..Default::default()
        },
    )
    .ok()
}

/// Casts `batch` to `schema` (built by [`plan`]); returns the converted batch and what did
/// not convert.
pub fn convert(
    batch: &RecordBatch,
    cols: &[TargetColumn],
    schema: &SchemaRef,
) -> Result<(RecordBatch, Vec<Quarantined>), arrow::error::ArrowError> {
    let mut out = Vec::with_capacity(cols.len());
    let mut bad = Vec::new();
    let files = text_column(batch, "_source_file", DataType::Utf8);
    let lines = text_column(batch, "_source_line", DataType::Int64);
    for c in cols {
        let input = batch.column_by_name(&c.name).ok_or_else(|| {
            arrow::error::ArrowError::SchemaError(format!("column {} vanished", c.name))
        })?;
        if input.data_type() == &c.arrow {
            out.push(input.clone());
            continue;
        }
        let converted = match (&c.zone, &c.arrow) {
            (Some(zone), DataType::Timestamp(_, Some(_)))
                if matches!(input.data_type(), DataType::Utf8 | DataType::Utf8View) =>
            {
                skyfit_transform::udf::parse_in_zone(input.as_ref(), zone)?
            }
            _ => cast_with_options(
                input,
                &c.arrow,
                &CastOptions {
                    safe: true,
                    ..Default::default()
                },
            )?,
        };
        if converted.null_count() > input.null_count() {
            let fmt = ArrayFormatter::try_new(input.as_ref(), &FormatOptions::default())?;
            for row in 0..input.len() {
                if input.is_valid(row) && converted.is_null(row) {
                    bad.push(Quarantined {
                        column: c.name.clone(),
                        reason: format!(
                            "cannot convert {} to {}",
                            input.data_type(),
                            c.pg_type.sql_name()
                        ),
                        raw: fmt.value(row).to_string(),
                        file: files.as_ref().and_then(|f| {
                            f.as_string::<i32>()
                                .is_valid(row)
                                .then(|| f.as_string::<i32>().value(row).to_string())
                        }),
                        line: lines.as_ref().and_then(|l| {
                            let l = l.as_primitive::<arrow::datatypes::Int64Type>();
                            l.is_valid(row).then(|| l.value(row))
                        }),
                    });
                }
            }
        }
        out.push(converted);
    }
    Ok((RecordBatch::try_new(schema.clone(), out)?, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use skyfit_load::PgType;

    #[test]
    fn bad_values_become_null_and_are_reported_with_lineage() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "member_id",
                Arc::new(StringArray::from(vec![Some("12"), Some("x1"), None])) as ArrayRef,
            ),
            (
                "_source_file",
                Arc::new(StringArray::from(vec!["a.jsonl.gz"; 3])) as ArrayRef,
            ),
            (
                "_source_line",
                Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
            ),
        ])
        .unwrap();
        let targets = vec![
            TargetColumn {
                name: "member_id".into(),
                pg_type: PgType::Int8,
                arrow: DataType::Int64,
                zone: None,
            },
            TargetColumn {
                name: "not_in_result".into(),
                pg_type: PgType::Text,
                arrow: DataType::Utf8,
                zone: None,
            },
        ];
        let (cols, schema) = plan(&batch.schema(), &targets, &HashMap::new());
        assert_eq!(cols.len(), 1);
        let (out, bad) = convert(&batch, &cols, &schema).unwrap();
        let ids = out.column(0).as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some(12), None, None]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].raw, "x1");
        assert_eq!(bad[0].file.as_deref(), Some("a.jsonl.gz"));
        assert_eq!(bad[0].line, Some(2));
    }
}
