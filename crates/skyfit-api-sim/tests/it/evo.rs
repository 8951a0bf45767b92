use std::collections::HashSet;

use serde_json::Value;
use skyfit_api_sim::ground_truth::{evo_count, evo_count_str};
use skyfit_api_sim::synth::time::DEFAULT_NOW;
use skyfit_api_sim::{EvoEntity, Scale};

use super::{client, evo_get, start};

/// Walks skip/take until a short page; returns every record.
async fn walk(sim: &skyfit_api_sim::RunningSim, path: &str, params: &str, take: u64) -> Vec<Value> {
    let mut all = Vec::new();
    let mut skip = 0;
    loop {
        let (status, body) =
            evo_get(sim, &format!("{path}?{params}&skip={skip}&take={take}")).await;
        assert_eq!(status, 200, "{body}");
        let page: Vec<Value> = serde_json::from_str(&body).expect("bare JSON array");
        let n = page.len() as u64;
        assert!(n <= take);
        all.extend(page);
        if n < take {
            return all;
        }
        skip += take;
    }
}

#[tokio::test]
async fn entries_walk_matches_ground_truth_in_a_window() {
    let sim = start(Scale::tiny()).await;
    let params = "registerDateStart=2023-01-01T00:00:00&registerDateEnd=2023-12-31T23:59:59";
    let want = evo_count_str(
        &Scale::tiny(),
        EvoEntity::Entries,
        Some("2023-01-01T00:00:00"),
        Some("2023-12-31T23:59:59"),
        DEFAULT_NOW,
    );
    for take in [1u64, 7, 1000] {
        let got = walk(&sim, "/api/v1/entries", params, take).await;
        assert_eq!(Some(got.len() as u64), want, "take={take}");
        for e in &got {
            let d = e["date"].as_str().expect("date string");
            assert!(d.starts_with("2023-"), "{d}");
            assert!(e.get("timeZone").is_some());
        }
    }
    // Exactly once: dates are non-decreasing and the (date, member, prospect) tuples distinct.
    let all = walk(&sim, "/api/v1/entries", params, 100).await;
    let keys: HashSet<String> = all
        .iter()
        .map(|e| {
            format!(
                "{}|{}|{}|{}",
                e["date"], e["idMember"], e["idProspect"], e["idEmployee"]
            )
        })
        .collect();
    assert!(keys.len() as f64 > all.len() as f64 * 0.99);
}

#[tokio::test]
async fn take_above_maximum_is_clamped_and_empty_window_is_empty_array() {
    let sim = start(Scale::tiny()).await;
    let (s, body) = evo_get(&sim, "/api/v1/entries?take=5000").await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&body)
            .map(|v| v.len())
            .ok(),
        Some(1000)
    );
    let (s, body) = evo_get(&sim, "/api/v2/members?take=51").await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&body)
            .map(|v| v.len())
            .ok(),
        Some(50)
    );
    let (s, body) = evo_get(
        &sim,
        "/api/v1/entries?registerDateStart=2019-01-01&registerDateEnd=2019-12-31",
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "[]"));
    let (s, body) = evo_get(&sim, "/api/v1/entries?skip=999999999").await;
    assert_eq!((s, body.as_str()), (200, "[]"));
}

#[tokio::test]
async fn members_sales_prospects_walks_are_complete_and_consistent() {
    let sim = start(Scale::tiny()).await;
    let members = walk(&sim, "/api/v2/members", "showMemberships=true", 50).await;
    assert_eq!(
        members.len() as u64,
        evo_count(&Scale::tiny(), EvoEntity::Members, None, None, DEFAULT_NOW)
    );
    let ids: HashSet<u64> = members
        .iter()
        .filter_map(|m| m["idMember"].as_u64())
        .collect();
    assert_eq!(ids.len(), members.len());
    assert!(
        members
            .iter()
            .all(|m| m["memberships"].is_array() && m["contacts"].is_array())
    );
    let without = walk(&sim, "/api/v2/members", "", 50).await;
    assert!(without.iter().all(|m| m.get("memberships").is_none()));

    let sales = walk(
        &sim,
        "/api/v2/sales",
        "showReceivables=true&dateSaleStart=2021-01-01&dateSaleEnd=2022-06-30",
        100,
    )
    .await;
    assert_eq!(
        Some(sales.len() as u64),
        evo_count_str(
            &Scale::tiny(),
            EvoEntity::Sales,
            Some("2021-01-01"),
            Some("2022-06-30"),
            DEFAULT_NOW
        )
    );
    for s in &sales {
        if let Some(m) = s["idMember"].as_u64() {
            assert!(ids.contains(&m), "sale references unknown member {m}");
        }
        assert!(s["saleItens"].is_array() && s["receivables"].is_array());
        assert!(s["receivables"][0]["ammount"].is_number());
    }
    let recv = walk(
        &sim,
        "/api/v1/receivables",
        "registrationDateStart=2021-01-01&registrationDateEnd=2022-06-30",
        50,
    )
    .await;
    let nested: usize = sales
        .iter()
        .map(|s| s["receivables"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(recv.len(), nested);

    let prospects = walk(&sim, "/api/v1/prospects", "", 50).await;
    assert_eq!(prospects.len() as u64, Scale::tiny().evo_prospects);
    let (s, body) = evo_get(&sim, "/api/v2/employees?take=50").await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&body)
            .map(|v| v.len())
            .ok(),
        Some(12)
    );
    let (s, body) = evo_get(&sim, "/api/v1/configuration").await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&body)
            .map(|v| v.len())
            .ok(),
        Some(3)
    );
}

#[tokio::test]
async fn responses_are_byte_identical_and_match_the_generator() {
    let sim = start(Scale::tiny()).await;
    let (_, a) = evo_get(&sim, "/api/v1/entries?skip=10&take=3").await;
    let (_, b) = evo_get(&sim, "/api/v1/entries?skip=10&take=3").await;
    assert_eq!(a, b);
    let want = format!(
        "[{},{},{}]",
        skyfit_api_sim::evo::entries::record_json(7, &Scale::tiny(), 10),
        skyfit_api_sim::evo::entries::record_json(7, &Scale::tiny(), 11),
        skyfit_api_sim::evo::entries::record_json(7, &Scale::tiny(), 12)
    );
    assert_eq!(a, want);
}

#[tokio::test]
async fn auth_and_parameter_errors_use_real_statuses() {
    let sim = start(Scale::tiny()).await;
    let r = client()
        .get(format!("{}/api/v1/entries", sim.evo_url()))
        .basic_auth("skyfit", Some("wrong"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .get(format!("{}/api/v1/entries", sim.evo_url()))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(evo_get(&sim, "/api/v1/entries?take=abc").await.0, 400);
    assert_eq!(
        evo_get(&sim, "/api/v1/entries?registerDateStart=not-a-date")
            .await
            .0,
        400
    );
    assert_eq!(evo_get(&sim, "/api/v1/nope").await.0, 404);
    // Unknown parameters are ignored silently, like the real API.
    assert_eq!(
        evo_get(&sim, "/api/v1/entries?take=2&registerDateStartt=2024-01-01")
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn clock_advance_adds_records() {
    let sim = start(Scale::tiny()).await;
    let before = walk(&sim, "/api/v2/members", "", 50).await.len();
    sim.advance(365 * 86_400);
    let after = walk(&sim, "/api/v2/members", "", 50).await.len();
    assert!(after > before, "{after} > {before}");
}

#[test]
fn entries_generate_fast() {
    let g = skyfit_api_sim::Gen::new(1, Scale::reference());
    let t = std::time::Instant::now();
    let mut bytes = 0;
    for p in 0..20u64 {
        bytes +=
            skyfit_api_sim::evo::entries::page_json(&g, p * 5_000_000..p * 5_000_000 + 1000).len();
    }
    let per_page = t.elapsed() / 20;
    assert!(bytes > 20 * 1000 * 200);
    // Debug builds are ~10x slower than release; this only guards against pathologies.
    assert!(per_page.as_millis() < 50, "{per_page:?} per 1000 entries");
}
