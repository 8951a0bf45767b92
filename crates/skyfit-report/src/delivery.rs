//! Sending one HTTP request to a webhook or a Pushgateway with bounded retries.
//!
//! Constraints, all tested:
//! - **Bounded.** At most [`RetryPolicy::attempts`] tries, each cut off after
//!   [`RetryPolicy::request_timeout`] (response body included), and the whole delivery,
//!   back-off sleeps included, never takes longer than [`RetryPolicy::total`].
//! - **Never fails the run.** The outcome is a [`Delivery`], not an error; the caller logs it.
//! - **Never leaks the URL.** The URL is a credential: errors are taken
//!   [`reqwest::Error::without_url`] and scrubbed ([`SecretUrl::scrub`]) before they reach a
//!   log line or the [`Delivery`]. Redirects are not followed (the body would go to a host
//!   nobody configured).
//!
//! Retried: timeouts, connection errors, HTTP 5xx, 429 and 408. Any other answer (a wrong or
//! revoked URL: 400, 403, 404, 410) is permanent and stops at once.

use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use tokio::time::Instant;

use crate::secret_url::SecretUrl;

/// How hard to try. The default fits a nightly job: 3 tries within 30 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// Cut-off of one request, connecting to reading the answer.
    pub request_timeout: Duration,
    /// Wait before the second try; doubled before each further try.
    pub initial_backoff: Duration,
    /// Bound of the whole delivery, waits included.
    pub total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            request_timeout: Duration::from_secs(8),
            initial_backoff: Duration::from_secs(1),
            total: Duration::from_secs(30),
        }
    }
}

/// What became of an alert or a metrics push. Its `Display` never contains the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing to send (no alert condition, or nothing configured): no request was made.
    Skipped,
    /// The receiver accepted it.
    Delivered { attempts: u32, status: u16 },
    /// Not delivered; `error` is the last failure, free of the URL.
    Failed { attempts: u32, error: String },
}

impl Delivery {
    pub fn is_delivered(&self) -> bool {
        matches!(self, Delivery::Delivered { .. })
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, Delivery::Failed { .. })
    }

    /// Requests made (0 when skipped).
    pub fn attempts(&self) -> u32 {
        match self {
            Delivery::Skipped => 0,
            Delivery::Delivered { attempts, .. } | Delivery::Failed { attempts, .. } => *attempts,
        }
    }
}

fn tries(n: u32) -> &'static str {
    if n == 1 { "attempt" } else { "attempts" }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delivery::Skipped => f.write_str("skipped (nothing to send)"),
            Delivery::Delivered { attempts, status } => {
                write!(
                    f,
                    "delivered (HTTP {status}, {attempts} {})",
                    tries(*attempts)
                )
            }
            Delivery::Failed { attempts, error } => {
                write!(f, "failed after {attempts} {}: {error}", tries(*attempts))
            }
        }
    }
}

/// One request to send: everything but the URL is safe to log.
pub(crate) struct Request<'a> {
    /// What is being sent, for log lines: `alert`, `metrics push`.
    pub what: &'static str,
    pub method: reqwest::Method,
    pub url: &'a SecretUrl,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A failed try: the message (already scrubbed) and whether another try may help.
struct Failure {
    message: String,
    retry: bool,
}

/// Sends `req`, retrying per `policy`; never returns later than `policy.total` after the call.
pub(crate) async fn send(req: Request<'_>, policy: &RetryPolicy) -> Delivery {
    let deadline = Instant::now() + policy.total;
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(policy.request_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return Delivery::Failed {
                attempts: 0,
                error: req
                    .url
                    .scrub(&format!("cannot build an HTTP client: {}", e.without_url())),
            };
        }
    };
    let attempts = policy.attempts.max(1);
    let mut backoff = policy.initial_backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let failure = match try_once(&client, &req, policy.request_timeout.min(remaining)).await {
            Ok(status) => {
                return Delivery::Delivered {
                    attempts: attempt,
                    status,
                };
            }
            Err(f) => f,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        // Another try needs its back-off and a useful slice of time to run in.
        let wait = backoff.min(remaining);
        let can_retry = failure.retry
            && attempt < attempts
            && remaining.saturating_sub(wait) >= Duration::from_millis(50);
        if !can_retry {
            return Delivery::Failed {
                attempts: attempt,
                error: failure.message,
            };
        }
        tracing::warn!(
            what = req.what,
            attempt,
            max_attempts = attempts,
            retry_in_ms = wait.as_millis() as u64,
            error = %failure.message,
            "Delivery failed; retrying."
        );
        tokio::time::sleep(wait).await;
        backoff = backoff.saturating_mul(2);
    }
}

async fn try_once(
    client: &reqwest::Client,
    req: &Request<'_>,
    timeout: Duration,
) -> Result<u16, Failure> {
    let call = async {
        let resp = client
            .request(req.method.clone(), req.url.expose().clone())
            .header(CONTENT_TYPE, req.content_type)
            .header(USER_AGENT, concat!("skyfit/", env!("CARGO_PKG_VERSION")))
            .body(req.body.clone())
            .send()
            .await?;
        let status = resp.status();
        // Read the answer so a slow body counts against the same cut-off.
        let text = resp.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, text))
    };
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(Failure {
            message: format!("no answer within {:.1}s", timeout.as_secs_f64()),
            retry: true,
        }),
        Ok(Err(e)) => Err(Failure {
            retry: e.is_timeout() || e.is_connect() || e.is_request() || e.is_body(),
            message: req.url.scrub(&error_chain(&e.without_url())),
        }),
        Ok(Ok((status, _))) if status.is_success() => Ok(status.as_u16()),
        Ok(Ok((status, text))) => {
            let code = status.as_u16();
            let body: String = text.trim().chars().take(120).collect();
            let mut message = format!("HTTP {status}");
            if !body.is_empty() {
                message.push_str(&format!(": {}", body.replace(['\r', '\n'], " ")));
            }
            Err(Failure {
                message: req.url.scrub(&message),
                retry: status.is_server_error() || code == 429 || code == 408,
            })
        }
    }
}

/// The error and its causes on one line (`a: b: c`), as reqwest's `Display` alone says only
/// "error sending request".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_without_details_it_does_not_have() {
        assert_eq!(Delivery::Skipped.to_string(), "skipped (nothing to send)");
        let d = Delivery::Delivered {
            attempts: 1,
            status: 200,
        };
        assert_eq!(d.to_string(), "delivered (HTTP 200, 1 attempt)");
        let d = Delivery::Failed {
            attempts: 3,
            error: "HTTP 500 Internal Server Error".into(),
        };
        assert_eq!(
            d.to_string(),
            "failed after 3 attempts: HTTP 500 Internal Server Error"
        );
        assert_eq!(d.attempts(), 3);
    }

    #[test]
    fn default_policy_fits_in_its_bound() {
        let p = RetryPolicy::default();
        let worst = p.request_timeout * p.attempts + p.initial_backoff * 3;
        assert!(worst <= p.total, "{worst:?}");
    }
}
