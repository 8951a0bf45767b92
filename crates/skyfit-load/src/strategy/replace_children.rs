//! Child rows (exploded arrays): the children of every parent in the load become exactly the
//! rows given for it, none included.
//!
//! The parents are given apart from the rows ([`ReplaceChildren::with_parents`]): a parent
//! whose newest version has no children produces no child row, and finding the parents in the
//! rows alone would leave its old children in place forever. Without that list the parents
//! are the ones present in the rows.
//!
//! One transaction: COPY the rows into a temp stage, COPY the parent keys into a second one,
//! delete every stored child of those parents, insert the stage. With a key
//! ([`ReplaceChildren::with_key`]) the insert is an upsert on it, so a row of a parent not in
//! the load (a child that also arrives on its own, such as an EVO receivable) replaces its
//! stored version, subject to [`Versioning`], without touching its siblings.

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::Client;

use super::{Destination, LoadStrategy, Staged, WriteStep, Written};
use crate::partition::split_default;
use crate::sql::{TableName, Versioning, quote_ident, suffixed, upsert_sql};
use crate::{BoxError, CopyEncoder, Error, Result, copy_in};

/// The parent keys a load covers: a column named as the children's parent key and, with
/// [`ReplaceChildren::with_parent_table`], a second one holding each parent's version in the load.
#[derive(Debug, Clone)]
pub struct ParentKeys {
    batches: Vec<RecordBatch>,
    encoder: CopyEncoder,
}

impl ParentKeys {
    /// `batches` of the parent key (and version), encoded by `encoder`.
    pub fn new(batches: Vec<RecordBatch>, encoder: CopyEncoder) -> Self {
        ParentKeys { batches, encoder }
    }

    pub fn len(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Replace the children of every parent (by `parent_key`) in the load.
#[derive(Debug, Clone)]
pub struct ReplaceChildren {
    parent_key: String,
    partitioned: bool,
    parents: Option<ParentKeys>,
    key: Vec<String>,
    versioning: Versioning,
    parent_table: Option<(TableName, String)>,
}

impl ReplaceChildren {
    pub fn new(parent_key: impl Into<String>) -> Self {
        ReplaceChildren {
            parent_key: parent_key.into(),
            partitioned: false,
            parents: None,
            key: Vec::new(),
            versioning: Versioning::default(),
            parent_table: None,
        }
    }

    /// The parents' own table and its version column (`_source_run_id`): a parent whose
    /// stored version is newer than the one in the load (a late older run) keeps its children,
    /// and the load's rows for it are dropped. The [`ParentKeys`] then carry the version of
    /// each parent in the load as their second column.
    pub fn with_parent_table(mut self, table: TableName, version: impl Into<String>) -> Self {
        self.parent_table = Some((table, version.into()));
        self
    }

    /// As [`super::Merge::with_partitioned`].
    pub fn with_partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// The parents the load covers, those without any row included.
    pub fn with_parents(mut self, parents: ParentKeys) -> Self {
        self.parents = Some(parents);
        self
    }

    /// The children's key (a unique index must exist on exactly these columns): rows are
    /// upserted on it instead of inserted.
    pub fn with_key(mut self, key: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.key = key.into_iter().map(Into::into).collect();
        self
    }

    /// As [`super::Merge::with_versioning`], for rows whose key is stored under a parent not
    /// in the load.
    pub fn with_versioning(mut self, versioning: Versioning) -> Self {
        self.versioning = versioning;
        self
    }
}

/// The statement deleting the stored children of the parents in `parents` (a temp table
/// holding one column named as the parent key).
fn delete_sql(table: &TableName, parents: &str, parent: &str) -> String {
    let (p, ps) = (quote_ident(parent), quote_ident(parents));
    format!("DELETE FROM {table} WHERE {p} IN (SELECT {p} FROM pg_temp.{ps})")
}

/// The statement taking out of the load the parents whose stored version (`stored` in
/// `parent_table`) is newer than theirs in the load (`version` in `parents`), and their rows
/// out of `stage`.
fn stale_sql(
    parent_table: &TableName,
    parents: &str,
    stage: &str,
    parent: &str,
    stored: &str,
    version: &str,
) -> String {
    let (p, ps, s) = (
        quote_ident(parent),
        quote_ident(parents),
        quote_ident(stage),
    );
    let (stored, version) = (quote_ident(stored), quote_ident(version));
    format!(
        "WITH stale AS (DELETE FROM pg_temp.{ps} l WHERE EXISTS (SELECT 1 FROM {parent_table} t \
         WHERE t.{p} = l.{p} AND t.{stored} > l.{version}) RETURNING l.{p}) \
         DELETE FROM pg_temp.{s} WHERE {p} IN (SELECT {p} FROM stale)"
    )
}

/// The statement inserting the stage: a plain insert without a key, else an upsert on it.
fn insert_sql(
    table: &TableName,
    stage: &str,
    columns: &[&str],
    key: &[&str],
    versioning: &Versioning,
) -> String {
    if key.is_empty() {
        let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        return format!(
            "INSERT INTO {table} ({c}) SELECT {c} FROM pg_temp.{s}",
            c = cols.join(", "),
            s = quote_ident(stage)
        );
    }
    let update: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !key.contains(c))
        .collect();
    upsert_sql(table, stage, columns, key, &update, versioning)
}

impl LoadStrategy for ReplaceChildren {
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
        let table = to.table;
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg(table, "begin"))?;
        let stage = suffixed(&table.name, "__children");
        let parents = suffixed(&table.name, "__parents");
        let p = quote_ident(&self.parent_key);
        // The version a parent has in the load, when the parents carry one.
        let version = match (&self.parents, &self.parent_table) {
            (Some(keys), Some((parent_table, stored))) => keys
                .encoder
                .columns()
                .nth(1)
                .map(|c| (c.name.clone(), parent_table, stored)),
            _ => None,
        };
        let version_column = version
            .as_ref()
            .map(|(v, t, stored)| format!(", {}.{} AS {}", t, quote_ident(stored), quote_ident(v)))
            .unwrap_or_default();
        let version_from = version
            .as_ref()
            .map(|(_, t, _)| format!(" CROSS JOIN {t}"))
            .unwrap_or_default();
        tx.batch_execute(&format!(
            "DROP TABLE IF EXISTS pg_temp.{s}; DROP TABLE IF EXISTS pg_temp.{ps}; \
             CREATE TEMP TABLE {s} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP; \
             CREATE TEMP TABLE {ps} ON COMMIT DROP AS SELECT {table}.{p}{version_column} \
             FROM {table}{version_from} WITH NO DATA",
            s = quote_ident(&stage),
            ps = quote_ident(&parents),
        ))
        .await
        .map_err(Error::pg(table, "create child stage"))?;
        to.step(WriteStep::Copy);
        let copied = copy_in(
            tx.client(),
            &TableName::unqualified(&stage),
            to.encoder,
            rows,
        )
        .await?;
        to.step(WriteStep::Replace);
        match &self.parents {
            Some(keys) => {
                let batches = keys.batches.iter().cloned().map(Ok::<_, BoxError>);
                copy_in(
                    tx.client(),
                    &TableName::unqualified(&parents),
                    &keys.encoder,
                    futures::stream::iter(batches),
                )
                .await?;
            }
            None => {
                tx.execute(
                    &format!(
                        "INSERT INTO pg_temp.{ps} SELECT DISTINCT {p} FROM pg_temp.{s}",
                        ps = quote_ident(&parents),
                        s = quote_ident(&stage)
                    ),
                    &[],
                )
                .await
                .map_err(Error::pg(table, "collect parents"))?;
            }
        }
        tx.batch_execute(&format!(
            "ANALYZE pg_temp.{}; ANALYZE pg_temp.{}",
            quote_ident(&stage),
            quote_ident(&parents)
        ))
        .await
        .map_err(Error::pg(table, "analyze child stage"))?;
        let stale = match &version {
            Some((v, parent_table, stored)) => tx
                .execute(
                    &stale_sql(parent_table, &parents, &stage, &self.parent_key, stored, v),
                    &[],
                )
                .await
                .map_err(Error::pg(table, "drop the rows of stale parents"))?,
            None => 0,
        };
        let deleted = tx
            .execute(&delete_sql(table, &parents, &self.parent_key), &[])
            .await
            .map_err(Error::pg(table, "delete replaced children"))?;
        let columns: Vec<&str> = to.encoder.columns().map(|c| c.name.as_str()).collect();
        let key: Vec<&str> = self.key.iter().map(String::as_str).collect();
        let insert = insert_sql(table, &stage, &columns, &key, &self.versioning);
        let (inserted, updated, kept) = if key.is_empty() {
            let n = tx
                .execute(&insert, &[])
                .await
                .map_err(Error::pg(table, "insert children"))?;
            (n, 0, 0)
        } else {
            let row = tx
                .query_one(&insert, &[])
                .await
                .map_err(Error::pg(table, "insert children"))?;
            let (existing, affected): (i64, i64) = (row.get(0), row.get(1));
            let inserted = (copied.rows as i64 - existing).max(0);
            let updated = (affected - inserted).max(0);
            let kept = (existing - updated).max(0);
            (inserted as u64, updated as u64, kept as u64)
        };
        let (inserted, kept) = if key.is_empty() {
            (inserted, kept)
        } else {
            // The stale parents' rows left the stage after the COPY counted them.
            (inserted.saturating_sub(stale), kept + stale)
        };
        if self.partitioned {
            split_default(&tx, table).await?;
        }
        let written = Written {
            copied: copied.rows,
            inserted,
            updated,
            deleted,
            kept,
        };
        Ok(Staged::new(tx, table, written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_the_parents_in_the_load_are_replaced() {
        let t = TableName::new("core", "evo_sale_items");
        assert_eq!(
            delete_sql(&t, "evo_sale_items__parents", "sale_id"),
            "DELETE FROM \"core\".\"evo_sale_items\" WHERE \"sale_id\" IN \
             (SELECT \"sale_id\" FROM pg_temp.\"evo_sale_items__parents\")"
        );
        assert_eq!(
            insert_sql(
                &t,
                "evo_sale_items__children",
                &["sale_id", "item"],
                &[],
                &Versioning::default()
            ),
            "INSERT INTO \"core\".\"evo_sale_items\" (\"sale_id\", \"item\") \
             SELECT \"sale_id\", \"item\" FROM pg_temp.\"evo_sale_items__children\""
        );
        let upsert = insert_sql(
            &t,
            "evo_sale_items__children",
            &["sale_item_id", "sale_id", "item"],
            &["sale_item_id"],
            &Versioning::default(),
        );
        assert!(
            upsert.contains(
                "ON CONFLICT (\"sale_item_id\") DO UPDATE SET \"sale_id\" = EXCLUDED.\"sale_id\", \
                 \"item\" = EXCLUDED.\"item\""
            ),
            "{upsert}"
        );
    }
}
