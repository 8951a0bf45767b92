//! Connecting to PostgreSQL: one place builds the connection settings from the typed
//! config, picks TLS per `sslmode`, and retries while a server fails over.

use std::time::{Duration, Instant};

use skyfit_core::Classify;
use skyfit_core::config::{DatabaseConfig, SslMode};
use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::{Client, NoTls};
use tracing::{debug, warn};

use crate::error::{Error, Result};
use crate::tls;

/// A database to connect to. `Debug` and [`Database::target`] never show the password.
#[derive(Clone)]
pub struct Database {
    config: tokio_postgres::Config,
    sslmode: SslMode,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({}, sslmode={})", self.target(), self.sslmode)
    }
}

impl Database {
    /// From the `[database]` settings of a configured (not embedded) server.
    pub fn try_new(cfg: &DatabaseConfig) -> Result<Self> {
        let mut config = match &cfg.url {
            Some(url) => url.expose().parse::<tokio_postgres::Config>().map_err(|_| {
                // The parser's message may quote the URL, which may hold the password.
                Error::Settings("database.url is not a valid PostgreSQL URL (postgres://user:password@host:port/db)".into())
            })?,
            None => {
                let mut c = tokio_postgres::Config::new();
                let host = cfg
                    .host
                    .as_deref()
                    .ok_or_else(|| Error::Settings("database.host is not set".into()))?;
                c.host(host).port(cfg.port).dbname(&cfg.name);
                if let Some(u) = &cfg.user {
                    c.user(u);
                }
                if let Some(p) = &cfg.password {
                    c.password(p.expose());
                }
                c
            }
        };
        config.application_name(&cfg.application_name);
        config.connect_timeout(Duration::from_secs(15));
        config.keepalives_idle(Duration::from_secs(60));
        Ok(Self::from_pg_config(config, cfg.sslmode))
    }

    /// From a URL (the embedded server, tests).
    pub fn from_url(url: &str, sslmode: SslMode) -> Result<Self> {
        let mut config = url
            .parse::<tokio_postgres::Config>()
            .map_err(|_| Error::Settings("not a valid PostgreSQL URL".into()))?;
        config.application_name("skyfit");
        Ok(Self::from_pg_config(config, sslmode))
    }

    fn from_pg_config(mut config: tokio_postgres::Config, sslmode: SslMode) -> Self {
        config.ssl_mode(match sslmode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
        });
        Database { config, sslmode }
    }

    /// The same server, another database.
    pub fn with_dbname(&self, name: &str) -> Self {
        let mut d = self.clone();
        d.config.dbname(name);
        d
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or("postgres")
    }

    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// `user@host:port/db` for messages.
    pub fn target(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{host}:{port}/{}",
            self.config.get_user().unwrap_or("?"),
            self.dbname()
        )
    }

    /// A URL for other tools (psql); includes the password, so never log it.
    pub fn url_with_password(&self) -> String {
        let pw = self
            .config
            .get_password()
            .map(|p| format!(":{}", String::from_utf8_lossy(p)))
            .unwrap_or_default();
        let (user, rest) = self
            .target()
            .split_once('@')
            .map(|(u, r)| (u.to_string(), r.to_string()))
            .unwrap_or_default();
        format!("postgres://{user}{pw}@{rest}?sslmode={}", self.sslmode)
    }

    /// Opens one connection; its driver task runs on the current runtime.
    pub async fn connect(&self) -> Result<Client> {
        let fail = |source: tokio_postgres::Error| Error::Connect {
            target: self.target(),
            source,
        };
        match tls::connector(self.sslmode)? {
            None => {
                let (client, conn) = self.config.connect(NoTls).await.map_err(fail)?;
                tokio::spawn(async move {
                    if let Err(error) = conn.await {
                        debug!(%error, "PostgreSQL connection ended.");
                    }
                });
                Ok(client)
            }
            Some(tls) => {
                let (client, conn) = self.config.connect(tls).await.map_err(fail)?;
                tokio::spawn(async move {
                    if let Err(error) = conn.await {
                        debug!(%error, "PostgreSQL connection ended.");
                    }
                });
                Ok(client)
            }
        }
    }
}

/// Connects, retrying transient failures with exponential backoff for up to `budget`.
pub async fn connect_with_retry(db: &Database, budget: Duration) -> Result<Client> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match db.connect().await {
            Ok(c) => return Ok(c),
            Err(e) if e.retry().is_transient() && start.elapsed() + delay < budget => {
                warn!(target = %db.target(), attempt = attempts, error = %e, "Connecting failed, retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) if attempts > 1 => {
                return Err(Error::Exhausted {
                    attempts,
                    elapsed: start.elapsed(),
                    last: Box::new(e),
                });
            }
            Err(e) => return Err(e),
        }
    }
}
