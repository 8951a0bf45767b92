//! One canonical text per value, so a value read from PostgreSQL and the same value produced
//! by DataFusion (already converted to the column's Arrow type by [`crate::cast`]) compare
//! equal.
//!
//! | PostgreSQL | table side (SQL)                              | query side (Arrow)            |
//! |------------|-----------------------------------------------|-------------------------------|
//! | integers, text, varchar, boolean | `col::text`             | cast to Utf8                  |
//! | real, double precision | `col::text`, parsed and printed by Rust | printed by Rust           |
//! | numeric    | `col::text`, trailing zeros dropped           | rounded to the column's scale, trailing zeros dropped |
//! | date       | `to_char(col, 'YYYY-MM-DD')`                  | `YYYY-MM-DD`                  |
//! | timestamp(tz) | `to_char(col [AT TIME ZONE 'UTC'], 'YYYY-MM-DD HH24:MI:SS.US')` | the same format, UTC |
//! | jsonb      | `col::text`, parsed, keys sorted              | parsed, keys sorted           |

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, TimestampMicrosecondType,
};
use arrow::error::ArrowError;
use skyfit_load::PgType;
use skyfit_load::sql::quote_ident;
use tokio_postgres::GenericClient;

use crate::columns::TargetColumn;
use crate::error::{Error, Result};

const TS_FORMAT_PG: &str = "YYYY-MM-DD HH24:MI:SS.US";
const TS_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

/// How one column is compared.
#[derive(Debug, Clone)]
pub(crate) struct Canon {
    name: String,
    pg_type: PgType,
    /// Scale of a `numeric(p, s)` column; `None` when unconstrained.
    scale: Option<u32>,
}

/// The comparison of each of `cols`, with the numeric scales of `target`.
pub(crate) async fn for_columns(
    client: &impl GenericClient,
    target: &str,
    cols: &[TargetColumn],
) -> Result<Vec<Canon>> {
    let rows = client
        .query(
            "SELECT a.attname::text, information_schema._pg_numeric_scale(a.atttypid, a.atttypmod)::int4
             FROM pg_attribute a WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            &[&target],
        )
        .await
        .map_err(Error::pg(format!("reading the numeric scales of {target}")))?;
    let scale = |name: &str| -> Option<u32> {
        rows.iter()
            .find(|r| r.get::<_, String>(0) == name)
            .and_then(|r| r.get::<_, Option<i32>>(1))
            .and_then(|s| u32::try_from(s).ok())
    };
    Ok(cols
        .iter()
        .map(|c| Canon {
            name: c.name.clone(),
            pg_type: c.pg_type,
            scale: if c.pg_type == PgType::Numeric {
                scale(&c.name)
            } else {
                None
            },
        })
        .collect())
}

impl Canon {
    #[cfg(test)]
    fn new(name: &str, pg_type: PgType, scale: Option<u32>) -> Self {
        Canon {
            name: name.into(),
            pg_type,
            scale,
        }
    }

    /// The select-list expression reading the column as text.
    pub(crate) fn select_expr(&self) -> String {
        let c = quote_ident(&self.name);
        match self.pg_type {
            PgType::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
            PgType::Timestamptz => format!("to_char({c} AT TIME ZONE 'UTC', '{TS_FORMAT_PG}')"),
            PgType::Timestamp => format!("to_char({c}, '{TS_FORMAT_PG}')"),
            _ => format!("{c}::text"),
        }
    }

    /// The canonical form of a value read with [`Canon::select_expr`].
    pub(crate) fn pg_value(&self, v: Option<String>) -> Option<String> {
        let v = v?;
        Some(match self.pg_type {
            PgType::Float4 => v.parse::<f32>().map(|f| f.to_string()).unwrap_or(v),
            PgType::Float8 => v.parse::<f64>().map(|f| f.to_string()).unwrap_or(v),
            PgType::Numeric => trim_decimal(&v),
            PgType::Jsonb => canonical_json(&v),
            _ => v,
        })
    }

    /// The canonical form of every value of `a` (of the column's Arrow type, see
    /// [`crate::target`]).
    pub(crate) fn arrow_values(&self, a: &ArrayRef) -> Result<Vec<Option<String>>, ArrowError> {
        let each = |f: &dyn Fn(usize) -> String| -> Vec<Option<String>> {
            (0..a.len()).map(|i| a.is_valid(i).then(|| f(i))).collect()
        };
        Ok(match (self.pg_type, a.data_type()) {
            (PgType::Float4, DataType::Float32) => {
                let a = a.as_primitive::<Float32Type>();
                each(&|i| a.value(i).to_string())
            }
            (PgType::Float8, DataType::Float64) => {
                let a = a.as_primitive::<Float64Type>();
                each(&|i| a.value(i).to_string())
            }
            (PgType::Numeric, DataType::Decimal128(_, s)) => {
                let (from, to) = (i32::from(*s), self.scale.map(|t| t as i32));
                let a = a.as_primitive::<Decimal128Type>();
                each(&|i| decimal_text(a.value(i), from, to))
            }
            (PgType::Date, DataType::Date32) => {
                let a = a.as_primitive::<Date32Type>();
                each(&|i| {
                    a.value_as_date(i)
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                })
            }
            (PgType::Timestamptz | PgType::Timestamp, DataType::Timestamp(_, _)) => {
                let a = cast(
                    a,
                    &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
                )?;
                let a = a.as_primitive::<TimestampMicrosecondType>();
                each(&|i| {
                    chrono::DateTime::from_timestamp_micros(a.value(i))
                        .map(|t| t.naive_utc().format(TS_FORMAT).to_string())
                        .unwrap_or_default()
                })
            }
            (PgType::Jsonb, _) => {
                let s = cast(a, &DataType::Utf8)?;
                let s = s.as_string::<i32>();
                each(&|i| canonical_json(s.value(i)))
            }
            _ => {
                let s = cast(a, &DataType::Utf8)?;
                let s = s.as_string::<i32>();
                each(&|i| s.value(i).to_string())
            }
        })
    }
}

/// `12.500` → `12.5`, `3.000` → `3`, `-0.0` → `0`.
fn trim_decimal(v: &str) -> String {
    if !v.contains('.') {
        return if v == "-0" { "0".into() } else { v.into() };
    }
    let t = v.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" || t.is_empty() || t == "-" {
        "0".into()
    } else {
        t.into()
    }
}

/// An unscaled decimal at scale `from`, rounded half away from zero to scale `to` (as
/// PostgreSQL stores it in `numeric(p, to)`), without trailing zeros.
fn decimal_text(v: i128, from: i32, to: Option<i32>) -> String {
    let (mut v, mut scale) = (v, from);
    if let Some(to) = to.filter(|t| *t < from) {
        let d = 10i128.pow((from - to) as u32);
        let (q, r) = (v / d, v % d);
        v = if r.abs() * 2 >= d { q + v.signum() } else { q };
        scale = to;
    }
    let digits = v.unsigned_abs().to_string();
    let scale = scale.max(0) as usize;
    let text = if scale == 0 {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        format!("{int}.{frac}")
    };
    trim_decimal(&if v < 0 { format!("-{text}") } else { text })
}

/// JSON with object keys sorted and no insignificant whitespace; invalid JSON as is.
fn canonical_json(v: &str) -> String {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    serde_json::from_str::<serde_json::Value>(v)
        .map(|j| sorted(j).to_string())
        .unwrap_or_else(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Decimal128Array, Float64Array, StringArray, TimestampMicrosecondArray};

    use super::*;

    #[test]
    fn decimals_round_like_postgres_and_drop_trailing_zeros() {
        assert_eq!(decimal_text(123_456_789_000, 10, Some(2)), "12.35");
        assert_eq!(decimal_text(-123_450_000_000, 10, Some(2)), "-12.35");
        assert_eq!(decimal_text(125_000_000_000, 10, None), "12.5");
        assert_eq!(decimal_text(30_000_000_000, 10, Some(2)), "3");
        assert_eq!(decimal_text(5, 10, None), "0.0000000005");
        assert_eq!(decimal_text(0, 10, Some(2)), "0");
        assert_eq!(trim_decimal("12.50"), "12.5");
        assert_eq!(trim_decimal("-0.00"), "0");
        assert_eq!(trim_decimal("100"), "100");
    }

    #[test]
    fn both_sides_agree_on_each_type() {
        let n = Canon::new("n", PgType::Numeric, Some(2));
        let a: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(125_000_000_000), None])
                .with_precision_and_scale(38, 10)
                .unwrap(),
        );
        assert_eq!(
            n.arrow_values(&a).unwrap(),
            [n.pg_value(Some("12.50".into())), None]
        );

        let t = Canon::new("t", PgType::Timestamptz, None);
        let a: ArrayRef = Arc::new(
            TimestampMicrosecondArray::from(vec![1_767_225_600_000_001]).with_timezone("UTC"),
        );
        assert_eq!(
            t.arrow_values(&a).unwrap(),
            [Some("2026-01-01 00:00:00.000001".to_string())]
        );

        let f = Canon::new("f", PgType::Float8, None);
        let a: ArrayRef = Arc::new(Float64Array::from(vec![1e20]));
        assert_eq!(
            f.arrow_values(&a).unwrap(),
            [f.pg_value(Some("1e+20".into()))]
        );

        let j = Canon::new("j", PgType::Jsonb, None);
        let a: ArrayRef = Arc::new(StringArray::from(vec![r#"{"b":1,"a":[2, {"d":1,"c":2}]}"#]));
        assert_eq!(
            j.arrow_values(&a).unwrap(),
            [j.pg_value(Some(r#"{"a": [2, {"c": 2, "d": 1}], "b": 1}"#.into()))]
        );
        assert_eq!(j.select_expr(), "\"j\"::text");
        assert_eq!(
            t.select_expr(),
            "to_char(\"t\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        );
    }
}
