//! SkyFit's scalar functions for transform SQL.
//!
//! `evo_entry_id(raw_json)` computes the EVO synthetic entry key from the record's raw JSON,
//! because the key depends on the JSON types the API sent (a `7` and a `"7"` render alike,
//! `7.0` does not), which typed columns no longer show.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

fn entry_id_of(text: &str) -> Option<i64> {
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    skyfit_core::entry_id(&v)
}

fn evo_entry_id(args: &[ColumnarValue]) -> datafusion::error::Result<ColumnarValue> {
    let [arg] = args else {
        return Err(DataFusionError::Plan(
            "evo_entry_id takes one argument: the raw JSON".into(),
        ));
    };
    match arg {
        ColumnarValue::Scalar(s) => {
            let text = match s {
                ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                    v.as_deref()
                }
                _ => None,
            };
            Ok(ColumnarValue::Scalar(ScalarValue::Int64(
                text.and_then(entry_id_of),
            )))
        }
        ColumnarValue::Array(a) => {
            let mut out = Int64Builder::with_capacity(a.len());
            let mut push = |v: Option<&str>| out.append_option(v.and_then(entry_id_of));
            match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().iter().for_each(&mut push),
                DataType::LargeUtf8 => a.as_string::<i64>().iter().for_each(&mut push),
                DataType::Utf8View => a.as_string_view().iter().for_each(&mut push),
                other => {
                    return Err(DataFusionError::Plan(format!(
                        "evo_entry_id expects text, got {other}"
                    )));
                }
            }
            Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
        }
    }
}

/// All SkyFit UDFs.
pub fn udfs() -> Vec<ScalarUDF> {
    vec![create_udf(
        "evo_entry_id",
        vec![DataType::Utf8],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(evo_entry_id),
    )]
}
