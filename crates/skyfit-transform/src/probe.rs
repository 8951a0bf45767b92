//! The read path checked end to end (`skyfit doctor`): a small Parquet file written to the
//! lake and counted back through the same table registration the loader and `skyfit query`
//! use, so a lake that accepts writes but reads back nothing is caught before a night's load.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectStoreExt, PutPayload};
use datafusion::parquet::arrow::ArrowWriter;
use skyfit_lake::LakeStore;

use crate::error::{Error, Result};
use crate::parts::PartFile;
use crate::session::{BronzeTable, TransformSession};

/// Rows in the probe file.
pub const PROBE_ROWS: u64 = 1000;

/// Writes `_meta/_doctor/read-probe-{pid}.parquet`, counts its rows through a bronze table over
/// it, deletes it, and returns the count DataFusion saw (equal to [`PROBE_ROWS`] when the path
/// works).
pub async fn check_read_path(lake: &LakeStore) -> Result<u64> {
    let (schema, bytes) = int64_parquet("n", PROBE_ROWS as i64)?;
    let path = format!("_meta/_doctor/read-probe-{}.parquet", std::process::id());
    let store = lake.object_store();
    let location = Path::from(path.as_str());
    let size = bytes.len() as u64;
    store
        .put(&location, PutPayload::from(bytes))
        .await
        .map_err(|e| Error::Probe(format!("writing {path}: {e}")))?;
    let counted = count(lake, &path, size, schema).await;
    // Deleted whatever the count gave; a failed delete leaves one small file, worth a mention.
    if let Err(e) = store.delete(&location).await {
        tracing::warn!(path, error = %e, "Could not delete the read probe.");
    }
    counted
}

/// A Parquet file of one Int64 column `column` holding `0..rows`, and its schema.
pub(crate) fn int64_parquet(column: &str, rows: i64) -> Result<(SchemaRef, Vec<u8>)> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        column,
        DataType::Int64,
        false,
    )]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from_iter_values(0..rows))],
    )?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema.clone(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok((schema, bytes))
}

async fn count(lake: &LakeStore, path: &str, size: u64, schema: SchemaRef) -> Result<u64> {
    let session = TransformSession::try_new(lake)?;
    session
        .register_bronze(&BronzeTable {
            name: "doctor_probe".into(),
            parts: vec![PartFile::new(path, size)],
            schema,
            legacy_parts: vec![],
            derived: vec![],
            filter: None,
        })
        .await?;
    let batches = session
        .context()
        .sql("SELECT count(*) AS n FROM bronze.doctor_probe")
        .await?
        .collect()
        .await?;
    let n = batches
        .first()
        .and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>())
        .filter(|a| !a.is_empty())
        .map_or(0, |a| a.value(0));
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_probe_reads_back_every_row_and_leaves_nothing() {
        let lake = LakeStore::in_memory();
        assert_eq!(check_read_path(&lake).await.unwrap(), PROBE_ROWS);
        let left: Vec<_> = futures::TryStreamExt::try_collect(lake.object_store().list(None))
            .await
            .unwrap();
        assert!(left.is_empty(), "{left:?}");
    }
}
