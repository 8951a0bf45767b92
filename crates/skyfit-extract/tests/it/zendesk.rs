//! Zendesk end to end: cursor exports, the time export, lists; cursors never nulled.

use skyfit_api_sim::ground_truth::zendesk_ids;
use skyfit_api_sim::zendesk::Entity;
use skyfit_api_sim::{ApiFaults, FaultConfig, RateLimit, RecordFault, Scale};
use skyfit_core::Source;
use skyfit_extract::ExtractRequest;
use skyfit_lake::EntityKey;

use crate::common::{Env, total};

const SCOPE: Option<&str> = Some("support");

#[tokio::test]
async fn every_zendesk_entity_lands_and_cursors_are_kept() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let summary = env
        .extract(&ExtractRequest::new(Source::Zendesk))
        .await
        .expect("extract");
    let g = env.sim.generator();
    for (name, expected) in [
        (
            "tickets",
            zendesk_ids(&g, Entity::Tickets, 0, false).len() as u64,
        ),
        (
            "users",
            zendesk_ids(&g, Entity::Users, 0, false).len() as u64,
        ),
        (
            "organizations",
            zendesk_ids(&g, Entity::Organizations, 0, false).len() as u64,
        ),
        ("groups", env.scale.zd_groups),
        ("ticket_fields", env.scale.zd_ticket_fields),
        ("ticket_forms", env.scale.zd_ticket_forms),
    ] {
        let e = summary.entity(SCOPE, name).expect("summary");
        assert_eq!(e.records, expected, "{name}");
        assert_eq!(
            total(&env.bronze(Source::Zendesk, SCOPE, name).await),
            expected,
            "{name}"
        );
    }
    let key = EntityKey::try_new(Source::Zendesk, SCOPE, "tickets").expect("key");
    let first = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("stored");
    let cursor = first.cursor.clone().expect("a cursor");
    // Nothing changed: the next run continues from the cursor, gets an empty page with a
    // null cursor, and the stored cursor stays.
    let again = env
        .extract(&ExtractRequest::new(Source::Zendesk).with_entities(["tickets"]))
        .await
        .expect("second run");
    assert_eq!(again.entity(SCOPE, "tickets").expect("tickets").records, 0);
    let second = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(second.cursor.as_deref(), Some(cursor.as_str()));
}

#[tokio::test]
async fn zendesk_faults_lose_nothing_but_the_malformed_record() {
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: 50,
            window_secs: 1,
            retry_after: None,
        }),
        error_rate: 0.05,
        reset_rate: 0.05,
        truncate_rate: 0.05,
        malformed_record: Some(RecordFault {
            path: "/api/v2/incremental/tickets/cursor.json".into(),
            index: 20,
        }),
        ..ApiFaults::default()
    };
    let mut env = Env::start(
        Scale::tiny(),
        FaultConfig {
            zendesk: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    env.opts.zendesk.per_page = 25;
    let summary = env
        .extract(&ExtractRequest::new(Source::Zendesk))
        .await
        .expect("extract");
    let g = env.sim.generator();
    let tickets = zendesk_ids(&g, Entity::Tickets, 0, false);
    let expected = tickets.len() as u64 - u64::from(tickets.contains(&21));
    let t = summary.entity(SCOPE, "tickets").expect("tickets");
    assert_eq!(t.records, expected);
    assert_eq!(t.rejects, u64::from(tickets.contains(&21)));
    assert_eq!(
        summary.entity(SCOPE, "users").expect("users").records,
        zendesk_ids(&g, Entity::Users, 0, false).len() as u64
    );
}

#[tokio::test]
async fn the_time_export_lands_each_record_once_across_pages() {
    let mut scale = Scale::tiny();
    scale.zd_organizations = 300;
    let mut env = Env::start(scale, FaultConfig::none()).await;
    // Under 10 pages: the simulator advertises Zendesk's 10/min export budget in its headers
    // even when it does not enforce it, and the client honours those headers.
    env.opts.zendesk.per_page = 40;
    let summary = env
        .extract(&ExtractRequest::new(Source::Zendesk).with_entities(["organizations"]))
        .await
        .expect("extract");
    let expected = zendesk_ids(&env.sim.generator(), Entity::Organizations, 0, false).len() as u64;
    let o = summary
        .entity(SCOPE, "organizations")
        .expect("organizations");
    assert!(o.pages >= 5, "{o:?}");
    assert_eq!(o.records, expected);
    let bronze = env.bronze(Source::Zendesk, SCOPE, "organizations").await;
    assert!(bronze.values().all(|n| *n == 1));
    let key = EntityKey::try_new(Source::Zendesk, SCOPE, "organizations").expect("key");
    let wm = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("stored");
    assert!(
        wm.extra
            .get("next_start_time")
            .and_then(|v| v.as_i64())
            .is_some()
    );
}
