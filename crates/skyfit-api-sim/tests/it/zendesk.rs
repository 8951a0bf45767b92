use std::collections::HashSet;

use serde_json::Value;
use skyfit_api_sim::Scale;
use skyfit_api_sim::ground_truth::zendesk_ids;
use skyfit_api_sim::zendesk::Entity;

use super::{start, zd_get};

#[tokio::test]
async fn ticket_cursor_export_is_complete_and_resumable() {
    let sim = start(Scale::tiny()).await;
    let want = zendesk_ids(&sim.generator(), Entity::Tickets, 0, true);
    let mut url =
        "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=17&exclude_deleted=true"
            .to_string();
    let mut ids = Vec::new();
    let mut last_cursor = None;
    loop {
        let (s, body) = zd_get(&sim, &url).await;
        assert_eq!(s, 200, "{body}");
        for t in body["tickets"].as_array().cloned().unwrap_or_default() {
            assert!(t["tags"].is_array() && t["custom_fields"].is_array());
            assert_ne!(t["status"], "deleted");
            ids.push(t["id"].as_u64().unwrap_or(0));
        }
        if let Some(c) = body["after_cursor"].as_str() {
            last_cursor = Some(c.to_string());
        }
        if body["end_of_stream"] == true {
            break;
        }
        url = body["after_url"].as_str().expect("after_url").to_string();
    }
    let uniq: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(uniq.len(), ids.len());
    assert_eq!(ids, want);
    // Next run with the stored cursor: empty page, null cursor, end of stream.
    let c = last_cursor.expect("a cursor");
    let (_, body) = zd_get(
        &sim,
        &format!(
            "/api/v2/incremental/tickets/cursor.json?cursor={}",
            c.replace('=', "%3D")
        ),
    )
    .await;
    assert_eq!(body["tickets"].as_array().map(Vec::len), Some(0));
    assert_eq!(body["after_cursor"], Value::Null);
    assert_eq!(body["end_of_stream"], true);
    // After the clock moves, the stored cursor yields the changes.
    sim.advance(30 * 86_400);
    let (_, body) = zd_get(
        &sim,
        &format!(
            "/api/v2/incremental/tickets/cursor.json?cursor={}",
            c.replace('=', "%3D")
        ),
    )
    .await;
    assert!(body["tickets"].as_array().map_or(0, Vec::len) > 0);
}

#[tokio::test]
async fn time_based_exports_and_lists() {
    let sim = start(Scale::tiny()).await;
    let mut url = "/api/v2/incremental/users.json?start_time=0&per_page=10".to_string();
    let mut ids = HashSet::new();
    loop {
        let (s, body) = zd_get(&sim, &url).await;
        assert_eq!(s, 200);
        for u in body["users"].as_array().cloned().unwrap_or_default() {
            ids.insert(u["id"].as_u64().unwrap_or(0));
        }
        if body["end_of_stream"] == true {
            break;
        }
        url = body["next_page"].as_str().expect("next_page").to_string();
    }
    assert_eq!(ids.len() as u64, Scale::tiny().zd_users);
    let (_, orgs) = zd_get(&sim, "/api/v2/incremental/organizations.json?start_time=0").await;
    assert_eq!(orgs["organizations"].as_array().map(Vec::len), Some(4));
    assert_eq!(orgs["count"], 4);
    let (_, g1) = zd_get(&sim, "/api/v2/groups.json?per_page=2").await;
    assert_eq!(g1["groups"].as_array().map(Vec::len), Some(2));
    assert!(g1["next_page"].is_string());
    let (_, f) = zd_get(&sim, "/api/v2/ticket_fields.json").await;
    assert_eq!(f["ticket_fields"].as_array().map(Vec::len), Some(12));
    let (_, f) = zd_get(&sim, "/api/v2/ticket_forms.json").await;
    assert_eq!(f["count"], 3);
}

#[tokio::test]
async fn errors_are_real() {
    let sim = start(Scale::tiny()).await;
    let r = super::client()
        .get(format!("{}/api/v2/groups.json", sim.zendesk_url()))
        .basic_auth("admin@skyfit.example", Some("x"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        zd_get(&sim, "/api/v2/incremental/tickets/cursor.json")
            .await
            .0,
        400
    );
    let recent = sim.now() - 10;
    assert_eq!(
        zd_get(
            &sim,
            &format!("/api/v2/incremental/tickets/cursor.json?start_time={recent}")
        )
        .await
        .0,
        400
    );
    assert_eq!(zd_get(&sim, "/api/v2/nothing.json").await.0, 404);
}
