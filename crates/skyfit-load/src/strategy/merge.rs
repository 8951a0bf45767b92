//! Incremental load by key: [`crate::merge`] (COPY into a temp table, upsert) in a new
//! transaction.

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::Client;

use super::{Destination, LoadStrategy, Staged, WriteStep, Written, then_at_end};
use crate::merge::{MergeSpec, merge};
use crate::partition::split_default;
use crate::sql::Versioning;
use crate::{BoxError, Error, Result};

/// Upsert the rows by `key`.
#[derive(Debug, Clone)]
pub struct Merge {
    key: Vec<String>,
    partitioned: bool,
    versioning: Versioning,
}

impl Merge {
    /// Merge on `key` (a unique index or primary key must exist on exactly these columns).
    pub fn new(key: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Merge {
            key: key.into_iter().map(Into::into).collect(),
            partitioned: false,
            versioning: Versioning::default(),
        }
    }

    /// Which version of a key wins and which column records the last change.
    pub fn with_versioning(mut self, versioning: Versioning) -> Self {
        self.versioning = versioning;
        self
    }

    /// The target is partitioned by year: rows of a year without a partition, which land in
    /// DEFAULT, get a partition of their own in the same transaction.
    pub fn with_partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }
}

impl LoadStrategy for Merge {
    async fn write<'c, S, E>(
        &self,
        client: &'c mut Client,
        _helpers: Vec<Client>,
        to: Destination<'_>,
        rows: S,
    ) -> Result<Staged<'c>>
    where
        S: Stream<Item = std::result::Result<RecordBatch, E>>,
        E: Into<BoxError>,
    {
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg(to.table, "begin"))?;
        let spec = MergeSpec::new(to.table.clone(), self.key.clone())
            .with_versioning(self.versioning.clone());
        to.step(WriteStep::Copy);
        let rows = then_at_end(rows, || to.step(WriteStep::Merge));
        let m = merge(&tx, &spec, to.encoder, rows).await?;
        if self.partitioned {
            split_default(&tx, to.table).await?;
        }
        let written = Written {
            copied: m.copied,
            inserted: m.inserted,
            updated: m.updated,
            deleted: 0,
            kept: m.kept,
        };
        Ok(Staged::new(tx, to.table, written))
    }
}
