//! The first night after switching over from the original system: with no SkyFit watermark,
//! each incremental extraction starts where the original system stopped, not at the start of
//! history (its EVO entries history alone is 46+ hours of API time).

use bytes::Bytes;
use chrono::{Duration, Utc};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use skyfit_api_sim::{Api, FaultConfig, Scale};
use skyfit_core::Source;
use skyfit_extract::ExtractRequest;
use skyfit_lake::{AdoptOptions, AdoptStatus};

use crate::common::Env;

async fn put(env: &Env, path: &str, bytes: impl Into<Bytes>) {
    env.lake
        .object_store()
        .put(&Path::from(path), PutPayload::from(bytes.into()))
        .await
        .expect("put");
}

/// The decoded value of `param` in each request whose path starts with `path`.
fn params(requests: &[String], path: &str, param: &str) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.starts_with(path))
        .filter_map(|r| {
            let query = r.split_once('?')?.1;
            query.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == param).then(|| v.replace("%3A", ":").replace("%2B", "+"))
            })
        })
        .collect()
}

#[tokio::test]
async fn the_first_run_after_adoption_requests_only_what_follows_the_original_watermarks() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    // What the original system left: Pipedrive and Zendesk watermarks, and an EVO run.
    // The simulator keeps its own clock; the APIs refuse a start in their future.
    let sim_now = chrono::DateTime::from_timestamp(env.sim.now(), 0).expect("sim clock");
    let until = sim_now - Duration::days(3);
    let until_text = until.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    put(
        &env,
        "_meta/pipedrive/watermarks/scope=comercial/entity=deals.json",
        format!(r#"{{"scope":"comercial","entity":"deals","last_successful_until":"{until_text}","updated_at_utc":"{until_text}"}}"#),
    )
    .await;
    let start_time = until.timestamp();
    put(
        &env,
        "_meta/zendesk/watermarks/scope=support/entity=organizations.json",
        format!(
            r#"{{"mode": "time", "start_time": {start_time}, "updated_at_utc": "{until_text}"}}"#
        ),
    )
    .await;
    let end = (Utc::now() - Duration::days(10)).date_naive();
    let run = "bronze/evo/entity=entries/ingestion_date=2026-01-01/run_id=20260101T030000Z";
    let record = r#"{"idMember": 1, "date": "2025-12-30T07:00:00", "idBranch": 1}"#;
    let part = skyfit_test_utils::original::jsonl_gz(&[record.to_string()], false);
    put(&env, &format!("{run}/2025-12-29_part-00001.jsonl.gz"), part).await;
    put(
        &env,
        &format!("{run}/_manifest.json"),
        format!(r#"{{"entity": "entries", "mode": "full_parallel", "run_id": "20260101T030000Z", "start_date": "2025-12-29", "end_date": "{end}", "total_records": 1, "total_parts": 1, "results": [{{"period": "2025-12-29 - {end}", "records": 1, "parts": 1}}]}}"#),
    )
    .await;
    let report = env
        .lake
        .adopt(&AdoptOptions::default())
        .await
        .expect("adopt");
    assert_eq!(report.count(AdoptStatus::Adopted), 1, "{report:#?}");

    for (source, entities) in [
        (Source::Pipedrive, vec!["deals"]),
        (Source::Zendesk, vec!["organizations"]),
        (Source::Evo, vec!["entries"]),
    ] {
        env.extract(&ExtractRequest::new(source).with_entities(entities))
            .await
            .expect("extract");
    }

    let overlap = env.opts.pipedrive.overlap;
    let since = (until - overlap).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let pd = env.sim.requests(Api::Pipedrive);
    let asked = params(&pd, "/api/v2/deals", "updated_since");
    assert!(!asked.is_empty(), "{pd:#?}");
    // The other account has no original watermark: its whole history.
    assert!(
        pd.iter()
            .any(|r| r.starts_with("/api/v2/deals") && !r.contains("updated_since")),
        "{pd:#?}"
    );
    assert!(asked.iter().all(|s| *s == since), "{asked:?} vs {since}");

    let zd = env.sim.requests(Api::Zendesk);
    let starts = params(&zd, "/api/v2/incremental/organizations.json", "start_time");
    assert_eq!(starts.first(), Some(&start_time.to_string()), "{zd:#?}");

    let evo = env.sim.requests(Api::Evo);
    let first_day = end + Duration::days(1) - Duration::days(env.opts.evo.overlap_days);
    let windows = params(&evo, "/api/v1/entries", "registerDateStart");
    let earliest = windows.iter().min().expect("entries requests");
    assert_eq!(earliest, &format!("{first_day}T00:00:00"), "{evo:#?}");
}
