//! Rejected input: bytes that could not become a bronze record, kept with reason and position.
//!
//! A run's rejects are written as `_rejects/part-{NNNNN}.jsonl` (plain JSON Lines, they are
//! few) in the run directory, one file per flush of the writer, numbered like the data part
//! they were buffered with. Each line is a [`Reject`]; the raw bytes are kept as a string when
//! they are UTF-8 and as hex (`raw_hex`) otherwise, so nothing is lost either way.

use bytes::Bytes;

/// Where a rejected record came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RejectPosition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Page number within the window, as the extractor counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u64>,
    /// 0-based index of the record within its page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The pagination cursor/offset that fetched the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// For records read from an existing file (an adopted part): its lake path …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// … and the 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// One rejected record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reject {
    #[serde(flatten)]
    pub position: RejectPosition,
    pub reason: String,
    /// The bytes as received, when they are valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// The bytes as received, hex-encoded, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_hex: Option<String>,
}

impl Reject {
    pub fn new(position: RejectPosition, reason: impl Into<String>, raw: &[u8]) -> Self {
        let (raw, raw_hex) = match std::str::from_utf8(raw) {
            Ok(s) => (Some(s.to_string()), None),
            Err(_) => (None, Some(hex::encode(raw))),
        };
        Reject {
            position,
            reason: reason.into(),
            raw,
            raw_hex,
        }
    }

    /// The rejected bytes, exactly as received.
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.raw, &self.raw_hex) {
            (Some(s), _) => s.as_bytes().to_vec(),
            (None, Some(h)) => hex::decode(h).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }
}

/// Rejects as JSON Lines, each line `\n`-terminated.
pub(crate) fn encode(rejects: &[Reject]) -> Bytes {
    let mut out = Vec::new();
    for r in rejects {
        // Serialising a struct of strings and integers cannot fail.
        if let Ok(line) = serde_json::to_vec(r) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

/// Parse a `_rejects/` file; `Err` names the 1-based line that does not parse.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Reject>, (usize, serde_json::Error)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| serde_json::from_slice(l).map_err(|e| (i + 1, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_utf8_and_binary() {
        let pos = RejectPosition {
            window: Some("2026-01-01".into()),
            page: Some(3),
            index: Some(17),
            cursor: Some("2000".into()),
            ..Default::default()
        };
        let rs = vec![
            Reject::new(pos.clone(), "EOF while parsing", b"{\"id\": 1, \"na"),
            Reject::new(RejectPosition::default(), "not UTF-8", &[0xff, 0xfe, b'{']),
        ];
        let bytes = encode(&rs);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains(r#""page":3"#), "{text}");
        assert!(text.contains(r#""raw_hex":"fffe7b""#), "{text}");
        let back = decode(&bytes).unwrap();
        assert_eq!(back, rs);
        assert_eq!(back[1].bytes(), vec![0xff, 0xfe, b'{']);
    }
}
