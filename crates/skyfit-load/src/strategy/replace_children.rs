//! Child rows (exploded arrays): delete every row of the parents present in the batch, then
//! insert the batch, so elements removed at the source disappear.

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::Client;

use super::{Destination, LoadStrategy, Staged, Written};
use crate::partition::split_default;
use crate::sql::{TableName, quote_ident, suffixed};
use crate::{BoxError, Error, Result, copy_in};

/// Replace the children of every parent (by `parent_key`) present in the rows.
#[derive(Debug, Clone)]
pub struct ReplaceChildren {
    parent_key: String,
    partitioned: bool,
}

impl ReplaceChildren {
    pub fn new(parent_key: impl Into<String>) -> Self {
        ReplaceChildren {
            parent_key: parent_key.into(),
            partitioned: false,
        }
    }

    /// As [`super::Merge::with_partitioned`].
    pub fn with_partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }
}

/// The statements after the COPY into `stage`: delete the parents' rows, insert the stage.
fn replace_sql(table: &TableName, stage: &str, parent: &str, columns: &[&str]) -> [String; 2] {
    let (p, s) = (quote_ident(parent), quote_ident(stage));
    let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    [
        format!("DELETE FROM {table} WHERE {p} IN (SELECT DISTINCT {p} FROM {s})"),
        format!(
            "INSERT INTO {table} ({c}) SELECT {c} FROM {s}",
            c = cols.join(", ")
        ),
    ]
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
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE {s} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP",
            s = quote_ident(&stage)
        ))
        .await
        .map_err(Error::pg(table, "create child stage"))?;
        let copied = copy_in(
            tx.client(),
            &TableName::unqualified(&stage),
            to.encoder,
            rows,
        )
        .await?;
        let columns: Vec<&str> = to.encoder.columns().map(|c| c.name.as_str()).collect();
        let [delete, insert] = replace_sql(table, &stage, &self.parent_key, &columns);
        let deleted = tx
            .execute(&delete, &[])
            .await
            .map_err(Error::pg(table, "delete replaced children"))?;
        tx.execute(&insert, &[])
            .await
            .map_err(Error::pg(table, "insert children"))?;
        if self.partitioned {
            split_default(&tx, table).await?;
        }
        let written = Written {
            copied: copied.rows,
            inserted: copied.rows,
            updated: 0,
            deleted,
        };
        Ok(Staged::new(tx, table, written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_the_parents_present_are_replaced() {
        let t = TableName::new("core", "evo_sale_items");
        let [delete, insert] = replace_sql(
            &t,
            "evo_sale_items__children",
            "sale_id",
            &["sale_id", "item"],
        );
        assert_eq!(
            delete,
            "DELETE FROM \"core\".\"evo_sale_items\" WHERE \"sale_id\" IN \
             (SELECT DISTINCT \"sale_id\" FROM \"evo_sale_items__children\")"
        );
        assert_eq!(
            insert,
            "INSERT INTO \"core\".\"evo_sale_items\" (\"sale_id\", \"item\") \
             SELECT \"sale_id\", \"item\" FROM \"evo_sale_items__children\""
        );
    }
}
