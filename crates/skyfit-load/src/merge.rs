//! Incremental load: COPY into a temp stage table, then upsert by key.
//!
//! Runs inside the caller's transaction so the caller can record the load (e.g.
//! a ledger row) atomically with the data. The stage table is dropped at commit.
//! Rows must be unique by key within one merge: PostgreSQL refuses to update
//! the same row twice in one `INSERT … ON CONFLICT` (dedup happens upstream).

use arrow::record_batch::RecordBatch;
use futures::Stream;
use tokio_postgres::Transaction;

use crate::sql::{TableName, Versioning, create_stage_sql, upsert_sql};
use crate::{BoxError, CopyEncoder, CopyOptions, EncodeReport, Error, Result, copy_in_with};

/// What to merge into and how.
#[derive(Debug, Clone)]
pub struct MergeSpec {
    target: TableName,
    key: Vec<String>,
    update: Option<Vec<String>>,
    versioning: Versioning,
}

impl MergeSpec {
    /// Merge into `target` on the conflict key `key` (a unique index or PK must
    /// exist on exactly these columns). By default every non-key column is
    /// replaced on conflict.
    pub fn new(target: TableName, key: impl IntoIterator<Item = impl Into<String>>) -> Self {
        MergeSpec {
            target,
            key: key.into_iter().map(Into::into).collect(),
            update: None,
            versioning: Versioning::default(),
        }
    }

    /// Which version of a key wins and which column records the last change
    /// ([`Versioning`]); by default every staged row replaces the stored one.
    pub fn with_versioning(mut self, versioning: Versioning) -> Self {
        self.versioning = versioning;
        self
    }

    /// Replace only these columns on conflict (empty: keep existing rows).
    pub fn with_update_columns(
        mut self,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.update = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// The target table.
    pub fn target(&self) -> &TableName {
        &self.target
    }

    /// Name of the temp stage table.
    pub fn stage_name(&self) -> String {
        crate::sql::suffixed(&self.target.name, "__stage")
    }

    /// The upsert statement for the encoder's columns.
    pub fn upsert_sql(&self, columns: &[&str]) -> String {
        let key: Vec<&str> = self.key.iter().map(String::as_str).collect();
        let update = self.update_columns(columns);
        upsert_sql(
            &self.target,
            &self.stage_name(),
            columns,
            &key,
            &update,
            &self.versioning,
        )
    }

    /// Columns replaced on conflict.
    fn update_columns<'a>(&'a self, columns: &[&'a str]) -> Vec<&'a str> {
        match &self.update {
            Some(u) => u.iter().map(String::as_str).collect(),
            None => columns
                .iter()
                .copied()
                .filter(|c| !self.key.iter().any(|k| k == c))
                .collect(),
        }
    }
}

/// `ANALYZE` of the stage's key columns only. A temp table has no statistics until analysed,
/// and the planner then guesses its size from its pages; the key columns' statistics are what
/// the upsert's probes of the target are planned on. Sampling every column cost more than the
/// probes (0.13-0.20 s of a 50K-row nightly stage, a JSONB `raw_data` the most, against
/// 0.03-0.06 s for the keys: issue 20, docs/performance.md).
fn analyze_keys_sql(stage: &str, key: &[String]) -> String {
    let key = key
        .iter()
        .map(|k| crate::sql::quote_ident(k))
        .collect::<Vec<_>>()
        .join(", ");
    let stage = crate::sql::quote_ident(stage);
    if key.is_empty() {
        format!("ANALYZE pg_temp.{stage}")
    } else {
        format!("ANALYZE pg_temp.{stage} ({key})")
    }
}

/// What a merge did.
#[derive(Debug, Clone, Default)]
pub struct MergeOutcome {
    /// Rows copied into the stage table.
    pub copied: u64,
    /// Rows inserted into the target.
    pub inserted: u64,
    /// Existing target rows updated (a stored row newer than the staged one is not).
    pub updated: u64,
    /// Staged rows left unwritten because the stored version of their key is newer.
    pub kept: u64,
    /// Values the encoder altered.
    pub report: EncodeReport,
}

/// Copies `batches` into a stage table and upserts them into the target, in `tx`.
pub async fn merge<S, E>(
    tx: &Transaction<'_>,
    spec: &MergeSpec,
    encoder: &CopyEncoder,
    batches: S,
) -> Result<MergeOutcome>
where
    S: Stream<Item = Result<RecordBatch, E>>,
    E: Into<BoxError>,
{
    let target = &spec.target;
    let stage = spec.stage_name();
    tx.batch_execute(&create_stage_sql(target, &stage))
        .await
        .map_err(Error::pg(target, "create stage"))?;
    let copied = copy_in_with(
        tx.client(),
        &TableName::unqualified(&stage),
        encoder,
        batches,
        &CopyOptions::default(),
        |_, _| Ok(()),
    )
    .await?;
    tx.batch_execute(&analyze_keys_sql(&stage, &spec.key))
        .await
        .map_err(Error::pg(target, "analyze stage"))?;
    let columns: Vec<&str> = encoder.columns().map(|c| c.name.as_str()).collect();
    let row = tx
        .query_one(&spec.upsert_sql(&columns), &[])
        .await
        .map_err(Error::pg(target, "upsert"))?;
    let existing: i64 = row.get(0);
    let affected: i64 = row.get(1);
    // Staged keys are unique, so every staged row whose key was not stored is inserted; the
    // rest of what the upsert touched are updates (a version guard may have skipped some).
    let replaces = !spec.update_columns(&columns).is_empty();
    let inserted = (copied.rows as i64 - existing).max(0);
    let updated = (affected - inserted).max(0);
    let kept = (existing - updated).max(0);
    tracing::debug!(table = %target, copied = copied.rows, inserted, updated, "Merge finished.");
    Ok(MergeOutcome {
        copied: copied.rows,
        inserted: inserted as u64,
        updated: updated as u64,
        kept: if replaces { kept as u64 } else { 0 },
        report: copied.report,
    })
}

#[cfg(test)]
mod tests {
    use super::analyze_keys_sql;

    #[test]
    fn the_stage_is_analysed_on_its_key_columns() {
        let key = ["entry_id".to_string(), "entry \"date".to_string()];
        assert_eq!(
            analyze_keys_sql("evo_entries__stage", &key),
            r#"ANALYZE pg_temp."evo_entries__stage" ("entry_id", "entry ""date")"#
        );
        assert_eq!(analyze_keys_sql("s", &[]), r#"ANALYZE pg_temp."s""#);
    }
}
