//! The shared HTTP layer: auth, the rate budget, retries and error classification.
//!
//! Constraints:
//! - Credentials come from [`Secret`]s and go only into the request's auth header; they are
//!   never logged and never part of an error (errors name the environment variable instead).
//! - Every request first takes a slot from each [`RateBudget`] it is subject to.
//! - Classification: 401/403 stop the source at once ([`Error::Auth`]); 429 pauses the whole
//!   account for `Retry-After` (never less than a growing floor, because EVO sends
//!   `Retry-After: 0`); 5xx, 408, connection errors, resets and bodies that are not valid JSON
//!   (truncation) are retried with exponential back-off and jitter; other 4xx fail at once.
//!   Every retry is logged at WARN with its location, attempt and wait; every pause of the
//!   account (a 429, or pacing headers saying the window is spent) is also told to the
//!   [`ProgressSink`] as it begins.
//! - Redirects are never followed: a 3xx is [`Error::InvalidResponse`] naming the target's
//!   origin, so a body from another host is never taken for a page and credentials never go
//!   there.
//! - Tries are bounded ([`RetryPolicy`]); a page that still fails is [`Error::PageFailed`] with
//!   its location, never skipped.
//! - A body that is invalid JSON twice with identical bytes is not a truncation but a page
//!   holding a malformed record: it is salvaged ([`crate::page::salvage`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use skyfit_core::Secret;

use crate::error::{Error, Location, Result};
use crate::page::{self, Envelope, Page};
use crate::rate::{RateBudget, jitter_unit};
use crate::summary::{EntitySummary, ProgressSink, ThrottleEvent, ThrottleReason};

/// How a client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// HTTP Basic (EVO: tenant DNS + secret key; Zendesk: `{email}/token` + API token).
    Basic { user: String, password: Secret },
    /// A header carrying a token (Pipedrive `x-api-token`).
    Header { name: &'static str, token: Secret },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}:***)"),
            Auth::Header { name, .. } => write!(f, "Header({name}: ***)"),
        }
    }
}

impl Auth {
    fn header(&self) -> Option<(reqwest::header::HeaderName, HeaderValue)> {
        let (name, value) = match self {
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                let enc = base64::engine::general_purpose::STANDARD.encode(raw);
                (reqwest::header::AUTHORIZATION, format!("Basic {enc}"))
            }
            Auth::Header { name, token } => (
                reqwest::header::HeaderName::from_static(name),
                token.expose().to_string(),
            ),
        };
        let mut v = HeaderValue::from_str(&value).ok()?;
        v.set_sensitive(true);
        Some((name, v))
    }
}

/// Bounds and delays of retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per page for errors (5xx, resets, truncations), first one included.
    pub max_tries: u32,
    /// Tries per page that may end in 429 before the page fails.
    pub max_throttled: u32,
    /// First back-off after an error; doubles per try.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Minimum wait after a 429 whatever `Retry-After` says; doubles per consecutive 429.
    pub retry_after_floor: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 8,
            max_throttled: 30,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            retry_after_floor: Duration::from_secs(5),
            timeout: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, failures: u32) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        exp.min(self.backoff_cap)
            .mul_f64(0.75 + 0.5 * jitter_unit())
    }

    fn throttle_wait(&self, retry_after: Option<Duration>, consecutive: u32) -> Duration {
        let floor = self
            .retry_after_floor
            .saturating_mul(1u32 << consecutive.saturating_sub(1).min(6))
            .min(self.backoff_cap);
        retry_after
            .unwrap_or_default()
            .max(floor)
            .mul_f64(1.0 + 0.2 * jitter_unit())
    }
}

/// Which rate-limit headers the API sends, for pacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    None,
    /// `x-ratelimit-remaining/reset` (burst window) and `x-daily-ratelimit-token-*`.
    Pipedrive,
    /// `ratelimit-remaining/reset` and `zendesk-ratelimit-incremental-exports*`.
    Zendesk,
}

/// Counters of one entity's requests (shared by its windows).
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub server_errors: AtomicU64,
    pub network_errors: AtomicU64,
    pub invalid_bodies: AtomicU64,
}

impl Counters {
    fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Writes the counts so far into the entity's summary.
    pub(crate) fn record_in(&self, summary: &mut EntitySummary) {
        summary.requests = Counters::get(&self.requests);
        summary.retries = Counters::get(&self.retries);
        summary.throttled = Counters::get(&self.throttled);
        summary.server_errors = Counters::get(&self.server_errors);
        summary.network_errors = Counters::get(&self.network_errors);
        summary.invalid_bodies = Counters::get(&self.invalid_bodies);
    }
}

/// One GET: a path below the base URL (or an absolute URL on the same host, for `next_page`
/// links) plus query parameters.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Budgets this request is subject to besides the client's own (Zendesk export family).
    pub extra_budget: Option<Arc<RateBudget>>,
}

impl PageRequest {
    pub fn new(path: impl Into<String>) -> Self {
        PageRequest {
            path: path.into(),
            query: Vec::new(),
            extra_budget: None,
        }
    }

    pub fn param(mut self, k: &str, v: impl ToString) -> Self {
        self.query.push((k.to_string(), v.to_string()));
        self
    }
}

/// Daily budget state seen in Pipedrive headers.
#[derive(Debug, Default)]
struct Daily {
    remaining: AtomicU64,
    limit: AtomicU64,
    known: std::sync::atomic::AtomicBool,
}

/// An authenticated client of one API account.
#[derive(Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    auth: Auth,
    /// Environment variables holding the credentials, for auth errors.
    credential_env: String,
    budget: Arc<RateBudget>,
    retry: RetryPolicy,
    pacing: Pacing,
    /// Stop before the daily budget falls below this many tokens.
    daily_reserve: u64,
    daily: Daily,
    /// Set by the first 401/403: every later request of the account fails without being sent.
    auth_failed: std::sync::atomic::AtomicU16,
}

impl ApiClient {
    pub fn try_new(
        base_url: &str,
        auth: Auth,
        credential_env: impl Into<String>,
        budget: Arc<RateBudget>,
        retry: RetryPolicy,
    ) -> Result<Self> {
        // No API we call (EVO, Pipedrive, Zendesk) documents redirects, so none is followed,
        // same host included: a followed redirect would take another host's body for the page
        // (and reqwest's default policy follows them silently). A 3xx fails the page instead.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("skyfit-extract/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Client)?;
        Ok(ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
            credential_env: credential_env.into(),
            budget,
            retry,
            pacing: Pacing::None,
            daily_reserve: 0,
            daily: Daily::default(),
            auth_failed: std::sync::atomic::AtomicU16::new(0),
        })
    }

    pub fn with_pacing(mut self, pacing: Pacing, daily_reserve: u64) -> Self {
        self.pacing = pacing;
        self.daily_reserve = daily_reserve;
        self
    }

    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.budget
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> std::result::Result<String, String> {
        if path.starts_with("http://") || path.starts_with("https://") {
            // Links the API gave us (`next_page`) must stay on its host: credentials go along.
            if path.starts_with(&format!("{}/", self.base_url)) {
                Ok(path.to_string())
            } else {
                Err(format!("refusing to follow a link to another host: {path}"))
            }
        } else {
            Ok(format!("{}{}", self.base_url, path))
        }
    }

    /// Fetches one page and splits it into records, retrying as the module docs say; pauses of
    /// the account are told to `progress`.
    pub async fn get_page(
        &self,
        req: &PageRequest,
        envelope: Envelope,
        at: &Location,
        counters: &Counters,
        progress: &dyn ProgressSink,
    ) -> Result<Page> {
        let url = self
            .url(&req.path)
            .map_err(|reason| Error::InvalidResponse {
                at: at.clone(),
                reason,
            })?;
        let mut failures = 0u32;
        let mut throttled = 0u32;
        let mut last_error = String::new();
        let mut last_bad: Option<Bytes> = None;
        loop {
            if failures >= self.retry.max_tries || throttled >= self.retry.max_throttled {
                return Err(Error::PageFailed {
                    at: at.clone(),
                    attempts: failures + throttled,
                    last: last_error,
                });
            }
            if failures + throttled > 0 {
                Counters::inc(&counters.retries);
            }
            self.check_auth(at)?;
            self.check_daily(at)?;
            self.budget.acquire().await;
            self.check_auth(at)?;
            if let Some(extra) = &req.extra_budget {
                extra.acquire().await;
            }
            Counters::inc(&counters.requests);
            let mut builder = self
                .http
                .get(&url)
                .query(&req.query)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some((name, value)) = self.auth.header() {
                builder = builder.header(name, value);
            }
            let resp = match builder.send().await {
                Ok(r) => r,
                Err(error) => {
                    Counters::inc(&counters.network_errors);
                    failures += 1;
                    last_error = describe(&error);
                    self.wait_after_error(at, failures + throttled, failures, &last_error)
                        .await;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            if let Some(wait) = self.observe(&headers, req.extra_budget.as_deref())
                && status != 429
            {
                progress.throttled(&ThrottleEvent {
                    at,
                    wait,
                    reason: ThrottleReason::Spent,
                });
            }
            if status == 401 || status == 403 {
                self.auth_failed.store(status, Ordering::Relaxed);
                return Err(Error::Auth {
                    at: at.clone(),
                    status,
                    credential: self.credential_env.clone(),
                });
            }
            if (300..400).contains(&status) {
                return Err(Error::InvalidResponse {
                    at: at.clone(),
                    reason: refused_redirect(status, &url, &headers),
                });
            }
            if status == 429 {
                Counters::inc(&counters.throttled);
                throttled += 1;
                if self.pacing == Pacing::Pipedrive && self.daily_spent(&headers) {
                    return Err(self.exhausted(at));
                }
                let retry_after = header_u64(&headers, "retry-after").map(Duration::from_secs);
                let wait = self.retry.throttle_wait(retry_after, throttled);
                tracing::warn!(
                    at = %at, attempt = failures + throttled, retry_after = ?retry_after,
                    wait_ms = wait.as_millis() as u64,
                    "Rate limited (HTTP 429); pausing the account, then retrying the page."
                );
                self.budget.pause_for(wait);
                if let Some(extra) = &req.extra_budget {
                    extra.pause_for(wait);
                }
                progress.throttled(&ThrottleEvent {
                    at,
                    wait,
                    reason: ThrottleReason::TooManyRequests,
                });
                last_error = "HTTP 429 Too Many Requests".to_string();
                continue;
            }
            if status >= 500 || status == 408 {
                Counters::inc(&counters.server_errors);
                failures += 1;
                let body = resp.bytes().await.unwrap_or_default();
                last_error = format!("HTTP {status}: {}", snippet(&body));
                self.wait_after_error(at, failures + throttled, failures, &last_error)
                    .await;
                continue;
            }
            if status >= 400 {
                let body = resp.bytes().await.unwrap_or_default();
                return Err(Error::Http {
                    at: at.clone(),
                    status,
                    path: req.path.clone(),
                    body: snippet(&body),
                });
            }
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(error) => {
                    Counters::inc(&counters.network_errors);
                    failures += 1;
                    last_error = format!("reading the body: {}", describe(&error));
                    self.wait_after_error(at, failures + throttled, failures, &last_error)
                        .await;
                    continue;
                }
            };
            match page::split(body.clone(), envelope) {
                Ok(p) => return Ok(p),
                Err(e) => {
                    Counters::inc(&counters.invalid_bodies);
                    if last_bad.as_ref() == Some(&body) {
                        // Same bytes twice: the page itself holds a malformed record.
                        match page::salvage(body.clone(), envelope) {
                            Ok(p) => {
                                tracing::warn!(
                                    at = %at, bad = p.bad.len(), good = p.records.len(),
                                    "Page holds malformed records; landing the good ones."
                                );
                                return Ok(p);
                            }
                            Err(se) => {
                                last_error = format!("invalid JSON ({e}); not recoverable: {se}");
                            }
                        }
                    } else {
                        last_error = format!("invalid JSON body of {} bytes: {e}", body.len());
                    }
                    last_bad = Some(body);
                    failures += 1;
                    self.wait_after_error(at, failures + throttled, failures, &last_error)
                        .await;
                }
            }
        }
    }

    /// Backs off before the next try; `attempt` counts every try so far, 429s included.
    async fn wait_after_error(&self, at: &Location, attempt: u32, failures: u32, error: &str) {
        if failures >= self.retry.max_tries {
            return;
        }
        let wait = self.retry.backoff(failures);
        tracing::warn!(
            at = %at, attempt, failures, max_tries = self.retry.max_tries,
            wait_ms = wait.as_millis() as u64, error,
            "Page request failed; retrying after a back-off."
        );
        tokio::time::sleep(wait).await;
    }

    fn check_auth(&self, at: &Location) -> Result<()> {
        match self.auth_failed.load(Ordering::Relaxed) {
            0 => Ok(()),
            status => Err(Error::Auth {
                at: at.clone(),
                status,
                credential: self.credential_env.clone(),
            }),
        }
    }

    fn check_daily(&self, at: &Location) -> Result<()> {
        if self.pacing != Pacing::Pipedrive || !self.daily.known.load(Ordering::Relaxed) {
            return Ok(());
        }
        if self.daily.remaining.load(Ordering::Relaxed) < self.daily_reserve {
            return Err(self.exhausted(at));
        }
        Ok(())
    }

    fn exhausted(&self, at: &Location) -> Error {
        Error::BudgetExhausted {
            at: at.clone(),
            remaining: self.daily.remaining.load(Ordering::Relaxed),
            limit: self.daily.limit.load(Ordering::Relaxed),
        }
    }

    fn daily_spent(&self, headers: &HeaderMap) -> bool {
        header_u64(headers, "x-daily-ratelimit-token-remaining") == Some(0)
    }

    /// Reads pacing headers and pauses the account before the server has to say 429; returns
    /// the longest pause it set.
    fn observe(&self, headers: &HeaderMap, extra: Option<&RateBudget>) -> Option<Duration> {
        let mut paused: Option<Duration> = None;
        let mut pause = |budget: &RateBudget, d: Duration| {
            budget.pause_for(d);
            paused = paused.max(Some(d));
        };
        match self.pacing {
            Pacing::None => {}
            Pacing::Pipedrive => {
                if let (Some(rem), Some(reset)) = (
                    header_u64(headers, "x-ratelimit-remaining"),
                    header_u64(headers, "x-ratelimit-reset"),
                ) && rem <= 1
                {
                    pause(&self.budget, Duration::from_secs(reset.max(1)));
                }
                if let Some(rem) = header_u64(headers, "x-daily-ratelimit-token-remaining") {
                    self.daily.remaining.store(rem, Ordering::Relaxed);
                    self.daily.known.store(true, Ordering::Relaxed);
                }
                if let Some(limit) = header_u64(headers, "x-daily-ratelimit-token-limit") {
                    self.daily.limit.store(limit, Ordering::Relaxed);
                }
            }
            Pacing::Zendesk => {
                if let (Some(rem), Some(reset)) = (
                    header_u64(headers, "ratelimit-remaining"),
                    header_u64(headers, "ratelimit-reset"),
                ) && rem == 0
                {
                    pause(&self.budget, Duration::from_secs(reset.max(1)));
                }
                for name in [
                    "zendesk-ratelimit-incremental-exports",
                    "zendesk-ratelimit-incremental-exports-cursor",
                ] {
                    if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                        let field = |k: &str| {
                            v.split(';').find_map(|p| {
                                let (a, b) = p.trim().split_once('=')?;
                                (a.trim() == k)
                                    .then(|| b.trim().parse::<u64>().ok())
                                    .flatten()
                            })
                        };
                        if let (Some(0), Some(resets), Some(b)) =
                            (field("remaining"), field("resets"), extra)
                        {
                            pause(b, Duration::from_secs(resets.max(1)));
                        }
                    }
                }
            }
        }
        paused
    }
}

/// Why a 3xx is refused, naming the target by its origin only: the path and query of a
/// `Location` may carry tokens.
fn refused_redirect(status: u16, from: &str, headers: &HeaderMap) -> String {
    let from = reqwest::Url::parse(from).ok();
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| match &from {
            Some(base) => base.join(loc).ok(),
            None => reqwest::Url::parse(loc).ok(),
        });
    match target {
        None => format!("refusing to follow a redirect (HTTP {status}) without a valid Location"),
        Some(t) => {
            let origin = t.origin().ascii_serialization();
            if from.is_some_and(|f| f.origin() == t.origin()) {
                format!(
                    "refusing to follow a redirect (HTTP {status}) within the API host {origin}; \
                     the API documents none, check the base URL"
                )
            } else {
                format!("refusing to follow a redirect to another host: HTTP {status} to {origin}")
            }
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v.ceil() as u64)
}

/// A reqwest error without its URL (query strings are not secret here, but keep logs short).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    let mut msg = format!("{kind} error: {}", e.without_url_ref());
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        match self.url() {
            Some(u) => self.to_string().replace(u.as_str(), u.path()),
            None => self.to_string(),
        }
    }
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s = s.trim();
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_wait_has_a_growing_floor() {
        let p = RetryPolicy::default();
        let w1 = p.throttle_wait(Some(Duration::ZERO), 1);
        let w3 = p.throttle_wait(Some(Duration::ZERO), 3);
        assert!(w1 >= Duration::from_secs(5), "{w1:?}");
        assert!(w3 >= Duration::from_secs(20), "{w3:?}");
        assert!(p.throttle_wait(Some(Duration::from_secs(30)), 1) >= Duration::from_secs(30));
    }

    #[test]
    fn refused_redirects_name_the_origin_only() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::LOCATION,
            HeaderValue::from_static("https://user:pw@evil.example:8443/x?token=secret"),
        );
        let r = refused_redirect(302, "http://api.example/api/v1/entries?skip=0", &h);
        assert!(r.contains("another host"), "{r}");
        assert!(r.contains("https://evil.example:8443"), "{r}");
        assert!(
            !r.contains("secret") && !r.contains("pw") && !r.contains("/x"),
            "{r}"
        );
        h.insert(
            reqwest::header::LOCATION,
            HeaderValue::from_static("/api/v2/entries"),
        );
        let r = refused_redirect(301, "http://api.example/api/v1/entries", &h);
        assert!(r.contains("within the API host http://api.example"), "{r}");
        let r = refused_redirect(302, "http://api.example/", &HeaderMap::new());
        assert!(r.contains("without a valid Location"), "{r}");
    }

    #[test]
    fn auth_never_prints() {
        let a = Auth::Basic {
            user: "skyfit".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        let a = Auth::Header {
            name: "x-api-token",
            token: Secret::new("s3cr3t-value"),
        };
        assert!(!format!("{a:?}").contains("s3cr3t"));
    }
}
