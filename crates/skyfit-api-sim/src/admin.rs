//! The `/_sim/*` admin endpoints, served on every API listener (no auth, never faulted):
//!
//! * `GET /_sim/stats` — counters of all three APIs ([`crate::SimStats`]).
//! * `GET /_sim/faults[?api=evo]`, `POST /_sim/faults[?api=evo]` with an [`crate::ApiFaults`]
//!   JSON body — read/replace the faults of this listener's API (or the named one).
//! * `GET /_sim/clock`, `POST /_sim/clock` with `{"now": <epoch>}`, `{"now": "<rfc3339>"}` or
//!   `{"advance_secs": <n>}` — read/move the simulated clock.

use std::sync::atomic::Ordering;

use serde::Deserialize;

use crate::faults::ApiFaults;
use crate::http::{Api, Query, Reply};
use crate::state::Shared;
use crate::synth::time;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    #[serde(default)]
    now: Option<serde_json::Value>,
    #[serde(default)]
    advance_secs: Option<i64>,
}

fn json_reply<T: serde::Serialize>(v: &T) -> Reply {
    match serde_json::to_string(v) {
        Ok(s) => Reply::ok(s, 0),
        Err(e) => Reply::status(500, format!("{{\"error\":\"{e}\"}}")),
    }
}

fn bad(msg: impl std::fmt::Display) -> Reply {
    let mut body = String::from("{\"error\":");
    crate::synth::json::push_str(&mut body, &msg.to_string());
    body.push('}');
    Reply::status(400, body)
}

fn clock(shared: &Shared) -> Reply {
    let now = shared.now.load(Ordering::Relaxed);
    Reply::ok(
        format!(
            "{{\"now\":{now},\"now_rfc3339\":\"{}\"}}",
            time::fmt(time::push_rfc3339, now)
        ),
        0,
    )
}

/// Handles an admin request.
pub(crate) fn handle(
    shared: &Shared,
    api: Api,
    post: bool,
    path: &str,
    query: &Query,
    body: &[u8],
) -> Reply {
    let target = match query.get("api") {
        None => api,
        Some(name) => match Api::from_name(name) {
            Some(a) => a,
            None => return bad(format!("unknown api {name:?}")),
        },
    };
    match (post, path) {
        (false, "/_sim/stats") => json_reply(&shared.stats()),
        (false, "/_sim/faults") => json_reply(&shared.faults(target)),
        (true, "/_sim/faults") => match serde_json::from_slice::<ApiFaults>(body) {
            Ok(f) => {
                tracing::info!(
                    api = target.name(),
                    "Faults replaced through the admin endpoint."
                );
                shared.set_faults(target, f);
                json_reply(&shared.faults(target))
            }
            Err(e) => bad(e),
        },
        (false, "/_sim/clock") => clock(shared),
        (true, "/_sim/clock") => {
            let parsed: ClockBody = match serde_json::from_slice(body) {
                Ok(b) => b,
                Err(e) => return bad(e),
            };
            if let Some(v) = parsed.now {
                let now = match &v {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => time::parse_rfc3339(s),
                    _ => None,
                };
                match now {
                    Some(n) => shared.now.store(n, Ordering::Relaxed),
                    None => return bad("now must be epoch seconds or an RFC 3339 string"),
                }
            }
            if let Some(d) = parsed.advance_secs {
                shared.now.fetch_add(d, Ordering::Relaxed);
            }
            clock(shared)
        }
        _ => Reply::status(404, "{\"error\":\"unknown admin endpoint\"}".to_string()),
    }
}
