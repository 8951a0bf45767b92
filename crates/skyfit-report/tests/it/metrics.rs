//! The metrics file read back with a real parser (`prometheus-parse`), and pushes to a
//! local Pushgateway stand-in.

use std::collections::HashMap;
use std::time::Duration;

use prometheus_parse::{Scrape, Value};
use skyfit_report::push::TEXT_CONTENT_TYPE;
use skyfit_report::{
    Delivery, MetricsConfig, PushConfig, RetryPolicy, RunReport, metrics, publish, push,
};

use crate::common::{Server, report};

/// Parses `text`, checking the parser understood every sample line (it skips what it
/// cannot read) and that every metric is a documented gauge.
fn parse(text: &str) -> Scrape {
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let sample_lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(
        scrape.samples.len(),
        sample_lines,
        "unparsed lines in\n{text}"
    );
    for s in &scrape.samples {
        assert!(s.metric.starts_with("skyfit_"), "{}", s.metric);
        assert!(
            scrape.docs.contains_key(&s.metric),
            "no HELP for {}",
            s.metric
        );
        assert!(
            matches!(s.value, Value::Gauge(_)),
            "{} is not a gauge",
            s.metric
        );
    }
    scrape
}

/// The value of `metric` with exactly `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let want: HashMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && *s.labels == want)
        .map(|s| match s.value {
            Value::Gauge(v) => v,
            ref other => panic!("{metric}: {other:?}"),
        })
        .collect();
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    found[0]
}

fn check_values(scrape: &Scrape) {
    assert_eq!(value(scrape, "skyfit_run_success", &[]), 0.0);
    assert_eq!(
        value(scrape, "skyfit_run_status", &[("status", "partial")]),
        1.0
    );
    assert_eq!(
        value(scrape, "skyfit_run_status", &[("status", "failed")]),
        0.0
    );
    assert_eq!(value(scrape, "skyfit_run_duration_seconds", &[]), 754.25);
    assert_eq!(
        value(scrape, "skyfit_run_start_timestamp_seconds", &[]),
        1_741_057_200.0
    );
    assert_eq!(
        value(
            scrape,
            "skyfit_stage_duration_seconds",
            &[("stage", "transform")]
        ),
        20.25
    );
    let evo = [("source", "evo"), ("scope", ""), ("entity", "entries")];
    assert_eq!(value(scrape, "skyfit_records_extracted", &evo), 120_000.0);
    assert_eq!(value(scrape, "skyfit_records_rejected", &evo), 2.0);
    assert_eq!(value(scrape, "skyfit_api_throttled", &evo), 11.0);
    let deals = [
        ("source", "pipedrive"),
        ("scope", "comercial"),
        ("entity", "deals"),
    ];
    assert_eq!(value(scrape, "skyfit_api_requests", &deals), 7.0);
    assert_eq!(value(scrape, "skyfit_pages_fetched", &deals), 7.0);
    let tickets = [("source", "zendesk"), ("scope", ""), ("entity", "tickets")];
    assert_eq!(value(scrape, "skyfit_extract_failed", &tickets), 1.0);
    assert_eq!(value(scrape, "skyfit_extract_failed", &evo), 0.0);
    assert_eq!(
        value(scrape, "skyfit_rows_loaded", &[("table", "core.members")]),
        5210.0
    );
    assert_eq!(
        value(
            scrape,
            "skyfit_quarantined_rows",
            &[("table", "core.members")]
        ),
        14.0
    );
    assert_eq!(
        value(scrape, "skyfit_load_failed", &[("table", "core.tickets")]),
        1.0
    );
    assert_eq!(
        value(
            scrape,
            "skyfit_data_test_failures",
            &[("severity", "error")]
        ),
        1.0
    );
    assert_eq!(
        value(scrape, "skyfit_data_test_failures", &[("severity", "warn")]),
        0.0
    );
    assert_eq!(
        value(
            scrape,
            "skyfit_data_test_failing_rows",
            &[
                ("table", "core.members"),
                ("test", "unique(member_id)"),
                ("severity", "error")
            ]
        ),
        3.0
    );
    assert_eq!(value(scrape, "skyfit_stale_tables", &[]), 1.0);
    assert_eq!(
        value(
            scrape,
            "skyfit_stale_table_age_seconds",
            &[("table", "core.tickets")]
        ),
        108_000.0
    );
    assert_eq!(
        value(
            scrape,
            "skyfit_last_success_timestamp_seconds",
            &[("source", "zendesk")]
        ),
        1_740_949_200.0
    );
}

#[test]
fn the_rendered_text_parses_with_every_figure() {
    let text = metrics::render(&report());
    check_values(&parse(&text));
    // No row data: sample keys belong in alerts, never in metrics.
    assert!(!text.contains("1001"), "{text}");
}

#[test]
fn a_bare_report_still_says_whether_the_run_succeeded() {
    let now = chrono::Utc::now();
    let r = RunReport::new("r", "load", skyfit_report::RunStatus::Succeeded, now, now);
    let scrape = parse(&metrics::render(&r));
    assert_eq!(value(&scrape, "skyfit_run_success", &[]), 1.0);
    assert_eq!(value(&scrape, "skyfit_stale_tables", &[]), 0.0);
    assert_eq!(
        value(
            &scrape,
            "skyfit_data_test_failures",
            &[("severity", "error")]
        ),
        0.0
    );
    // Families without samples are left out, not written empty.
    assert!(!scrape.docs.contains_key("skyfit_rows_loaded"));
}

#[tokio::test]
async fn publish_writes_the_textfile_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("skyfit.prom");
    std::fs::write(&path, "stale 1\n").unwrap();
    let cfg = MetricsConfig::default().with_textfile(&path);
    let published = publish(&cfg, &report()).await;
    assert!(!published.has_failure(), "{published}");
    assert_eq!(published.push, Delivery::Skipped);

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, metrics::render(&report()));
    check_values(&parse(&text));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "a temporary file was left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "node_exporter must be able to read it");
    }
}

#[tokio::test]
async fn an_unwritable_textfile_is_reported_not_raised() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = MetricsConfig::default().with_textfile(dir.path().join("missing/skyfit.prom"));
    let published = publish(&cfg, &report()).await;
    assert!(published.has_failure());
    assert!(
        published
            .to_string()
            .starts_with("metrics file: cannot write the metrics file "),
        "{published}"
    );
}

#[tokio::test]
async fn pushes_the_text_format_to_the_group_url() {
    let server = Server::start(&[]).await;
    let cfg = PushConfig::try_new(&server.url("/"))
        .unwrap()
        .with_grouping("instance", "nightly-01");
    let text = metrics::render(&report());
    assert_eq!(
        push(&cfg, &text).await,
        Delivery::Delivered {
            attempts: 1,
            status: 200
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "PUT");
    assert_eq!(req.uri.path(), "/metrics/job/skyfit/instance/nightly-01");
    assert_eq!(req.headers["content-type"], TEXT_CONTENT_TYPE);
    check_values(&parse(std::str::from_utf8(&req.body).unwrap()));
}

#[tokio::test]
async fn publish_retries_a_failing_pushgateway_and_still_writes_the_file() {
    let server = Server::start(&[503]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("skyfit.prom");
    let retry = RetryPolicy {
        attempts: 3,
        request_timeout: Duration::from_millis(300),
        initial_backoff: Duration::from_millis(50),
        total: Duration::from_secs(2),
    };
    let cfg = MetricsConfig::default()
        .with_textfile(&path)
        .with_pushgateway(
            PushConfig::try_new(&server.url("/pushgateway"))
                .unwrap()
                .with_retry(retry),
        );
    let published = publish(&cfg, &report()).await;
    assert_eq!(
        published.push,
        Delivery::Delivered {
            attempts: 2,
            status: 200
        }
    );
    assert_eq!(
        server.requests()[1].uri.path(),
        "/pushgateway/metrics/job/skyfit"
    );
    assert!(path.exists());
    assert_eq!(
        published.to_string(),
        format!(
            "metrics file: written to {}; pushgateway: delivered (HTTP 200, 2 attempts)",
            path.display()
        )
    );
}
