//! Fixtures: a simulator, a lake in a temp dir, a config pointing at both, bronze readers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use skyfit_api_sim::{FaultConfig, RunningSim, Scale, SimConfig, Simulator};
use skyfit_core::{Config, Secret, Source};
use skyfit_extract::{ExtractOptions, ExtractRequest, NoProgress, RunSummary};
use skyfit_lake::{EntityKey, LakeStore, Manifest, Reject, RunRef};

pub const SEED: u64 = 7;

pub struct Env {
    pub sim: RunningSim,
    pub scale: Scale,
    pub config: Config,
    pub opts: ExtractOptions,
    pub lake: LakeStore,
    pub dir: tempfile::TempDir,
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

impl Env {
    pub async fn start(scale: Scale, faults: FaultConfig) -> Env {
        let sim = Simulator::start(
            SimConfig::new(SEED, scale).with_faults(faults),
            "127.0.0.1:0".parse().expect("addr"),
        )
        .await
        .expect("simulator starts");
        let creds = sim.credentials().clone();
        let mut config = Config::default();
        config.evo.api_url = sim.evo_url().to_string();
        config.evo.username = Some(creds.evo_user.clone());
        config.evo.password = Some(Secret::new(creds.evo_password.clone()));
        config.evo.requests_per_minute = 60_000;
        config.pipedrive.api_url = Some(sim.pipedrive_url().to_string());
        config.pipedrive.token_comercial =
            Some(Secret::new(creds.pipedrive_token_comercial.clone()));
        config.pipedrive.token_expansao = Some(Secret::new(creds.pipedrive_token_expansao.clone()));
        config.zendesk.api_url = Some(sim.zendesk_url().to_string());
        config.zendesk.email = Some(creds.zendesk_email.clone());
        config.zendesk.api_token = Some(Secret::new(creds.zendesk_token.clone()));
        let dir = tempfile::tempdir().expect("temp dir");
        let lake = LakeStore::try_new(dir.path().to_str().expect("utf-8 path")).expect("lake");
        let mut opts = ExtractOptions::fast_for_tests();
        opts.pipedrive.requests_per_minute = 60_000;
        opts.zendesk.requests_per_minute = 60_000;
        opts.zendesk.incremental_per_minute = 60_000;
        Env {
            sim,
            scale,
            config,
            opts,
            lake,
            dir,
        }
    }

    pub async fn extract(&self, req: &ExtractRequest) -> skyfit_extract::Result<RunSummary> {
        skyfit_extract::extract(req, &self.config, &self.opts, &self.lake, &NoProgress).await
    }

    /// The manifest of an entity's run.
    pub async fn manifest(
        &self,
        scope: Option<&str>,
        entity: &str,
        summary: &RunSummary,
    ) -> Manifest {
        let key = EntityKey::try_new(summary.source, scope, entity).expect("key");
        self.lake
            .read_manifest(&RunRef::new(key, summary.run_id.clone()))
            .await
            .expect("read manifest")
            .expect("manifest exists")
    }

    /// Every record of an entity's complete runs: bytes → number of copies.
    pub async fn bronze(
        &self,
        source: Source,
        scope: Option<&str>,
        entity: &str,
    ) -> BTreeMap<Vec<u8>, u32> {
        let key = EntityKey::try_new(source, scope, entity).expect("key");
        let mut out = BTreeMap::new();
        for (_, manifest) in self.lake.list_complete_runs(&key).await.expect("list runs") {
            for part in &manifest.parts {
                let jsonl = self.lake.read_part_verified(part).await.expect("read part");
                for (_, rec) in jsonl.records() {
                    *out.entry(rec.to_vec()).or_insert(0) += 1;
                }
            }
        }
        out
    }

    pub async fn rejects(
        &self,
        scope: Option<&str>,
        entity: &str,
        summary: &RunSummary,
    ) -> Vec<Reject> {
        let key = EntityKey::try_new(summary.source, scope, entity).expect("key");
        let run = RunRef::new(key, summary.run_id.clone());
        let manifest = self.manifest(scope, entity, summary).await;
        self.lake
            .read_rejects(&run, &manifest)
            .await
            .expect("read rejects")
    }
}

pub fn total(records: &BTreeMap<Vec<u8>, u32>) -> u64 {
    records.values().map(|n| u64::from(*n)).sum()
}

/// A plain HTTP server on another port that answers every request with an empty EVO page
/// (`[]`) and counts the requests: where a hostile redirect points.
pub struct HostileServer {
    url: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    pub async fn start() -> HostileServer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                          content-length: 2\r\nconnection: close\r\n\r\n[]",
                    )
                    .await;
            }
        });
        HostileServer {
            url,
            requests,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Connections it accepted.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
