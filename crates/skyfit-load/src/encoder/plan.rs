//! Which writer encodes which Arrow → PostgreSQL pair.
//!
//! [`check`] runs once when the encoder is built; [`writer`] runs once per column
//! per batch and picks the specialised writer. Integer sources may widen or
//! narrow (narrowing reports out-of-range values); naive Arrow timestamps sent to
//! `timestamptz` are taken as UTC.

use arrow::array::{Array, ArrowPrimitiveType, AsArray, PrimitiveArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};

use super::fixed::{self, Bool, Fixed};
use super::numeric::Numeric;
use super::text::TextWriter;
use super::{ColumnWriter, NulPolicy};
use crate::{Error, PgColumn, PgType, Result};

type Writer<'a> = Box<dyn ColumnWriter + 'a>;

fn is_int(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// Whether `arrow` can be encoded as `pg`.
pub(crate) fn check(column: &str, arrow: &DataType, pg: PgType) -> Result<()> {
    use DataType as D;
    let ok = match pg {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => is_int(arrow),
        PgType::Float4 => matches!(arrow, D::Float32),
        PgType::Float8 => matches!(arrow, D::Float32 | D::Float64),
        PgType::Numeric => matches!(arrow, D::Decimal128(_, _)) || is_int(arrow),
        PgType::Text | PgType::Varchar | PgType::Jsonb => {
            matches!(arrow, D::Utf8 | D::LargeUtf8 | D::Utf8View)
        }
        PgType::Bool => matches!(arrow, D::Boolean),
        PgType::Date => matches!(arrow, D::Date32),
        PgType::Timestamptz | PgType::Timestamp => matches!(arrow, D::Timestamp(_, _)),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::UnsupportedType {
            column: column.to_owned(),
            arrow: arrow.clone(),
            pg,
        })
    }
}

/// The writer for one column of one batch. `array` has the type `check` accepted.
pub(crate) fn writer<'a>(
    target: &PgColumn,
    array: &'a dyn Array,
    nul: NulPolicy,
) -> Result<Writer<'a>> {
    use DataType as D;
    let mismatch = || Error::UnsupportedType {
        column: target.name.clone(),
        arrow: array.data_type().clone(),
        pg: target.pg_type,
    };
    let nulls = array.nulls();
    Ok(match (target.pg_type, array.data_type()) {
        (PgType::Int2 | PgType::Int4 | PgType::Int8, t) => match t {
            D::Int8 => int::<Int8Type>(array, target.pg_type),
            D::Int16 => int::<Int16Type>(array, target.pg_type),
            D::Int32 => int::<Int32Type>(array, target.pg_type),
            D::Int64 => int::<Int64Type>(array, target.pg_type),
            D::UInt8 => int::<UInt8Type>(array, target.pg_type),
            D::UInt16 => int::<UInt16Type>(array, target.pg_type),
            D::UInt32 => int::<UInt32Type>(array, target.pg_type),
            D::UInt64 => int::<UInt64Type>(array, target.pg_type),
            _ => None,
        }
        .ok_or_else(mismatch)?,
        (PgType::Float4, D::Float32) => {
            let a = prim::<Float32Type>(array).ok_or_else(mismatch)?;
            Box::new(Fixed::new(a.values(), nulls, |v: f32| {
                Some(v.to_be_bytes())
            }))
        }
        (PgType::Float8, D::Float32) => {
            let a = prim::<Float32Type>(array).ok_or_else(mismatch)?;
            Box::new(Fixed::new(a.values(), nulls, |v: f32| {
                Some(f64::from(v).to_be_bytes())
            }))
        }
        (PgType::Float8, D::Float64) => {
            let a = prim::<Float64Type>(array).ok_or_else(mismatch)?;
            Box::new(Fixed::new(a.values(), nulls, |v: f64| {
                Some(v.to_be_bytes())
            }))
        }
        (PgType::Numeric, D::Decimal128(_, scale)) => {
            let a = prim::<Decimal128Type>(array).ok_or_else(mismatch)?;
            Box::new(Numeric {
                values: a.values(),
                nulls,
                scale: *scale,
                to_i128: |v| v,
            })
        }
        (PgType::Numeric, t) => match t {
            D::Int8 => numeric_int::<Int8Type>(array),
            D::Int16 => numeric_int::<Int16Type>(array),
            D::Int32 => numeric_int::<Int32Type>(array),
            D::Int64 => numeric_int::<Int64Type>(array),
            D::UInt8 => numeric_int::<UInt8Type>(array),
            D::UInt16 => numeric_int::<UInt16Type>(array),
            D::UInt32 => numeric_int::<UInt32Type>(array),
            D::UInt64 => numeric_int::<UInt64Type>(array),
            _ => None,
        }
        .ok_or_else(mismatch)?,
        (PgType::Text | PgType::Varchar | PgType::Jsonb, t) => {
            let jsonb = target.pg_type == PgType::Jsonb;
            match t {
                D::Utf8 => {
                    let a = array.as_string_opt::<i32>().ok_or_else(mismatch)?;
                    let region = used_values(a.value_offsets(), a.values());
                    Box::new(TextWriter::new(a, nulls, jsonb, nul, region))
                }
                D::LargeUtf8 => {
                    let a = array.as_string_opt::<i64>().ok_or_else(mismatch)?;
                    let region = used_values(a.value_offsets(), a.values());
                    Box::new(TextWriter::new(a, nulls, jsonb, nul, region))
                }
                D::Utf8View => {
                    let a = array.as_string_view_opt().ok_or_else(mismatch)?;
                    Box::new(TextWriter::new(a, nulls, jsonb, nul, None))
                }
                _ => return Err(mismatch()),
            }
        }
        (PgType::Bool, D::Boolean) => Box::new(Bool {
            array: array.as_boolean_opt().ok_or_else(mismatch)?,
        }),
        (PgType::Date, D::Date32) => {
            let a = prim::<Date32Type>(array).ok_or_else(mismatch)?;
            Box::new(Fixed::new(a.values(), nulls, fixed::date32))
        }
        (PgType::Timestamptz | PgType::Timestamp, D::Timestamp(unit, _)) => {
            let convert = fixed::timestamp(*unit);
            let values: &[i64] = match unit {
                TimeUnit::Second => prim::<TimestampSecondType>(array).map(|a| &a.values()[..]),
                TimeUnit::Millisecond => {
                    prim::<TimestampMillisecondType>(array).map(|a| &a.values()[..])
                }
                TimeUnit::Microsecond => {
                    prim::<TimestampMicrosecondType>(array).map(|a| &a.values()[..])
                }
                TimeUnit::Nanosecond => {
                    prim::<TimestampNanosecondType>(array).map(|a| &a.values()[..])
                }
            }
            .ok_or_else(mismatch)?;
            Box::new(Fixed::new(values, nulls, convert))
        }
        _ => return Err(mismatch()),
    })
}

fn prim<T: ArrowPrimitiveType>(array: &dyn Array) -> Option<&PrimitiveArray<T>> {
    array.as_primitive_opt::<T>()
}

/// The part of a string array's value buffer its (possibly sliced) offsets use.
fn used_values<'a, O: arrow::array::OffsetSizeTrait>(
    offsets: &[O],
    values: &'a [u8],
) -> Option<&'a [u8]> {
    let lo = offsets.first()?.as_usize();
    let hi = offsets.last()?.as_usize();
    values.get(lo..hi)
}

/// Integer → `smallint`/`integer`/`bigint`, checked when narrowing.
fn int<'a, T>(array: &'a dyn Array, pg: PgType) -> Option<Writer<'a>>
where
    T: ArrowPrimitiveType,
    T::Native: TryInto<i16> + TryInto<i32> + TryInto<i64>,
{
    let a = prim::<T>(array)?;
    let (values, nulls) = (a.values(), a.nulls());
    Some(match pg {
        PgType::Int2 => Box::new(Fixed::new(values, nulls, |v: T::Native| {
            TryInto::<i16>::try_into(v).ok().map(i16::to_be_bytes)
        })),
        PgType::Int4 => Box::new(Fixed::new(values, nulls, |v: T::Native| {
            TryInto::<i32>::try_into(v).ok().map(i32::to_be_bytes)
        })),
        _ => Box::new(Fixed::new(values, nulls, |v: T::Native| {
            TryInto::<i64>::try_into(v).ok().map(i64::to_be_bytes)
        })),
    })
}

/// Integer → `numeric` with scale 0.
fn numeric_int<'a, T>(array: &'a dyn Array) -> Option<Writer<'a>>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i128>,
{
    let a = prim::<T>(array)?;
    Some(Box::new(Numeric {
        values: a.values(),
        nulls: a.nulls(),
        scale: 0,
        to_i128: |v: T::Native| v.into(),
    }))
}
