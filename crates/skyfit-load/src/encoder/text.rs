//! `text`, `varchar` and `jsonb` fields from Arrow string arrays.
//!
//! PostgreSQL refuses a NUL byte in any text value and the escape `\u0000` (or an
//! unpaired surrogate escape) in `jsonb`. Such values are rewritten so the row
//! still loads, and counted:
//! * text NUL bytes are removed or replaced by U+FFFD ([`NulPolicy`]);
//! * `\u0000` and lone `\uD800`–`\uDFFF` escapes become `\ufffd`. Escapes are found
//!   by walking backslash pairs, so `\\u0000` (an escaped backslash then `u0000`)
//!   is left alone. The replacement has the same length as the escape.
//!
//! Fast path: for offset-based arrays, one `memchr` over the column's whole
//! value buffer decides whether any value needs looking at; clean columns are
//! measured from the offsets alone and written with one copy per value.

use std::borrow::Cow;
use std::ops::Range;

use arrow::array::{Array, ArrayAccessor, AsArray};
use arrow::buffer::NullBuffer;
use memchr::memmem;

use super::{ColumnWriter, MAX_FIELD, NulPolicy, Tally, put_null};
use crate::{IssueKind, PgType, Result};

/// A text-like column over a string array `A` (`&StringArray`, `&LargeStringArray`
/// or `&StringViewArray`).
pub(crate) struct TextWriter<'a, A> {
    array: A,
    nulls: Option<&'a NullBuffer>,
    jsonb: bool,
    policy: NulPolicy,
    /// `true` when no value needs rewriting (known up front or after measuring).
    clean: bool,
}

impl<'a, A> TextWriter<'a, A>
where
    A: ArrayAccessor<Item = &'a str> + Copy,
{
    /// `region`, when given, is the array's whole value buffer: if it holds no
    /// suspicious byte, no value does.
    pub(crate) fn new(
        array: A,
        nulls: Option<&'a NullBuffer>,
        jsonb: bool,
        policy: NulPolicy,
        region: Option<&[u8]>,
    ) -> Self {
        let clean = region.is_some_and(|r| !suspicious(r, jsonb));
        TextWriter {
            array,
            nulls,
            jsonb,
            policy,
            clean,
        }
    }

    #[inline]
    fn value(&self, row: usize) -> Option<&'a [u8]> {
        if self.nulls.is_some_and(|n| n.is_null(row)) {
            None
        } else {
            Some(self.array.value(row).as_bytes())
        }
    }
}

impl<'a, A> ColumnWriter for TextWriter<'a, A>
where
    A: ArrayAccessor<Item = &'a str> + Copy,
{
    fn measure(&mut self, sizes: &mut [usize], tally: &mut Tally<'_>) -> Result<()> {
        let version = usize::from(self.jsonb);
        let mut all_clean = true;
        for (row, size) in sizes.iter_mut().enumerate() {
            let Some(v) = self.value(row) else {
                *size += 4;
                continue;
            };
            let text_len = if self.clean || !suspicious(v, self.jsonb) {
                v.len()
            } else {
                all_clean = false;
                sanitize(v, self.jsonb, self.policy, &mut |kind| {
                    tally.issue(row, kind)
                })
                .len()
            };
            let len = text_len + version;
            if len > MAX_FIELD {
                return Err(tally.too_large(row, len));
            }
            *size += 4 + len;
        }
        self.clean = all_clean;
        Ok(())
    }

    fn write(&self, rows: Range<usize>, cursors: &mut [usize], out: &mut [u8]) {
        for row in rows {
            let cursor = &mut cursors[row];
            let Some(v) = self.value(row) else {
                put_null(out, cursor);
                continue;
            };
            let v = if self.clean {
                Cow::Borrowed(v)
            } else {
                sanitize(v, self.jsonb, self.policy, &mut |_| {})
            };
            let mut c = *cursor;
            let len = v.len() + usize::from(self.jsonb);
            out[c..c + 4].copy_from_slice(&(len as i32).to_be_bytes());
            c += 4;
            if self.jsonb {
                out[c] = 1; // jsonb binary format version
                c += 1;
            }
            out[c..c + v.len()].copy_from_slice(&v);
            *cursor = c + v.len();
        }
    }
}

/// [`super::rewritten_rows`] for a string column stored as text or JSON: the same rules and the
/// same fast path as the encoder (a value buffer with no suspicious byte costs one `memchr`).
pub(crate) fn rewritten_rows(array: &dyn Array, pg_type: PgType) -> Vec<(usize, IssueKind)> {
    if !matches!(pg_type, PgType::Text | PgType::Varchar | PgType::Jsonb) {
        return Vec::new();
    }
    let jsonb = pg_type == PgType::Jsonb;
    fn rows<'a, A: ArrayAccessor<Item = &'a str> + Copy>(
        a: A,
        nulls: Option<&NullBuffer>,
        jsonb: bool,
        region: Option<&[u8]>,
    ) -> Vec<(usize, IssueKind)> {
        let mut out = Vec::new();
        if region.is_some_and(|r| !suspicious(r, jsonb)) {
            return out;
        }
        for row in 0..a.len() {
            if nulls.is_some_and(|n| n.is_null(row)) {
                continue;
            }
            let v = a.value(row).as_bytes();
            if suspicious(v, jsonb) {
                sanitize(v, jsonb, NulPolicy::Strip, &mut |kind| {
                    out.push((row, kind))
                });
            }
        }
        out
    }
    let nulls = array.logical_nulls();
    let nulls = nulls.as_ref();
    if let Some(a) = array.as_string_opt::<i32>() {
        let region = a.values().get(
            a.value_offsets().first().map_or(0, |o| *o as usize)
                ..a.value_offsets().last().map_or(0, |o| *o as usize),
        );
        rows(a, nulls, jsonb, region)
    } else if let Some(a) = array.as_string_opt::<i64>() {
        let region = a.values().get(
            a.value_offsets().first().map_or(0, |o| *o as usize)
                ..a.value_offsets().last().map_or(0, |o| *o as usize),
        );
        rows(a, nulls, jsonb, region)
    } else if let Some(a) = array.as_string_view_opt() {
        rows(a, nulls, jsonb, None)
    } else {
        Vec::new()
    }
}

/// Whether `v` may need rewriting: it has a NUL byte, or (JSON) a `\u` escape.
#[inline]
fn suspicious(v: &[u8], jsonb: bool) -> bool {
    memchr::memchr(0, v).is_some() || (jsonb && memmem::find(v, b"\\u").is_some())
}

/// Returns `v` made storable, reporting each rewritten value once per kind.
pub(crate) fn sanitize<'v>(
    v: &'v [u8],
    jsonb: bool,
    policy: NulPolicy,
    report: &mut dyn FnMut(IssueKind),
) -> Cow<'v, [u8]> {
    let mut out = Cow::Borrowed(v);
    if memchr::memchr(0, v).is_some() {
        report(IssueKind::TextNul);
        let mut fixed = Vec::with_capacity(v.len() + 8);
        for part in v.split(|&b| b == 0).enumerate() {
            if part.0 > 0 && policy == NulPolicy::Replace {
                fixed.extend_from_slice("\u{fffd}".as_bytes());
            }
            fixed.extend_from_slice(part.1);
        }
        out = Cow::Owned(fixed);
    }
    if jsonb {
        let fixes = bad_json_escapes(&out);
        let mut seen_nul = false;
        let mut seen_surrogate = false;
        if !fixes.is_empty() {
            let buf = out.to_mut();
            for (pos, kind) in fixes {
                buf[pos..pos + 6].copy_from_slice(b"\\ufffd");
                match kind {
                    IssueKind::JsonNulEscape => seen_nul = true,
                    _ => seen_surrogate = true,
                }
            }
        }
        if seen_nul {
            report(IssueKind::JsonNulEscape);
        }
        if seen_surrogate {
            report(IssueKind::JsonLoneSurrogate);
        }
    }
    out
}

/// Positions of `\u` escapes that `jsonb` refuses: `\u0000` and unpaired
/// surrogates. Walks escape pairs so an escaped backslash is never misread.
pub(crate) fn bad_json_escapes(v: &[u8]) -> Vec<(usize, IssueKind)> {
    let mut fixes = Vec::new();
    let mut i = 0;
    while let Some(p) = v.get(i..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let p = i + p;
        if v.get(p + 1) != Some(&b'u') {
            i = p + 2; // `\\`, `\"`, `\n`, ...: skip the escaped character
            continue;
        }
        let Some(cp) = hex4(v, p + 2) else {
            i = p + 2; // malformed; the server will say so
            continue;
        };
        i = p + 6;
        match cp {
            0 => fixes.push((p, IssueKind::JsonNulEscape)),
            0xD800..=0xDBFF => {
                let low = (v.get(p + 6) == Some(&b'\\') && v.get(p + 7) == Some(&b'u'))
                    .then(|| hex4(v, p + 8))
                    .flatten();
                if low.is_some_and(|l| (0xDC00..=0xDFFF).contains(&l)) {
                    i = p + 12;
                } else {
                    fixes.push((p, IssueKind::JsonLoneSurrogate));
                }
            }
            0xDC00..=0xDFFF => fixes.push((p, IssueKind::JsonLoneSurrogate)),
            _ => {}
        }
    }
    fixes
}

fn hex4(v: &[u8], at: usize) -> Option<u32> {
    let digits = v.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc * 16 + d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> (String, Vec<IssueKind>) {
        let mut kinds = Vec::new();
        let out = sanitize(s.as_bytes(), true, NulPolicy::Strip, &mut |k| kinds.push(k));
        (String::from_utf8(out.into_owned()).unwrap(), kinds)
    }

    #[test]
    fn json_nul_escape_rewritten() {
        assert_eq!(
            fix(r#"{"a":"x\u0000y"}"#),
            (r#"{"a":"x\ufffdy"}"#.into(), vec![IssueKind::JsonNulEscape])
        );
    }

    #[test]
    fn escaped_backslash_left_alone() {
        let s = r#"{"a":"C:\\u0000"}"#;
        assert_eq!(fix(s), (s.into(), vec![]));
        // Three backslashes: an escaped backslash, then a real \u0000.
        assert_eq!(
            fix(r#"{"a":"\\\u0000"}"#),
            (r#"{"a":"\\\ufffd"}"#.into(), vec![IssueKind::JsonNulEscape])
        );
    }

    #[test]
    fn surrogates() {
        let pair = r#"["\ud83d\ude00"]"#;
        assert_eq!(fix(pair), (pair.into(), vec![]));
        assert_eq!(
            fix(r#"["\ud83dx","\ude00"]"#),
            (
                r#"["\ufffdx","\ufffd"]"#.into(),
                vec![IssueKind::JsonLoneSurrogate]
            )
        );
        assert_eq!(fix(r#"["\u00e9\u0041"]"#).1, vec![]);
    }

    #[test]
    fn raw_nul_stripped_or_replaced() {
        let mut kinds = Vec::new();
        let out = sanitize(b"a\0b\0", false, NulPolicy::Strip, &mut |k| kinds.push(k));
        assert_eq!(&*out, b"ab");
        assert_eq!(kinds, vec![IssueKind::TextNul]);
        let out = sanitize(b"a\0b", false, NulPolicy::Replace, &mut |_| {});
        assert_eq!(&*out, "a\u{fffd}b".as_bytes());
    }

    #[test]
    fn rewritten_rows_follow_the_encoder() {
        use arrow::array::StringArray;
        let a = StringArray::from(vec![
            Some("ok"),
            Some("a\0b"),
            None,
            Some(r#"{"a":"\u0000"}"#),
        ]);
        assert_eq!(
            rewritten_rows(&a, PgType::Text),
            vec![(1, IssueKind::TextNul)]
        );
        assert_eq!(
            rewritten_rows(&a, PgType::Jsonb),
            vec![(1, IssueKind::TextNul), (3, IssueKind::JsonNulEscape)]
        );
        assert!(rewritten_rows(&StringArray::from(vec!["x"; 3]), PgType::Jsonb).is_empty());
        assert!(rewritten_rows(&a, PgType::Int8).is_empty());
    }

    #[test]
    fn truncated_escape_is_not_fixed() {
        assert_eq!(fix(r#"\u00"#).1, vec![]);
        assert!(bad_json_escapes(b"\\").is_empty());
    }
}
