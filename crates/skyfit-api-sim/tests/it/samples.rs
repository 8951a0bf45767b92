//! The real recorded payloads and the simulator agree on field names and JSON types (for every
//! field present in both; `null` is compatible with any type because those fields are nullable).

use serde_json::Value;
use skyfit_api_sim::Scale;

use super::{pd_get, start, zd_get};

fn sample(rel: &str) -> Value {
    let path = format!(
        "{}/../../../shared/api/samples/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Asserts same types for shared keys and that at least `min_shared` keys are shared.
fn same_shape(what: &str, real: &Value, sim: &Value, min_shared: usize) {
    let (Some(r), Some(s)) = (real.as_object(), sim.as_object()) else {
        panic!("{what}: both must be objects");
    };
    let mut shared = 0;
    for (k, rv) in r {
        if let Some(sv) = s.get(k) {
            shared += 1;
            if !rv.is_null() && !sv.is_null() {
                assert_eq!(kind(rv), kind(sv), "{what}.{k}: real {rv} vs sim {sv}");
            }
        }
    }
    let missing: Vec<&String> = r.keys().filter(|k| !s.contains_key(*k)).collect();
    assert!(
        shared >= min_shared,
        "{what}: only {shared} shared keys; sim lacks {missing:?}"
    );
}

/// The top-level envelope keys of the real response all exist in the simulator's.
fn same_envelope(what: &str, real: &Value, sim: &Value) {
    for k in real
        .as_object()
        .map(|o| o.keys().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        assert!(sim.get(k).is_some(), "{what}: envelope key {k} missing");
    }
}

#[tokio::test]
async fn pipedrive_samples_match() {
    let sim = start(Scale::tiny()).await;
    let tok = sim.credentials().pipedrive_token_comercial.clone();
    let real = sample("pipedrive/deal_v2_get_response.nango.json");
    let (_, _, one) = pd_get(&sim, &tok, "/api/v2/deals/1").await;
    same_envelope("deal", &real, &one);
    same_shape("deal", &real["data"], &one["data"], 30);
    let (_, _, list) = pd_get(&sim, &tok, "/api/v2/deals?limit=50").await;
    for d in list["data"].as_array().cloned().unwrap_or_default() {
        same_shape("deal list", &real["data"], &d, 30);
    }
    let real = sample("pipedrive/stages_v2_list_response.nango.json");
    let (_, _, st) = pd_get(
        &sim,
        &tok,
        "/api/v2/stages?limit=500&sort_by=update_time&sort_direction=asc",
    )
    .await;
    same_envelope("stages", &real, &st);
    same_shape("stage", &real["data"][0], &st["data"][0], 10);
    let real = sample("pipedrive/users_v1_list_response.nango.json");
    let (_, _, us) = pd_get(&sim, &tok, "/v1/users").await;
    same_envelope("users", &real, &us);
    same_shape("user", &real["data"][0], &us["data"][0], 20);
}

#[tokio::test]
async fn zendesk_samples_match() {
    let sim = start(Scale::tiny()).await;
    let real = sample("zendesk/tickets_incremental_time_based_response.nango.json");
    let (_, t) = zd_get(&sim, "/api/v2/incremental/tickets.json?start_time=0").await;
    same_envelope("tickets time-based", &real, &t);
    for rt in real["tickets"].as_array().cloned().unwrap_or_default() {
        for st in t["tickets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .take(40)
        {
            same_shape("ticket", &rt, st, 40);
        }
    }
    let real = sample("zendesk/tickets_incremental_cursor_response.airbyte_fixture.json");
    let (_, c) = zd_get(&sim, "/api/v2/incremental/tickets/cursor.json?start_time=0").await;
    same_envelope("tickets cursor", &real, &c);
    let real = sample("zendesk/users_incremental_cursor_page1_response.nango.json");
    let (_, u) = zd_get(
        &sim,
        "/api/v2/incremental/users/cursor.json?start_time=0&per_page=100",
    )
    .await;
    same_envelope("users cursor", &real, &u);
    same_shape("user", &real["users"][0], &u["users"][0], 35);
    let real = sample("zendesk/users_incremental_cursor_page2_response.nango.json");
    let cur = u["after_cursor"]
        .as_str()
        .unwrap_or_default()
        .replace('=', "%3D");
    let mut url = format!("/api/v2/incremental/users/cursor.json?cursor={cur}&per_page=100");
    loop {
        let (_, p) = zd_get(&sim, &url).await;
        if p["users"].as_array().is_some_and(Vec::is_empty) {
            assert_eq!(p, real, "the empty last page is byte-for-byte the real one");
            break;
        }
        let next = p["after_cursor"]
            .as_str()
            .unwrap_or_default()
            .replace('=', "%3D");
        url = format!("/api/v2/incremental/users/cursor.json?cursor={next}&per_page=100");
    }
    let real = sample("zendesk/organizations_incremental_time_based_response.nango.json");
    let (_, o) = zd_get(
        &sim,
        "/api/v2/incremental/organizations.json?per_page=1000&start_time=0",
    )
    .await;
    same_envelope("orgs", &real, &o);
    same_shape("org", &real["organizations"][0], &o["organizations"][0], 14);
    let real = sample("zendesk/ticket_forms_list_response.nango.json");
    let (_, f) = zd_get(&sim, "/api/v2/ticket_forms.json").await;
    same_envelope("forms", &real, &f);
    same_shape("form", &real["ticket_forms"][0], &f["ticket_forms"][0], 19);
    let real = sample("zendesk/ticket_fields_list_response.nango.json");
    let (_, f) = zd_get(&sim, "/api/v2/ticket_fields.json").await;
    same_envelope("fields", &real, &f);
    let tagger = real["ticket_fields"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == "tagger").cloned())
        .unwrap_or_default();
    same_shape("field", &tagger, &f["ticket_fields"][0], 20);
    let real = sample("zendesk/groups_list_response.nango.json");
    let (_, g) = zd_get(&sim, "/api/v2/groups.json").await;
    same_shape("group", &real["groups"][0], &g["groups"][0], 9);
}
