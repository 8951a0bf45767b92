//! Full refresh by swap: a shadow table loaded (COPY on several connections) and indexed
//! outside any lock, then swapped in by rename ([`crate::swap`]) in the transaction the caller
//! commits, so readers see the old rows until the new ones replace them at once.

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::{Client, Transaction};

use super::{Destination, LOCK_TIMEOUT, LoadStrategy, Staged, WriteStep, Written};
use crate::sql::TableName;
use crate::swap::Shadow;
use crate::{BoxError, Error, Result, copy_in_parallel};

/// Rebuild a plain table through a shadow swapped in.
#[derive(Debug, Clone)]
pub struct Swap {
    connections: usize,
}

impl Swap {
    /// Load the shadow on `connections` connections at once (the caller's included).
    pub fn new(connections: usize) -> Self {
        Swap { connections }
    }
}

/// What a full refresh needs of its shadow: [`Shadow`] and
/// [`crate::partition::PartitionedShadow`].
#[allow(async_fn_in_trait)]
pub(super) trait ShadowTable: Sized {
    async fn create(client: &Client, table: TableName) -> Result<Self>;
    fn table(&self) -> &TableName;
    /// Indexes (and new partitions) after the COPY, on `client` and `helpers`.
    async fn prepare(&mut self, client: &Client, helpers: &[Client]) -> Result<()>;
    async fn swap_in(self, tx: &Transaction<'_>) -> Result<()>;
    async fn abandon(self, client: &Client) -> Result<()>;
}

impl ShadowTable for Shadow {
    async fn create(client: &Client, table: TableName) -> Result<Self> {
        Shadow::create(client, table).await
    }
    fn table(&self) -> &TableName {
        Shadow::table(self)
    }
    async fn prepare(&mut self, client: &Client, _helpers: &[Client]) -> Result<()> {
        self.build_indexes(client).await
    }
    async fn swap_in(self, tx: &Transaction<'_>) -> Result<()> {
        Shadow::swap_in(self, tx, LOCK_TIMEOUT).await
    }
    async fn abandon(self, client: &Client) -> Result<()> {
        Shadow::abandon(self, client).await
    }
}

/// The full refresh itself, for either kind of shadow.
pub(super) async fn refresh<'c, T, S, E>(
    client: &'c mut Client,
    helpers: Vec<Client>,
    to: Destination<'_>,
    rows: S,
) -> Result<Staged<'c>>
where
    T: ShadowTable,
    S: Stream<Item = std::result::Result<RecordBatch, E>>,
    E: Into<BoxError>,
{
    to.step(WriteStep::Copy);
    let mut shadow = T::create(client, to.table.clone()).await?;
    // More connections: the server parses and indexes on as many backends at once.
    let clients: Vec<&Client> = std::iter::once(&*client).chain(&helpers).collect();
    let copied = match copy_in_parallel(&clients, shadow.table(), to.encoder, rows).await {
        Ok(c) => c,
        Err(e) => {
            // A COPY still running on a helper holds its lock: closing it ends the COPY.
            drop(clients);
            drop(helpers);
            shadow.abandon(client).await.ok();
            return Err(e);
        }
    };
    drop(clients);
    to.step(WriteStep::Indexes);
    if let Err(e) = shadow.prepare(client, &helpers).await {
        // A build still running on a helper holds its lock: the DROP waits for it.
        drop(helpers);
        shadow.abandon(client).await.ok();
        return Err(e);
    }
    drop(helpers);
    to.step(WriteStep::Swap);
    let tx = client
        .transaction()
        .await
        .map_err(Error::pg(to.table, "begin swap"))?;
    shadow.swap_in(&tx).await?;
    let written = Written {
        copied: copied.rows,
        inserted: copied.rows,
        updated: 0,
        deleted: 0,
        kept: 0,
    };
    Ok(Staged::new(tx, to.table, written))
}

impl LoadStrategy for Swap {
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
        refresh::<Shadow, S, E>(client, helpers, to, rows).await
    }
}
