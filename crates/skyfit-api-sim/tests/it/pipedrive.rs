use std::collections::HashSet;

use serde_json::Value;
use skyfit_api_sim::ground_truth::{PipedriveQuery, pipedrive_ids};
use skyfit_api_sim::pipedrive::Entity;
use skyfit_api_sim::{Scale, Scope};

use super::{pd_get, start};

async fn walk(
    sim: &skyfit_api_sim::RunningSim,
    token: &str,
    path: &str,
    params: &str,
) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (s, _, body) = pd_get(sim, token, &format!("{path}?{params}{c}")).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["success"], true);
        all.extend(body["data"].as_array().cloned().unwrap_or_default());
        match body["additional_data"]["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn v2_cursor_walks_return_each_record_once() {
    let sim = start(Scale::tiny()).await;
    let tok = sim.credentials().pipedrive_token_comercial.clone();
    let g = sim.generator();
    for (path, e) in [
        ("/api/v2/deals", Entity::Deals),
        ("/api/v2/persons", Entity::Persons),
        ("/api/v2/organizations", Entity::Organizations),
        ("/api/v2/activities", Entity::Activities),
    ] {
        let want = pipedrive_ids(&g, Scope::Comercial, e, &PipedriveQuery::default());
        for params in [
            "limit=1",
            "limit=7&sort_by=update_time&sort_direction=asc",
            "limit=500",
            "limit=13&sort_by=id&sort_direction=desc",
        ] {
            let got = walk(&sim, &tok, path, params).await;
            let mut ids: Vec<u64> = got.iter().filter_map(|d| d["id"].as_u64()).collect();
            let uniq: HashSet<u64> = ids.iter().copied().collect();
            assert_eq!(uniq.len(), ids.len(), "{path} {params}: duplicates");
            ids.sort_unstable();
            assert_eq!(ids, want, "{path} {params}");
        }
    }
}

#[tokio::test]
async fn updated_window_and_status_filters() {
    let sim = start(Scale::tiny()).await;
    let tok = sim.credentials().pipedrive_token_comercial.clone();
    let g = sim.generator();
    let since = skyfit_api_sim::synth::time::epoch(2024, 1, 1);
    let until = skyfit_api_sim::synth::time::epoch(2025, 6, 1);
    let q = PipedriveQuery {
        updated_since: Some(since),
        updated_until: Some(until),
        statuses: Some(vec!["open".into(), "won".into(), "lost".into()]),
    };
    let want = pipedrive_ids(&g, Scope::Comercial, Entity::Deals, &q);
    let got = walk(&sim, &tok, "/api/v2/deals", "status=open,won,lost&sort_by=update_time&sort_direction=asc&limit=5&updated_since=2024-01-01T00:00:00Z&updated_until=2025-06-01T00:00:00Z").await;
    let mut ids: Vec<u64> = got.iter().filter_map(|d| d["id"].as_u64()).collect();
    let times: Vec<&str> = got
        .iter()
        .filter_map(|d| d["update_time"].as_str())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    ids.sort_unstable();
    assert_eq!(ids, want);
    assert!(
        got.iter()
            .all(|d| d["status"] != "deleted" && d["is_deleted"] == false)
    );
}

#[tokio::test]
async fn accounts_are_independent_and_errors_are_real() {
    let sim = start(Scale::tiny()).await;
    let c = sim.credentials().clone();
    let a = walk(
        &sim,
        &c.pipedrive_token_comercial,
        "/api/v2/organizations",
        "limit=500",
    )
    .await;
    let b = walk(
        &sim,
        &c.pipedrive_token_expansao,
        "/api/v2/organizations",
        "limit=500",
    )
    .await;
    assert_ne!(a.len(), b.len());
    let (s, _, body) = pd_get(&sim, "bad-token", "/api/v2/deals").await;
    assert_eq!(s, 401);
    assert_eq!(body["success"], false);
    assert_eq!(
        pd_get(
            &sim,
            &c.pipedrive_token_comercial,
            "/api/v2/deals?limit=501"
        )
        .await
        .0,
        400
    );
    assert_eq!(
        pd_get(
            &sim,
            &c.pipedrive_token_comercial,
            "/api/v2/deals?cursor=garbage"
        )
        .await
        .0,
        400
    );
    assert_eq!(
        pd_get(&sim, &c.pipedrive_token_comercial, "/api/v2/nothing")
            .await
            .0,
        404
    );
    let (s, h, users) = pd_get(&sim, &c.pipedrive_token_comercial, "/v1/users").await;
    assert_eq!(s, 200);
    assert_eq!(users["data"].as_array().map(Vec::len), Some(5));
    assert!(users["additional_data"]["company_id"].is_number());
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-daily-ratelimit-token-limit",
        "x-daily-ratelimit-token-remaining",
    ] {
        assert!(h.contains_key(name), "{name}");
    }
    // v1 start/limit paging of field definitions.
    let mut start = 0;
    let mut keys = Vec::new();
    loop {
        let (_, _, f) = pd_get(
            &sim,
            &c.pipedrive_token_comercial,
            &format!("/v1/dealFields?start={start}&limit=2"),
        )
        .await;
        keys.extend(
            f["data"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|d| d["key"].as_str().map(str::to_string)),
        );
        let p = &f["additional_data"]["pagination"];
        if p["more_items_in_collection"] != true {
            break;
        }
        start = p["next_start"].as_u64().unwrap_or(u64::MAX);
    }
    assert_eq!(keys.len(), 9);
    // Custom-field keys in deals are the 40-char hashes the definitions announce.
    let deals = walk(
        &sim,
        &c.pipedrive_token_comercial,
        "/api/v2/deals",
        "limit=500",
    )
    .await;
    let custom = deals
        .iter()
        .find_map(|d| d["custom_fields"].as_object().cloned())
        .expect("some deal has custom fields");
    for k in custom.keys() {
        assert_eq!(k.len(), 40);
        assert!(keys.contains(k));
    }
    let stages = walk(
        &sim,
        &c.pipedrive_token_comercial,
        "/api/v2/stages",
        "limit=5",
    )
    .await;
    assert_eq!(stages.len(), 12);
    let pipes = walk(
        &sim,
        &c.pipedrive_token_comercial,
        "/api/v2/pipelines",
        "limit=1",
    )
    .await;
    assert_eq!(pipes.len(), 3);
}
