//! What the progress sink hears while the real client runs against the simulator: every wait
//! on the API's limit as it begins, and the rate budget in use with every page.

use std::sync::Mutex;
use std::time::Duration;

use skyfit_api_sim::{ApiFaults, FaultConfig, RateLimit, Scale};
use skyfit_core::Source;
use skyfit_extract::{
    BudgetUse, ExtractRequest, PageEvent, ProgressSink, ThrottleEvent, ThrottleReason,
};

use crate::common::{Env, day};

/// What a sink was told, in order.
#[derive(Default)]
struct Recording {
    waits: Mutex<Vec<(String, Duration, ThrottleReason)>>,
    budgets: Mutex<Vec<BudgetUse>>,
}

impl ProgressSink for Recording {
    fn page(&self, e: &PageEvent<'_>) {
        self.budgets.lock().unwrap().push(e.budget);
    }

    fn throttled(&self, e: &ThrottleEvent<'_>) {
        self.waits
            .lock()
            .unwrap()
            .push((e.at.entity.clone(), e.wait, e.reason));
    }
}

fn limited(requests: u32) -> ApiFaults {
    ApiFaults {
        rate_limit: Some(RateLimit {
            requests,
            window_secs: 1,
            retry_after: Some(0),
        }),
        ..ApiFaults::default()
    }
}

/// An account limited far below what the client is configured for answers 429s; each one is
/// told to the sink as its wait begins, with the wait the client chose.
#[tokio::test]
async fn each_429_is_told_as_its_wait_begins() {
    let mut env = Env::start(
        Scale::tiny(),
        FaultConfig {
            evo: limited(3),
            ..FaultConfig::none()
        },
    )
    .await;
    env.config.evo.requests_per_minute = 6_000;
    env.opts.workers = 4;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(Some(day(2023, 1, 1)), Some(day(2023, 3, 31)));
    let sink = Recording::default();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        skyfit_extract::extract(&req, &env.config, &env.opts, &env.lake, &sink),
    )
    .await
    .expect("bounded in time")
    .expect("extract");
    let e = summary.entity(None, "entries").expect("entries");
    let waits = sink.waits.lock().unwrap().clone();
    assert!(e.throttled > 0, "the simulator must have said 429: {e:?}");
    assert_eq!(waits.len() as u64, e.throttled, "{waits:?}");
    for (entity, wait, reason) in &waits {
        assert_eq!(entity, "entries");
        assert_eq!(*reason, ThrottleReason::TooManyRequests);
        // `Retry-After: 0`: the client's floor (50 ms in tests) is what it waits.
        assert!(*wait >= Duration::from_millis(50), "{wait:?}");
    }

    // Every page says how much of the account's 6,000/min the run takes: the requests of the
    // last minute, which here are all the run sent.
    let budgets = sink.budgets.lock().unwrap().clone();
    assert_eq!(budgets.len() as u64, e.pages);
    assert!(
        budgets.iter().all(|b| b.limit == Some(6_000)),
        "{budgets:?}"
    );
    let most = budgets.iter().map(|b| b.used).max().unwrap_or(0);
    assert!(budgets.iter().all(|b| b.used >= 1), "{budgets:?}");
    assert!(most <= e.requests && most >= e.pages, "{budgets:?} {e:?}");
}

/// Zendesk says in its headers when the account's window is spent; the client pauses before
/// the API has to say 429, and the sink hears that wait too.
#[tokio::test]
async fn a_spent_window_in_the_headers_is_told_as_a_wait() {
    let env = Env::start(
        Scale::tiny(),
        FaultConfig {
            // One request a second: every answer says the window is spent.
            zendesk: limited(1),
            ..FaultConfig::none()
        },
    )
    .await;
    let req = ExtractRequest::new(Source::Zendesk).with_entities([
        "groups",
        "ticket_fields",
        "ticket_forms",
    ]);
    let sink = Recording::default();
    tokio::time::timeout(
        Duration::from_secs(60),
        skyfit_extract::extract(&req, &env.config, &env.opts, &env.lake, &sink),
    )
    .await
    .expect("bounded in time")
    .expect("extract");
    let waits = sink.waits.lock().unwrap().clone();
    assert!(
        waits
            .iter()
            .any(|(_, wait, reason)| *reason == ThrottleReason::Spent
                && *wait >= Duration::from_secs(1)),
        "{waits:?}"
    );
}
