//! Schema migrations: `sql/migrations/NNNN_name.sql`, embedded at build time, applied in
//! order, each in its own transaction, recorded with a SHA-256 checksum in
//! `meta.schema_migrations`. An applied migration whose file changed is refused: the
//! warehouse would otherwise silently differ from what the files say.
//!
//! A database the original system built (its tables, no ledger) is never changed by
//! [`migrate`], which every command runs on start: only `upgrade` (`skyfit db migrate`)
//! adopts it, after `upgrade::plan` (`skyfit db migrate --plan`) has shown how.

use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Transaction};
use tracing::debug;

use crate::error::{Error, Result};

/// The staging schemas: one per source, the raw records one row per key.
pub(crate) const STAGING_SCHEMAS: [&str; 3] = ["stg_evo", "stg_pipedrive", "stg_zendesk"];

/// The schemas SkyFit manages.
pub(crate) const SCHEMAS: [&str; 6] = [
    STAGING_SCHEMAS[0],
    STAGING_SCHEMAS[1],
    STAGING_SCHEMAS[2],
    "core",
    "analytics",
    "meta",
];

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// One migration file.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// The migrations shipped in this binary, in order.
pub fn migrations() -> Vec<Migration> {
    embedded::EMBEDDED
        .iter()
        .map(|(name, sql)| Migration {
            version: name
                .split('_')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            name,
            sql,
        })
        .collect()
}

/// Whether a migration has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    Applied {
        at: chrono::DateTime<chrono::Utc>,
    },
    Pending,
    /// Applied, but the file changed since.
    Edited,
}

// Serialises concurrent `migrate` calls (two nightly jobs, parallel tests on one database).
const LOCK_KEY: i64 = 0x736b_7966_6974; // "skyfit"

pub(crate) const BOOTSTRAP: &str = "CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);";

async fn applied(client: &Client) -> Result<Vec<(i32, String, chrono::DateTime<chrono::Utc>)>> {
    let rows = client
        .query(
            "SELECT version, checksum, applied_at FROM meta.schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(Error::pg("reading meta.schema_migrations"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

pub(crate) async fn original(client: &mut Client) -> Result<bool> {
    let tx = client
        .transaction()
        .await
        .map_err(Error::pg("starting a read-only check"))?;
    let found = is_original(&tx).await?;
    tx.rollback()
        .await
        .map_err(Error::pg("ending a read-only check"))?;
    Ok(found)
}

/// Applies every pending migration; returns the names applied (empty when up to date).
/// Refuses ([`Error::OriginalWarehouse`]) on a warehouse the original system built.
pub async fn migrate(client: &mut Client) -> Result<Vec<String>> {
    if original(client).await? {
        return Err(Error::OriginalWarehouse);
    }
    client
        .batch_execute(BOOTSTRAP)
        .await
        .or_else(|e| {
            if e.code()
                .is_some_and(|c| c.code() == "23505" || c.code() == "42P07")
            {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(Error::pg("creating meta.schema_migrations"))?;
    lock(client).await?;
    let result = apply_pending(client).await;
    unlock(client, result).await
}

/// Takes the migration lock (session level: released by [`unlock`] or when the session ends).
pub(crate) async fn lock(client: &Client) -> Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(Error::pg("taking the migration lock"))?;
    Ok(())
}

/// Releases the migration lock, then returns what was done under it; its error comes first.
pub(crate) async fn unlock<T>(client: &Client, result: Result<T>) -> Result<T> {
    let released = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    let value = result?;
    released.map_err(Error::pg("releasing the migration lock"))?;
    Ok(value)
}

pub(crate) async fn apply_pending(client: &mut Client) -> Result<Vec<String>> {
    let done = applied(client).await?;
    let mut names = Vec::new();
    for m in migrations() {
        if let Some((_, sum, _)) = done.iter().find(|(v, _, _)| *v == m.version) {
            if *sum != m.checksum() {
                return Err(Error::MigrationEdited {
                    name: m.name.into(),
                    applied: sum.clone(),
                    current: m.checksum(),
                });
            }
            continue;
        }
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg("starting a migration"))?;
        apply_one(&tx, &m).await?;
        tx.commit().await.map_err(|source| Error::Migration {
            name: m.name.into(),
            source,
        })?;
        names.push(m.name.to_string());
    }
    Ok(names)
}

/// Each shipped migration and its state in the database.
pub async fn status(client: &Client) -> Result<Vec<(Migration, MigrationState)>> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('meta.schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(Error::pg("checking for meta.schema_migrations"))?
        .get(0);
    let done = if exists {
        applied(client).await?
    } else {
        Vec::new()
    };
    Ok(migrations()
        .into_iter()
        .map(|m| {
            let state = match done.iter().find(|(v, _, _)| *v == m.version) {
                Some((_, sum, _)) if *sum != m.checksum() => MigrationState::Edited,
                Some((_, _, at)) => MigrationState::Applied { at: *at },
                None => MigrationState::Pending,
            };
            (m, state)
        })
        .collect())
}

/// Runs one migration and records it in the ledger, inside the caller's transaction.
pub(crate) async fn apply_one(tx: &Transaction<'_>, m: &Migration) -> Result<()> {
    tx.batch_execute(m.sql)
        .await
        .map_err(|source| Error::Migration {
            name: m.name.into(),
            source,
        })?;
    tx.execute(
        "INSERT INTO meta.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        &[&m.version, &m.name, &m.checksum()],
    )
    .await
    .map_err(Error::pg("recording a migration"))?;
    // Debug only: every caller gets the names back and says them once in its own way (the
    // CLI logs each, `skyfit db migrate` prints them); at info each was said twice.
    debug!(migration = m.name, "Applied migration.");
    Ok(())
}

/// Whether the database holds tables in SkyFit's schemas but no migration ledger.
pub(crate) async fn is_original(tx: &Transaction<'_>) -> Result<bool> {
    let schemas: Vec<String> = SCHEMAS.iter().map(|s| s.to_string()).collect();
    let row = tx
        .query_one(
            "SELECT to_regclass('meta.schema_migrations') IS NULL
                AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v'))",
            &[&schemas],
        )
        .await
        .map_err(Error::pg("looking for an original warehouse"))?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_without_gaps() {
        let ms = migrations();
        assert!(!ms.is_empty());
        for (i, m) in ms.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{} is out of sequence", m.name);
            assert!(m.name.ends_with(".sql"));
        }
    }
}
