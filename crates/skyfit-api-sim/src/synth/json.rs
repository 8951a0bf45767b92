//! Hand-rolled JSON writing into a `String`.
//!
//! Constraint: no `serde_json::Value` trees on the record path — a page of 1000 entries must be
//! written in well under a millisecond. Commas are inferred from the previous byte, so writers
//! never track "first field" state. Keys are static ASCII and are not escaped.

use super::time;

#[inline]
fn sep(out: &mut String) {
    match out.as_bytes().last() {
        Some(b'{') | Some(b'[') | Some(b':') | None => {}
        _ => out.push(','),
    }
}

/// Writes `"key":` with a leading comma when needed.
#[inline]
pub fn key(out: &mut String, k: &str) {
    sep(out);
    out.push('"');
    out.push_str(k);
    out.push_str("\":");
}

/// Opens an object as an array element or top-level value.
#[inline]
pub fn open(out: &mut String) {
    sep(out);
    out.push('{');
}

/// Opens an object-valued field.
#[inline]
pub fn open_obj(out: &mut String, k: &str) {
    key(out, k);
    out.push('{');
}

/// Opens an array-valued field.
#[inline]
pub fn open_arr(out: &mut String, k: &str) {
    key(out, k);
    out.push('[');
}

/// Writes an unsigned integer.
#[inline]
pub fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Writes a signed integer.
#[inline]
pub fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Writes a JSON string literal, escaping what JSON requires.
#[inline]
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    let n = c as u32;
                    out.push(char::from(b"0123456789abcdef"[(n >> 4) as usize]));
                    out.push(char::from(b"0123456789abcdef"[(n & 0xF) as usize]));
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// A string as an array element (comma inferred).
#[inline]
pub fn push_str_sep(out: &mut String, v: &str) {
    sep(out);
    push_str(out, v);
}

/// `"k":<u64>`
#[inline]
pub fn u(out: &mut String, k: &str, v: u64) {
    key(out, k);
    push_u64(out, v);
}

/// `"k":<i64>`
#[inline]
pub fn i(out: &mut String, k: &str, v: i64) {
    key(out, k);
    push_i64(out, v);
}

/// `"k":<u64>|null`
#[inline]
pub fn ou(out: &mut String, k: &str, v: Option<u64>) {
    key(out, k);
    match v {
        Some(v) => push_u64(out, v),
        None => out.push_str("null"),
    }
}

/// `"k":"<s>"`
#[inline]
pub fn s(out: &mut String, k: &str, v: &str) {
    key(out, k);
    push_str(out, v);
}

/// `"k":"<s>"|null`
#[inline]
pub fn os(out: &mut String, k: &str, v: Option<&str>) {
    key(out, k);
    match v {
        Some(v) => push_str(out, v),
        None => out.push_str("null"),
    }
}

/// `"k":null`
#[inline]
pub fn null(out: &mut String, k: &str) {
    key(out, k);
    out.push_str("null");
}

/// `"k":true|false`
#[inline]
pub fn b(out: &mut String, k: &str, v: bool) {
    key(out, k);
    out.push_str(if v { "true" } else { "false" });
}

/// `"k":<raw json>`
#[inline]
pub fn raw(out: &mut String, k: &str, v: &str) {
    key(out, k);
    out.push_str(v);
}

/// A decimal amount from cents, always with two decimals (`149.90`): still a JSON number.
#[inline]
pub fn money(out: &mut String, k: &str, cents: i64) {
    key(out, k);
    push_money(out, cents);
}

/// Writes cents as a decimal number.
#[inline]
pub fn push_money(out: &mut String, cents: i64) {
    if cents < 0 {
        out.push('-');
    }
    let c = cents.unsigned_abs();
    push_u64(out, c / 100);
    out.push('.');
    let r = c % 100;
    if r < 10 {
        out.push('0');
    }
    push_u64(out, r);
}

/// `"k":"YYYY-MM-DDTHH:MM:SS"` (naive).
#[inline]
pub fn dt(out: &mut String, k: &str, secs: i64) {
    key(out, k);
    out.push('"');
    time::push_naive(out, secs);
    out.push('"');
}

/// `"k":"YYYY-MM-DDTHH:MM:SS"|null`.
#[inline]
pub fn odt(out: &mut String, k: &str, secs: Option<i64>) {
    match secs {
        Some(t) => dt(out, k, t),
        None => null(out, k),
    }
}

/// `"k":"YYYY-MM-DDTHH:MM:SSZ"|null`.
#[inline]
pub fn ts(out: &mut String, k: &str, secs: Option<i64>) {
    key(out, k);
    match secs {
        Some(t) => {
            out.push('"');
            time::push_rfc3339(out, t);
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

/// `"k":"YYYY-MM-DD HH:MM:SS"|null` (Pipedrive v1).
#[inline]
pub fn ts_v1(out: &mut String, k: &str, secs: Option<i64>) {
    key(out, k);
    match secs {
        Some(t) => {
            out.push('"');
            time::push_v1(out, t);
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

/// `"k":"YYYY-MM-DD"|null`.
#[inline]
pub fn date(out: &mut String, k: &str, secs: Option<i64>) {
    key(out, k);
    match secs {
        Some(t) => {
            out.push('"');
            time::push_date(out, t);
            out.push('"');
        }
        None => out.push_str("null"),
    }
}

/// Corrupts one serialised record so that a JSON parser rejects the whole page: the closing
/// brace is replaced by a dangling key. Used by the `malformed_record` fault.
pub fn corrupt_tail(out: &mut String, record_start: usize) {
    if out.len() > record_start && out.ends_with('}') {
        out.pop();
        out.push_str(",\"}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_valid_json() {
        let mut o = String::new();
        open(&mut o);
        u(&mut o, "a", 12);
        s(&mut o, "b", "x\"y\n");
        money(&mut o, "c", 14_905);
        money(&mut o, "d", -7);
        open_arr(&mut o, "e");
        out_obj(&mut o);
        out_obj(&mut o);
        o.push(']');
        o.push('}');
        let v: serde_json::Value = serde_json::from_str(&o).unwrap_or_default();
        assert_eq!(v["b"], "x\"y\n");
        assert_eq!(v["c"].as_f64(), Some(149.05));
        assert_eq!(v["d"].as_f64(), Some(-0.07));
        assert_eq!(v["e"].as_array().map(Vec::len), Some(2));
    }

    fn out_obj(o: &mut String) {
        open(o);
        b(o, "x", true);
        o.push('}');
    }
}
