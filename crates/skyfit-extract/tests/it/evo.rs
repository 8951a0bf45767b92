//! EVO end to end: counts equal the simulator's ground truth, byte for byte, with and without
//! faults; failures name what failed; resume after a kill yields the same records.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use skyfit_api_sim::ground_truth::evo_count_str;
use skyfit_api_sim::{
    ApiFaults, EvoEntity, FaultConfig, PageFault, PageRedirect, RateLimit, RecordFault, Scale,
};
use skyfit_core::{Classify, Retry, Secret, Source};
use skyfit_extract::{CountingProgress, Error, ExtractRequest};
use skyfit_lake::PartLimits;

use crate::common::{Env, HostileServer, SEED, day, total};

fn truth(env: &Env, e: EvoEntity, since: &str, until: &str) -> u64 {
    evo_count_str(&env.scale, e, Some(since), Some(until), env.sim.now()).expect("dates parse")
}

fn entries_2024() -> ExtractRequest {
    ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)))
}

#[tokio::test]
async fn entries_land_byte_for_byte() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let summary = env.extract(&entries_2024()).await.expect("extract");
    let expected = truth(&env, EvoEntity::Entries, "2024-01-01", "2024-12-31");
    assert!(expected > 100, "{expected}");
    let e = summary.entity(None, "entries").expect("entries summary");
    assert_eq!(e.records, expected);
    assert_eq!(e.status, "complete");
    assert_eq!(e.windows, 53, "weekly windows incl. Dec 31");
    let bronze = env.bronze(Source::Evo, None, "entries").await;
    assert_eq!(total(&bronze), expected);
    // The exact bytes the API sent, each once.
    let range = skyfit_api_sim::ground_truth::evo_index_range(
        &env.scale,
        EvoEntity::Entries,
        skyfit_api_sim::synth::time::parse_query_time("2024-01-01", false),
        skyfit_api_sim::synth::time::parse_query_time("2024-12-31", true),
        env.sim.now(),
    );
    let want: BTreeMap<Vec<u8>, u32> = range
        .map(|i| {
            (
                skyfit_api_sim::evo::entries::record_json(SEED, &env.scale, i).into_bytes(),
                1,
            )
        })
        .collect();
    assert_eq!(bronze, want);
    let json = serde_json::to_string(&summary).expect("summary serialises");
    assert!(json.contains("\"entity\":\"entries\""), "{json}");
}

#[tokio::test]
async fn every_evo_entity_lands_with_ground_truth_counts() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let req = ExtractRequest::new(Source::Evo)
        .with_range(Some(day(2019, 12, 1)), Some(day(2026, 12, 31)));
    let summary = env.extract(&req).await.expect("extract");
    let (s, u) = ("2019-12-01", "2026-12-31");
    for (entity, expected) in [
        ("members", truth(&env, EvoEntity::Members, s, u)),
        ("sales", truth(&env, EvoEntity::Sales, s, u)),
        ("entries", truth(&env, EvoEntity::Entries, s, u)),
        ("prospects", truth(&env, EvoEntity::Prospects, s, u)),
        ("receivables", truth(&env, EvoEntity::Receivables, s, u)),
        ("employees", env.scale.evo_employees),
        ("branches", env.scale.evo_branches),
    ] {
        let e = summary
            .entity(None, entity)
            .unwrap_or_else(|| panic!("{entity} summary"));
        assert_eq!(e.records, expected, "{entity}");
        assert_eq!(
            total(&env.bronze(Source::Evo, None, entity).await),
            expected,
            "{entity}"
        );
    }
    assert_eq!(env.scale.evo_members, truth(&env, EvoEntity::Members, s, u));
}

#[tokio::test]
async fn faults_lose_nothing_but_the_malformed_record() {
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: 30,
            window_secs: 1,
            retry_after: Some(0),
        }),
        error_rate: 0.05,
        reset_rate: 0.03,
        truncate_rate: 0.03,
        malformed_record: Some(RecordFault {
            path: "/api/v1/entries".into(),
            index: 900,
        }),
        ..ApiFaults::default()
    };
    let env = Env::start(
        Scale::tiny(),
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["entries", "members"])
        .with_range(Some(day(2022, 1, 1)), Some(day(2023, 12, 31)));
    let summary = env.extract(&req).await.expect("extract survives faults");
    let stats = env.sim.stats().evo;
    assert!(
        stats.fault_5xx + stats.fault_reset + stats.fault_truncated > 0,
        "{stats:?}"
    );
    // Served at least twice: once taken for a truncated body and retried, once kept (its
    // record quarantined). A serve the simulator also reset or truncated is served once more;
    // which request draws those faults depends on the order of concurrent requests, so the
    // extra serves are bounded by them rather than counted exactly.
    assert!(stats.fault_malformed >= 2, "{stats:?}");
    assert!(
        stats.fault_malformed - 2 <= stats.fault_reset + stats.fault_truncated,
        "a malformed page served more often than its retries explain: {stats:?}"
    );
    let expected = truth(&env, EvoEntity::Entries, "2022-01-01", "2023-12-31");
    let e = summary.entity(None, "entries").expect("entries");
    assert_eq!(e.records, expected - 1);
    assert_eq!(e.rejects, 1);
    assert!(e.retries > 0);
    assert_eq!(
        total(&env.bronze(Source::Evo, None, "entries").await),
        expected - 1
    );
    let rejects = env.rejects(None, "entries", &summary).await;
    assert_eq!(rejects.len(), 1);
    let mut bad = skyfit_api_sim::evo::entries::record_json(SEED, &env.scale, 900);
    bad.pop();
    bad.push_str(",\"}");
    assert_eq!(rejects[0].bytes(), bad.into_bytes());
    assert!(rejects[0].position.window.is_some() && rejects[0].position.index.is_some());
    let m = summary.entity(None, "members").expect("members");
    assert_eq!(
        m.records,
        truth(&env, EvoEntity::Members, "2022-01-01", "2023-12-31")
    );
}

#[tokio::test]
async fn a_page_that_keeps_failing_fails_the_run_and_says_where() {
    let faults = ApiFaults {
        fail_page: Some(PageFault {
            path: "/api/v1/entries".into(),
            param: "registerDateStart".into(),
            value: "2024-01-15T00:00:00".into(),
        }),
        ..ApiFaults::default()
    };
    let env = Env::start(
        Scale::tiny(),
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    let err = env.extract(&entries_2024()).await.expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, Error::PageFailed { .. }), "{msg}");
    assert!(msg.contains("entries"), "{msg}");
    assert!(
        msg.contains("2024-01-15T00:00:00..2024-01-22T00:00:00"),
        "{msg}"
    );
    assert!(msg.contains("first page"), "{msg}");
    assert!(msg.contains("HTTP 500"), "{msg}");
    // The run is marked failed, so no loader sees it.
    assert!(env.bronze(Source::Evo, None, "entries").await.is_empty());
}

#[tokio::test]
async fn auth_failure_names_the_credential() {
    let mut env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    env.config.evo.password = Some(Secret::new("wrong-password"));
    let err = env.extract(&entries_2024()).await.expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, Error::Auth { status: 401, .. }), "{msg}");
    assert!(msg.contains("EVO_PASSWORD"), "{msg}");
    assert!(!msg.contains("wrong-password"), "{msg}");
    // Only the requests already in flight when the first 401 came back reach the API.
    let unauthorized = env.sim.stats().evo.unauthorized;
    assert!(
        (1..=env.opts.workers as u64).contains(&unauthorized),
        "{unauthorized}"
    );
}

#[tokio::test]
async fn big_windows_are_split_before_deep_offsets() {
    let mut scale = Scale::tiny();
    scale.evo_members = 10_000;
    let faults = ApiFaults {
        max_skip: Some(250),
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
    env.opts.evo.max_window_records = 200;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["members"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)));
    let summary = env.extract(&req).await.expect("extract");
    let m = summary.entity(None, "members").expect("members");
    assert_eq!(
        m.records,
        truth(&env, EvoEntity::Members, "2024-01-01", "2024-12-31")
    );
    assert!(m.windows_split >= 4, "{m:?}");
    assert_eq!(env.sim.stats().evo.fault_fail_page, 0);
}

#[tokio::test]
async fn a_small_rate_budget_is_respected() {
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: 10,
            window_secs: 1,
            retry_after: Some(0),
        }),
        ..ApiFaults::default()
    };
    let mut env = Env::start(
        Scale::tiny(),
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    env.config.evo.requests_per_minute = 600; // 10/s for all workers together
    env.opts.workers = 8;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 4, 30)));
    let summary = tokio::time::timeout(Duration::from_secs(20), env.extract(&req))
        .await
        .expect("bounded in time")
        .expect("extract");
    let e = summary.entity(None, "entries").expect("entries");
    assert_eq!(
        e.records,
        truth(&env, EvoEntity::Entries, "2024-01-01", "2024-04-30")
    );
    assert!(e.throttled <= 3, "a handful of 429s at most: {e:?}");
}

#[tokio::test]
async fn incremental_runs_continue_from_the_watermark() {
    let mut env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    // The re-sweep adds old months to every incremental run (change_capture.rs tests it).
    env.config.evo.resweep_days = 0;
    let first = ExtractRequest::new(Source::Evo)
        .with_entities(["prospects"])
        .with_range(Some(day(2020, 1, 1)), Some(day(2026, 11, 30)));
    env.extract(&first).await.expect("first");
    let key = skyfit_lake::EntityKey::try_new(Source::Evo, None, "prospects").expect("key");
    let wm = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("watermark");
    assert!(wm.last_successful_until.is_some());
    // No since/until: starts at the watermark minus the overlap, far fewer windows.
    let second = env
        .extract(&ExtractRequest::new(Source::Evo).with_entities(["prospects"]))
        .await
        .expect("second");
    let p = second.entity(None, "prospects").expect("prospects");
    assert!(p.windows <= 2, "{p:?}");
}

/// Kill the extraction at various moments, resume, and compare with an uninterrupted run.
#[tokio::test]
async fn resume_after_a_kill_gives_the_same_records() {
    let mut scale = Scale::tiny();
    scale.evo_prospects = 20_000;
    let reference = {
        let env = Env::start(scale, FaultConfig::none()).await;
        env.extract(&prospects_2024()).await.expect("uninterrupted");
        env.bronze(Source::Evo, None, "prospects").await
    };
    assert!(reference.values().all(|n| *n == 1));
    let expected = total(&reference);
    assert!(expected > 2_000, "{expected}");
    let mut resumed = 0;
    for (i, kill_after_pages) in [3u64, 17, 41].into_iter().enumerate() {
        let mut env = Env::start(scale, FaultConfig::none()).await;
        env.config.evo.requests_per_minute = 1_500;
        env.opts.part_limits = PartLimits {
            max_records: 120,
            max_raw_bytes: 1 << 30,
        };
        env.opts.workers = 3;
        let env = Arc::new(env);
        let progress = Arc::new(CountingProgress::default());
        let task = {
            let env = env.clone();
            let progress = progress.clone();
            tokio::spawn(async move {
                skyfit_extract::extract(
                    &prospects_2024(),
                    &env.config,
                    &env.opts,
                    &env.lake,
                    progress.as_ref(),
                )
                .await
            })
        };
        while progress.pages.load(std::sync::atomic::Ordering::Relaxed) < kill_after_pages
            && !task.is_finished()
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        task.abort();
        let _ = task.await;
        let summary = env
            .extract(&prospects_2024().with_resume(true))
            .await
            .unwrap_or_else(|e| panic!("resume #{i}: {e}"));
        let p = summary.entity(None, "prospects").expect("prospects");
        if p.status != "skipped" {
            resumed += 1;
        }
        let got = env.bronze(Source::Evo, None, "prospects").await;
        assert_eq!(total(&got), expected, "resume #{i}: record count");
        assert_eq!(got, reference, "resume #{i}: same records, each once");
    }
    assert!(resumed >= 2, "kills must land mid-run");
}

fn prospects_2024() -> ExtractRequest {
    ExtractRequest::new(Source::Evo)
        .with_entities(["prospects"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)))
}

/// Sustained throughput against a fixed-window server limit: run with
/// `cargo test -p skyfit-extract --test it -- --ignored --nocapture sustained`.
#[tokio::test]
#[ignore = "takes about a minute; prints the sustained rate"]
async fn sustained_rate_close_to_the_limit() {
    let mut scale = Scale::tiny();
    scale.evo_prospects = 200_000;
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: 100,
            window_secs: 10,
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
    env.config.evo.requests_per_minute = 600;
    env.opts.workers = 6;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["prospects"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 3, 31)));
    let started = std::time::Instant::now();
    let summary = env.extract(&req).await.expect("extract");
    let secs = started.elapsed().as_secs_f64();
    let e = summary.entity(None, "prospects").expect("prospects");
    let rpm = e.requests as f64 / secs * 60.0;
    println!(
        "sustained {rpm:.0} requests/min against a limit of 600 ({:.1}%), {} requests in {secs:.1}s, {} 429s",
        rpm / 6.0,
        e.requests,
        e.throttled
    );
    assert_eq!(
        e.records,
        truth(&env, EvoEntity::Prospects, "2024-01-01", "2024-03-31")
    );
}

/// `--resume` with nothing in the lake (a run killed before its first manifest) is a new run.
#[tokio::test]
async fn resume_without_any_run_starts_a_new_one() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let summary = env
        .extract(&prospects_2024().with_resume(true))
        .await
        .expect("resume starts a run");
    let p = summary.entity(None, "prospects").expect("prospects");
    assert_eq!(p.status, "complete");
    assert_eq!(
        p.records,
        truth(&env, EvoEntity::Prospects, "2024-01-01", "2024-12-31")
    );
    assert!(p.watermark.is_some(), "{p:?}");
}

/// A run killed after its manifest said complete but before the watermark was stored: the
/// resume skips the entity, lands nothing twice, and stores the watermark.
#[tokio::test]
async fn resuming_a_complete_run_stores_a_missing_watermark() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let first = env.extract(&prospects_2024()).await.expect("first");
    let key = skyfit_lake::EntityKey::try_new(Source::Evo, None, "prospects").expect("key");
    let stored = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("stored");
    std::fs::remove_file(env.dir.path().join(key.watermark_path().as_ref()))
        .expect("delete watermark");
    let summary = env
        .extract(&prospects_2024().with_resume(true))
        .await
        .expect("resume");
    assert_eq!(
        summary.run_id, first.run_id,
        "the complete run is the one resumed"
    );
    let p = summary.entity(None, "prospects").expect("prospects");
    assert_eq!(p.status, "skipped");
    let again = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("restored");
    assert_eq!(again.last_successful_until, stored.last_successful_until);
    assert_eq!(
        p.watermark
            .as_ref()
            .and_then(|w| w.get("last_successful_until")),
        serde_json::to_value(&stored)
            .expect("json")
            .get("last_successful_until")
    );
    let bronze = env.bronze(Source::Evo, None, "prospects").await;
    assert!(bronze.values().all(|n| *n == 1));
}

/// EVO clamps `take` (docs/data-contract.md#evo-api), and a tenant or proxy may clamp lower than the documented
/// maximum: a page shorter than `take` is not the last one, only an empty page is.
#[tokio::test]
async fn clamped_pages_lose_nothing() {
    let mut scale = Scale::tiny();
    scale.evo_entries = 200_000; // ~550 a week: several clamped pages per weekly window
    let faults = ApiFaults {
        max_page_size: Some(100),
        ..ApiFaults::default()
    };
    let env = Env::start(
        scale,
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    let (since, until) = ("2024-03-01", "2024-03-31");
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(Some(day(2024, 3, 1)), Some(day(2024, 3, 31)));
    let summary = env.extract(&req).await.expect("extract");
    let expected = truth(&env, EvoEntity::Entries, since, until);
    assert!(
        expected > 5 * 4 * 100,
        "every window holds more than a page: {expected}"
    );
    let e = summary.entity(None, "entries").expect("entries");
    assert_eq!(e.status, "complete");
    assert_eq!(e.records, expected);
    let range = skyfit_api_sim::ground_truth::evo_index_range(
        &env.scale,
        EvoEntity::Entries,
        skyfit_api_sim::synth::time::parse_query_time(since, false),
        skyfit_api_sim::synth::time::parse_query_time(until, true),
        env.sim.now(),
    );
    let want: BTreeMap<Vec<u8>, u32> = range
        .map(|i| {
            (
                skyfit_api_sim::evo::entries::record_json(SEED, &env.scale, i).into_bytes(),
                1,
            )
        })
        .collect();
    assert_eq!(env.bronze(Source::Evo, None, "entries").await, want);
}

/// A clamped first page must not pass for a small window: big windows are still split
/// before the deep offsets where EVO answers 500.
#[tokio::test]
async fn clamped_big_windows_are_still_split() {
    let mut scale = Scale::tiny();
    scale.evo_members = 10_000;
    let faults = ApiFaults {
        max_skip: Some(250),
        max_page_size: Some(20),
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
    env.opts.evo.max_window_records = 200;
    let req = ExtractRequest::new(Source::Evo)
        .with_entities(["members"])
        .with_range(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)));
    let summary = env.extract(&req).await.expect("extract");
    let m = summary.entity(None, "members").expect("members");
    assert_eq!(
        m.records,
        truth(&env, EvoEntity::Members, "2024-01-01", "2024-12-31")
    );
    assert!(m.windows_split >= 4, "{m:?}");
    assert_eq!(env.sim.stats().evo.fault_fail_page, 0);
}

/// A page answered with a redirect to another host is an error naming the page and the
/// target's origin: the body over there is never taken for the page, and the credentials
/// never go there.
#[tokio::test]
async fn a_redirect_to_another_host_fails_the_run() {
    let hostile = HostileServer::start().await;
    let faults = ApiFaults {
        redirect_page: Some(PageRedirect {
            path: "/api/v1/entries".into(),
            param: "registerDateStart".into(),
            value: "2024-01-15T00:00:00".into(),
            location: format!("{}/api/v1/entries?token=do-not-print", hostile.url()),
        }),
        ..ApiFaults::default()
    };
    let env = Env::start(
        Scale::tiny(),
        FaultConfig {
            evo: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    let result = env.extract(&entries_2024()).await;
    assert_eq!(env.sim.stats().evo.fault_redirect, 1);
    let err = result.expect_err("a redirected page must fail the run");
    let msg = err.to_string();
    assert!(matches!(err, Error::InvalidResponse { .. }), "{msg}");
    assert_eq!(err.retry(), Retry::Permanent, "{msg}");
    assert!(msg.contains("redirect"), "{msg}");
    assert!(msg.contains(&hostile.url()), "names the target host: {msg}");
    assert!(msg.contains("entries"), "{msg}");
    assert!(
        msg.contains("2024-01-15T00:00:00..2024-01-22T00:00:00"),
        "{msg}"
    );
    assert!(msg.contains("first page"), "{msg}");
    assert!(!msg.contains("do-not-print"), "no query string: {msg}");
    assert!(!msg.contains(&env.sim.credentials().evo_password), "{msg}");
    assert_eq!(hostile.requests(), 0, "the redirect is never followed");
    // Nothing advanced: no complete run for a loader, no watermark for the next run.
    assert!(env.bronze(Source::Evo, None, "entries").await.is_empty());
    let key = skyfit_lake::EntityKey::try_new(Source::Evo, None, "entries").expect("key");
    assert!(env.lake.get_watermark(&key).await.expect("read").is_none());
}
