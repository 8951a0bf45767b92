//! Request/response plumbing shared by the three APIs: query parsing, basic auth, the reply
//! type and each API's real error bodies.
//!
//! Constraint: request-driven paths never panic; every bad input becomes the API's own 4xx.

use axum::http::HeaderMap;
use base64::Engine;

/// Which API a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// EVO (W12).
    Evo,
    /// Pipedrive.
    Pipedrive,
    /// Zendesk Support.
    Zendesk,
}

impl Api {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Api::Evo => "evo",
            Api::Pipedrive => "pipedrive",
            Api::Zendesk => "zendesk",
        }
    }

    pub(crate) fn idx(self) -> usize {
        match self {
            Api::Evo => 0,
            Api::Pipedrive => 1,
            Api::Zendesk => 2,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "evo" => Some(Api::Evo),
            "pipedrive" => Some(Api::Pipedrive),
            "zendesk" => Some(Api::Zendesk),
            _ => None,
        }
    }
}

/// Decoded query string. Lookups are case-insensitive because EVO (ASP.NET) binds parameters
/// that way (`IdEntry` and `idEntry` are the same); Pipedrive and Zendesk use lowercase names.
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Parses `a=1&b=x%20y`.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut out = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            out.push((percent_decode(k), percent_decode(v)));
        }
        Query(out)
    }

    /// First value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// First non-empty value of `name`.
    pub fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// `true`/`false` flag (absent = false).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// Parses an unsigned integer parameter; `Err` carries the offending text.
    pub fn uint(&self, name: &str) -> Result<Option<u64>, String> {
        match self.get_nonempty(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| v.to_string()),
        }
    }
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hexval(b[i + 1]), hexval(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(b & 0xF) as usize]));
        }
    }
    out
}

/// `(user, password)` of an `Authorization: Basic` header.
pub fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// A request as the API handlers see it.
#[derive(Debug, Clone)]
pub struct Req {
    /// Path without query.
    pub path: String,
    /// Decoded query.
    pub query: Query,
    /// Base URL of this listener (for `next_page`-style absolute links).
    pub base_url: String,
    /// Page-size clamp below the documented maximum ([`crate::ApiFaults::max_page_size`]).
    pub max_page_size: Option<u64>,
}

impl Req {
    /// A page size after the configured clamp; never below one, so paging still advances.
    pub fn cap_page(&self, size: u64) -> u64 {
        self.max_page_size.map_or(size, |max| size.min(max.max(1)))
    }
}

/// A response before faults are applied.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: String,
    /// Records in the body (stats).
    pub records: u64,
    /// Whether a malformed record was written (stats).
    pub malformed: bool,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: String, records: u64) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body,
            records,
            malformed: false,
        }
    }

    /// Any status with a JSON body.
    pub fn status(status: u16, body: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            records: 0,
            malformed: false,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

fn quoted(s: &str) -> String {
    let mut o = String::new();
    crate::synth::json::push_str(&mut o, s);
    o
}

/// The API's real error body for a status (shapes recorded by integrators;
/// docs/data-contract.md#evo-api, #pipedrive-api, #zendesk-api).
pub fn api_error(api: Api, status: u16, detail: &str) -> Reply {
    let body = match api {
        // EVO is ASP.NET: validation errors are problem+json, auth failures a `message` object.
        Api::Evo => match status {
            400 => format!(
                "{{\"errors\":{{\"request\":[{}]}},\"type\":\"https://tools.ietf.org/html/rfc7231#section-6.5.1\",\"title\":\"One or more validation errors occurred.\",\"status\":400}}",
                quoted(detail)
            ),
            401 => "{\"message\":\"Authorization has been denied for this request.\"}".to_string(),
            404 => "{\"message\":\"No HTTP resource was found that matches the request URI.\"}".to_string(),
            429 => "{\"message\":\"API calls quota exceeded! maximum admitted 40 per 1m.\"}".to_string(),
            _ => "{\"message\":\"An error has occurred.\"}".to_string(),
        },
        Api::Pipedrive => match status {
            401 => "{\"success\":false,\"error\":\"unauthorized access\",\"errorCode\":401,\"error_info\":\"Please check developers.pipedrive.com for more information about Pipedrive API.\"}".to_string(),
            _ => format!(
                "{{\"success\":false,\"error\":{},\"errorCode\":{status},\"error_info\":\"Please check developers.pipedrive.com for more information about Pipedrive API.\",\"data\":null,\"additional_data\":null}}",
                quoted(detail)
            ),
        },
        Api::Zendesk => match status {
            400 => format!("{{\"error\":\"InvalidValue\",\"description\":{}}}", quoted(detail)),
            401 => "{\"error\":\"Couldn't authenticate you\"}".to_string(),
            404 => "{\"error\":\"InvalidEndpoint\",\"description\":\"Not found\"}".to_string(),
            429 => "{\"error\":\"APIRateLimitExceeded\",\"description\":\"Number of allowed API requests per minute exceeded\"}".to_string(),
            _ => format!("{{\"error\":\"InternalError\",\"description\":{}}}", quoted(detail)),
        },
    };
    Reply::status(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        let q = Query::parse(Some("a=1&B=x%20y+z&c=%zz&d"));
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), Some("x y z"));
        assert_eq!(q.get("c"), Some("%zz"));
        assert_eq!(q.get("d"), Some(""));
        assert_eq!(percent_decode(&percent_encode("MTc=|x y")), "MTc=|x y");
    }
}
