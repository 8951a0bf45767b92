//! The full-refresh shadow of a target: a plain table swapped in by rename
//! ([`skyfit_load::swap`]) or, for a partitioned table, its partitions replaced one by one
//! ([`skyfit_load::partition`]: the parent stays, readers never see it empty).
//!
//! Both install the shadow inside the caller's transaction, so the loader resets and writes
//! `meta.loaded_parts` in the same commit as the swap: a load killed between the two cannot
//! leave a refreshed table with a ledger describing the old one.

use std::time::Duration;

use skyfit_load::Result;
use skyfit_load::partition::PartitionedShadow;
use skyfit_load::sql::TableName;
use skyfit_load::swap::Shadow;
use tokio_postgres::{Client, Transaction};

/// How long the swap waits for readers to release the target.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

pub enum TargetShadow {
    Plain(Shadow),
    Partitioned(PartitionedShadow),
}

impl TargetShadow {
    /// Creates the empty shadow of `table` (dropping stale ones of a killed load).
    pub async fn create(client: &Client, table: TableName, partitioned: bool) -> Result<Self> {
        Ok(if partitioned {
            TargetShadow::Partitioned(PartitionedShadow::create(client, table).await?)
        } else {
            TargetShadow::Plain(Shadow::create(client, table).await?)
        })
    }

    /// The table to COPY into.
    pub fn table(&self) -> &TableName {
        match self {
            TargetShadow::Plain(s) => s.table(),
            TargetShadow::Partitioned(s) => s.table(),
        }
    }

    /// After the COPY: indexes (and new partitions), everything slow done outside the lock.
    /// A partitioned shadow builds several partitions at once, one on each of `client` and
    /// `helpers`.
    pub async fn prepare(&mut self, client: &Client, helpers: &[Client]) -> Result<()> {
        match self {
            TargetShadow::Plain(s) => s.build_indexes(client).await,
            TargetShadow::Partitioned(s) => s.prepare(client, helpers).await,
        }
    }

    /// Installs the shadow in `tx`; the caller commits.
    pub async fn swap_in(self, tx: &Transaction<'_>) -> Result<()> {
        match self {
            TargetShadow::Plain(s) => s.swap_in(tx, LOCK_TIMEOUT).await,
            TargetShadow::Partitioned(s) => s.swap_in(tx, LOCK_TIMEOUT).await,
        }
    }

    /// Drops the shadow after a failed load (a leftover is also dropped by the next create).
    pub async fn abandon(self, client: &Client) -> Result<()> {
        match self {
            TargetShadow::Plain(s) => s.abandon(client).await,
            TargetShadow::Partitioned(s) => s.abandon(client).await,
        }
    }
}
