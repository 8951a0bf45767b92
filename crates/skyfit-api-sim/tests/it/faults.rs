use skyfit_api_sim::{Api, ApiFaults, PageFault, PageRedirect, RateLimit, RecordFault, Scale};

use super::{client, evo_get, start};

#[tokio::test]
async fn evo_rate_limit_answers_429_with_retry_after_zero() {
    let sim = start(Scale::tiny()).await;
    sim.set_faults(
        Api::Evo,
        ApiFaults {
            rate_limit: Some(RateLimit {
                requests: 3,
                window_secs: 60,
                retry_after: Some(0),
            }),
            ..ApiFaults::default()
        },
    );
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let c = sim.credentials();
        let r = client()
            .get(format!("{}/api/v1/entries?take=1", sim.evo_url()))
            .basic_auth(&c.evo_user, Some(&c.evo_password))
            .send()
            .await
            .expect("req");
        if r.status().as_u16() == 429 {
            assert_eq!(
                r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                Some("0")
            );
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    assert_eq!(sim.stats().evo.rate_limited, 2);
}

#[tokio::test]
async fn admin_endpoint_switches_faults_and_reports_stats() {
    let sim = start(Scale::tiny()).await;
    let faults = ApiFaults {
        fail_page: Some(PageFault {
            path: "/api/v1/entries".into(),
            param: "skip".into(),
            value: "100".into(),
        }),
        malformed_record: Some(RecordFault {
            path: "/api/v1/entries".into(),
            index: 5,
        }),
        ..ApiFaults::default()
    };
    let r = client()
        .post(format!("{}/_sim/faults", sim.evo_url()))
        .header("content-type", "application/json")
        .body(serde_json::to_string(&faults).expect("serialise"))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        evo_get(&sim, "/api/v1/entries?skip=100&take=100").await.0,
        500
    );
    assert_eq!(
        evo_get(&sim, "/api/v1/entries?skip=100&take=100").await.0,
        500
    );
    assert_eq!(
        evo_get(&sim, "/api/v1/entries?skip=200&take=100").await.0,
        200
    );
    let (s, body) = evo_get(&sim, "/api/v1/entries?skip=0&take=10").await;
    assert_eq!(s, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "malformed record makes the page invalid JSON"
    );
    let text = client()
        .get(format!("{}/_sim/stats", sim.zendesk_url()))
        .send()
        .await
        .expect("req")
        .text()
        .await
        .expect("body");
    let stats: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(stats["evo"]["fault_fail_page"], 2);
    assert_eq!(stats["evo"]["fault_malformed"], 1);
    assert_eq!(stats["evo"]["requests"], 4);
}

#[tokio::test]
async fn random_5xx_resets_and_truncation_are_injected_deterministically() {
    let sim = start(Scale::tiny()).await;
    sim.set_faults(
        Api::Evo,
        ApiFaults {
            error_rate: 0.3,
            reset_rate: 0.2,
            truncate_rate: 0.2,
            ..ApiFaults::default()
        },
    );
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        let c = sim.credentials();
        let r = client()
            .get(format!("{}/api/v1/entries?take=200", sim.evo_url()))
            .basic_auth(&c.evo_user, Some(&c.evo_password))
            .send()
            .await;
        let o = match r {
            Err(_) => "send-error",
            Ok(r) if r.status().is_server_error() => "5xx",
            Ok(r) => match r.text().await {
                Err(_) => "reset",
                Ok(t) if serde_json::from_str::<serde_json::Value>(&t).is_ok() => "ok",
                Ok(_) => "truncated",
            },
        };
        outcomes.push(o);
    }
    let st = sim.stats().evo;
    assert!(
        st.fault_5xx > 0 && st.fault_reset > 0 && st.fault_truncated > 0,
        "{st:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == "5xx").count() as u64,
        st.fault_5xx
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == "truncated").count() as u64,
        st.fault_truncated
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == "reset" || **o == "send-error")
            .count() as u64,
        st.fault_reset
    );
    // Same seed, same request sequence ⇒ same faults.
    let sim2 = start(Scale::tiny()).await;
    sim2.set_faults(Api::Evo, sim.faults(Api::Evo));
    let mut second = Vec::new();
    for _ in 0..40 {
        let c = sim2.credentials();
        let r = client()
            .get(format!("{}/api/v1/entries?take=200", sim2.evo_url()))
            .basic_auth(&c.evo_user, Some(&c.evo_password))
            .send()
            .await;
        second.push(match r {
            Ok(r) if r.status().is_server_error() => "5xx",
            _ => "other",
        });
    }
    let first: Vec<&str> = outcomes
        .iter()
        .map(|o| if *o == "5xx" { "5xx" } else { "other" })
        .collect();
    assert_eq!(first, second);
}

#[tokio::test]
async fn page_sizes_can_be_clamped_below_the_documented_maximum() {
    let sim = start(Scale::tiny()).await;
    let len = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body)
            .expect("json")
            .as_array()
            .map_or(0, Vec::len)
    };
    let (s, body) = evo_get(&sim, "/api/v1/entries?take=1000").await;
    assert_eq!((s, len(&body)), (200, 1000), "off by default");
    let (_, whole) = evo_get(&sim, "/api/v1/entries?skip=0&take=200").await;
    sim.set_faults(
        Api::Evo,
        ApiFaults {
            max_page_size: Some(100),
            ..ApiFaults::default()
        },
    );
    assert_eq!(
        len(&evo_get(&sim, "/api/v1/entries?take=1000").await.1),
        100
    );
    assert_eq!(len(&evo_get(&sim, "/api/v1/entries?take=30").await.1), 30);
    // The clamped pages still tile the entity: the next page starts where this one ended.
    let (_, a) = evo_get(&sim, "/api/v1/entries?skip=0&take=1000").await;
    let (_, b) = evo_get(&sim, "/api/v1/entries?skip=100&take=1000").await;
    let mut joined: Vec<serde_json::Value> = serde_json::from_str(&a).expect("json");
    joined.extend(serde_json::from_str::<Vec<serde_json::Value>>(&b).expect("json"));
    let whole: Vec<serde_json::Value> = serde_json::from_str(&whole).expect("json");
    assert_eq!(joined, whole);
}

#[tokio::test]
async fn a_page_can_redirect_elsewhere() {
    let sim = start(Scale::tiny()).await;
    sim.set_faults(
        Api::Evo,
        ApiFaults {
            redirect_page: Some(PageRedirect {
                path: "/api/v1/entries".into(),
                param: "skip".into(),
                value: "50".into(),
                location: "http://127.0.0.1:9/elsewhere".into(),
            }),
            ..ApiFaults::default()
        },
    );
    let c = sim.credentials();
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = no_follow
        .get(format!("{}/api/v1/entries?skip=50&take=50", sim.evo_url()))
        .basic_auth(&c.evo_user, Some(&c.evo_password))
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("http://127.0.0.1:9/elsewhere")
    );
    assert_eq!(evo_get(&sim, "/api/v1/entries?skip=0&take=50").await.0, 200);
    assert_eq!(sim.stats().evo.fault_redirect, 1);
}
