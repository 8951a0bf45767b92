//! `numeric` fields from Arrow decimals and integers.
//!
//! PostgreSQL's binary numeric is `ndigits i16, weight i16, sign u16, dscale u16`
//! followed by `ndigits` base-10000 digits (`i16`, most significant first); the
//! value is `Σ digit[i] × 10000^(weight - i)`. The decimal point always falls on
//! a digit boundary, trailing zero digits are dropped, and `dscale` is the number
//! of decimal places to display. Zero has no digits.

use std::ops::Range;

use arrow::buffer::NullBuffer;

use super::{ColumnWriter, Tally, put_null};
use crate::Result;

const SIGN_POS: u16 = 0x0000;
const SIGN_NEG: u16 = 0x4000;
/// |i128| < 2^127 has at most 39 decimal digits; with up to 3 padding digits
/// that is 11 base-10000 digits.
const MAX_DIGITS: usize = 11;

/// A value in PostgreSQL's numeric layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumericParts {
    /// Digits, most significant first; only `..ndigits` are used.
    digits: [u16; MAX_DIGITS],
    ndigits: usize,
    weight: i16,
    sign: u16,
    dscale: u16,
}

impl NumericParts {
    /// The value `unscaled × 10^-scale`.
    pub(crate) fn new(unscaled: i128, scale: i8) -> Self {
        let scale = i32::from(scale);
        let dscale = scale.max(0) as u16;
        let sign = if unscaled < 0 { SIGN_NEG } else { SIGN_POS };
        let mut m = unscaled.unsigned_abs();
        let mut parts = NumericParts {
            digits: [0; MAX_DIGITS],
            ndigits: 0,
            weight: 0,
            sign: SIGN_POS,
            dscale,
        };
        if m == 0 {
            return parts;
        }
        // Append `pad` zeros so the total scale is a multiple of 4 (a digit
        // boundary). The lowest base-10000 digit takes `4 - pad` decimal digits.
        let pad = (4 - scale.rem_euclid(4)) % 4;
        let aligned_scale = scale + pad;
        let first = 10u128.pow((4 - pad) as u32);
        let mut low_first = [0u16; MAX_DIGITS];
        low_first[0] = ((m % first) * 10u128.pow(pad as u32)) as u16;
        m /= first;
        let mut n = 1;
        // 128-bit division is slow: switch to 64 bits as soon as the value fits.
        while m > u128::from(u64::MAX) {
            low_first[n] = (m % 10_000) as u16;
            m /= 10_000;
            n += 1;
        }
        let mut m = m as u64;
        while m > 0 {
            low_first[n] = (m % 10_000) as u16;
            m /= 10_000;
            n += 1;
        }
        let weight = (n as i32 - 1) - aligned_scale / 4;
        let trailing_zeros = low_first[..n].iter().take_while(|&&d| d == 0).count();
        let used = &low_first[trailing_zeros..n];
        for (dst, src) in parts.digits.iter_mut().zip(used.iter().rev()) {
            *dst = *src;
        }
        parts.ndigits = used.len();
        parts.weight = weight as i16;
        parts.sign = sign;
        parts
    }

    /// Encoded size of the value (without the field length).
    pub(crate) fn len(&self) -> usize {
        8 + 2 * self.ndigits
    }

    /// Writes the value; `out` must be exactly [`Self::len`] bytes.
    pub(crate) fn write(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&(self.ndigits as i16).to_be_bytes());
        out[2..4].copy_from_slice(&self.weight.to_be_bytes());
        out[4..6].copy_from_slice(&self.sign.to_be_bytes());
        out[6..8].copy_from_slice(&self.dscale.to_be_bytes());
        for (i, d) in self.digits[..self.ndigits].iter().enumerate() {
            out[8 + 2 * i..10 + 2 * i].copy_from_slice(&d.to_be_bytes());
        }
    }
}

/// A `numeric` column over any primitive array whose values widen to `i128`.
pub(crate) struct Numeric<'a, V> {
    pub(crate) values: &'a [V],
    pub(crate) nulls: Option<&'a NullBuffer>,
    pub(crate) scale: i8,
    pub(crate) to_i128: fn(V) -> i128,
}

impl<V: Copy> Numeric<'_, V> {
    #[inline]
    fn get(&self, row: usize) -> Option<NumericParts> {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            return None;
        }
        Some(NumericParts::new(
            (self.to_i128)(self.values[row]),
            self.scale,
        ))
    }
}

impl<V: Copy> ColumnWriter for Numeric<'_, V> {
    fn measure(&mut self, sizes: &mut [usize], _tally: &mut Tally<'_>) -> Result<()> {
        for (row, size) in sizes.iter_mut().enumerate() {
            *size += 4 + self.get(row).map_or(0, |p| p.len());
        }
        Ok(())
    }

    fn write(&self, rows: Range<usize>, cursors: &mut [usize], out: &mut [u8]) {
        for row in rows {
            let cursor = &mut cursors[row];
            match self.get(row) {
                Some(p) => {
                    let c = *cursor;
                    let len = p.len();
                    out[c..c + 4].copy_from_slice(&(len as i32).to_be_bytes());
                    p.write(&mut out[c + 4..c + 4 + len]);
                    *cursor = c + 4 + len;
                }
                None => put_null(out, cursor),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(v: i128, s: i8) -> (Vec<u16>, i16, u16, u16) {
        let p = NumericParts::new(v, s);
        (p.digits[..p.ndigits].to_vec(), p.weight, p.sign, p.dscale)
    }

    #[test]
    fn layouts() {
        assert_eq!(parts(0, 2), (vec![], 0, SIGN_POS, 2));
        assert_eq!(parts(123_456_789, 4), (vec![1, 2345, 6789], 1, SIGN_POS, 4));
        assert_eq!(
            parts(-123_456_789, 4),
            (vec![1, 2345, 6789], 1, SIGN_NEG, 4)
        );
        assert_eq!(parts(1, 4), (vec![1], -1, SIGN_POS, 4));
        assert_eq!(parts(100, 6), (vec![1], -1, SIGN_POS, 6)); // 0.000100
        assert_eq!(parts(1, 5), (vec![1000], -2, SIGN_POS, 5)); // 0.00001
        assert_eq!(parts(10_000, 0), (vec![1], 1, SIGN_POS, 0));
        assert_eq!(parts(15, 1), (vec![1, 5000], 0, SIGN_POS, 1)); // 1.5
        assert_eq!(parts(12, -2), (vec![1200], 0, SIGN_POS, 0)); // 1200
        assert_eq!(parts(5, -4), (vec![5], 1, SIGN_POS, 0)); // 50000
    }

    #[test]
    fn extremes_fit() {
        let p = NumericParts::new(i128::MIN, 38);
        assert_eq!(p.sign, SIGN_NEG);
        assert!(p.ndigits <= MAX_DIGITS);
        let p = NumericParts::new(i128::MAX, -10);
        assert!(p.ndigits <= MAX_DIGITS);
    }
}
