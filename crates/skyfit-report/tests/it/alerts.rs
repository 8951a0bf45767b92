//! Alerts against local webhook receivers: the body, retries, a receiver that hangs, and
//! the webhook's token kept out of logs and outcomes.

use std::time::{Duration, Instant};

use serde_json::Value;
use skyfit_report::{
    AlertConfig, Delivery, RetryPolicy, RunReport, RunStatus, WebhookFormat, notify,
};

use crate::common::{Logs, Server, TOKEN, hanging_server, report, webhook_path};

/// Short bounds so the slow paths take a second, not thirty.
fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        request_timeout: Duration::from_millis(300),
        initial_backoff: Duration::from_millis(50),
        total: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn posts_one_slack_message_naming_run_failures_and_command() {
    let server = Server::start(&[]).await;
    let cfg = AlertConfig::try_new(&server.url(&webhook_path()))
        .unwrap()
        .with_quarantine_threshold(10);
    let delivery = notify(&cfg, &report()).await;
    assert_eq!(
        delivery,
        Delivery::Delivered {
            attempts: 1,
            status: 200
        }
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.uri.path(), webhook_path());
    assert_eq!(req.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let obj = body.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["text"], "{body}");
    let text = body["text"].as_str().unwrap();
    let expected = [
        "*SkyFit run 20250304T030000Z-1a2b partly failed (skyfit run, 12m 34s)*",
        "*Failed*",
        "• extract zendesk/tickets: HTTP 503 after 3 tries at page cursor=abc",
        "• load core.tickets: no complete zendesk run to load",
        "*Data tests failed: 1 (1 error, 0 warn)*",
        "• [error] core.members unique(member_id): 3 failing rows (e.g. 1001, 1002, 1007)",
        "*Quarantined: 14 rows (threshold 10)*",
        "• core.members: 14",
        "*Stale tables: 1*",
        "• core.tickets: last loaded 1d 6h ago (limit 1d 2h)",
        "Look closer: `skyfit status --run 20250304T030000Z-1a2b`",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");
}

#[tokio::test]
async fn posts_an_adaptive_card_to_teams() {
    let server = Server::start(&[]).await;
    let cfg = AlertConfig::try_new(&server.url("/workflows/abc/triggers/manual/paths/invoke"))
        .unwrap()
        .with_format(WebhookFormat::Teams);
    assert!(notify(&cfg, &report()).await.is_delivered());

    let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    let texts: Vec<&str> = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "TextBlock");
            b["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        texts.first(),
        Some(&"SkyFit run 20250304T030000Z-1a2b partly failed (skyfit run, 12m 34s)")
    );
    assert!(texts.contains(&"- load core.tickets: no complete zendesk run to load"));
    assert_eq!(
        texts.last(),
        Some(&"Look closer: skyfit status --run 20250304T030000Z-1a2b")
    );
}

#[tokio::test]
async fn a_run_with_nothing_to_say_sends_nothing() {
    let server = Server::start(&[]).await;
    let cfg = AlertConfig::try_new(&server.url(&webhook_path())).unwrap();
    let mut quiet = report();
    quiet.status = RunStatus::Succeeded;
    quiet.entities.iter_mut().for_each(|e| e.error = None);
    quiet.targets.retain(|t| t.error.is_none());
    quiet.targets.iter_mut().for_each(|t| t.quarantined = 0);
    quiet.test_failures.clear();
    quiet.stale_tables.clear();
    assert_eq!(notify(&cfg, &quiet).await, Delivery::Skipped);
    // Rows quarantined up to the threshold are not news either.
    quiet.targets[0].quarantined = 5;
    let cfg = cfg.with_quarantine_threshold(5);
    assert_eq!(notify(&cfg, &quiet).await, Delivery::Skipped);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_500_is_retried_and_the_token_stays_out_of_the_logs() {
    let (logs, _guard) = Logs::capture();
    let server = Server::start(&[500]).await;
    let cfg = AlertConfig::try_new(&server.url(&webhook_path()))
        .unwrap()
        .with_retry(quick());
    let delivery = notify(&cfg, &report()).await;
    assert_eq!(
        delivery,
        Delivery::Delivered {
            attempts: 2,
            status: 200
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body, "the same message twice");

    let logs = logs.text();
    let retry = logs
        .lines()
        .find(|l| l.contains("Delivery failed; retrying."))
        .unwrap_or_else(|| panic!("no retry logged:\n{logs}"));
    assert!(retry.contains("WARN"), "{retry}");
    assert!(retry.contains("HTTP 500"), "{retry}");
    assert!(retry.contains("attempt=1"), "{retry}");
    assert!(!logs.contains(TOKEN), "{logs}");
    assert!(!logs.contains("/services/"), "{logs}");
}

#[tokio::test]
async fn a_receiver_that_always_fails_gives_up_after_three_tries() {
    let server = Server::start(&[500, 502, 503, 500]).await;
    let cfg = AlertConfig::try_new(&server.url(&webhook_path()))
        .unwrap()
        .with_retry(quick());
    let delivery = notify(&cfg, &report()).await;
    assert!(delivery.is_failed());
    assert_eq!(delivery.attempts(), 3);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        delivery.to_string(),
        "failed after 3 attempts: HTTP 503 Service Unavailable: boom"
    );
}

#[tokio::test]
async fn a_revoked_webhook_is_not_retried() {
    let server = Server::start(&[404]).await;
    let cfg = AlertConfig::try_new(&server.url(&webhook_path()))
        .unwrap()
        .with_retry(quick());
    let delivery = notify(&cfg, &report()).await;
    assert_eq!(delivery.attempts(), 1);
    assert_eq!(
        delivery.to_string(),
        "failed after 1 attempt: HTTP 404 Not Found: boom"
    );
}

#[tokio::test]
async fn a_hanging_receiver_cannot_hold_up_the_run() {
    let (logs, _guard) = Logs::capture();
    let addr = hanging_server().await;
    let url = format!("http://{addr}{}", webhook_path());
    let cfg = AlertConfig::try_new(&url).unwrap().with_retry(quick());
    let started = Instant::now();
    let delivery = notify(&cfg, &report()).await;
    let took = started.elapsed();
    assert!(
        took <= quick().total + Duration::from_millis(500),
        "{took:?}"
    );
    assert!(took >= quick().request_timeout * 3, "three tries, {took:?}");
    assert_eq!(delivery.attempts(), 3);
    assert_eq!(
        delivery.to_string(),
        "failed after 3 attempts: no answer within 0.3s"
    );
    let logs = logs.text();
    assert_eq!(
        logs.matches("Delivery failed; retrying.").count(),
        2,
        "{logs}"
    );
    assert!(!logs.contains(TOKEN) && !logs.contains(&url), "{logs}");
    assert!(!format!("{delivery} {delivery:?} {cfg:?}").contains(TOKEN));
}

#[tokio::test]
async fn nothing_listening_fails_without_the_url() {
    let (logs, _guard) = Logs::capture();
    // Bind and drop to get a port nobody listens on.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}{}", webhook_path());
    let cfg = AlertConfig::try_new(&url).unwrap().with_retry(quick());
    let delivery = notify(&cfg, &report()).await;
    assert_eq!(delivery.attempts(), 3, "{delivery}");
    let shown = format!("{delivery} {delivery:?}\n{}", logs.text());
    assert!(
        !shown.contains(TOKEN) && !shown.contains("/services/"),
        "{shown}"
    );
    assert!(shown.contains("error sending request"), "{shown}");
}

#[test]
fn the_report_round_trips_through_json() {
    let r = report();
    let json = serde_json::to_string(&r).unwrap();
    let back: RunReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert!(json.contains(r#""status":"partial""#), "{json}");
}
