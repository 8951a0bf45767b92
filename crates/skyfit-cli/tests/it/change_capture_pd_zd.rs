//! Deletions and include_fields of Pipedrive and Zendesk reach core, through the real binary:
//! night 1 loads the simulator at T1, the simulator's clock moves on 25 days (a deal, a ticket
//! and a Zendesk user get deleted on the way), night 2 runs incrementally; core keeps the deleted
//! rows flagged `is_deleted` with `_deleted_at`, the views leave them out, and the v2 counts that
//! only `include_fields` brings are filled in.
//!
//! The run's `updated_until` is the wall clock while the simulator has its own clock, so night 1
//! is made to look older: the simulator starts at T1, at most now - 25 days, and, after night 1, the
//! Pipedrive watermarks are set back to T1, as if that night had run then.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use skyfit_api_sim::ground_truth::{PipedriveQuery, pipedrive_ids, zendesk_ids};
use skyfit_api_sim::pipedrive::Entity as PdEntity;
use skyfit_api_sim::pipedrive::ground_truth::pipedrive_deleted;
use skyfit_api_sim::zendesk::Entity as ZdEntity;
use skyfit_api_sim::zendesk::ground_truth::zendesk_deleted;
use skyfit_api_sim::{Gen, RunningSim, Scale, Scope, SimConfig, Simulator};
use skyfit_test_utils::TestDb;

use crate::support::{skyfit, text};

const DAY: i64 = 86_400;

/// What night 2 must capture, and the two simulator clocks.
struct Plan {
    seed: u64,
    t1: i64,
    t2: i64,
    deal: u64,
    ticket: u64,
    user: u64,
}

/// The first seed whose simulator deletes a comercial deal, a ticket and a Zendesk user, all
/// existing at T1, within one 25-day window [T1, T2] that ends by `latest` (the tiny scale
/// deletes few records, so most seeds have no such window). The window is under the 30 days in
/// which Pipedrive lists deleted deals.
fn plan(latest: i64) -> Plan {
    for seed in 1..20_000 {
        let g = Gen::new(seed, Scale::tiny()).at(latest);
        let tickets = zendesk_deleted(&g, ZdEntity::Tickets);
        let users = zendesk_deleted(&g, ZdEntity::Users);
        for (deal, d) in pipedrive_deleted(&g, Scope::Comercial, PdEntity::Deals) {
            let t2 = (d + 2 * DAY).min(latest);
            let t1 = t2 - 25 * DAY;
            let inside = |t: Option<i64>| t.is_some_and(|t| t > t1 && t < t2 - 120);
            if !inside(Some(d)) {
                continue;
            }
            let at_t1 = g.at(t1);
            let ticket = tickets.iter().find(|(id, t, _)| {
                inside(*t) && zendesk_ids(&at_t1, ZdEntity::Tickets, 0, false).contains(id)
            });
            let user = users.iter().find(|(id, t, _)| {
                inside(*t) && zendesk_ids(&at_t1, ZdEntity::Users, 0, false).contains(id)
            });
            let deal_at_t1 = pipedrive_ids(
                &at_t1,
                Scope::Comercial,
                PdEntity::Deals,
                &PipedriveQuery::default(),
            )
            .contains(&deal);
            if let (Some(ticket), Some(user), true) = (ticket, user, deal_at_t1) {
                return Plan {
                    seed,
                    t1,
                    t2,
                    deal,
                    ticket: ticket.0,
                    user: user.0,
                };
            }
        }
    }
    panic!("no seed deletes a deal, a ticket and a user within 25 days");
}

fn run(dir: &Path, lake: &Path, db: &TestDb, sim: &RunningSim) -> std::process::Output {
    let creds = sim.credentials();
    skyfit(dir)
        .args(["run", "--sources", "pipedrive,zendesk"])
        .env("SKYFIT_LAKE_URL", lake)
        .env("DATABASE_URL", db.url())
        .env("PIPEDRIVE_COMPANY_DOMAIN", "skyfit")
        .env("SKYFIT_PIPEDRIVE_API_URL", sim.pipedrive_url())
        .env(
            "PIPEDRIVE_TOKEN_COMERCIAL",
            &creds.pipedrive_token_comercial,
        )
        .env("PIPEDRIVE_TOKEN_EXPANSAO", &creds.pipedrive_token_expansao)
        .env("ZENDESK_SUBDOMAIN", "skyfit")
        .env("SKYFIT_ZENDESK_API_URL", sim.zendesk_url())
        .env("ZENDESK_EMAIL", &creds.zendesk_email)
        .env("ZENDESK_API_TOKEN", &creds.zendesk_token)
        .output()
        .unwrap()
}

/// Every `watermark.json` under the lake's `_meta/pipedrive`.
fn pipedrive_watermarks(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(pipedrive_watermarks(&p));
        } else if p.file_name().is_some_and(|n| n == "watermark.json") {
            out.push(p);
        }
    }
    out
}

/// Sets every Pipedrive watermark back to `t1`, as if night 1 had run then.
fn age_pipedrive_watermarks(lake: &Path, t1: i64) {
    let at = DateTime::<Utc>::from_timestamp(t1, 0)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let files = pipedrive_watermarks(&lake.join("_meta/pipedrive"));
    let mut aged = 0;
    for f in files {
        let mut w: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        if w.get("last_successful_until").is_some_and(|v| !v.is_null()) {
            w["last_successful_until"] = serde_json::Value::String(at.clone());
            std::fs::write(&f, serde_json::to_vec(&w).unwrap()).unwrap();
            aged += 1;
        }
    }
    // at least deals, persons, organizations and activities of both accounts
    assert!(
        aged >= 8,
        "{aged} Pipedrive watermarks under {}",
        lake.display()
    );
}

async fn one_i64(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_become_soft_deletes_and_counts_are_filled() {
    let want = plan(Utc::now().timestamp() - 300);
    let (t1, t2) = (want.t1, want.t2);
    let mut config = SimConfig::new(want.seed, Scale::tiny());
    config.now = t1;
    let sim = Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let db = TestDb::empty().await;

    let out = run(dir.path(), &lake, &db, &sim);
    assert!(out.status.success(), "{}", text(&out));
    let deal = format!(
        "FROM core.pd_deals WHERE scope = 'comercial' AND deal_id = {}",
        want.deal
    );
    let ticket = format!("FROM core.zd_tickets WHERE ticket_id = {}", want.ticket);
    let user = format!("FROM core.zd_users WHERE user_id = {}", want.user);
    for (what, from) in [("deal", &deal), ("ticket", &ticket), ("user", &user)] {
        let live = one_i64(
            &db,
            &format!("SELECT count(*) {from} AND NOT is_deleted AND _deleted_at IS NULL"),
        )
        .await;
        assert_eq!(live, 1, "night 1: the {what} is loaded and not deleted yet");
    }

    age_pipedrive_watermarks(&lake, t1);
    sim.set_now(t2);
    let out = run(dir.path(), &lake, &db, &sim);
    assert!(out.status.success(), "{}", text(&out));

    // The rows are kept, flagged, with the time of the deletion.
    let since = format!("to_timestamp({t1})");
    for (what, from) in [("deal", &deal), ("ticket", &ticket), ("user", &user)] {
        let rows = one_i64(&db, &format!("SELECT count(*) {from}")).await;
        assert_eq!(rows, 1, "night 2: the deleted {what} keeps its row");
        let flagged = one_i64(
            &db,
            &format!("SELECT count(*) {from} AND is_deleted AND _deleted_at > {since}"),
        )
        .await;
        assert_eq!(flagged, 1, "night 2: the {what} is a soft delete");
    }
    assert_eq!(
        one_i64(
            &db,
            &format!("SELECT count(*) {deal} AND status = 'deleted'")
        )
        .await,
        1
    );
    assert_eq!(
        one_i64(
            &db,
            &format!("SELECT count(*) {ticket} AND status = 'deleted'")
        )
        .await,
        1
    );

    // The views leave them out.
    let in_view =
        |view: &str, key: &str, id: u64| format!("SELECT count(*) FROM {view} WHERE {key} = {id}");
    assert_eq!(
        one_i64(
            &db,
            &in_view("core.vw_pd_deals_comercial", "deal_id", want.deal)
        )
        .await,
        0
    );
    assert_eq!(
        one_i64(
            &db,
            &in_view("core.vw_zd_ticket_metrics", "ticket_id", want.ticket)
        )
        .await,
        0
    );
    let funnel = one_i64(
        &db,
        "SELECT COALESCE(sum(deal_count), 0)::bigint FROM analytics.pd_sales_funnel",
    )
    .await;
    let live_deals = one_i64(
        &db,
        "SELECT count(*) FROM core.pd_deals d
         JOIN core.pd_pipelines p USING (scope, pipeline_id)
         JOIN core.pd_stages s USING (scope, stage_id)
         WHERE NOT d.is_deleted AND d.status IN ('open', 'won', 'lost')",
    )
    .await;
    assert_eq!(funnel, live_deals);
    assert!(
        one_i64(&db, "SELECT count(*) FROM core.pd_deals WHERE is_deleted").await
            > one_i64(
                &db,
                "SELECT count(*) FROM core.vw_pd_deals_comercial WHERE is_deleted"
            )
            .await
    );

    // include_fields: the v2 counts and attendees are asked for, so never NULL.
    for (table, column) in [
        ("core.pd_deals", "activities_count"),
        ("core.pd_deals", "products_count"),
        ("core.pd_persons", "open_deals_count"),
        ("core.pd_persons", "won_deals_count"),
        ("core.pd_organizations", "people_count"),
        ("core.pd_organizations", "open_deals_count"),
        ("core.pd_activities", "attendees"),
    ] {
        let total = one_i64(&db, &format!("SELECT count(*) FROM {table}")).await;
        let filled = one_i64(
            &db,
            &format!("SELECT count(*) FROM {table} WHERE {column} IS NOT NULL"),
        )
        .await;
        assert!(total > 0, "{table} is empty");
        assert_eq!(filled, total, "{table}.{column} has NULLs");
    }
    sim.shutdown().await;
}
