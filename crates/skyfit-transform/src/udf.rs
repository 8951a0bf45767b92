//! SkyFit's scalar functions for transform SQL.
//!
//! `evo_entry_id(raw_json)` computes the EVO synthetic entry key from the record's raw JSON,
//! because the key depends on the JSON types the API sent (a `7` and a `"7"` render alike,
//! `7.0` does not), which typed columns no longer show.
//!
//! `evo_timestamp(text)` / `utc_timestamp(text)` read timestamp texts as instants, naive ones
//! in the EVO source zone or in UTC ([`ZonedTimestamp`]).

use std::str::FromStr;
use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, AsArray, Int64Builder};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};

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

/// `evo_timestamp(text)` and `utc_timestamp(text)`: a timestamp text as an instant
/// (`Timestamp(Microsecond, "UTC")`). A text with an offset (`…Z`, `…-03:00`) is that instant;
/// a naive text is read as a wall-clock time in the function's zone: the configured EVO source
/// zone for `evo_timestamp` (EVO sends local times), UTC for `utc_timestamp` (Pipedrive and
/// Zendesk send UTC). A text that does not parse is NULL here; the loader lifts a top-level
/// call into its quarantining cast with the same zone ([`ZonedTimestamp::zone`]), so a bad
/// value is still reported with its bronze file and line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZonedTimestamp {
    name: &'static str,
    zone: String,
    signature: Signature,
}

impl ZonedTimestamp {
    /// Name of the function reading EVO's naive local times.
    pub const EVO: &'static str = "evo_timestamp";
    /// Name of the function reading naive times as UTC.
    pub const UTC: &'static str = "utc_timestamp";

    /// A zone name is checked here so a typo fails when the session starts, not per value.
    pub fn try_new(name: &'static str, zone: &str) -> Result<Self, DataFusionError> {
        Tz::from_str(zone).map_err(|e| {
            DataFusionError::Configuration(format!(
                "time zone `{zone}` for {name}: {e} (use an IANA name such as America/Sao_Paulo, or an offset such as -03:00)"
            ))
        })?;
        Ok(ZonedTimestamp {
            name,
            zone: zone.to_string(),
            signature: Signature::string(1, Volatility::Immutable),
        })
    }

    /// The zone naive texts are read in.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// The `ZonedTimestamp` behind `udf`, if it is one.
    pub fn of(udf: &ScalarUDF) -> Option<&ZonedTimestamp> {
        let inner: &dyn std::any::Any = udf.inner().as_ref();
        inner.downcast_ref::<ZonedTimestamp>()
    }

    /// The type every timestamp column of the warehouse has.
    pub fn output_type() -> DataType {
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    }

    /// Parses `text` (any string array) as instants; what does not parse is NULL.
    pub fn parse(&self, text: &dyn Array) -> Result<ArrayRef, arrow::error::ArrowError> {
        parse_in_zone(text, &self.zone)
    }
}

/// Casting to a zoned timestamp type reads naive texts in that zone and keeps offsets; the
/// result's values are UTC instants either way, so only the label changes to UTC.
pub fn parse_in_zone(text: &dyn Array, zone: &str) -> Result<ArrayRef, arrow::error::ArrowError> {
    let local = DataType::Timestamp(TimeUnit::Microsecond, Some(zone.into()));
    let parsed = cast_with_options(
        text,
        &local,
        &CastOptions {
            safe: true,
            ..Default::default()
        },
    )?;
    let instants = parsed
        .as_primitive::<TimestampMicrosecondType>()
        .clone()
        .with_timezone("UTC");
    Ok(Arc::new(instants))
}

impl ScalarUDFImpl for ZonedTimestamp {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(Self::output_type())
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return Err(DataFusionError::Plan(format!(
                "{} takes one argument: the timestamp text",
                self.name
            )));
        };
        match arg {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(self.parse(a.as_ref())?)),
            ColumnarValue::Scalar(s) => {
                let a = self.parse(s.to_array()?.as_ref())?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&a, 0)?))
            }
        }
    }
}

/// `evo_entry_id(raw_json)`.
pub fn evo_entry_id_udf() -> ScalarUDF {
    create_udf(
        "evo_entry_id",
        vec![DataType::Utf8],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(evo_entry_id),
    )
}

/// All SkyFit UDFs; naive EVO timestamps are read in `evo_timezone`.
pub fn udfs(evo_timezone: &str) -> Result<Vec<ScalarUDF>, DataFusionError> {
    Ok(vec![
        evo_entry_id_udf(),
        ScalarUDF::new_from_impl(ZonedTimestamp::try_new(ZonedTimestamp::EVO, evo_timezone)?),
        ScalarUDF::new_from_impl(ZonedTimestamp::try_new(ZonedTimestamp::UTC, "UTC")?),
    ])
}

#[cfg(test)]
mod zone_tests {
    use super::*;
    use arrow::array::StringArray;

    fn instants(zone: &str, texts: &[Option<&str>]) -> Vec<Option<String>> {
        let f = ZonedTimestamp::try_new(ZonedTimestamp::EVO, zone).unwrap();
        let out = f.parse(&StringArray::from(texts.to_vec())).unwrap();
        assert_eq!(out.data_type(), &ZonedTimestamp::output_type());
        let ts = out.as_primitive::<TimestampMicrosecondType>();
        (0..ts.len())
            .map(|i| {
                ts.is_valid(i).then(|| {
                    chrono::DateTime::from_timestamp_micros(ts.value(i))
                        .unwrap()
                        .to_rfc3339()
                })
            })
            .collect()
    }

    #[test]
    fn naive_texts_are_read_in_the_zone_and_offsets_are_kept() {
        let texts = [
            Some("2024-03-15T07:42:10"),
            Some("2024-03-15 07:42:10"),
            Some("2024-03-15T07:42:10Z"),
            Some("2024-03-15T07:42:10-03:00"),
            Some("2024-03-15"),
            Some("2024-02-31T00:00:00"),
            Some("yesterday"),
            None,
        ];
        assert_eq!(
            instants("America/Sao_Paulo", &texts),
            [
                Some("2024-03-15T10:42:10+00:00".into()),
                Some("2024-03-15T10:42:10+00:00".into()),
                Some("2024-03-15T07:42:10+00:00".into()),
                Some("2024-03-15T10:42:10+00:00".into()),
                Some("2024-03-15T03:00:00+00:00".into()),
                None,
                None,
                None,
            ]
        );
        // UTC, the default, reads naive texts as they are (the reference's behaviour).
        assert_eq!(
            instants("UTC", &texts[..1]),
            [Some("2024-03-15T07:42:10+00:00".into())]
        );
    }

    #[test]
    fn an_unknown_zone_is_refused_with_a_hint() {
        let e = ZonedTimestamp::try_new(ZonedTimestamp::EVO, "Mars/Olympus")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Mars/Olympus") && e.contains("IANA"), "{e}");
    }

    #[test]
    fn a_udf_is_recognised_with_its_zone() {
        let fs = udfs("America/Sao_Paulo").unwrap();
        let zones: Vec<_> = fs
            .iter()
            .filter_map(|f| ZonedTimestamp::of(f).map(|z| (f.name().to_string(), z.zone())))
            .collect();
        assert_eq!(
            zones,
            [
                ("evo_timestamp".to_string(), "America/Sao_Paulo"),
                ("utc_timestamp".to_string(), "UTC")
            ]
        );
    }
}
