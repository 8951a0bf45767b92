//! What every command needs: the loaded configuration and, on demand, the database
//! (configured, or the embedded local server).

use std::collections::HashMap;

use anyhow::{Context as _, Result};
use skyfit_core::Config;
use skyfit_core::config::ConfigSources;
use skyfit_warehouse::Database;

use crate::cli::GlobalArgs;

pub struct Context {
    pub config: Config,
}

impl Context {
    pub fn load(g: &GlobalArgs) -> Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let config = Config::load(&ConfigSources {
            file: g.config.clone(),
            env,
        })?;
        Ok(Context { config })
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
        eprintln!(
            "Using the embedded database {} ({}).",
            db.target(),
            server.how
        );
        Ok(db)
    }

    /// A connected, migrated client.
    pub async fn migrated_client(&self) -> Result<tokio_postgres::Client> {
        let db = self.database().await?;
        let mut client =
            skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(60)).await?;
        skyfit_warehouse::migrate(&mut client).await?;
        Ok(client)
    }
}
