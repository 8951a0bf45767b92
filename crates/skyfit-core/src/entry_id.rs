//! The EVO synthetic entry key, bit-for-bit as the reference warehouse computed it
//! (docs/data-contract.md#evo-entry-id), so existing `core.evo_entries` rows keep their keys.
//!
//! The entries API has no record id; the key is MD5 over seven `|`-joined components,
//! the top 60 bits of the digest, modulo 10^15.

use md5::{Digest, Md5};
use serde_json::Value;

/// The components, in key order.
pub const ENTRY_KEY_FIELDS: [&str; 7] = [
    "date",
    "idMember",
    "idProspect",
    "idEmployee",
    "idBranch",
    "device",
    "entryAction",
];

/// Python's `str()` of a JSON value for the key, with falsy values as the empty string.
///
/// Returns `None` for values that render as empty. Floats follow Python's shortest
/// round-trip repr (`7.0`, not `7`).
fn push_component(out: &mut String, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => out.push_str("True"),
        Some(Value::String(s)) => out.push_str(s),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                if i != 0 {
                    out.push_str(&i.to_string());
                }
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(f) = n.as_f64()
                && f != 0.0
            {
                out.push_str(&python_float_repr(f));
            }
        }
        Some(Value::Array(a)) => {
            if !a.is_empty() {
                out.push_str(&python_json_repr(&Value::Array(a.clone())));
            }
        }
        Some(Value::Object(o)) => {
            if !o.is_empty() {
                out.push_str(&python_json_repr(&Value::Object(o.clone())));
            }
        }
    }
}

fn python_float_repr(f: f64) -> String {
    // Rust's `{:?}` is also shortest round-trip and always keeps a `.0`; the exponent
    // spellings differ from Python's only for |f| >= 1e16 or < 1e-4, which no EVO id reaches.
    format!("{f:?}")
}

fn python_json_repr(v: &Value) -> String {
    // Python would print a dict/list repr; no EVO key field ever holds one, so the JSON
    // text is an adequate, deterministic stand-in.
    v.to_string()
}

/// The joined key string for a record, or `None` when the record has no usable `date`
/// (such records are not entries the warehouse can hold).
pub fn entry_key_string(record: &serde_json::Map<String, Value>) -> Option<String> {
    let date = record.get("date")?;
    let mut out = String::with_capacity(96);
    push_component(&mut out, Some(date));
    if out.is_empty() {
        return None;
    }
    for field in &ENTRY_KEY_FIELDS[1..] {
        out.push('|');
        push_component(&mut out, record.get(*field));
    }
    Some(out)
}

/// The key from an already joined key string.
pub fn entry_id_from_key(key: &str) -> i64 {
    let digest = Md5::digest(key.as_bytes());
    let mut top = [0u8; 8];
    top.copy_from_slice(&digest[..8]);
    let v = u64::from_be_bytes(top) >> 4;
    (v % 1_000_000_000_000_000) as i64
}

/// `entry_id` for a JSON entry record, or `None` when it has no `date`.
pub fn entry_id(record: &serde_json::Map<String, Value>) -> Option<i64> {
    entry_key_string(record).map(|k| entry_id_from_key(&k))
}

/// Python's `str()` of one raw JSON value, straight from its text when that is unambiguous
/// (plain strings, canonical integers, literals), else through [`push_component`]. The fast
/// path avoids a JSON tree per record; the fallback keeps every rare spelling exact.
fn push_raw_component(out: &mut String, raw: Option<&str>) {
    let Some(raw) = raw else { return };
    let b = raw.as_bytes();
    match b.first() {
        None => {}
        Some(b'n') if raw == "null" => {}
        Some(b'f') if raw == "false" => {}
        Some(b't') if raw == "true" => out.push_str("True"),
        Some(b'"') if b.len() >= 2 && b[b.len() - 1] == b'"' && !b.contains(&b'\\') => {
            out.push_str(&raw[1..raw.len() - 1]);
        }
        Some(b'0') if b.len() == 1 => {}
        Some(c)
            if c.is_ascii_digit()
                && *c != b'0'
                && b.len() <= 18
                && b.iter().all(u8::is_ascii_digit) =>
        {
            // At most 18 digits always fits in i64, so `str(int)` is the text itself.
            out.push_str(raw);
        }
        _ => {
            let v: Option<Value> = serde_json::from_str(raw).ok();
            push_component(out, v.as_ref());
        }
    }
}

/// [`entry_id`] from each key field's raw JSON text, in [`ENTRY_KEY_FIELDS`] order (`None`
/// for an absent key), e.g. the slices a streaming scan captured. Same result as parsing the
/// record into a map; used by the bronze writer to store the key next to the record.
pub fn entry_id_from_raw(fields: [Option<&str>; 7]) -> Option<i64> {
    let mut key = String::with_capacity(96);
    push_raw_component(&mut key, fields[0]);
    if key.is_empty() {
        return None;
    }
    for f in &fields[1..] {
        key.push('|');
        push_raw_component(&mut key, *f);
    }
    Some(entry_id_from_key(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(json: &str) -> Option<i64> {
        let v: Value = serde_json::from_str(json).unwrap();
        entry_id(v.as_object().unwrap())
    }

    #[test]
    fn contract_test_vectors() {
        // docs/data-contract.md#evo-entry-id.
        assert_eq!(
            id(
                r#"{"date":"2024-03-15T07:42:10","idMember":123456,"idBranch":7,"device":"Catraca 1","entryAction":"Entrada"}"#
            ),
            Some(480161953445189)
        );
        assert_eq!(
            id(
                r#"{"date":"2024-03-15T07:42:10","idMember":123456,"idBranch":7,"device":"Catraca 1","entryAction":"Entrada","idProspect":null,"idEmployee":0}"#
            ),
            Some(480161953445189)
        );
        assert_eq!(
            id(
                r#"{"date":"2023-12-31T23:59:59","idProspect":98765,"idBranch":12,"device":"","entryAction":null}"#
            ),
            Some(507167656612335)
        );
        assert_eq!(
            id(
                r#"{"date":"2025-01-02T10:00:00","idEmployee":55,"idBranch":3,"device":"Recepção","entryAction":"Saída"}"#
            ),
            Some(571087273247174)
        );
        assert_eq!(
            id(r#"{"date":"2024-06-01T12:00:00"}"#),
            Some(653040779172060)
        );
    }

    #[test]
    fn key_string_and_ineligible_records() {
        let v: Value = serde_json::from_str(
            r#"{"date":"2023-12-31T23:59:59","idProspect":98765,"idBranch":12,"device":"","entryAction":null}"#,
        )
        .unwrap();
        assert_eq!(
            entry_key_string(v.as_object().unwrap()).as_deref(),
            Some("2023-12-31T23:59:59||98765||12||")
        );
        assert_eq!(id(r#"{"idMember":1}"#), None);
        assert_eq!(id(r#"{"date":""}"#), None);
        assert_eq!(id(r#"{"date":null}"#), None);
        assert_eq!(id(r#"{"date":0}"#), None);
        assert_eq!(id(r#"{"date":false}"#), None);
    }

    /// The raw-text path agrees with the map path on every spelling that takes a shortcut or
    /// falls back (escapes, floats, zeros, big and negative numbers, literals, nesting).
    #[test]
    fn raw_path_matches_map_path() {
        let records = [
            r#"{"date":"2024-03-15T07:42:10","idMember":123456,"idBranch":7,"device":"Catraca 1","entryAction":"Entrada"}"#,
            r#"{"date":"2023-12-31T23:59:59","idProspect":98765,"idBranch":12,"device":"","entryAction":null}"#,
            r#"{"date":"2025-01-02T10:00:00","idEmployee":55,"idBranch":3,"device":"Recep\u00e7\u00e3o","entryAction":"Sa\u00edda"}"#,
            r#"{"date":"d","idMember":7.0,"idBranch":true,"device":-3,"entryAction":false}"#,
            r#"{"date":"d","idMember":0,"idProspect":-0,"idEmployee":0.0,"idBranch":123456789012345678901,"device":1e3}"#,
            r#"{"date":"d","idMember":"0","idBranch":[1],"device":{"a":1},"entryAction":[]}"#,
            r#"{"date":"d\"q","idMember":9223372036854775807,"idBranch":-9223372036854775808}"#,
            r#"{"date":""}"#,
            r#"{"date":null,"idMember":1}"#,
            r#"{"date":0}"#,
            r#"{"idMember":1}"#,
        ];
        for r in records {
            let map: Value = serde_json::from_str(r).unwrap();
            let map = map.as_object().unwrap();
            let raws: Vec<Option<String>> = ENTRY_KEY_FIELDS
                .iter()
                .map(|f| {
                    map.get(*f)
                        .map(|v| raw_text(r, f).unwrap_or_else(|| v.to_string()))
                })
                .collect();
            let fields: [Option<&str>; 7] = std::array::from_fn(|i| raws[i].as_deref());
            assert_eq!(entry_id_from_raw(fields), entry_id(map), "{r}");
        }
    }

    /// The exact text of `field`'s value in `record` (as a streaming scan captures it).
    fn raw_text(record: &str, field: &str) -> Option<String> {
        let m: std::collections::HashMap<String, &serde_json::value::RawValue> =
            serde_json::from_str(record).ok()?;
        m.get(field).map(|v| v.get().to_string())
    }

    #[test]
    fn python_renderings() {
        let v: Value =
            serde_json::from_str(r#"{"date":"d","idMember":7.0,"idBranch":true,"device":-3}"#)
                .unwrap();
        assert_eq!(
            entry_key_string(v.as_object().unwrap()).unwrap(),
            "d|7.0|||True|-3|"
        );
    }
}
