//! The EVO synthetic entry key, bit-for-bit as the reference warehouse computed it
//! (data contract §2.4.6), so existing `core.evo_entries` rows keep their keys.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(json: &str) -> Option<i64> {
        let v: Value = serde_json::from_str(json).unwrap();
        entry_id(v.as_object().unwrap())
    }

    #[test]
    fn contract_test_vectors() {
        // Data contract §2.4.6.
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
