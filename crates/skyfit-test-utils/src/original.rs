//! Files as the original (Python) system wrote them, for tests of adopting its lake.

use std::io::Write;

use bytes::Bytes;

/// A gzip JSON Lines part of `lines`: `\n` between lines, and after the last one only when
/// `trailing_newline` (the original EVO and Pipedrive writers left it out, Zendesk's did not).
pub fn jsonl_gz(lines: &[String], trailing_newline: bool) -> Bytes {
    let mut text = lines.join("\n");
    if trailing_newline && !lines.is_empty() {
        text.push('\n');
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
    // Writing into a Vec cannot fail.
    let _ = e.write_all(text.as_bytes());
    Bytes::from(e.finish().unwrap_or_default())
}
