//! Full refresh of a partitioned table: shadow partitions loaded and indexed outside any
//! lock, then installed one by one ([`crate::partition`]) in the transaction the caller
//! commits; the parent stays in place, so readers never see it empty.

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::{Client, Transaction};

use super::swap::{ShadowTable, refresh};
use super::{Destination, LOCK_TIMEOUT, LoadStrategy, Staged};
use crate::partition::PartitionedShadow;
use crate::sql::TableName;
use crate::{BoxError, Result};

/// Rebuild a partitioned table partition by partition.
#[derive(Debug, Clone)]
pub struct PartitionedSwap {
    connections: usize,
}

impl PartitionedSwap {
    /// Load and index on `connections` connections at once (the caller's included).
    pub fn new(connections: usize) -> Self {
        PartitionedSwap { connections }
    }
}

impl ShadowTable for PartitionedShadow {
    async fn create(client: &Client, table: TableName) -> Result<Self> {
        PartitionedShadow::create(client, table).await
    }
    fn table(&self) -> &TableName {
        PartitionedShadow::table(self)
    }
    async fn prepare(&mut self, client: &Client, helpers: &[Client]) -> Result<()> {
        PartitionedShadow::prepare(self, client, helpers).await
    }
    async fn swap_in(self, tx: &Transaction<'_>) -> Result<()> {
        PartitionedShadow::swap_in(self, tx, LOCK_TIMEOUT).await
    }
    async fn abandon(self, client: &Client) -> Result<()> {
        PartitionedShadow::abandon(self, client).await
    }
}

impl LoadStrategy for PartitionedSwap {
    fn helpers(&self) -> usize {
        self.connections.saturating_sub(1)
    }

    async fn write<'c, S, E>(
        &self,
        client: &'c mut Client,
        helpers: Vec<Client>,
        to: Destination<'_>,
        rows: S,
    ) -> Result<Staged<'c>>
    where
        S: Stream<Item = std::result::Result<RecordBatch, E>>,
        E: Into<BoxError>,
    {
        refresh::<PartitionedShadow, S, E>(client, helpers, to, rows).await
    }
}
