//! Splitting a response body into the exact bytes of each record.
//!
//! Constraints:
//! - Bronze keeps the API's bytes: records are sub-slices of the body (`Bytes::slice`), found
//!   with `serde_json`'s `RawValue`, never re-serialised.
//! - A body that is not valid JSON as a whole is an error ([`SplitError`]); the HTTP layer
//!   retries it as a truncation. Only when the *same* bytes come back twice is it treated as a
//!   page with a malformed record: [`salvage`] keeps the good records and returns the bad
//!   bytes with their position, so the caller can land the first and reject the second.
//! - Envelope metadata (cursors, `end_of_stream`, `next_page`) is parsed from the same body.

use std::collections::HashMap;
use std::ops::Range;

use bytes::Bytes;
use serde_json::value::RawValue;

/// Where the records sit in a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// A bare array; an object with the array under `list`, `lista` or `data` is accepted too
    /// (EVO receivables, docs/data-contract.md#evo-api).
    Array,
    /// An object with the array under this key (`data`, `tickets`, `users`, …); `null` is an
    /// empty page.
    Key(&'static str),
    /// The whole body is one record, a JSON object (a by-id endpoint such as EVO
    /// `GET /api/v2/sales/{idSale}`).
    Object,
}

/// A page split into records, plus the envelope's other top-level fields.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Bytes,
    /// Byte ranges of the records inside `body`, in order.
    pub records: Vec<Range<usize>>,
    /// Top-level fields other than the records (raw JSON text), for cursors and flags.
    pub meta: HashMap<String, String>,
    /// Records that are not valid JSON (only from [`salvage`]).
    pub bad: Vec<BadRecord>,
}

/// The bytes of a record that could not be parsed, and why.
#[derive(Debug, Clone)]
pub struct BadRecord {
    /// 0-based position of the record in the page.
    pub index: usize,
    pub bytes: Bytes,
    pub reason: String,
}

impl Page {
    /// A page without records (a record asked for by id that no longer exists).
    pub fn empty() -> Page {
        Page {
            body: Bytes::new(),
            records: Vec::new(),
            meta: HashMap::new(),
            bad: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len() + self.bad.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records' bytes (zero-copy slices of the body).
    pub fn record_bytes(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.records.iter().map(|r| self.body.slice(r.clone()))
    }

    /// A top-level field parsed as `T`; `None` if absent, `null` or of another type.
    pub fn meta<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.meta
            .get(key)
            .and_then(|raw| serde_json::from_str::<Option<T>>(raw).ok().flatten())
    }

    /// A top-level field as a JSON value (metadata is small; records are never parsed so).
    pub fn meta_value(&self, key: &str) -> Option<serde_json::Value> {
        self.meta
            .get(key)
            .and_then(|raw| serde_json::from_str(raw).ok())
    }

    /// A nested field `a.b` (e.g. Pipedrive's `additional_data.next_cursor`).
    pub fn meta_path<T: serde::de::DeserializeOwned>(&self, outer: &str, inner: &str) -> Option<T> {
        let raw = self.meta.get(outer)?;
        let obj: Option<HashMap<String, Box<RawValue>>> = serde_json::from_str(raw).ok()?;
        let v = obj?.remove(inner)?;
        serde_json::from_str::<Option<T>>(v.get()).ok().flatten()
    }
}

/// The body is not valid JSON of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError(pub String);

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn offset_in(body: &[u8], part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - body.as_ptr() as usize;
    start..start + part.len()
}

/// Splits a whole, valid body.
pub fn split(body: Bytes, envelope: Envelope) -> Result<Page, SplitError> {
    let text = std::str::from_utf8(&body).map_err(|e| SplitError(format!("not UTF-8: {e}")))?;
    let first = text.trim_start().as_bytes().first().copied();
    let (records, meta) = match (envelope, first) {
        (Envelope::Object, Some(b'{')) => {
            let one: &RawValue =
                serde_json::from_str(text).map_err(|e| SplitError(format!("invalid JSON: {e}")))?;
            (vec![offset_in(&body, one.get())], HashMap::new())
        }
        (Envelope::Object, _) => return Err(SplitError("expected a JSON object".into())),
        (Envelope::Array, Some(b'[')) => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| SplitError(format!("invalid JSON: {e}")))?;
            (
                items.iter().map(|r| offset_in(&body, r.get())).collect(),
                HashMap::new(),
            )
        }
        (_, Some(b'{')) => {
            let obj: HashMap<String, &RawValue> =
                serde_json::from_str(text).map_err(|e| SplitError(format!("invalid JSON: {e}")))?;
            let keys: Vec<&str> = match envelope {
                Envelope::Array | Envelope::Object => vec!["list", "lista", "data"],
                Envelope::Key(k) => vec![k],
            };
            let key = keys.iter().find(|k| obj.contains_key(**k)).copied();
            let mut records = Vec::new();
            if let Some(key) = key {
                let raw = obj[key].get();
                if raw != "null" {
                    let items: Vec<&RawValue> = serde_json::from_str(raw).map_err(|e| {
                        SplitError(format!("`{key}` is not an array of JSON values: {e}"))
                    })?;
                    records = items.iter().map(|r| offset_in(&body, r.get())).collect();
                }
            } else if matches!(envelope, Envelope::Key(_)) || !obj.contains_key("qtde") {
                return Err(SplitError(format!(
                    "no record array under {} in the response object",
                    keys.join("/")
                )));
            }
            let meta = obj
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != key)
                .map(|(k, v)| (k.clone(), v.get().to_string()))
                .collect();
            (records, meta)
        }
        (Envelope::Key(k), _) => {
            return Err(SplitError(format!("expected an object with `{k}`")));
        }
        (Envelope::Array, _) => return Err(SplitError("expected a JSON array".into())),
    };
    Ok(Page {
        body,
        records,
        meta,
        bad: Vec::new(),
    })
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Parses one JSON value at `at`; returns its end.
fn value_at(b: &[u8], at: usize) -> Option<usize> {
    let mut it = serde_json::Deserializer::from_slice(&b[at..]).into_iter::<&RawValue>();
    match it.next() {
        Some(Ok(_)) => Some(at + it.byte_offset()),
        _ => None,
    }
}

/// Parses `value (, value)* ]` from `at` (the elements after a comma); returns the index just
/// past the closing bracket.
fn tail_of_array(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = value_at(b, skip_ws(b, at))?;
        at = skip_ws(b, at);
        match b.get(at) {
            Some(b',') => at += 1,
            Some(b']') => return Some(at + 1),
            _ => return None,
        }
    }
}

/// Recovers the good records of a body whose array holds a malformed record.
///
/// Walks the array element by element; at an element that does not parse, looks for the next
/// `{` after a comma from which the rest of the array parses to its closing bracket, and
/// rejects the bytes in between. The rest of the envelope must parse once the array is
/// replaced by `[]`, otherwise the body is considered truncated (`Err`).
pub fn salvage(body: Bytes, envelope: Envelope) -> Result<Page, SplitError> {
    let b: &[u8] = &body;
    let open = match envelope {
        // One record with nothing around it: the same bad bytes twice are a bad response,
        // not a page with a bad record to land beside good ones.
        Envelope::Object => return Err(SplitError("the record is not valid JSON".into())),
        Envelope::Array => {
            let i = skip_ws(b, 0);
            (b.get(i) == Some(&b'[')).then_some(i)
        }
        Envelope::Key(k) => find_keyed_array(b, k),
    }
    .ok_or_else(|| SplitError("cannot find the record array".into()))?;
    let mut records = Vec::new();
    let mut bad = Vec::new();
    let mut at = skip_ws(b, open + 1);
    let close;
    if b.get(at) == Some(&b']') {
        close = at + 1;
    } else {
        loop {
            let index = records.len() + bad.len();
            let parsed = value_at(b, at).and_then(|end| {
                let next = skip_ws(b, end);
                matches!(b.get(next), Some(b',') | Some(b']')).then_some((end, next))
            });
            let (next, end_of_array) = match parsed {
                Some((end, next)) => {
                    records.push(at..end);
                    (next, b[next] == b']')
                }
                None => {
                    let (bad_end, next) = resync(b, open, at, envelope)
                        .ok_or_else(|| SplitError("no valid records after a bad one".into()))?;
                    let bytes = body.slice(at..bad_end);
                    let reason = match serde_json::from_slice::<&RawValue>(&bytes) {
                        Err(e) => e.to_string(),
                        Ok(_) => "record is not followed by `,` or `]`".to_string(),
                    };
                    bad.push(BadRecord {
                        index,
                        bytes,
                        reason,
                    });
                    (next, b[next] == b']')
                }
            };
            if end_of_array {
                close = next + 1;
                break;
            }
            at = skip_ws(b, next + 1);
        }
    }
    // The envelope around the array must be whole.
    let mut rest = Vec::with_capacity(open + 2 + b.len() - close);
    rest.extend_from_slice(&b[..open]);
    rest.extend_from_slice(b"[]");
    rest.extend_from_slice(&b[close..]);
    let shell = split(Bytes::from(rest), envelope)
        .map_err(|e| SplitError(format!("envelope around the records: {e}")))?;
    if bad.is_empty() {
        return Err(SplitError("salvage found no bad record".into()));
    }
    Ok(Page {
        body,
        records,
        meta: shell.meta,
        bad,
    })
}

/// From a bad element at `at`: the end of its bytes and the index of the `,` or `]` after it.
///
/// The next element starts at a `{` preceded by a comma from which the rest of the array
/// parses and the envelope around it is whole (so a nested object inside the bad record is
/// never taken for the next record). Only one bad record per page is recovered exactly; with
/// more, the good records between them are rejected with them.
fn resync(b: &[u8], open: usize, at: usize, envelope: Envelope) -> Option<(usize, usize)> {
    let mut q = at + 1;
    while q < b.len() {
        if b[q] == b'{' {
            let mut p = q;
            while p > at && b[p - 1].is_ascii_whitespace() {
                p -= 1;
            }
            if p > at + 1
                && b[p - 1] == b','
                && let Some(close) = tail_of_array(b, q)
                && shell_ok(b, open, close, envelope)
            {
                let comma = p - 1;
                return Some((trim_end(b, at, comma), comma));
            }
        }
        q += 1;
    }
    // Otherwise the bad element is the last: it ends at the `]` after which the envelope is
    // whole.
    let mut q = at + 1;
    while q < b.len() {
        if b[q] == b']' && shell_ok(b, open, q + 1, envelope) {
            return Some((trim_end(b, at, q), q));
        }
        q += 1;
    }
    None
}

/// Whether the body with `b[open..close]` replaced by `[]` is a valid envelope.
fn shell_ok(b: &[u8], open: usize, close: usize, envelope: Envelope) -> bool {
    let mut rest = Vec::with_capacity(open + 2 + b.len() - close);
    rest.extend_from_slice(&b[..open]);
    rest.extend_from_slice(b"[]");
    rest.extend_from_slice(&b[close..]);
    split(Bytes::from(rest), envelope).is_ok()
}

fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

/// Index of the `[` of `"key": [` at the top level of an object (first occurrence; record
/// keys are nested deeper and the envelope keys are chosen not to collide).
fn find_keyed_array(b: &[u8], key: &str) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let n = needle.as_bytes();
    let mut i = 0;
    while i + n.len() <= b.len() {
        if &b[i..i + n.len()] == n {
            let j = skip_ws(b, i + n.len());
            if b.get(j) == Some(&b':') {
                let k = skip_ws(b, j + 1);
                if b.get(k) == Some(&b'[') {
                    return Some(k);
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &Page) -> Vec<String> {
        p.record_bytes()
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn keeps_the_exact_bytes() {
        let body = Bytes::from_static(br#"[ {"a": 1.50, "b":"x"} ,{"a":2}]"#);
        let p = split(body, Envelope::Array).unwrap();
        assert_eq!(texts(&p), vec![r#"{"a": 1.50, "b":"x"}"#, r#"{"a":2}"#]);
    }

    #[test]
    fn reads_envelopes() {
        let body = Bytes::from_static(
            br#"{"success":true,"data":[{"id":1}],"additional_data":{"next_cursor":"abc"}}"#,
        );
        let p = split(body, Envelope::Key("data")).unwrap();
        assert_eq!(texts(&p), vec![r#"{"id":1}"#]);
        assert_eq!(
            p.meta_path::<String>("additional_data", "next_cursor")
                .as_deref(),
            Some("abc")
        );
        let p = split(
            Bytes::from_static(br#"{"data":null,"additional_data":{"next_cursor":null}}"#),
            Envelope::Key("data"),
        )
        .unwrap();
        assert!(p.is_empty());
        assert_eq!(
            p.meta_path::<String>("additional_data", "next_cursor"),
            None
        );
        let p = split(
            Bytes::from_static(br#"{"qtde":1,"lista":[{"idReceivable":3}]}"#),
            Envelope::Array,
        )
        .unwrap();
        assert_eq!(texts(&p), vec![r#"{"idReceivable":3}"#]);
    }

    #[test]
    fn an_object_body_is_one_record_kept_byte_for_byte() {
        let body = Bytes::from_static(b" {\"idSale\": 7, \"receivables\": [{\"a\":1}]}\n");
        let p = split(body, Envelope::Object).unwrap();
        assert_eq!(
            texts(&p),
            vec![r#"{"idSale": 7, "receivables": [{"a":1}]}"#]
        );
        assert!(p.meta.is_empty());
        assert!(split(Bytes::from_static(b"[{\"idSale\":7}]"), Envelope::Object).is_err());
        let cut = Bytes::from_static(br#"{"idSale":7,"#);
        assert!(split(cut.clone(), Envelope::Object).is_err());
        assert!(salvage(cut, Envelope::Object).is_err());
    }

    #[test]
    fn truncation_is_an_error() {
        let body = Bytes::from_static(br#"[{"a":1},{"a":"#);
        assert!(split(body.clone(), Envelope::Array).is_err());
        assert!(salvage(body, Envelope::Array).is_err());
    }

    #[test]
    fn salvages_the_simulator_corruption() {
        // The simulator turns a record's closing `}` into `,"}`.
        for (body, good, bad_index) in [
            (
                r#"[{"a":1,"m":[{"x":1},{"y":2}]},{"a":2,"n":null,"},{"a":3}]"#,
                vec![r#"{"a":1,"m":[{"x":1},{"y":2}]}"#, r#"{"a":3}"#],
                1,
            ),
            (
                r#"[{"a":1},{"a":2,"},{"a":3,"m":[{"x":1}]},{"a":4}]"#,
                vec![r#"{"a":1}"#, r#"{"a":3,"m":[{"x":1}]}"#, r#"{"a":4}"#],
                1,
            ),
            (r#"[{"a":1,"},{"a":2}]"#, vec![r#"{"a":2}"#], 0),
            (r#"[{"a":1},{"a":2,"}]"#, vec![r#"{"a":1}"#], 1),
        ] {
            assert!(split(Bytes::from(body), Envelope::Array).is_err());
            let p = salvage(Bytes::from(body), Envelope::Array).unwrap();
            assert_eq!(texts(&p), good, "{body}");
            assert_eq!(p.bad.len(), 1, "{body}");
            assert_eq!(p.bad[0].index, bad_index, "{body}");
        }
    }

    #[test]
    fn salvages_inside_an_envelope() {
        let body = r#"{"tickets":[{"id":1},{"id":2,"},{"id":3}],"after_cursor":"c2","end_of_stream":false}"#;
        let p = salvage(Bytes::from(body), Envelope::Key("tickets")).unwrap();
        assert_eq!(texts(&p), vec![r#"{"id":1}"#, r#"{"id":3}"#]);
        assert_eq!(p.meta::<String>("after_cursor").as_deref(), Some("c2"));
        assert_eq!(p.meta::<bool>("end_of_stream"), Some(false));
        let body = r#"{"tickets":[{"id":1},{"id":2,"}],"after_cursor":"c2"}"#;
        let p = salvage(Bytes::from(body), Envelope::Key("tickets")).unwrap();
        assert_eq!(texts(&p), vec![r#"{"id":1}"#]);
        assert_eq!(
            std::str::from_utf8(&p.bad[0].bytes).unwrap(),
            r#"{"id":2,"}"#
        );
    }
}
