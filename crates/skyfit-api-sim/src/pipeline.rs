//! The per-request pipeline: admin → auth → rate limit → injected faults → handler → body faults.
//!
//! Constraint: fault decisions hash `(seed, api, request number, fault kind)`, so the same
//! sequence of requests sees the same faults. A dropped connection is produced by a body stream
//! that fails half-way (hyper then aborts the connection), a truncated body by a short but
//! well-formed HTTP response.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use bytes::Bytes;

use crate::faults::BodyFault;
use crate::http::{Api, Query, Reply, Req, api_error, basic_auth};
use crate::limits::Kind;
use crate::state::Shared;
use crate::stats::Counters;
use crate::synth::hash::{mix, unit};
use crate::{admin, evo, pipedrive, zendesk};

/// Per-listener axum state.
#[derive(Clone)]
pub(crate) struct ListenerState {
    pub api: Api,
    pub shared: Arc<Shared>,
    pub base_url: String,
}

const FAULT_5XX: u64 = 1;
const FAULT_SLOW: u64 = 2;
const FAULT_RESET: u64 = 3;
const FAULT_TRUNC: u64 = 4;

fn roll(seed: u64, api: Api, n: u64, kind: u64, p: f64) -> bool {
    p > 0.0
        && unit(mix(seed
            ^ ((api.idx() as u64) << 56)
            ^ mix(n)
            ^ (kind << 48)))
            < p
}

/// Who the caller is: the account key (Pipedrive: 0 comercial, 1 expansao).
fn authenticate(shared: &Shared, api: Api, headers: &HeaderMap, query: &Query) -> Option<u8> {
    let c = &shared.creds;
    match api {
        Api::Evo => {
            let (u, p) = basic_auth(headers)?;
            (u == c.evo_user && p == c.evo_password).then_some(0)
        }
        Api::Pipedrive => {
            let token = headers
                .get("x-api-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| query.get("api_token").map(str::to_string))?;
            if token == c.pipedrive_token_comercial {
                Some(0)
            } else if token == c.pipedrive_token_expansao {
                Some(1)
            } else {
                None
            }
        }
        Api::Zendesk => {
            let (u, p) = basic_auth(headers)?;
            (u == c.zendesk_user() && p == c.zendesk_token).then_some(0)
        }
    }
}

/// The axum fallback handler of every listener.
pub(crate) async fn handle(State(st): State<ListenerState>, req: Request) -> Response<Body> {
    let api = st.api;
    let shared = &st.shared;
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    if path.starts_with("/_sim/") {
        let post = parts.method == Method::POST;
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        return respond(
            api,
            admin::handle(shared, api, post, &path, &query, &body),
            Bytes::new(),
            false,
            false,
        );
    }
    drop(body);
    let key = authenticate(shared, api, &parts.headers, &query);
    let counters = &shared.counters[api.idx()];
    let n = counters.requests.fetch_add(1, Ordering::Relaxed);
    let mut reply = process(&st, key, path.clone(), query.clone(), n).await;
    counters.status(reply.status);
    if reply.status == 200 {
        counters.records.fetch_add(reply.records, Ordering::Relaxed);
        if reply.malformed {
            Counters::inc(&counters.fault_malformed);
        }
    }
    let faults = shared.faults(api);
    let ok = reply.status == 200;
    if ok {
        for f in faults.values.iter().filter(|f| f.path == path) {
            if replace_value(&mut reply.body, &f.field, f.occurrence, &f.value) {
                Counters::inc(&counters.fault_value);
            }
        }
    }
    let hit = |f: &Option<BodyFault>, hits: &std::sync::atomic::AtomicU64| {
        f.as_ref().is_some_and(|f| {
            f.matches(&path, &query)
                && f.times
                    .is_none_or(|t| hits.fetch_add(1, Ordering::Relaxed) < t)
        })
    };
    let reset = ok
        && (hit(&faults.reset_page, &counters.reset_page_hits)
            || roll(shared.seed, api, n, FAULT_RESET, faults.reset_rate));
    let invalid_utf8 = ok && !reset && hit(&faults.invalid_utf8_page, &counters.utf8_page_hits);
    let truncate = ok && !reset && roll(shared.seed, api, n, FAULT_TRUNC, faults.truncate_rate);
    if reset {
        Counters::inc(&counters.fault_reset);
    }
    if truncate {
        Counters::inc(&counters.fault_truncated);
    }
    let mut body = std::mem::take(&mut reply.body).into_bytes();
    if invalid_utf8 {
        Counters::inc(&counters.fault_invalid_utf8);
        break_utf8(&mut body);
    }
    respond(api, reply, Bytes::from(body), reset, truncate)
}

/// Replaces the value of the `occurrence`-th `"field":` key of `body` by `value`; `false` when
/// the body has no such key. The body is the simulator's own compact JSON, so the value ends at
/// the first `,` or `}` outside a string (the faults target scalar fields).
fn replace_value(body: &mut String, field: &str, occurrence: u64, value: &str) -> bool {
    let key = format!("\"{field}\":");
    let Some((at, _)) = body.match_indices(&key).nth(occurrence as usize) else {
        return false;
    };
    let start = at + key.len();
    let bytes = body.as_bytes();
    let mut end = start;
    let mut in_string = false;
    while end < bytes.len() {
        match bytes[end] {
            b'\\' if in_string => end += 1,
            b'"' => in_string = !in_string,
            b',' | b'}' | b']' if !in_string => break,
            _ => {}
        }
        end += 1;
    }
    body.replace_range(start..end.min(bytes.len()), value);
    true
}

/// Puts two bytes that are never UTF-8 (`0xFF 0xFE`) at the start of the body's first string
/// value, so the JSON stays well-formed but the text is not UTF-8.
fn break_utf8(body: &mut Vec<u8>) {
    let at = body
        .windows(2)
        .position(|w| w == b":\"")
        .map_or(body.len(), |p| p + 2);
    body.splice(at..at, [0xFF, 0xFE]);
}

async fn process(st: &ListenerState, key: Option<u8>, path: String, query: Query, n: u64) -> Reply {
    let api = st.api;
    let shared = &st.shared;
    let counters = &shared.counters[api.idx()];
    let Some(key) = key else {
        tracing::debug!(api = api.name(), path = %path, "Rejected credentials.");
        return api_error(api, 401, "unauthorized");
    };
    let faults = shared.faults(api);
    let elapsed_ms = shared.started.elapsed().as_millis() as u64;
    let incremental = api == Api::Zendesk && path.contains("/incremental/");
    let mut rate_headers: Vec<(&'static str, String)> = Vec::new();
    {
        let mut limiter = match shared.limiter.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let display = match api {
            Api::Evo => (40, 60),
            Api::Pipedrive => (80, 2),
            Api::Zendesk => (400, 60),
        };
        let v = limiter.hit(
            (api.idx(), key, Kind::General),
            elapsed_ms,
            faults.rate_limit.as_ref(),
            display,
        );
        let mut exceeded = v.exceeded.then_some(v.retry_after);
        match api {
            Api::Evo => {}
            Api::Pipedrive => {
                rate_headers.push(("x-ratelimit-limit", v.limit.to_string()));
                rate_headers.push(("x-ratelimit-remaining", v.remaining.to_string()));
                rate_headers.push(("x-ratelimit-reset", v.reset_secs.to_string()));
                let budget = faults.daily_token_budget.unwrap_or(150_000);
                let cost = if path.starts_with("/api/v2/") { 20 } else { 40 };
                let left = limiter.spend_daily((api.idx(), key), budget, cost);
                rate_headers.push(("x-daily-ratelimit-token-limit", budget.to_string()));
                rate_headers.push((
                    "x-daily-ratelimit-token-remaining",
                    left.unwrap_or(0).to_string(),
                ));
                if left.is_none() && faults.daily_token_budget.is_some() && exceeded.is_none() {
                    exceeded = Some(3_600);
                }
            }
            Api::Zendesk => {
                rate_headers.push(("x-rate-limit", v.limit.to_string()));
                rate_headers.push(("x-rate-limit-remaining", v.remaining.to_string()));
                rate_headers.push(("ratelimit-limit", v.limit.to_string()));
                rate_headers.push(("ratelimit-remaining", v.remaining.to_string()));
                rate_headers.push(("ratelimit-reset", v.reset_secs.to_string()));
                if incremental {
                    let cursor = path.contains("/cursor");
                    let display = if cursor { (20, 60) } else { (10, 60) };
                    let iv = limiter.hit(
                        (api.idx(), key, Kind::Incremental),
                        elapsed_ms,
                        faults.incremental_rate_limit.as_ref(),
                        display,
                    );
                    let name = if cursor {
                        "zendesk-ratelimit-incremental-exports-cursor"
                    } else {
                        "zendesk-ratelimit-incremental-exports"
                    };
                    rate_headers.push((
                        name,
                        format!(
                            "total={}; remaining={}; resets={}",
                            iv.limit, iv.remaining, iv.reset_secs
                        ),
                    ));
                    if iv.exceeded && exceeded.is_none() {
                        exceeded = Some(iv.retry_after);
                    }
                }
            }
        }
        if let Some(retry_after) = exceeded {
            let mut r = api_error(api, 429, "Request over limit");
            r.headers = rate_headers;
            return r.with_header("retry-after", retry_after.to_string());
        }
    }
    if let Some(fp) = &faults.fail_page
        && fp.path == path
        && query.get(&fp.param) == Some(fp.value.as_str())
    {
        Counters::inc(&counters.fault_fail_page);
        return with_headers(api_error(api, 500, "persistent page failure"), rate_headers);
    }
    if let Some(rp) = &faults.redirect_page
        && rp.path == path
        && query.get(&rp.param) == Some(rp.value.as_str())
    {
        Counters::inc(&counters.fault_redirect);
        return with_headers(
            Reply::status(302, String::new()).with_header("location", rp.location.clone()),
            rate_headers,
        );
    }
    if let (Some(max), Ok(Some(skip))) = (faults.max_skip, query.uint("skip"))
        && api == Api::Evo
        && skip > max
    {
        Counters::inc(&counters.fault_fail_page);
        return api_error(api, 500, "deep skip");
    }
    if roll(shared.seed, api, n, FAULT_5XX, faults.error_rate) {
        Counters::inc(&counters.fault_5xx);
        let status = faults
            .error_status
            .filter(|s| (500..600).contains(s))
            .unwrap_or(500);
        return with_headers(
            api_error(api, status, "injected server error"),
            rate_headers,
        );
    }
    if roll(shared.seed, api, n, FAULT_SLOW, faults.slow_rate) && faults.slow_ms > 0 {
        Counters::inc(&counters.fault_slow);
        tokio::time::sleep(std::time::Duration::from_millis(faults.slow_ms)).await;
    }
    let r = Req {
        path,
        query,
        base_url: st.base_url.clone(),
        max_page_size: faults.max_page_size,
    };
    let malformed = faults
        .malformed_record
        .as_ref()
        .filter(|m| m.path == r.path)
        .map(|m| m.index);
    let g = shared.generator();
    let reply = match api {
        Api::Evo => evo::route(&g, &r, malformed),
        Api::Pipedrive => pipedrive::route(&g, pipedrive::Scope::from_key(key), &r, malformed),
        Api::Zendesk => zendesk::route(&g, &r, malformed),
    };
    with_headers(reply, rate_headers)
}

fn with_headers(mut r: Reply, mut h: Vec<(&'static str, String)>) -> Reply {
    h.append(&mut r.headers);
    r.headers = h;
    r
}

/// `body` replaces the reply's own when non-empty (the body after the byte-level faults).
fn respond(api: Api, reply: Reply, body: Bytes, reset: bool, truncate: bool) -> Response<Body> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let full = if body.is_empty() {
        Bytes::from(reply.body)
    } else {
        body
    };
    let len = full.len();
    let body = if reset {
        // Promise the full length, send half, then fail the stream: hyper drops the connection.
        let half = full.slice(..len / 2);
        let parts: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(half),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection reset",
            )),
        ];
        Body::from_stream(futures::stream::iter(parts))
    } else if truncate {
        Body::from(full.slice(..len / 2))
    } else {
        Body::from(full)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if reset {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    if api == Api::Zendesk {
        h.insert("x-zendesk-api-version", HeaderValue::from_static("v2"));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_faults_replace_one_scalar() {
        let mut b = r#"[{"a":1,"s":"x,}\"y","idMember":42},{"idMember":7}]"#.to_string();
        assert!(replace_value(&mut b, "idMember", 1, r#""12abc""#));
        assert!(replace_value(&mut b, "s", 0, r#""a\u0000b""#));
        assert_eq!(
            b,
            r#"[{"a":1,"s":"a\u0000b","idMember":42},{"idMember":"12abc"}]"#
        );
        assert!(!replace_value(&mut b, "idMember", 2, "1"));
    }

    #[test]
    fn broken_utf8_keeps_the_json_shape() {
        let mut b = br#"[{"n":"ab"}]"#.to_vec();
        break_utf8(&mut b);
        assert_eq!(b, b"[{\"n\":\"\xff\xfeab\"}]");
        assert!(std::str::from_utf8(&b).is_err());
    }
}
