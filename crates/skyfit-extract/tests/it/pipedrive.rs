//! Pipedrive end to end, both accounts.

use skyfit_api_sim::ground_truth::{PipedriveQuery, pipedrive_ids};
use skyfit_api_sim::pipedrive::Entity;
use skyfit_api_sim::{ApiFaults, FaultConfig, RateLimit, RecordFault, Scale, Scope};
use skyfit_core::{Secret, Source};
use skyfit_extract::{Error, ExtractRequest, RunSummary};

use crate::common::{Env, total};

fn truth(env: &Env, summary: &RunSummary, scope: Scope, e: Entity) -> Vec<u64> {
    let q = PipedriveQuery {
        updated_since: None,
        updated_until: Some(summary.run_id.started_at().timestamp()),
        statuses: (e == Entity::Deals)
            .then(|| vec!["open".into(), "won".into(), "lost".into(), "deleted".into()]),
    };
    pipedrive_ids(&env.sim.generator(), scope, e, &q)
}

async fn check_counts(env: &Env, summary: &RunSummary, malformed_id: Option<u64>) {
    for scope in [Scope::Comercial, Scope::Expansao] {
        let s = env.scale.pipedrive(scope);
        for (name, e) in [
            ("deals", Entity::Deals),
            ("persons", Entity::Persons),
            ("organizations", Entity::Organizations),
            ("activities", Entity::Activities),
        ] {
            let ids = truth(env, summary, scope, e);
            let mut expected = ids.len() as u64;
            if name == "deals" && malformed_id.is_some_and(|m| ids.contains(&m)) {
                expected -= 1;
            }
            let got = summary.entity(Some(scope.name()), name).expect("summary");
            assert_eq!(got.records, expected, "{}/{name}", scope.name());
            let bronze = env
                .bronze(Source::Pipedrive, Some(scope.name()), name)
                .await;
            assert_eq!(total(&bronze), expected, "{}/{name}", scope.name());
        }
        for (name, n) in [
            ("pipelines", s.pipelines),
            ("stages", s.stages),
            ("users", s.users),
        ] {
            let got = summary.entity(Some(scope.name()), name).expect("summary");
            assert_eq!(got.records, n, "{}/{name}", scope.name());
        }
        for f in [
            "dealFields",
            "personFields",
            "organizationFields",
            "activityFields",
        ] {
            let got = summary.entity(Some(scope.name()), f).expect("summary");
            assert!(got.records > 0, "{}/{f}", scope.name());
        }
    }
}

#[tokio::test]
async fn every_pipedrive_entity_of_both_accounts_lands() {
    let env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    let summary = env
        .extract(&ExtractRequest::new(Source::Pipedrive))
        .await
        .expect("extract");
    assert_eq!(summary.entities.len(), 22);
    check_counts(&env, &summary, None).await;
    // Incremental: the second run asks only for what changed since the watermark − overlap.
    let key = skyfit_lake::EntityKey::try_new(Source::Pipedrive, Some("comercial"), "deals")
        .expect("key");
    let wm = env
        .lake
        .get_watermark(&key)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(wm.last_successful_until, Some(summary.run_id.started_at()));
}

#[tokio::test]
async fn pipedrive_faults_lose_nothing_but_the_malformed_record() {
    let faults = ApiFaults {
        rate_limit: Some(RateLimit {
            requests: 40,
            window_secs: 1,
            retry_after: None,
        }),
        error_rate: 0.05,
        reset_rate: 0.03,
        truncate_rate: 0.03,
        malformed_record: Some(RecordFault {
            path: "/api/v2/deals".into(),
            index: 10,
        }),
        ..ApiFaults::default()
    };
    let mut env = Env::start(
        Scale::tiny(),
        FaultConfig {
            pipedrive: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    env.opts.pipedrive.page_limit = 20;
    let summary = env
        .extract(&ExtractRequest::new(Source::Pipedrive))
        .await
        .expect("extract");
    check_counts(&env, &summary, Some(11)).await;
    let rejects: u64 = summary.entities.iter().map(|e| e.rejects).sum();
    assert!(
        (1..=2).contains(&rejects),
        "one per account holding deal 11: {rejects}"
    );
}

#[tokio::test]
async fn pipedrive_auth_failure_names_the_scope_token() {
    let mut env = Env::start(Scale::tiny(), FaultConfig::none()).await;
    env.config.pipedrive.token_expansao = Some(Secret::new("not-a-token"));
    let err = env
        .extract(&ExtractRequest::new(Source::Pipedrive).with_entities(["pipelines"]))
        .await
        .expect_err("must fail");
    let msg = err.to_string();
    assert!(matches!(err, Error::Auth { .. }), "{msg}");
    assert!(msg.contains("PIPEDRIVE_TOKEN_EXPANSAO"), "{msg}");
    assert!(!msg.contains("not-a-token"), "{msg}");
}

#[tokio::test]
async fn the_daily_budget_stops_the_run_before_it_runs_out() {
    let faults = ApiFaults {
        daily_token_budget: Some(400),
        ..ApiFaults::default()
    };
    let mut env = Env::start(
        Scale::tiny(),
        FaultConfig {
            pipedrive: faults,
            ..FaultConfig::none()
        },
    )
    .await;
    env.opts.pipedrive.page_limit = 5;
    env.opts.pipedrive.daily_reserve = 100;
    let err = env
        .extract(&ExtractRequest::new(Source::Pipedrive).with_entities(["deals"]))
        .await
        .expect_err("budget too small");
    let msg = err.to_string();
    assert!(matches!(err, Error::BudgetExhausted { .. }), "{msg}");
    assert!(msg.contains("deals") && msg.contains("--resume"), "{msg}");
    assert_eq!(
        env.sim.stats().pipedrive.rate_limited,
        0,
        "paced before the 429s"
    );
}
