//! Fault and rate-limit configuration, per API.
//!
//! Constraint: every random decision is a hash of (seed, API, request counter), never a global
//! RNG, so a run with the same requests in the same order injects the same faults. Faults can be
//! replaced at run time (`POST /_sim/faults` on the API's listener, or `RunningSim::set_faults`).

use serde::{Deserialize, Serialize};

/// Requests allowed per fixed window; above it the API answers 429.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window (per key: EVO user, Pipedrive token, Zendesk account).
    pub requests: u32,
    /// Window length in seconds.
    pub window_secs: u32,
    /// Fixed `Retry-After` value; `None` sends the seconds left in the window. EVO is known to
    /// send `Retry-After: 0` (docs/data-contract.md#evo-api), so its realistic preset uses
    /// `Some(0)`.
    #[serde(default)]
    pub retry_after: Option<u32>,
}

/// Corrupt one record so that the page is not valid JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFault {
    /// Endpoint path, e.g. `/api/v1/entries`.
    pub path: String,
    /// Index of the record in the entity (0-based, creation order; Pipedrive/Zendesk: `id - 1`).
    pub index: u64,
}

/// A persistent 500 on one page: any request to `path` whose query has `param=value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageFault {
    /// Endpoint path, e.g. `/api/v1/entries`.
    pub path: String,
    /// Query parameter that identifies the page (`skip`, `cursor`, `start`, `page`...).
    pub param: String,
    /// Its value.
    pub value: String,
}

/// A page that answers `302 Found` pointing elsewhere (a misrouted proxy or a hostile host):
/// any request to `path` whose query has `param=value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRedirect {
    /// Endpoint path, e.g. `/api/v1/entries`.
    pub path: String,
    /// Query parameter that identifies the page (`skip`, `registerDateStart`, `cursor`...).
    pub param: String,
    /// Its value.
    pub value: String,
    /// The `Location` sent, e.g. `http://127.0.0.1:9/api/v1/entries`.
    pub location: String,
}

/// A value replaced in every successful body of one endpoint: the value of the
/// `occurrence`-th (0-based) `"field":` key of the body (the record it belongs to is whichever
/// record of the page carries that key first, second, ...). For values an API sends that are
/// valid JSON but not what the field should hold: a number as `"12abc"`, a string with
/// `\u0000` in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueFault {
    /// Endpoint path, e.g. `/api/v1/entries`.
    pub path: String,
    /// The JSON key whose value is replaced, e.g. `idMember`.
    pub field: String,
    /// Which occurrence of the key in the body (0 = the first).
    #[serde(default)]
    pub occurrence: u64,
    /// The JSON text sent instead, e.g. `"12abc"` (quotes included) or `"a\u0000b"`.
    pub value: String,
}

/// A fault on the body of one page: any request to `path` whose query has `param=value`, the
/// first `times` such requests (all of them when `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyFault {
    /// Endpoint path, e.g. `/api/v1/entries`.
    pub path: String,
    /// Query parameter that identifies the page (`skip`, `cursor`, `start`, `page`...).
    pub param: String,
    /// Its value.
    pub value: String,
    /// How many matching requests get the fault (counted since the simulator started);
    /// `None`: every one, so retrying never helps.
    #[serde(default)]
    pub times: Option<u64>,
}

impl BodyFault {
    pub(crate) fn matches(&self, path: &str, query: &crate::http::Query) -> bool {
        self.path == path && query.get(&self.param) == Some(self.value.as_str())
    }
}

/// Faults of one API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ApiFaults {
    /// General rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Extra limit on incremental-export endpoints (Zendesk: 10/min time-based, 20/min cursor).
    pub incremental_rate_limit: Option<RateLimit>,
    /// Pipedrive daily token budget (each list call costs 20 tokens, v1 calls 40).
    pub daily_token_budget: Option<u64>,
    /// Probability of a random 5xx per request.
    pub error_rate: f64,
    /// Status used for random errors (500, 502, 503 or 504; default 500).
    pub error_status: Option<u16>,
    /// Probability that a response is delayed by `slow_ms`.
    pub slow_rate: f64,
    /// Delay of slow responses, milliseconds.
    pub slow_ms: u64,
    /// Probability that the connection is dropped half-way through the body.
    pub reset_rate: f64,
    /// Probability that the body is cut short (valid HTTP, invalid JSON).
    pub truncate_rate: f64,
    /// One malformed record.
    pub malformed_record: Option<RecordFault>,
    /// A page that always answers 500.
    pub fail_page: Option<PageFault>,
    /// EVO quirk: any `skip` above this answers 500 (docs/data-contract.md#evo-api).
    pub max_skip: Option<u64>,
    /// Largest page served whatever the client asks (EVO `take`, Pipedrive `limit`, Zendesk
    /// `per_page`), below the documented maximum. Real APIs clamp silently, so a client that
    /// stops on a page shorter than it asked for loses records.
    pub max_page_size: Option<u64>,
    /// A page that answers `302 Found`.
    pub redirect_page: Option<PageRedirect>,
    /// Values replaced in the bodies of an endpoint (see [`ValueFault`]).
    pub values: Vec<ValueFault>,
    /// A page whose body holds bytes that are not UTF-8 (inside its first string value).
    pub invalid_utf8_page: Option<BodyFault>,
    /// A page whose connection is dropped half-way through the body (the full length is
    /// promised in `Content-Length`).
    pub reset_page: Option<BodyFault>,
}

/// Faults for the three APIs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FaultConfig {
    /// EVO.
    pub evo: ApiFaults,
    /// Pipedrive.
    pub pipedrive: ApiFaults,
    /// Zendesk.
    pub zendesk: ApiFaults,
}

impl FaultConfig {
    /// No faults, no limits (tests, benchmarks).
    pub fn none() -> Self {
        Self::default()
    }

    /// The real APIs' documented rate limits, no random faults (docs/data-contract.md#evo-api,
    /// #pipedrive-api, #zendesk-api).
    pub fn realistic() -> Self {
        Self {
            evo: ApiFaults {
                rate_limit: Some(RateLimit {
                    requests: 40,
                    window_secs: 60,
                    retry_after: Some(0),
                }),
                ..ApiFaults::default()
            },
            pipedrive: ApiFaults {
                rate_limit: Some(RateLimit {
                    requests: 80,
                    window_secs: 2,
                    retry_after: None,
                }),
                daily_token_budget: Some(150_000),
                ..ApiFaults::default()
            },
            zendesk: ApiFaults {
                rate_limit: Some(RateLimit {
                    requests: 400,
                    window_secs: 60,
                    retry_after: None,
                }),
                incremental_rate_limit: Some(RateLimit {
                    requests: 10,
                    window_secs: 60,
                    retry_after: None,
                }),
                ..ApiFaults::default()
            },
        }
    }

    /// Realistic limits plus a little chaos: 1% 5xx, 1% slow, 0.2% resets, 0.2% truncations.
    pub fn chaos() -> Self {
        let mut f = Self::realistic();
        for api in [&mut f.evo, &mut f.pipedrive, &mut f.zendesk] {
            api.error_rate = 0.01;
            api.slow_rate = 0.01;
            api.slow_ms = 1_500;
            api.reset_rate = 0.002;
            api.truncate_rate = 0.002;
        }
        f
    }
}
