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

use skyfit_load::IssueKind;

use crate::columns::TargetColumn;

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
/// not convert, or will be rewritten by the encoder to be storable (a NUL in text, `\u0000`
/// in JSON: [`skyfit_load::rewritten_rows`]), each with the row's bronze file and line.
pub fn convert(
    batch: &RecordBatch,
    cols: &[TargetColumn],
    schema: &SchemaRef,
) -> Result<(RecordBatch, Vec<Quarantined>), arrow::error::ArrowError> {
    let mut out = Vec::with_capacity(cols.len());
    let mut bad = Vec::new();
    let files = text_column(batch, "_source_file", DataType::Utf8);
    let lines = text_column(batch, "_source_line", DataType::Int64);
    let lineage = |row: usize| {
        (
            files.as_ref().and_then(|f| {
                let f = f.as_string::<i32>();
                f.is_valid(row).then(|| f.value(row).to_string())
            }),
            lines.as_ref().and_then(|l| {
                let l = l.as_primitive::<arrow::datatypes::Int64Type>();
                l.is_valid(row).then(|| l.value(row))
            }),
        )
    };
    for c in cols {
        let input = batch.column_by_name(&c.name).ok_or_else(|| {
            arrow::error::ArrowError::SchemaError(format!("column {} vanished", c.name))
        })?;
        let converted = if input.data_type() == &c.arrow {
            input.clone()
        } else {
            match (&c.zone, &c.arrow) {
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
            }
        };
        if converted.null_count() > input.null_count() {
            let fmt = ArrayFormatter::try_new(input.as_ref(), &FormatOptions::default())?;
            for row in 0..input.len() {
                if input.is_valid(row) && converted.is_null(row) {
                    let (file, line) = lineage(row);
                    bad.push(Quarantined {
                        column: c.name.clone(),
                        reason: format!(
                            "cannot convert {} to {}",
                            input.data_type(),
                            c.pg_type.sql_name()
                        ),
                        raw: fmt.value(row).to_string(),
                        file,
                        line,
                    });
                }
            }
        }
        rewritten(&converted, c, &lineage, &mut bad);
        out.push(converted);
        // The query's own TRY_CASTs that made this column NULL (`lift::null_check`).
        if let Some(check) =
            batch.column_by_name(&format!("{}{}", crate::lift::CHECK_PREFIX, c.name))
            && check.null_count() < check.len()
        {
            let check = cast_with_options(check, &DataType::Utf8, &CastOptions::default())?;
            let check = check.as_string::<i32>();
            for row in (0..check.len()).filter(|&r| check.is_valid(r)) {
                let (file, line) = lineage(row);
                bad.push(Quarantined {
                    column: c.name.clone(),
                    reason: format!(
                        "cannot convert to {} (TRY_CAST in the query): stored as NULL",
                        c.pg_type.sql_name()
                    ),
                    raw: check.value(row).to_string(),
                    file,
                    line,
                });
            }
        }
    }
    Ok((RecordBatch::try_new(schema.clone(), out)?, bad))
}

/// Quarantine rows for the values of `array` the encoder will rewrite (one row per value,
/// every rewrite it needs in the reason); the original value is kept, JSON-escaped for text so
/// a NUL shows as `\u0000`.
fn rewritten(
    array: &ArrayRef,
    c: &TargetColumn,
    lineage: &dyn Fn(usize) -> (Option<String>, Option<i64>),
    bad: &mut Vec<Quarantined>,
) {
    let issues = skyfit_load::rewritten_rows(array.as_ref(), c.pg_type);
    if issues.is_empty() {
        return;
    }
    let Ok(text) = cast_with_options(array, &DataType::Utf8, &CastOptions::default()) else {
        return;
    };
    let text = text.as_string::<i32>();
    let mut i = 0;
    while i < issues.len() {
        let row = issues[i].0;
        let mut reasons = Vec::new();
        while i < issues.len() && issues[i].0 == row {
            reasons.push(match issues[i].1 {
                IssueKind::TextNul => "NUL character removed",
                IssueKind::JsonNulEscape => "\\u0000 escape rewritten to \\ufffd",
                IssueKind::JsonLoneSurrogate => "unpaired surrogate escape rewritten to \\ufffd",
                IssueKind::OutOfRange => "out of range: stored as NULL",
            });
            i += 1;
        }
        let value = text.value(row);
        let raw = if c.pg_type == skyfit_load::PgType::Jsonb {
            value.to_string()
        } else {
            serde_json::to_string(value).unwrap_or_else(|_| value.replace('\0', "\\u0000"))
        };
        let (file, line) = lineage(row);
        bad.push(Quarantined {
            column: c.name.clone(),
            reason: format!(
                "{} ({} cannot hold it)",
                reasons.join("; "),
                c.pg_type.sql_name()
            ),
            raw,
            file,
            line,
        });
    }
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

    #[test]
    fn values_the_encoder_rewrites_are_reported_with_the_original() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "name",
                Arc::new(StringArray::from(vec![Some("Ana\0Paula"), Some("ok")])) as ArrayRef,
            ),
            (
                "raw_data",
                Arc::new(StringArray::from(vec![r#"{"n":"Ana\u0000Paula"}"#, "{}"])) as ArrayRef,
            ),
            (
                "_source_line",
                Arc::new(Int64Array::from(vec![7, 8])) as ArrayRef,
            ),
        ])
        .unwrap();
        let targets = vec![
            TargetColumn {
                name: "name".into(),
                pg_type: PgType::Text,
                arrow: DataType::Utf8,
                zone: None,
            },
            TargetColumn {
                name: "raw_data".into(),
                pg_type: PgType::Jsonb,
                arrow: DataType::Utf8,
                zone: None,
            },
        ];
        let (cols, schema) = plan(&batch.schema(), &targets, &HashMap::new());
        let (_, bad) = convert(&batch, &cols, &schema).unwrap();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].raw, r#""Ana\u0000Paula""#);
        assert!(
            bad[0].reason.starts_with("NUL character removed"),
            "{}",
            bad[0].reason
        );
        assert_eq!(bad[1].raw, r#"{"n":"Ana\u0000Paula"}"#);
        assert_eq!((bad[0].line, bad[1].line), (Some(7), Some(7)));
    }

    #[test]
    fn dates_and_timestamps_postgresql_cannot_hold_are_reported() {
        use arrow::array::{Date32Array, TimestampMicrosecondArray};
        // Arrow holds both; PostgreSQL's date and timestamp start at 4714-11-24 BC.
        let ancient_day = -3_000_000;
        let ancient_us = -220_000_000_000_000_000;
        let batch = RecordBatch::try_from_iter(vec![
            (
                "born",
                Arc::new(Date32Array::from(vec![Some(0), Some(ancient_day), None])) as ArrayRef,
            ),
            (
                "seen",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![Some(0), None, Some(ancient_us)])
                        .with_timezone("UTC"),
                ) as ArrayRef,
            ),
            (
                "_source_line",
                Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
            ),
        ])
        .unwrap();
        let targets = vec![
            TargetColumn {
                name: "born".into(),
                pg_type: PgType::Date,
                arrow: DataType::Date32,
                zone: None,
            },
            TargetColumn {
                name: "seen".into(),
                pg_type: PgType::Timestamptz,
                arrow: DataType::Timestamp(
                    arrow::datatypes::TimeUnit::Microsecond,
                    Some("UTC".into()),
                ),
                zone: None,
            },
        ];
        let (cols, schema) = plan(&batch.schema(), &targets, &HashMap::new());
        let (_, bad) = convert(&batch, &cols, &schema).unwrap();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!((bad[0].column.as_str(), bad[0].line), ("born", Some(2)));
        assert_eq!((bad[1].column.as_str(), bad[1].line), ("seen", Some(3)));
        assert!(bad[0].reason.contains("out of range"), "{}", bad[0].reason);
        assert!(bad[0].raw.contains("6244"), "{}", bad[0].raw);
    }
}
