//! `skyfit webhook serve` as a process: a stream of EVO callbacks, `kill -9` right after some
//! were acknowledged, and every acknowledged callback is in the lake; then `skyfit extract evo
//! members` re-fetches exactly those member ids and leaves nothing pending.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use skyfit_api_sim::synth::time::DEFAULT_NOW;
use skyfit_api_sim::{Api, FaultConfig, Scale, SimConfig};
use skyfit_core::Source;
use skyfit_extract::webhook;
use skyfit_lake::{EntityKey, LakeStore};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{output, skyfit, text};

const SECRET: &str = "kill-9-test-secret";

fn lake_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("lake")
}

/// Starts the receiver on a free port; returns the child and its callback URL.
async fn serve(dir: &Path) -> (tokio::process::Child, String) {
    let log = std::fs::File::create(dir.join("serve.log")).expect("log file");
    let mut cmd = skyfit(dir);
    cmd.args(["webhook", "serve", "--listen", "127.0.0.1:0"])
        .env("SKYFIT_LAKE_URL", lake_dir(dir))
        .env("SKYFIT_EVO_WEBHOOK_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(log);
    let mut child = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .expect("skyfit starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the receiver says where it listens")
        .expect("read stdout")
        .expect("a line");
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (child, url)
}

fn body(id: u64) -> String {
    format!(r#"{{"IdW12":3,"IdBranch":1,"IdRecord":{id},"EventType":"AlterMember"}}"#)
}

#[tokio::test]
async fn kill_9_under_a_stream_of_callbacks_loses_none_acknowledged_and_the_next_run_refetches_them()
 {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, url) = serve(dir.path()).await;
    let http = reqwest::Client::new();

    // Refused ones are counted (and the secret never shows in the log).
    let wrong = http
        .post(&url)
        .header("X-Skyfit-Webhook-Secret", "nope")
        .body(body(1))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status().as_u16(), 401);
    let bad = http
        .post(&url)
        .header("X-Skyfit-Webhook-Secret", SECRET)
        .body("{\"IdRecord\":")
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status().as_u16(), 400);
    let health = http
        .get(url.replace("/webhooks/evo", "/health"))
        .send()
        .await
        .expect("health")
        .text()
        .await
        .expect("body");
    assert!(
        health.contains(r#""refused_unauthorized":1"#)
            && health.contains(r#""refused_malformed":1"#),
        "{health}"
    );

    // Four senders, each posting member ids one after another until the process dies.
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut senders = Vec::new();
    for k in 0..4u64 {
        let (http, url, acked) = (http.clone(), url.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for n in 0..200u64 {
                let id = 1 + k + 4 * n;
                let sent = http
                    .post(&url)
                    .header("X-Skyfit-Webhook-Secret", SECRET)
                    .body(body(id))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 200 => {
                        acked.lock().expect("lock").insert(id);
                    }
                    Ok(r) => panic!("callback {id} answered {}", r.status()),
                    // The receiver was killed.
                    Err(_) => break,
                }
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if acked.lock().expect("lock").len() >= 60 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline && senders.iter().any(|s| !s.is_finished()),
            "the receiver stopped acknowledging"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL on Unix, while the senders still have requests in flight.
    child.kill().await.expect("SIGKILL");
    for s in senders {
        s.await.expect("sender");
    }
    let acked: BTreeSet<u64> = acked.lock().expect("lock").clone();
    assert!(acked.len() >= 60 && acked.len() < 800, "{}", acked.len());

    let lake = LakeStore::try_new(lake_dir(dir.path()).to_str().expect("utf-8")).expect("lake");
    let (pending, unreadable) = webhook::list_pending(&lake).await.expect("pending");
    assert!(unreadable.is_empty(), "{unreadable:?}");
    let stored: BTreeSet<u64> = pending
        .iter()
        .map(|p| p.stored.callback.id_record)
        .collect();
    println!(
        "acknowledged {}, stored {} (stored but unanswered at the kill: {})",
        acked.len(),
        stored.len(),
        stored.difference(&acked).count()
    );
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(log.contains("refused_unauthorized"), "{log}");
    assert!(!log.contains(SECRET), "the secret is logged");

    // The next extraction re-fetches exactly the stored ids (a callback stored but not yet
    // acknowledged when the kill came is re-fetched too: harmless).
    let mut scale = Scale::tiny();
    scale.evo_members = 3_000;
    let sim = skyfit_api_sim::Simulator::start(
        SimConfig::new(5, scale).with_faults(FaultConfig::none()),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator starts");
    sim.set_now(DEFAULT_NOW);
    let creds = sim.credentials();
    let mut cmd = skyfit(dir.path());
    cmd.args(["extract", "evo", "members", "--since", "2026-11-20"])
        .env("SKYFIT_LAKE_URL", lake_dir(dir.path()))
        .env("EVO_API_URL", sim.evo_url())
        .env("EVO_USERNAME", &creds.evo_user)
        .env("EVO_PASSWORD", &creds.evo_password)
        .env("SKYFIT_EVO_REQUESTS_PER_MINUTE", "60000");
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("webhooks:"), "{}", text(&out));

    let mut asked = BTreeSet::new();
    for line in sim.requests(Api::Evo) {
        if let Some((_, q)) = line.split_once("idsMembers=") {
            let csv = q.split('&').next().unwrap_or("").replace("%2C", ",");
            asked.extend(csv.split(',').filter_map(|s| s.parse::<u64>().ok()));
        }
    }
    assert_eq!(asked, stored, "re-fetched ids");
    let (pending, _) = webhook::list_pending(&lake).await.expect("pending");
    assert!(pending.is_empty(), "{} still pending", pending.len());
    let key = EntityKey::try_new(Source::Evo, None, "members").expect("key");
    let runs = lake.list_complete_runs(&key).await.expect("runs");
    let (_, manifest) = runs.last().expect("a complete members run");
    let refetched: u64 = manifest
        .windows
        .iter()
        .filter(|w| w.id.starts_with("webhook:"))
        .map(|w| w.records)
        .sum();
    assert_eq!(refetched, stored.len() as u64);
}

#[tokio::test]
async fn serve_without_a_secret_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = skyfit(dir.path());
    cmd.args(["webhook", "serve", "--listen", "127.0.0.1:0"])
        .env("SKYFIT_LAKE_URL", lake_dir(dir.path()));
    let out = output(cmd).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("SKYFIT_EVO_WEBHOOK_SECRET"),
        "{}",
        text(&out)
    );
}
