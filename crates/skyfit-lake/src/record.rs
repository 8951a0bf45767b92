//! Pulling typed column values out of one record without building a JSON tree.
//!
//! This is the hot path (EVO entries: ~110M records). One pass of serde_json's tokenizer over
//! the record: keys the schema wants are captured as borrowed `&RawValue` slices, all other
//! values are skipped without allocating. Each captured slice is then converted by looking at
//! its first byte; only strings with escape sequences allocate. Nested paths (`a.b`) re-scan
//! just the captured sub-object.
//!
//! The same pass validates the record: anything that is not a single JSON object is refused
//! with a reason, which the writer turns into a reject.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::schema::{ColumnType, EntitySchema};

/// A schema turned into a lookup tree keyed by JSON object keys.
#[derive(Debug, Default)]
pub(crate) struct CompiledSchema {
    root: Node,
    types: Vec<ColumnType>,
}

#[derive(Debug, Default)]
struct Node {
    keys: HashMap<String, Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Columns whose path ends at this key.
    columns: Vec<usize>,
    /// Columns whose path continues below this key.
    nested: Option<Node>,
}

impl CompiledSchema {
    pub(crate) fn new(schema: &EntitySchema) -> Self {
        let mut root = Node::default();
        for (i, col) in schema.columns().iter().enumerate() {
            let mut node = &mut root;
            let (last, parents) = col.path.split_last().expect("validated: non-empty path");
            for key in parents {
                node = node
                    .keys
                    .entry(key.clone())
                    .or_default()
                    .nested
                    .get_or_insert_with(Node::default);
            }
            node.keys.entry(last.clone()).or_default().columns.push(i);
        }
        CompiledSchema {
            root,
            types: schema.columns().iter().map(|c| c.ty).collect(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.types.len()
    }

    pub(crate) fn column_type(&self, i: usize) -> ColumnType {
        self.types[i]
    }

    /// Scan `record`, filling `out[i]` with the raw value of column `i` (or `None`).
    /// Errors say why the record is not one JSON object.
    pub(crate) fn extract<'a>(
        &self,
        record: &'a str,
        out: &mut [Option<&'a RawValue>],
    ) -> Result<(), String> {
        out.iter_mut().for_each(|v| *v = None);
        let mut de = serde_json::Deserializer::from_str(record);
        NodeSeed {
            node: &self.root,
            out,
        }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())
    }
}

struct NodeSeed<'s, 'o, 'a> {
    node: &'s Node,
    out: &'o mut [Option<&'a RawValue>],
}

impl<'de, 's, 'o> DeserializeSeed<'de> for NodeSeed<'s, 'o, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 's, 'o> Visitor<'de> for NodeSeed<'s, 'o, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let Some(slot) = self.node.keys.get(key.as_ref()) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let raw: &'de RawValue = map.next_value()?;
            for &c in &slot.columns {
                self.out[c] = Some(raw);
            }
            if let Some(nested) = &slot.nested {
                // A nested path through a non-object (null, scalar) just yields NULLs.
                let mut de = serde_json::Deserializer::from_str(raw.get());
                let _ = NodeSeed {
                    node: nested,
                    out: &mut *self.out,
                }
                .deserialize(&mut de);
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the record unless it contains escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One converted value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// JSON `null` or a missing key.
    Null,
    /// A value of the wrong JSON type for its column: NULL, and counted.
    Drift,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Cow<'a, str>),
}

/// Convert one raw JSON value to `ty` (see [`ColumnType`] for what each type accepts).
pub(crate) fn convert(raw: Option<&RawValue>, ty: ColumnType) -> Cell<'_> {
    let Some(raw) = raw else {
        return Cell::Null;
    };
    let text = raw.get();
    let first = text.as_bytes().first().copied().unwrap_or(b'n');
    if first == b'n' {
        return Cell::Null;
    }
    if ty == ColumnType::Json {
        return Cell::Str(Cow::Borrowed(text));
    }
    match first {
        b'"' => {
            let Some(s) = unquote(text) else {
                return Cell::Drift;
            };
            match ty {
                ColumnType::Utf8 => Cell::Str(s),
                ColumnType::TimestampText if looks_like_datetime(&s) => Cell::Str(s),
                ColumnType::Int64 => s.parse().map(Cell::Int).unwrap_or(Cell::Drift),
                ColumnType::Float64 => match s.parse::<f64>() {
                    Ok(f) if f.is_finite() => Cell::Float(f),
                    _ => Cell::Drift,
                },
                ColumnType::Boolean => match s.as_ref() {
                    "true" => Cell::Bool(true),
                    "false" => Cell::Bool(false),
                    _ => Cell::Drift,
                },
                _ => Cell::Drift,
            }
        }
        b't' | b'f' => {
            let b = first == b't';
            match ty {
                ColumnType::Boolean => Cell::Bool(b),
                ColumnType::Utf8 => Cell::Str(Cow::Borrowed(text)),
                _ => Cell::Drift,
            }
        }
        b'-' | b'0'..=b'9' => match ty {
            // A JSON integer literal is exactly Rust's i64 syntax; `1.0`, `1e3` and
            // out-of-range values fail, as PostgreSQL's BIGINT cast of their text would.
            ColumnType::Int64 => text.parse().map(Cell::Int).unwrap_or(Cell::Drift),
            ColumnType::Float64 => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Cell::Float(f),
                _ => Cell::Drift,
            },
            ColumnType::Utf8 => Cell::Str(Cow::Borrowed(text)),
            _ => Cell::Drift,
        },
        _ => Cell::Drift,
    }
}

/// The content of a JSON string literal; borrowed when it has no escapes.
fn unquote(text: &str) -> Option<Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// `YYYY-MM-DD` optionally followed by a time: cheap shape check, no calendar validation.
fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b.len() == 10 || matches!(b[10], b'T' | b' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnType::*, EntitySchema};

    fn schema() -> CompiledSchema {
        CompiledSchema::new(
            &EntitySchema::new("t")
                .with_field("id", Int64)
                .with_field("name", Utf8)
                .with_column("city", "address.city", Utf8)
                .with_field("address", Json)
                .with_field("when", TimestampText),
        )
    }

    fn cells(record: &str) -> Result<Vec<Cell<'static>>, String> {
        let s = schema();
        let mut out = vec![None; s.len()];
        s.extract(record, &mut out)?;
        Ok(out
            .iter()
            .enumerate()
            .map(|(i, raw)| match convert(*raw, s.column_type(i)) {
                Cell::Str(c) => Cell::Str(Cow::Owned(c.into_owned())),
                Cell::Null => Cell::Null,
                Cell::Drift => Cell::Drift,
                Cell::Int(v) => Cell::Int(v),
                Cell::Float(v) => Cell::Float(v),
                Cell::Bool(v) => Cell::Bool(v),
            })
            .collect())
    }

    fn s(v: &str) -> Cell<'static> {
        Cell::Str(Cow::Owned(v.to_string()))
    }

    #[test]
    fn extracts_top_level_and_nested_fields() {
        let got = cells(
            r#"{"x":[1,{"id":9}], "id" : 42 ,"name":"Jo\u00e3o \"J\"","address":{"city":"Recife","n":1},"when":"2026-01-09T08:00:00"}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Cell::Int(42),
                s("João \"J\""),
                s("Recife"),
                s(r#"{"city":"Recife","n":1}"#),
                s("2026-01-09T08:00:00"),
            ]
        );
    }

    #[test]
    fn wrong_types_drift_and_missing_is_null() {
        let got =
            cells(r#"{"id":"12.5","name":{"a":1},"address":null,"when":"yesterday"}"#).unwrap();
        assert_eq!(
            got,
            vec![
                Cell::Drift,
                Cell::Drift,
                Cell::Null,
                Cell::Null,
                Cell::Drift
            ]
        );
        let got = cells(r#"{"id":"77","name":12.50,"address":"x","when":"2026-01-09"}"#).unwrap();
        // A nested path through a string yields NULL, the Json column keeps the string.
        assert_eq!(
            got,
            vec![
                Cell::Int(77),
                s("12.50"),
                Cell::Null,
                s("\"x\""),
                s("2026-01-09")
            ]
        );
        assert_eq!(cells(r#"{"id":1.0}"#).unwrap()[0], Cell::Drift);
        assert_eq!(
            cells(r#"{"id":99999999999999999999}"#).unwrap()[0],
            Cell::Drift
        );
        assert_eq!(cells(r#"{"name":true}"#).unwrap()[1], s("true"));
    }

    #[test]
    fn non_objects_and_garbage_are_refused() {
        for bad in [
            "[1,2]",
            "42",
            "{\"id\":1",
            "{\"id\":1} {}",
            "",
            "{\"a\":tru}",
        ] {
            assert!(cells(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans_and_floats() {
        let s = CompiledSchema::new(
            &EntitySchema::new("b")
                .with_field("b", Boolean)
                .with_field("f", Float64),
        );
        let mut out = vec![None; 2];
        s.extract(r#"{"b":"false","f":-1.5e2}"#, &mut out).unwrap();
        assert_eq!(convert(out[0], Boolean), Cell::Bool(false));
        assert_eq!(convert(out[1], Float64), Cell::Float(-150.0));
        s.extract(r#"{"b":1,"f":"NaN"}"#, &mut out).unwrap();
        assert_eq!(convert(out[0], Boolean), Cell::Drift);
        assert_eq!(convert(out[1], Float64), Cell::Drift);
    }
}
