//! Fixtures: a realistic report, HTTP receivers on ephemeral ports, captured logs.

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::{TimeZone, Utc};
use skyfit_report::{
    EntityReport, RunReport, RunStatus, Severity, Stage, StaleTable, TargetReport, TargetStatus,
    TestFailure,
};

/// A webhook path shaped like Slack's, with a token that must never leak.
pub const TOKEN: &str = "xoxTOKENdoNotLeak42";

pub fn webhook_path() -> String {
    format!("/services/T0123/B0456/{TOKEN}")
}

/// A partly failed nightly run with something in every section.
pub fn report() -> RunReport {
    let start = Utc.with_ymd_and_hms(2025, 3, 4, 3, 0, 0).unwrap();
    let end = start + chrono::Duration::milliseconds(754_250);
    let mut r = RunReport::new(
        "20250304T030000Z-1a2b",
        "run",
        RunStatus::Partial,
        start,
        end,
    );
    r.stages.insert(Stage::Extract, 512.5);
    r.stages.insert(Stage::Transform, 20.25);
    r.stages.insert(Stage::Load, 200.0);
    r.stages.insert(Stage::Tests, 21.5);
    r.entities = vec![
        EntityReport {
            source: "evo".into(),
            entity: "entries".into(),
            records: 120_000,
            rejects: 2,
            pages: 240,
            requests: 251,
            throttled: 11,
            ..Default::default()
        },
        EntityReport {
            source: "pipedrive".into(),
            scope: Some("comercial".into()),
            entity: "deals".into(),
            records: 3_400,
            pages: 7,
            requests: 7,
            ..Default::default()
        },
        EntityReport {
            source: "zendesk".into(),
            entity: "tickets".into(),
            records: 0,
            pages: 1,
            requests: 4,
            error: Some("HTTP 503 after 3 tries at page cursor=abc".into()),
            ..Default::default()
        },
    ];
    r.targets = vec![
        TargetReport {
            table: "core.entries".into(),
            rows: 119_998,
            quarantined: 0,
            status: TargetStatus::Loaded,
            error: None,
        },
        TargetReport {
            table: "core.members".into(),
            rows: 5_210,
            quarantined: 14,
            status: TargetStatus::Loaded,
            error: None,
        },
        TargetReport {
            table: "core.tickets".into(),
            rows: 0,
            quarantined: 0,
            status: TargetStatus::Failed,
            error: Some("no complete zendesk run to load".into()),
        },
    ];
    r.test_failures = vec![TestFailure {
        test: "unique(member_id)".into(),
        table: "core.members".into(),
        severity: Severity::Error,
        failing_rows: 3,
        sample_keys: vec!["1001".into(), "1002".into(), "1007".into()],
    }];
    r.stale_tables = vec![StaleTable {
        table: "core.tickets".into(),
        age_secs: 30 * 3600,
        limit_secs: 26 * 3600,
    }];
    r.last_success.insert(
        "evo".into(),
        Utc.with_ymd_and_hms(2025, 3, 4, 3, 8, 32).unwrap(),
    );
    r.last_success.insert(
        "pipedrive".into(),
        Utc.with_ymd_and_hms(2025, 3, 4, 3, 9, 1).unwrap(),
    );
    r.last_success.insert(
        "zendesk".into(),
        Utc.with_ymd_and_hms(2025, 3, 2, 21, 0, 0).unwrap(),
    );
    r
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Statuses to answer, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn record(
    State(rx): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    rx.requests.lock().unwrap().push(Recorded {
        method,
        uri,
        headers,
        body,
    });
    let code = rx.answers.lock().unwrap().pop_front().unwrap_or(200);
    let status = StatusCode::from_u16(code).unwrap();
    (status, if status.is_success() { "ok" } else { "boom" })
}

/// An HTTP server that records every request and answers `answers` in turn, then 200.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub async fn start(answers: &[u16]) -> Server {
        let rx = Receiver::default();
        rx.answers.lock().unwrap().extend(answers);
        let requests = rx.requests.clone();
        let app = Router::new().fallback(record).with_state(rx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { addr, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// A server that accepts connections and never answers.
pub async fn hanging_server() -> SocketAddr {
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

/// Log lines captured from a `tracing` subscriber installed for the current thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures logs as `skyfit -vv` shows them (trace for SkyFit, info for dependencies)
    /// until the guard drops; a `#[tokio::test]` runs on the current thread, so all of it.
    pub fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("info,skyfit_report=trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
