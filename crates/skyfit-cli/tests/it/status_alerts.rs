//! `skyfit status` freshness, and the alerts and metrics of `skyfit run`, through the real
//! binary: real PostgreSQL, the simulator over HTTP, a webhook receiver and a Pushgateway
//! stand-in on ephemeral local ports.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};

use crate::support::{LocalEnv, output, text};

/// The webhook's path carries its credential, as Slack's does: it must never be printed.
const TOKEN: &str = "xoxTOKENneverPrinted42";

#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    uri: Uri,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Statuses to answer in turn; then `fallback`.
    answers: Arc<Mutex<VecDeque<u16>>>,
    fallback: u16,
}

async fn record(
    State(rx): State<Receiver>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> (StatusCode, &'static str) {
    rx.requests
        .lock()
        .unwrap()
        .push(Recorded { method, uri, body });
    let code = rx
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(rx.fallback);
    (StatusCode::from_u16(code).unwrap(), "boom")
}

/// An HTTP server recording every request, answering `fallback` to each.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    async fn start(fallback: u16) -> Server {
        let rx = Receiver {
            fallback,
            ..Default::default()
        };
        let requests = rx.requests.clone();
        let app = Router::new().fallback(record).with_state(rx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { addr, requests }
    }

    fn webhook_url(&self) -> String {
        format!("http://{}/services/T0001/B0002/{TOKEN}", self.addr)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// Accepts connections and never answers.
async fn hanging_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// Runs a prepared command off the runtime's threads, so the receivers keep answering.
async fn status_json(env: &LocalEnv, vars: &[(&str, &str)]) -> serde_json::Value {
    let mut c = env.skyfit(&["status", "--json"]);
    c.envs(vars.iter().copied());
    let out = output(c).await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("status --json is not one JSON object ({e}): {stdout}"))
}

fn tables(status: &serde_json::Value) -> &Vec<serde_json::Value> {
    status["tables"]
        .as_array()
        .unwrap_or_else(|| panic!("no tables in {status}"))
}

fn parse_metrics(path: &std::path::Path) -> prometheus_parse::Scrape {
    let body = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("metrics file {}: {e}", path.display()));
    assert!(body.ends_with("# EOF\n"), "{body}");
    let samples = body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap();
    // The parser skips what it cannot read: every sample line must have been read.
    assert_eq!(scrape.samples.len(), samples, "{body}");
    scrape
}

fn gauge(scrape: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{name} is not a gauge: {other:?}"),
        })
        .unwrap_or_else(|| panic!("no {name} {label:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tells_fresh_from_stale_and_the_run_writes_its_metrics() {
    let env = LocalEnv::new().await;
    let prom = env.dir.path().join("skyfit.prom");
    let mut c = env.skyfit(&["run", "--sim-scale", "tiny"]);
    c.env("SKYFIT_METRICS_TEXTFILE", &prom);
    let out = output(c).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");

    // The run's metrics: a file the Prometheus parser reads whole.
    let scrape = parse_metrics(&prom);
    assert_eq!(gauge(&scrape, "skyfit_run_success", None), 1.0);
    assert_eq!(
        gauge(
            &scrape,
            "skyfit_rows_loaded",
            Some(("table", "core.evo_entries"))
        ),
        2000.0
    );
    assert!(gauge(&scrape, "skyfit_api_requests", Some(("entity", "entries"))) > 0.0);
    assert!(
        gauge(
            &scrape,
            "skyfit_last_success_timestamp_seconds",
            Some(("source", "zendesk"))
        ) > 1.7e9
    );

    // Right after the night: every core table fresh, with its rows.
    let status = status_json(&env, &[]).await;
    assert_eq!(status["stale_tables"], 0, "{status}");
    let all = tables(&status);
    assert!(all.len() >= 20, "{status}");
    for t in all {
        let name = t["table"].as_str().unwrap();
        assert_eq!(t["stale"], false, "{t}");
        assert!(t["current_as_of"].is_string(), "{t}");
        assert!(t["last_load"].is_string(), "{t}");
        let count: i64 = env
            .db
            .client()
            .query_one(&format!("SELECT count(*) FROM {name}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(t["rows"].as_i64(), Some(count), "{t}");
    }
    let entries = all
        .iter()
        .find(|t| t["table"] == "core.evo_entries")
        .unwrap();
    assert_eq!(entries["rows"], 2000, "{entries}");
    assert_eq!(entries["source"], "evo");
    assert!(entries["watermark"].is_string(), "{entries}");
    let sources = status["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3, "{status}");
    for s in sources {
        assert!(s["requests"].as_i64().unwrap() > 0, "{s}");
        assert_eq!(s["entities_failed"], 0, "{s}");
    }
    let out = output(env.skyfit(&["status", "--fail-on-stale"])).await;
    assert!(out.status.success(), "{}", text(&out));

    // A second night finds nothing new: the tables load nothing, and stay fresh.
    let out = output(env.skyfit(&["run", "--sim-scale", "tiny"])).await;
    assert!(out.status.success(), "{}", text(&out));
    let status = status_json(&env, &[]).await;
    assert_eq!(status["stale_tables"], 0, "{status}");

    // A limit of 0 hours: EVO's tables are stale, the others not.
    let status = status_json(&env, &[("SKYFIT_FRESHNESS_EVO_HOURS", "0")]).await;
    for t in tables(&status) {
        let evo = t["source"] == "evo";
        assert_eq!(t["stale"], evo, "{t}");
    }
    let mut c = env.skyfit(&["status", "--fail-on-stale"]);
    c.env("SKYFIT_FRESHNESS_EVO_HOURS", "0");
    let out = output(c).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("STALE"), "{}", text(&out));

    // The clock moved 30 hours on: every table is stale under the default 26 h.
    env.db
        .client()
        .batch_execute(
            "UPDATE meta.pipeline_runs SET started_at = started_at - interval '30 hours',
                 finished_at = finished_at - interval '30 hours';
             UPDATE meta.loaded_parts SET loaded_at = loaded_at - interval '30 hours';",
        )
        .await
        .unwrap();
    let status = status_json(&env, &[]).await;
    let all = tables(&status);
    assert_eq!(status["stale_tables"].as_u64(), Some(all.len() as u64));
    for t in all {
        assert!(t["age_secs"].as_i64().unwrap() >= 30 * 3600, "{t}");
        assert_eq!(t["limit_secs"], 26 * 3600, "{t}");
    }
    let out = output(env.skyfit(&["status"])).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("core.evo_entries") && t.contains("STALE"), "{t}");
    assert!(t.contains("Sources") && t.contains("requests"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_sends_one_alert_with_its_run_id_and_no_secret() {
    let env = LocalEnv::new().await;
    let hook = Server::start(200).await;
    let prom = env.dir.path().join("skyfit.prom");
    // The lake's directory cannot be created: its parent is a file.
    let blocker = env.dir.path().join("not-a-directory");
    std::fs::write(&blocker, "x").unwrap();
    let mut c = env.skyfit(&["run", "--sim-scale", "tiny"]);
    c.env("SKYFIT_LAKE_URL", blocker.join("lake"))
        .env("SKYFIT_ALERT_WEBHOOK_URL", hook.webhook_url())
        .env("SKYFIT_METRICS_TEXTFILE", &prom);
    let out = output(c).await;
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(!t.contains(TOKEN), "{t}");

    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.method, Method::POST);
    assert!(r.uri.path().ends_with(TOKEN));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let message = body["text"].as_str().unwrap();
    assert!(!message.contains(TOKEN), "{message}");
    let run_id = message
        .split("SkyFit run ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no run id in {message}"));
    assert!(t.contains(run_id), "run id {run_id} not in the output: {t}");
    assert!(message.contains(" failed "), "{message}");
    assert!(
        message.contains(&format!("skyfit status --run {run_id}")),
        "{message}"
    );
    assert!(message.contains("*Failed*"), "{message}");

    // The failed run's metrics are written too.
    let scrape = parse_metrics(&prom);
    assert_eq!(gauge(&scrape, "skyfit_run_success", None), 0.0);
    assert_eq!(
        gauge(&scrape, "skyfit_run_status", Some(("status", "failed"))),
        1.0
    );

    // A stage that fails half-way: EVO refuses the credentials, the other sources load.
    let evo = Server::start(401).await;
    let mut c = env.skyfit(&["run", "--sim-scale", "tiny"]);
    c.env("EVO_API_URL", format!("http://{}", evo.addr))
        .env("EVO_USERNAME", "skyfit")
        .env("EVO_PASSWORD", "evo-pw-never-printed")
        .env("SKYFIT_ALERT_WEBHOOK_URL", hook.webhook_url())
        .env("SKYFIT_METRICS_TEXTFILE", &prom);
    let out = output(c).await;
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    let run_id = t
        .split("Nightly run ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .unwrap_or_else(|| panic!("no run id in {t}"))
        .to_string();
    let requests = hook.requests();
    assert_eq!(requests.len(), 2, "one alert per run: {requests:?}");
    let body: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    let message = body["text"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("*SkyFit run {run_id} partly failed")),
        "{message}"
    );
    // The entity the extraction stopped at, and why.
    assert!(
        message.contains("extract evo/members: ") && message.contains("401"),
        "{message}"
    );
    assert!(
        !message.contains(TOKEN) && !message.contains("evo-pw-never-printed"),
        "{message}"
    );
    let scrape = parse_metrics(&prom);
    assert_eq!(
        gauge(&scrape, "skyfit_run_status", Some(("status", "partial"))),
        1.0
    );

    // `status` shows what failed: the source's extraction, and the run's rows.
    let status = status_json(&env, &[]).await;
    let evo_source = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "evo")
        .unwrap_or_else(|| panic!("no evo source in {status}"));
    assert!(
        evo_source["entities_failed"].as_i64().unwrap() >= 1,
        "{evo_source}"
    );
    let zendesk = tables(&status)
        .iter()
        .find(|t| t["table"] == "core.zd_tickets")
        .unwrap();
    assert_eq!(zendesk["stale"], false, "{zendesk}");
    let out = output(env.skyfit(&["status", "--run", &run_id])).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("FAILED") && t.contains("bronze") && t.contains("core.zd_tickets"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_that_fail_or_hang_neither_fail_nor_hang_the_run() {
    let env = LocalEnv::new().await;
    let hanging = hanging_server().await;
    let pushgateway = Server::start(500).await;
    let started = Instant::now();
    let mut c = env.skyfit(&["run", "--sim-scale", "tiny"]);
    // A freshness limit of 0 h makes every EVO table stale at the end of the run: an alert.
    c.env("SKYFIT_FRESHNESS_EVO_HOURS", "0")
        .env(
            "SKYFIT_ALERT_WEBHOOK_URL",
            format!("http://{hanging}/services/T0001/B0002/{TOKEN}"),
        )
        .env(
            "SKYFIT_METRICS_PUSHGATEWAY_URL",
            format!("http://{}", pushgateway.addr),
        );
    let out = output(c).await;
    let elapsed = started.elapsed();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // The deliveries run together, each within the crate's bound of 30 s.
    assert!(elapsed < Duration::from_secs(75), "{elapsed:?}\n{t}");
    assert!(!t.contains(TOKEN), "{t}");
    assert!(t.contains("The alert was not delivered"), "{t}");
    assert!(t.contains("The metrics were not all published"), "{t}");
    let pushes = pushgateway.requests();
    assert_eq!(pushes.len(), 3, "{pushes:?}");
    assert!(
        pushes
            .iter()
            .all(|p| p.method == Method::PUT && p.uri.path() == "/metrics/job/skyfit")
    );
}
