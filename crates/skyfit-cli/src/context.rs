//! What every command needs: the loaded configuration and, on demand, the database
//! (configured, or the embedded local server).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context as _, Result};
use skyfit_core::Config;
use skyfit_core::config::ConfigSources;
use skyfit_lake::{AzureCredentials, AzureOptions, LakeStore};
use skyfit_transform::QuerySet;
use skyfit_warehouse::Database;

use crate::cli::GlobalArgs;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/queries.rs"));
}

pub struct Context {
    pub config: Config,
    /// `--queries DIR`.
    queries_dir: Option<std::path::PathBuf>,
    /// [`Context::queries`], resolved on first use: the comparison with `./queries` reads every
    /// file, and its warning is said once per command.
    queries: OnceLock<QuerySet>,
}

impl Context {
    pub fn load(g: &GlobalArgs) -> Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let config = Config::load(&ConfigSources {
            file: g.config.clone(),
            env,
        })?;
        Ok(Context::new(config, g.queries.clone()))
    }

    pub fn new(config: Config, queries_dir: Option<std::path::PathBuf>) -> Self {
        Context {
            config,
            queries_dir,
            queries: OnceLock::new(),
        }
    }

    /// The warehouse to use. For the embedded default this starts the local server, creates
    /// the database if missing and says so on stderr.
    pub async fn database(&self) -> Result<Database> {
        if !self.config.database.is_embedded() {
            return Ok(Database::try_new(&self.config.database)?);
        }
        let server = skyfit_warehouse::ensure_local_server()
            .await
            .context("no database is configured (PG_HOST or DATABASE_URL), and the embedded local PostgreSQL could not be started")?;
        let db = server.ensure_database(&self.config.database.name).await?;
        crate::commands::progress::console().note(&format!(
            "Using the embedded database {} ({}).",
            db.target(),
            server.how
        ));
        Ok(db)
    }

    /// The lake. The reference deployment's Azure variables alone (account + key, no
    /// `lake.url`) select its ADLS container, so an existing `.env` keeps writing there.
    pub fn lake(&self) -> Result<LakeStore> {
        let l = &self.config.lake;
        let default_url = l.url == skyfit_core::config::LakeConfig::default().url;
        let url = match (
            &l.azure_account,
            default_url && (l.azure_key.is_some() || l.azure_sas.is_some()),
        ) {
            (Some(account), true) => format!(
                "abfss://{}@{account}.dfs.core.windows.net/",
                l.azure_container
            ),
            _ => l.url.clone(),
        };
        let mut azure = AzureOptions::default();
        if let Some(a) = &l.azure_account {
            azure = azure.with_account(a);
        }
        if let Some(k) = &l.azure_key {
            azure = azure.with_credentials(AzureCredentials::AccessKey(k.clone()));
        } else if let Some(s) = &l.azure_sas {
            azure = azure.with_credentials(AzureCredentials::Sas(s.clone()));
        }
        if let Some(e) = &l.azure_endpoint {
            azure.endpoint = Some(e.clone());
        }
        LakeStore::builder(url)
            .with_azure(azure)
            .build()
            .context("opening the lake (lake.url)")
    }

    /// A connected, migrated client.
    pub async fn migrated_client(&self) -> Result<tokio_postgres::Client> {
        let db = self.database().await?;
        self.migrate(&db).await
    }

    /// Applies pending migrations (every command that writes does, so a fresh database works).
    pub async fn migrate(&self, db: &Database) -> Result<tokio_postgres::Client> {
        let mut client =
            skyfit_warehouse::connect_with_retry(db, std::time::Duration::from_secs(60)).await?;
        for name in skyfit_warehouse::migrate(&mut client).await? {
            tracing::info!(migration = %name, "Applied migration.");
        }
        Ok(client)
    }

    /// The transform session's settings from the configuration.
    pub fn session_options(&self) -> skyfit_transform::SessionOptions {
        skyfit_transform::SessionOptions {
            evo_timezone: self.config.evo.source_timezone.clone(),
        }
    }

    /// The transform SQL: `--queries DIR` (or `SKYFIT_QUERIES_DIR`), else the copy compiled
    /// into this binary, which matches its migrations. A `./queries` that differs from that
    /// copy is not used silently: a warning says how to use it.
    pub fn queries(&self) -> QuerySet {
        self.queries
            .get_or_init(|| resolve_queries(self.queries_dir.as_deref()))
            .clone()
    }
}

/// `--queries DIR`, else the binary's own copy, with a warning when `./queries` differs from it.
fn resolve_queries(dir: Option<&Path>) -> QuerySet {
    if let Some(d) = dir {
        return QuerySet::Dir(d.into());
    }
    if let Some(file) = differing_local_copy(Path::new("queries")) {
        tracing::warn!(
            file = %file,
            "./queries differs from the SQL compiled into this binary; running the binary's. \
             Pass --queries queries to run yours, or rebuild skyfit."
        );
    }
    QuerySet::Embedded(embedded::QUERIES)
}

/// The first file in which the queries directory `dir` differs from the binary's copy (a file
/// changed, missing or added), or `None` when it is the same or absent.
fn differing_local_copy(dir: &Path) -> Option<String> {
    if !dir.is_dir() {
        return None;
    }
    for (rel, sql) in embedded::QUERIES {
        match std::fs::read_to_string(dir.join(rel)) {
            Ok(text) if text == *sql => {}
            _ => return Some(format!("queries/{rel}")),
        }
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "sql") {
                let rel = path
                    .strip_prefix(dir)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/");
                if !embedded::QUERIES.iter().any(|(r, _)| *r == rel) {
                    return Some(format!("queries/{rel}"));
                }
            }
        }
    }
    None
}
