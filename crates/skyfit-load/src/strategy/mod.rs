//! Load strategies: how a target's rows get into its table, behind one trait.
//!
//! Every strategy ends the same way: it returns the transaction that makes the rows visible,
//! uncommitted ([`Staged`]). The caller records what it loaded in that transaction (the
//! parts ledger, the quarantine, the run ledger) and commits, so the rows and their records
//! commit together or not at all.
//!
//! * [`Merge`] — COPY into a temp table, upsert by key;
//! * [`ReplaceChildren`] — COPY the rows and the parents in the load into temp tables, delete
//!   every stored child of those parents,
//!   insert;
//! * [`Swap`] — full refresh: a shadow table loaded and indexed outside any lock, swapped in;
//! * [`PartitionedSwap`] — full refresh of a partitioned table, partition by partition (the
//!   parent stays in place).
//!
//! A new strategy is one file here implementing [`LoadStrategy`], plus an arm in
//! [`Writer`].
//!
//! Each strategy tells [`Destination::on_step`] which [`WriteStep`] it begins (COPY, merge,
//! indexes, swap…), so whoever drives the load can show it; this crate knows nothing of how.

use std::task::Poll;

use arrow::record_batch::RecordBatch;
use futures::{Stream, StreamExt};
use tokio_postgres::{Client, Transaction};

use crate::sql::TableName;
use crate::{BoxError, CopyEncoder, Error, Result};

mod merge;
mod partitioned_swap;
mod replace_children;
mod swap;

pub use merge::Merge;
pub use partitioned_swap::PartitionedSwap;
pub use replace_children::{ParentKeys, ReplaceChildren};
pub use swap::Swap;

/// How long a swap waits for readers to release the target.
pub const LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A step of a strategy's write, told as it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStep {
    /// The rows stream into PostgreSQL by COPY (into a temp stage, or a shadow table).
    Copy,
    /// The staged rows are upserted into the target by key (the rows have all been sent).
    Merge,
    /// The stored children of the parents in the load are replaced by the staged rows.
    Replace,
    /// The shadow's indexes and constraints are built.
    Indexes,
    /// The shadow is swapped in (this waits for readers to release the table).
    Swap,
}

impl WriteStep {
    pub fn as_str(&self) -> &'static str {
        match self {
            WriteStep::Copy => "copy",
            WriteStep::Merge => "merge",
            WriteStep::Replace => "replace",
            WriteStep::Indexes => "indexes",
            WriteStep::Swap => "swap",
        }
    }
}

/// Told each [`WriteStep`] as the write begins it.
pub type OnStep<'a> = &'a (dyn Fn(WriteStep) + Send + Sync);

static IGNORE_STEPS: fn(WriteStep) = |_| {};

/// What a strategy writes: the target table and the encoder of its columns, and whom to tell
/// its steps.
#[derive(Clone, Copy)]
pub struct Destination<'a> {
    pub table: &'a TableName,
    pub encoder: &'a CopyEncoder,
    pub on_step: OnStep<'a>,
}

impl<'a> Destination<'a> {
    /// `table`, written with `encoder`; its steps told to nobody.
    pub fn new(table: &'a TableName, encoder: &'a CopyEncoder) -> Self {
        Destination {
            table,
            encoder,
            on_step: &IGNORE_STEPS,
        }
    }

    /// Tells `on_step` each step as it begins.
    pub fn with_on_step(mut self, on_step: OnStep<'a>) -> Self {
        self.on_step = on_step;
        self
    }

    fn step(&self, step: WriteStep) {
        (self.on_step)(step)
    }
}

impl std::fmt::Debug for Destination<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("table", &self.table)
            .field("encoder", &self.encoder)
            .finish_non_exhaustive()
    }
}

/// `rows`, then `f` called once when they are all taken: a COPY reading them has sent its last
/// row and what follows it begins.
fn then_at_end<S: Stream>(rows: S, f: impl FnOnce()) -> impl Stream<Item = S::Item> {
    let mut f = Some(f);
    rows.chain(futures::stream::poll_fn(move |_| {
        if let Some(f) = f.take() {
            f();
        }
        Poll::Ready(None)
    }))
}

/// What a write did to the target table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows the COPY wrote.
    pub copied: u64,
    pub inserted: u64,
    pub updated: u64,
    /// Rows removed (the stored children of the parents in the load).
    pub deleted: u64,
    /// Rows not written because the stored version of their key is newer (a late older run).
    pub kept: u64,
}

/// Rows written and not committed yet: record what was loaded in [`Staged::transaction`],
/// then [`Staged::commit`]. Dropped without a commit, the transaction rolls back and the
/// target is as it was.
pub struct Staged<'c> {
    tx: Transaction<'c>,
    table: TableName,
    written: Written,
}

impl<'c> Staged<'c> {
    pub(crate) fn new(tx: Transaction<'c>, table: &TableName, written: Written) -> Self {
        Staged {
            tx,
            table: table.clone(),
            written,
        }
    }

    /// The transaction holding the rows: the caller's records belong in it.
    pub fn transaction(&self) -> &Transaction<'c> {
        &self.tx
    }

    pub fn written(&self) -> Written {
        self.written
    }

    /// Makes the rows (and whatever the caller wrote in the transaction) visible.
    pub async fn commit(self) -> Result<Written> {
        self.tx
            .commit()
            .await
            .map_err(Error::pg(&self.table, "commit"))?;
        Ok(self.written)
    }
}

/// One way of writing a target's rows.
// The loader awaits the write in place and never spawns it, so the future needs no `Send`
// bound (which `async fn` in a public trait cannot promise).
#[allow(async_fn_in_trait)]
pub trait LoadStrategy {
    /// Connections beyond `client` the write can use at once (a full refresh's COPY and
    /// index builds); the caller opens them.
    fn helpers(&self) -> usize {
        0
    }

    /// Writes `rows` into `to.table`, leaving them in an uncommitted transaction on
    /// `client`. `helpers` are the extra connections [`LoadStrategy::helpers`] asked for (the
    /// caller may give fewer); they are closed before this returns.
    async fn write<'c, S, E>(
        &self,
        client: &'c mut Client,
        helpers: Vec<Client>,
        to: Destination<'_>,
        rows: S,
    ) -> Result<Staged<'c>>
    where
        S: Stream<Item = std::result::Result<RecordBatch, E>>,
        E: Into<BoxError>;
}

/// One of the strategies, chosen at run time (the trait's generic `write` cannot be called
/// through `dyn`).
#[derive(Debug, Clone)]
pub enum Writer {
    Merge(Merge),
    ReplaceChildren(ReplaceChildren),
    Swap(Swap),
    PartitionedSwap(PartitionedSwap),
}

impl LoadStrategy for Writer {
    fn helpers(&self) -> usize {
        match self {
            Writer::Merge(s) => s.helpers(),
            Writer::ReplaceChildren(s) => s.helpers(),
            Writer::Swap(s) => s.helpers(),
            Writer::PartitionedSwap(s) => s.helpers(),
        }
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
        match self {
            Writer::Merge(s) => s.write(client, helpers, to, rows).await,
            Writer::ReplaceChildren(s) => s.write(client, helpers, to, rows).await,
            Writer::Swap(s) => s.write(client, helpers, to, rows).await,
            Writer::PartitionedSwap(s) => s.write(client, helpers, to, rows).await,
        }
    }
}

/// Whether `table` is a partitioned table (its full refresh then swaps partitions, and an
/// incremental load gives rows of a new year their own partition).
pub async fn is_partitioned(client: &Client, table: &TableName) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT relkind = 'p' FROM pg_class WHERE oid = $1::text::regclass",
            &[&table.to_string()],
        )
        .await
        .map_err(Error::pg(table, "inspect"))?;
    Ok(row.get(0))
}
