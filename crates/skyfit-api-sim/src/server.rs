//! Starting, running and stopping the three listeners.
//!
//! Constraint: one listener per API, because Pipedrive and Zendesk both serve `/api/v2/...`.
//! A bind address with port 0 gives three ephemeral ports; port `P` gives `P`, `P+1`, `P+2`
//! (EVO, Pipedrive, Zendesk).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::{Error, Result};
use crate::faults::ApiFaults;
use crate::http::Api;
use crate::limits::Limiter;
use crate::pipeline::{self, ListenerState};
use crate::state::{Credentials, Shared};
use crate::stats::SimStats;
use crate::synth::Gen;

/// Requests kept per API: enough for any test's run, bounded for a long-running simulator.
const REQUEST_LOG: usize = 10_000;

/// Records each request's path and query, then answers it.
async fn logged(state: State<ListenerState>, req: Request) -> Response<Body> {
    let line = req.uri().path_and_query().map_or_else(
        || req.uri().path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    if !line.starts_with("/_sim/") {
        let log = &state.0.shared.requests[state.0.api.idx()];
        let mut log = match log.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if log.len() == REQUEST_LOG {
            log.pop_front();
        }
        log.push_back(line);
    }
    pipeline::handle(state, req).await
}

/// Entry point: `Simulator::start(config, addr)`.
pub struct Simulator;

impl Simulator {
    /// Binds the three listeners and starts serving in the background on the current runtime.
    pub async fn start(config: SimConfig, bind: SocketAddr) -> Result<RunningSim> {
        let creds = Credentials::for_seed(config.seed, &config.evo_user);
        let shared = Arc::new(Shared {
            seed: config.seed,
            scale: config.scale,
            now: AtomicI64::new(config.now),
            creds: creds.clone(),
            faults: [
                RwLock::new(config.faults.evo.clone()),
                RwLock::new(config.faults.pipedrive.clone()),
                RwLock::new(config.faults.zendesk.clone()),
            ],
            counters: Default::default(),
            limiter: Mutex::new(Limiter::default()),
            started: Instant::now(),
            requests: Default::default(),
        });
        let (tx, rx) = watch::channel(false);
        let mut urls = Vec::new();
        let mut tasks = Vec::new();
        for (offset, api) in [Api::Evo, Api::Pipedrive, Api::Zendesk]
            .into_iter()
            .enumerate()
        {
            let mut addr = bind;
            if bind.port() != 0 {
                addr.set_port(bind.port().saturating_add(offset as u16));
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind {
                    api: api.name(),
                    addr,
                    source,
                })?;
            let local = listener.local_addr()?;
            let base_url = format!("http://{local}");
            let state = ListenerState {
                api,
                shared: shared.clone(),
                base_url: base_url.clone(),
            };
            let app = Router::new().fallback(logged).with_state(state);
            let mut stop = rx.clone();
            tasks.push(tokio::spawn(async move {
                let shutdown = async move {
                    // Either an explicit shutdown or the sender being dropped stops the server.
                    let _ = stop.wait_for(|v| *v).await;
                };
                if let Err(error) = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    tracing::error!(api = api.name(), %error, "Simulator listener failed.");
                }
            }));
            tracing::info!(api = api.name(), url = %base_url, "Simulator listening.");
            urls.push(base_url);
        }
        let [evo, pipedrive, zendesk]: [String; 3] = urls
            .try_into()
            .map_err(|_| Error::Config("expected three listeners".into()))?;
        Ok(RunningSim {
            urls: [evo, pipedrive, zendesk],
            creds,
            shared,
            stop: tx,
            tasks,
        })
    }
}

/// A running simulator. Dropping it stops the listeners; [`RunningSim::shutdown`] also waits.
pub struct RunningSim {
    urls: [String; 3],
    creds: Credentials,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSim {
    /// Base URL of an API (`http://127.0.0.1:PORT`, no trailing slash; append `/api/...`).
    pub fn base_url(&self, api: Api) -> &str {
        &self.urls[api.idx()]
    }

    /// EVO base URL.
    pub fn evo_url(&self) -> &str {
        &self.urls[0]
    }

    /// Pipedrive base URL (both accounts; the token picks the account).
    pub fn pipedrive_url(&self) -> &str {
        &self.urls[1]
    }

    /// Zendesk base URL.
    pub fn zendesk_url(&self) -> &str {
        &self.urls[2]
    }

    /// Credentials to use.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// Counters of all APIs.
    pub fn stats(&self) -> SimStats {
        self.shared.stats()
    }

    /// Path and query of the requests `api` answered, oldest first (the latest 10,000):
    /// tests check what a client asked for, e.g. that an incremental run starts at its
    /// watermark.
    pub fn requests(&self, api: Api) -> Vec<String> {
        let log = match self.shared.requests[api.idx()].lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        log.iter().cloned().collect()
    }

    /// Current faults of an API.
    pub fn faults(&self, api: Api) -> ApiFaults {
        self.shared.faults(api)
    }

    /// Replaces the faults of an API.
    pub fn set_faults(&self, api: Api, faults: ApiFaults) {
        self.shared.set_faults(api, faults);
    }

    /// The simulated clock (epoch seconds).
    pub fn now(&self) -> i64 {
        self.shared.now.load(Ordering::Relaxed)
    }

    /// Sets the simulated clock.
    pub fn set_now(&self, now: i64) {
        self.shared.now.store(now, Ordering::Relaxed);
    }

    /// Moves the simulated clock forward.
    pub fn advance(&self, secs: i64) {
        self.shared.now.fetch_add(secs, Ordering::Relaxed);
    }

    /// The generator the server uses right now (for ground-truth assertions).
    pub fn generator(&self) -> Gen {
        self.shared.generator()
    }

    /// Human-readable base URLs and credentials (what `skyfit sim serve` prints).
    pub fn banner(&self) -> String {
        let c = &self.creds;
        format!(
            "SkyFit API simulator (seed {seed})\n\
             EVO        {evo}\n  basic auth user={eu} password={ep}\n\
             Pipedrive  {pd}\n  x-api-token comercial={pc}\n  x-api-token expansao={px}\n\
             Zendesk    {zd}\n  basic auth user={zu} password={zt}\n\
             Admin      GET|POST <any base URL>/_sim/stats | /_sim/faults | /_sim/clock\n",
            seed = self.shared.seed,
            evo = self.urls[0],
            eu = c.evo_user,
            ep = c.evo_password,
            pd = self.urls[1],
            pc = c.pipedrive_token_comercial,
            px = c.pipedrive_token_expansao,
            zd = self.urls[2],
            zu = c.zendesk_user(),
            zt = c.zendesk_token,
        )
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the listeners.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// What `skyfit sim serve` calls: start, print base URLs and credentials to stdout, serve until
/// Ctrl-C, then shut down gracefully.
pub async fn run_until_ctrl_c(config: SimConfig, bind: SocketAddr) -> Result<()> {
    let sim = Simulator::start(config, bind).await?;
    println!("{}", sim.banner());
    tokio::signal::ctrl_c().await?;
    tracing::info!("Ctrl-C received; stopping the simulator.");
    sim.shutdown().await;
    Ok(())
}
