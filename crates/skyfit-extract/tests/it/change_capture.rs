//! EVO change capture: an incremental run sees changes to records registered long before its
//! watermark (receivables paid or cancelled, sales removed, contracts cancelled) through the
//! change feeds, and the rolling re-sweep re-reads every member within `evo.resweep_days`
//! nights. Expected values are the simulator's own records at the second clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use skyfit_api_sim::evo::members::{self, ContractFilter};
use skyfit_api_sim::evo::sales::{self, ReceivableFilter, SaleFilter};
use skyfit_api_sim::synth::time::{DEFAULT_NOW, epoch};
use skyfit_api_sim::{FaultConfig, Scale};
use skyfit_core::{RunId, Source};
use skyfit_extract::ExtractRequest;
use skyfit_lake::EntityKey;

use crate::common::{Env, day};

const DAY: i64 = 86_400;

fn run_at(secs: i64) -> RunId {
    RunId::from_time(DateTime::<Utc>::from_timestamp(secs, 0).expect("valid time"))
}

/// Records of an entity's complete run `run`, as parsed JSON.
async fn run_records(env: &Env, entity: &str, run: &RunId) -> Vec<Value> {
    let key = EntityKey::try_new(Source::Evo, None, entity).expect("key");
    let mut out = Vec::new();
    for (_, manifest) in env.lake.list_complete_runs(&key).await.expect("list runs") {
        if &manifest.run_id != run {
            continue;
        }
        for part in &manifest.parts {
            let jsonl = env.lake.read_part_verified(part).await.expect("read part");
            for (_, rec) in jsonl.records() {
                out.push(serde_json::from_slice(rec).expect("bronze record is JSON"));
            }
        }
    }
    out
}

fn naive(v: &Value, field: &str) -> i64 {
    v[field]
        .as_str()
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(&s[..19], "%Y-%m-%dT%H:%M:%S").ok())
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_else(|| panic!("{field} in {v}"))
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("simulator JSON")
}

#[tokio::test]
async fn an_incremental_run_sees_changes_to_old_records() {
    let mut scale = Scale::tiny();
    scale.evo_members = 3_000;
    scale.evo_sales = 40_000;
    let mut env = Env::start(scale, FaultConfig::none()).await;
    // The re-sweep would re-read old members too; this test is about the feeds.
    env.config.evo.resweep_days = 0;
    let entities = ["members", "sales", "receivables"];
    let t1 = DEFAULT_NOW;
    let first_run = run_at(t1 + 1_800);
    env.extract(
        &ExtractRequest::new(Source::Evo)
            .with_entities(entities)
            .with_range(Some(day(2026, 9, 1)), None)
            .with_run_id(first_run.clone()),
    )
    .await
    .expect("first night");

    let t2 = t1 + 30 * DAY;
    env.sim.set_now(t2);
    let second_run = run_at(t2 + 1_800);
    let summary = env
        .extract(
            &ExtractRequest::new(Source::Evo)
                .with_entities(entities)
                .with_run_id(second_run.clone()),
        )
        .await
        .expect("second night");
    assert!(summary.requests > 0, "{summary:?}");
    assert!(summary.request_budget.is_some(), "{summary:?}");
    assert!(summary.render().contains("allowed by the rate limit"));

    // The second run starts one day (the overlap) before the first run's watermark: records
    // registered before `since` can only arrive through a change feed.
    let since = epoch(2026, 11, 24);
    let (g1, g2) = (env.sim.generator().at(t1), env.sim.generator().at(t2));
    let changed = (Some(t1 + 1), Some(t2));
    let mut missing = Vec::new();

    let got = run_records(&env, "receivables", &second_run).await;
    let filter = ReceivableFilter {
        update: Some(changed),
        ..Default::default()
    };
    let mut checked = 0;
    for id in sales::receivable_ids_matching(&g2, &filter) {
        let now = parse(&sales::receivable_json_at(&g2, id).expect("exists"));
        let before = sales::receivable_json_at(&g1, id).map(|s| parse(&s));
        if naive(&now, "registrationDate") >= since || before.as_ref() == Some(&now) {
            continue;
        }
        checked += 1;
        if !got.contains(&now) {
            missing.push(format!("receivable {id} updated {}", now["updateDate"]));
        }
    }
    assert!(checked > 5, "too few old receivables changed: {checked}");

    let got = run_records(&env, "sales", &second_run).await;
    let filter = SaleFilter {
        removal: Some(changed),
        ..Default::default()
    };
    let removed = sales::ids_matching(&g2, &filter);
    let mut checked = 0;
    for id in removed {
        let now = parse(&sales::record_json_at(&g2, id).expect("exists"));
        assert_eq!(now["removed"], Value::Bool(true));
        if naive(&now, "saleDate") >= since {
            continue;
        }
        checked += 1;
        if !got.contains(&now) {
            missing.push(format!("sale {id} removed {}", now["removalDate"]));
        }
    }
    assert!(checked > 0, "no old sale removed between the nights");

    let got = run_records(&env, "members", &second_run).await;
    let filter = ContractFilter {
        cancel: Some(changed),
        ..Default::default()
    };
    let cancelled = members::ids_matching(&g2, (None, Some(since - 1)), &filter);
    assert!(!cancelled.is_empty(), "no old member cancelled a contract");
    for id in cancelled {
        let now = parse(&members::record_json_at(&g2, id).expect("exists"));
        if !got.contains(&now) {
            missing.push(format!("member {id} (contract cancelled)"));
        }
    }
    assert!(
        missing.is_empty(),
        "changes the second night did not fetch:\n{}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn the_resweep_reads_every_member_within_its_period() {
    const NIGHTS: u32 = 4;
    let mut env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    env.config.evo.resweep_days = NIGHTS;
    let t0 = DEFAULT_NOW;
    env.extract(
        &ExtractRequest::new(Source::Evo)
            .with_entities(["members"])
            .with_range(Some(day(2026, 11, 1)), None)
            .with_run_id(run_at(t0 + 1_800)),
    )
    .await
    .expect("baseline night");
    let mut seen = BTreeSet::new();
    let mut slices = Vec::new();
    for night in 1..=i64::from(NIGHTS) {
        let now = t0 + night * DAY;
        env.sim.set_now(now);
        let run = run_at(now + 1_800);
        let summary = env
            .extract(
                &ExtractRequest::new(Source::Evo)
                    .with_entities(["members"])
                    .with_run_id(run.clone()),
            )
            .await
            .expect("night");
        let m = summary.entity(None, "members").expect("members");
        slices.push(m.records);
        for r in run_records(&env, "members", &run).await {
            seen.insert(r["idMember"].as_u64().expect("idMember"));
        }
    }
    let g = env.sim.generator();
    let all: BTreeSet<u64> = members::ids_matching(&g, (None, None), &ContractFilter::default())
        .into_iter()
        .collect();
    let unseen: Vec<_> = all.difference(&seen).collect();
    assert!(
        unseen.is_empty(),
        "{} of {} members not re-read in {NIGHTS} nights: {unseen:?}",
        unseen.len(),
        all.len()
    );
    // A slice, not the whole history, each night.
    let total = all.len() as u64;
    assert!(slices.iter().all(|n| *n < total), "{slices:?} of {total}");
}
