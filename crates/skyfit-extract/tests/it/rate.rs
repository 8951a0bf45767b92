//! The rate-limit figure: against a simulator limited to N requests per minute (fixed 60 s
//! windows, `Retry-After: 0` like EVO) with `evo.requests_per_minute = N`, the extractor must
//! sustain at least 95% of N with no more than a handful of 429s.
//!
//! Minutes long, so ignored by default. Run it with
//! `cargo test -p skyfit-extract --test it -- --ignored --nocapture rate_limit_figure`
//! (`SKYFIT_RATE_SECS` changes the length, default 180 s). It runs N = 40 (EVO's real
//! per-key limit) and N = 600 side by side, each against its own simulator.

use std::time::{Duration, Instant};

use skyfit_api_sim::{ApiFaults, FaultConfig, RateLimit, Scale};
use skyfit_core::Source;
use skyfit_extract::ExtractRequest;

use crate::common::{Env, day};

struct Figure {
    limit: u32,
    secs: f64,
    served: u64,
    throttled: u64,
}

impl Figure {
    fn per_minute(&self) -> f64 {
        self.served as f64 / self.secs * 60.0
    }
}

/// Extracts far more than fits in `secs` at `limit`/min, stops after `secs`, and counts on
/// the simulator's side what it served and how often it said 429.
async fn measure(limit: u32, secs: u64) -> Figure {
    let mut scale = Scale::tiny();
    scale.evo_prospects = 2_000_000;
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: limit,
            window_secs: 60,
            retry_after: Some(0),
        }),
        ..ApiFaults::default()
    };
    let mut env = Env::start(
        scale,
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    env.config.evo.requests_per_minute = limit;
    // Production back-off settings: the `Retry-After` floor is what paces after a 429.
    env.opts.retry = skyfit_extract::RetryPolicy::default();
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["prospects"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)));
    let env = std::sync::Arc::new(env);
    let task = {
        let env = env.clone();
        tokio::spawn(async move { env.extract(&req).await })
    };
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let stats = env.sim.stats().evo;
    assert!(
        !task.is_finished(),
        "the extraction must outlast the measurement"
    );
    task.abort();
    Figure {
        limit,
        secs: elapsed,
        served: stats.requests - stats.rate_limited,
        throttled: stats.rate_limited,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes about three minutes; prints the sustained request rate"]
async fn rate_limit_figure() {
    let secs = std::env::var("SKYFIT_RATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(180);
    let figures = futures::future::join_all([measure(40, secs), measure(600, secs)]).await;
    for f in &figures {
        println!(
            "limit {}/min: sustained {:.1}/min = {:.1}% over {:.0}s ({} requests served, {} 429s)",
            f.limit,
            f.per_minute(),
            f.per_minute() / f64::from(f.limit) * 100.0,
            f.secs,
            f.served,
            f.throttled
        );
    }
    for f in &figures {
        assert!(
            f.per_minute() >= 0.95 * f64::from(f.limit),
            "limit {}: {:.1}/min",
            f.limit,
            f.per_minute()
        );
        assert!(f.throttled <= 5, "limit {}: {} 429s", f.limit, f.throttled);
    }
}
