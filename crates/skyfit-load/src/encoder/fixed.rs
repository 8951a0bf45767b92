//! Fixed-width fields: integers, floats, booleans, dates and timestamps.
//!
//! One generic writer, [`Fixed`], runs a conversion `native value → Option<[u8; N]>`
//! over a whole array; `None` means the target type cannot hold the value, which
//! is written as NULL and reported as [`IssueKind::OutOfRange`]. The conversions
//! here are the only type-specific code.

use std::ops::Range;

use arrow::array::{Array, BooleanArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::TimeUnit;

use super::{ColumnWriter, Tally, put_null};
use crate::{IssueKind, Result};

/// Days from 1970-01-01 (Arrow) to 2000-01-01 (PostgreSQL).
const EPOCH_DAYS: i64 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
const EPOCH_MICROS: i64 = EPOCH_DAYS * 86_400_000_000;
/// PostgreSQL's valid date range, in days since 2000-01-01: `[4714-11-24 BC, 5874898-01-01)`.
const DATE_MIN: i64 = -2_451_545;
const DATE_END: i64 = 2_147_483_494 - 2_451_545;
/// PostgreSQL's valid timestamp range, in microseconds since 2000-01-01:
/// `[4714-11-24 00:00 BC, 294277-01-01 00:00)`.
const TS_MIN: i64 = -211_813_488_000_000_000;
const TS_END: i64 = 9_223_371_331_200_000_000;

/// A fixed-width column: `N` value bytes per non-NULL field.
pub(crate) struct Fixed<'a, V, F, const N: usize> {
    values: &'a [V],
    nulls: Option<&'a NullBuffer>,
    convert: F,
}

impl<'a, V: Copy, F: Fn(V) -> Option<[u8; N]>, const N: usize> Fixed<'a, V, F, N> {
    pub(crate) fn new(values: &'a [V], nulls: Option<&'a NullBuffer>, convert: F) -> Self {
        Fixed {
            values,
            nulls,
            convert,
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<[u8; N]> {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            return None;
        }
        (self.convert)(self.values[row])
    }
}

impl<V: Copy, F: Fn(V) -> Option<[u8; N]>, const N: usize> ColumnWriter for Fixed<'_, V, F, N> {
    fn measure(&mut self, sizes: &mut [usize], tally: &mut Tally<'_>) -> Result<()> {
        for (row, (size, &v)) in sizes.iter_mut().zip(self.values).enumerate() {
            let valid = self.nulls.is_none_or(|n| n.is_valid(row));
            if valid && (self.convert)(v).is_some() {
                *size += 4 + N;
            } else {
                *size += 4;
                if valid {
                    tally.issue(row, IssueKind::OutOfRange);
                }
            }
        }
        Ok(())
    }

    fn write(&self, rows: Range<usize>, cursors: &mut [usize], out: &mut [u8]) {
        for row in rows {
            let cursor = &mut cursors[row];
            match self.get(row) {
                Some(bytes) => {
                    let c = *cursor;
                    let field = &mut out[c..c + 4 + N];
                    field[..4].copy_from_slice(&(N as i32).to_be_bytes());
                    field[4..].copy_from_slice(&bytes);
                    *cursor = c + 4 + N;
                }
                None => put_null(out, cursor),
            }
        }
    }
}

/// A `boolean` column.
pub(crate) struct Bool<'a> {
    pub(crate) array: &'a BooleanArray,
}

impl ColumnWriter for Bool<'_> {
    fn measure(&mut self, sizes: &mut [usize], _tally: &mut Tally<'_>) -> Result<()> {
        for (row, size) in sizes.iter_mut().enumerate() {
            *size += if self.array.is_valid(row) { 5 } else { 4 };
        }
        Ok(())
    }

    fn write(&self, rows: Range<usize>, cursors: &mut [usize], out: &mut [u8]) {
        let values = self.array.values();
        for row in rows {
            let cursor = &mut cursors[row];
            if self.array.is_valid(row) {
                let c = *cursor;
                out[c..c + 4].copy_from_slice(&1i32.to_be_bytes());
                out[c + 4] = u8::from(values.value(row));
                *cursor = c + 5;
            } else {
                put_null(out, cursor);
            }
        }
    }
}

/// Arrow `Date32` (days since 1970) → PostgreSQL `date` (days since 2000).
#[inline]
pub(crate) fn date32(days: i32) -> Option<[u8; 4]> {
    let d = i64::from(days) - EPOCH_DAYS;
    if (DATE_MIN..DATE_END).contains(&d) {
        Some((d as i32).to_be_bytes())
    } else {
        None
    }
}

/// The Arrow timestamp → PostgreSQL microseconds conversion for one time unit.
pub(crate) fn timestamp(unit: TimeUnit) -> fn(i64) -> Option<[u8; 8]> {
    match unit {
        TimeUnit::Second => |v| pg_micros(v.checked_mul(1_000_000)?),
        TimeUnit::Millisecond => |v| pg_micros(v.checked_mul(1_000)?),
        TimeUnit::Microsecond => pg_micros,
        TimeUnit::Nanosecond => |v| pg_micros(v.div_euclid(1_000)),
    }
}

/// Unix microseconds → PostgreSQL microseconds since 2000, if in range.
#[inline]
fn pg_micros(unix_micros: i64) -> Option<[u8; 8]> {
    let t = unix_micros.checked_sub(EPOCH_MICROS)?;
    if (TS_MIN..TS_END).contains(&t) {
        Some(t.to_be_bytes())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_range_edges() {
        assert_eq!(date32(10_957), Some([0, 0, 0, 0]));
        assert_eq!(date32(0), Some((-10_957i32).to_be_bytes()));
        assert_eq!(date32(i32::MAX), None);
        assert_eq!(date32(i32::MIN), None);
        // 4714-11-24 BC is the first day PostgreSQL accepts.
        let first = (DATE_MIN + EPOCH_DAYS) as i32;
        assert!(date32(first).is_some());
        assert!(date32(first - 1).is_none());
    }

    #[test]
    fn timestamp_units_and_range() {
        let micros = timestamp(TimeUnit::Microsecond);
        assert_eq!(micros(EPOCH_MICROS), Some([0; 8]));
        assert_eq!(micros(i64::MIN), None);
        // i64::MAX µs since 1970 is in 294246 AD, still inside PostgreSQL's range.
        assert!(micros(i64::MAX).is_some());
        let nanos = timestamp(TimeUnit::Nanosecond);
        // Floor, not truncation, for instants before 1970.
        assert_eq!(nanos(-1), Some((-EPOCH_MICROS - 1).to_be_bytes()));
        let secs = timestamp(TimeUnit::Second);
        assert_eq!(secs(i64::MAX), None);
        assert_eq!(secs(946_684_800), Some([0; 8]));
    }
}
