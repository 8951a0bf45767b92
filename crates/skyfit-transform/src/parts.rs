//! A table over an explicit list of Parquet parts whose sizes the run manifests already know.
//!
//! DataFusion's `ListingTable` finds its files by asking the store: a HEAD per path and, when
//! the HEAD answers "not found", a LIST of the path as if it were a directory. That LIST finds
//! nothing, so a part the manifest names but the store cannot find is scanned as zero rows
//! without an error. On an Azure lake it was every part, and every load read nothing. A part a
//! manifest lists must never read as empty, and on ADLS each HEAD is a round trip per part.
//! So this table hands the parts with their sizes straight to the Parquet scan: a missing part
//! fails the scan with the store's "not found" naming it, and a truncated or replaced one fails
//! its footer read (the footer is found from the manifest's size, not the store's).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::error::Result;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::object_store::path::Path;
use datafusion::object_store::{self as object_store, ObjectStore, ObjectStoreExt};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;

use crate::error::Error;

/// One Parquet part: its path in the lake's object store and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartFile {
    pub path: String,
    pub size: u64,
}

impl PartFile {
    pub fn new(path: impl Into<String>, size: u64) -> Self {
        PartFile {
            path: path.into(),
            size,
        }
    }
}

/// The parts read as one table with `schema` (a part without a column reads it as NULL).
pub struct PartsTable {
    store: ObjectStoreUrl,
    schema: SchemaRef,
    files: Vec<PartFile>,
}

impl fmt::Debug for PartsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartsTable")
            .field("store", &self.store.as_str())
            .field("parts", &self.files.len())
            .finish()
    }
}

impl PartsTable {
    /// `store` is the URL the lake's object store is registered under in the session.
    pub fn new(store: ObjectStoreUrl, schema: SchemaRef, files: Vec<PartFile>) -> Self {
        PartsTable {
            store,
            schema,
            files,
        }
    }
}

#[async_trait]
impl TableProvider for PartsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // The session's Parquet options (e.g. DATAFUSION_EXECUTION_PARQUET_PUSHDOWN_FILTERS).
        let format = ParquetFormat::default().with_options(state.table_options().parquet.clone());
        let files: Vec<PartitionedFile> = self
            .files
            .iter()
            .map(|f| PartitionedFile::new(f.path.trim_start_matches('/'), f.size))
            .collect();
        // As ListingTable groups them: sorted by path, in as many groups as the session runs
        // partitions; the optimizer may still split large parts into byte ranges.
        let groups = FileGroup::new(files).split_files(state.config().target_partitions().max(1));
        let config = FileScanConfigBuilder::new(
            self.store.clone(),
            format.file_source(TableSchema::from(&self.schema)),
        )
        .with_file_groups(groups)
        .with_projection_indices(projection.cloned())?
        .with_limit(limit)
        .build();
        format.create_physical_plan(state, config).await
    }

    /// Filters are applied after the scan; the Parquet scan still prunes row groups and pages
    /// with them (the optimizer pushes them into the scan).
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }
}

/// Checks that every part is in the store with the size its manifest gives, before anything
/// reads them: a part deleted, truncated or replaced after its run completed stops a load (or
/// a query) with its path instead of loading the rest of the run as if it were whole. Needed
/// before every scan of a [`PartsTable`]: parquet 59 panics, rather than failing, on a file
/// shorter than the size the scan was given.
pub async fn verify_parts(store: &Arc<dyn ObjectStore>, parts: &[PartFile]) -> crate::Result<()> {
    // Concurrent HEADs: on ADLS each is a round trip. Each check owns what it uses, so the
    // load's future stays `Send` for any lifetime (a stream of closures borrowing `parts` is
    // not, to the compiler).
    let checks = parts.iter().cloned().map(|p| {
        let store = Arc::clone(store);
        async move {
            let location = Path::from(p.path.trim_start_matches('/'));
            match store.head(&location).await {
                Ok(meta) if meta.size == p.size => Ok(()),
                Ok(meta) => Err(Error::PartSize {
                    path: p.path,
                    expected: p.size,
                    found: meta.size,
                }),
                Err(object_store::Error::NotFound { .. }) => {
                    Err(Error::MissingPart { path: p.path })
                }
                Err(source) => Err(Error::PartCheck {
                    path: p.path,
                    source: Box::new(source),
                }),
            }
        }
    });
    let mut checks = futures::stream::iter(checks.collect::<Vec<_>>()).buffer_unordered(32);
    while let Some(r) = checks.next().await {
        r?;
    }
    Ok(())
}

/// An integer column's range in one row group of a part, from the part's footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRange {
    pub min: i64,
    pub max: i64,
    /// Rows of the row group (NULLs of the column included).
    pub rows: u64,
}

/// What the footer of one part says about one integer column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnRanges {
    /// One per row group whose footer has the column's min and max.
    pub ranges: Vec<ColumnRange>,
    /// Rows of the row groups without them: parts written before the column existed (it is
    /// then computed at read time), or a column of another type.
    pub rows_unknown: u64,
}

/// `column`'s min and max per row group of each of `parts` (in their order), read from the
/// footers alone (ranged GETs, concurrently): what a reader needs to choose a range of the
/// column, and the parts that hold it, without scanning anything.
pub async fn column_ranges(
    store: &Arc<dyn ObjectStore>,
    parts: &[PartFile],
    column: &str,
) -> crate::Result<Vec<ColumnRanges>> {
    use datafusion::parquet::file::metadata::ParquetMetaDataReader;
    use datafusion::parquet::file::statistics::Statistics;

    let reads = parts.iter().cloned().map(|p| {
        let fetch = StoreFetch {
            store: Arc::clone(store),
            location: Path::from(p.path.trim_start_matches('/')),
        };
        let column = column.to_string();
        async move {
            let meta = ParquetMetaDataReader::new()
                .load_and_finish(fetch, p.size)
                .await
                .map_err(|source| Error::Footer {
                    path: p.path.clone(),
                    source: Box::new(source),
                })?;
            let index = meta
                .file_metadata()
                .schema_descr()
                .columns()
                .iter()
                .position(|c| c.path().parts() == [column.as_str()]);
            let mut out = ColumnRanges::default();
            for rg in meta.row_groups() {
                let rows = rg.num_rows().max(0) as u64;
                let stats = index.and_then(|i| rg.column(i).statistics());
                match stats {
                    Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                        (Some(&min), Some(&max)) => out.ranges.push(ColumnRange { min, max, rows }),
                        // Every value NULL: nothing in any range.
                        _ if s.null_count_opt() == Some(rows) => {}
                        _ => out.rows_unknown += rows,
                    },
                    _ => out.rows_unknown += rows,
                }
            }
            Ok::<_, Error>(out)
        }
    });
    let mut reads = futures::stream::iter(reads.collect::<Vec<_>>()).buffered(32);
    let mut all = Vec::with_capacity(parts.len());
    while let Some(r) = reads.next().await {
        all.push(r?);
    }
    Ok(all)
}

/// Ranged GETs of one part for the footer reader.
struct StoreFetch {
    store: Arc<dyn ObjectStore>,
    location: Path,
}

impl datafusion::parquet::arrow::async_reader::MetadataFetch for StoreFetch {
    fn fetch(
        &mut self,
        range: std::ops::Range<u64>,
    ) -> futures::future::BoxFuture<'_, datafusion::parquet::errors::Result<bytes::Bytes>> {
        use futures::FutureExt;
        async move {
            self.store
                .get_range(&self.location, range)
                .await
                .map_err(|e| datafusion::parquet::errors::ParquetError::External(Box::new(e)))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use datafusion::prelude::SessionContext;
    use object_store::PutPayload;
    use object_store::memory::InMemory;

    use super::*;

    async fn count(store: Arc<InMemory>, schema: SchemaRef, files: Vec<PartFile>) -> Result<i64> {
        let ctx = SessionContext::new();
        let url = ObjectStoreUrl::parse("skyfit-lake://lake/")?;
        ctx.runtime_env().register_object_store(url.as_ref(), store);
        ctx.register_table("t", Arc::new(PartsTable::new(url, schema, files)))?;
        let batches = ctx.sql("SELECT count(*) FROM t").await?.collect().await?;
        Ok(batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0))
    }

    #[tokio::test]
    async fn reads_every_part_and_fails_on_a_missing_or_truncated_one() {
        let store = Arc::new(InMemory::new());
        let (schema, bytes) = crate::probe::int64_parquet("n", 100).unwrap();
        let size = bytes.len() as u64;
        for name in ["a/part-1.parquet", "a/part-2.parquet"] {
            store
                .put(&Path::from(name), PutPayload::from(bytes.clone()))
                .await
                .unwrap();
        }
        let both = vec![
            PartFile::new("a/part-1.parquet", size),
            PartFile::new("a/part-2.parquet", size),
        ];
        assert_eq!(
            count(store.clone(), schema.clone(), both).await.unwrap(),
            200
        );

        // A listed part that is not there is an error, never zero rows (ListingTable's
        // HEAD-then-LIST fallback read it as an empty directory).
        let missing = vec![PartFile::new("a/part-3.parquet", size)];
        let e = count(store.clone(), schema.clone(), missing.clone())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("part-3.parquet"), "{e}");
        let e = verify_parts(&(store.clone() as Arc<dyn ObjectStore>), &missing)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::MissingPart { .. }), "{e}");

        store
            .put(
                &Path::from("a/part-2.parquet"),
                PutPayload::from(bytes[..bytes.len() - 10].to_vec()),
            )
            .await
            .unwrap();
        let both = vec![
            PartFile::new("a/part-1.parquet", size),
            PartFile::new("a/part-2.parquet", size),
        ];
        // The scan itself is not asked to read it: parquet 59 panics on a footer shorter than
        // the size it was given, so every reader verifies sizes first.
        let e = verify_parts(&(store.clone() as Arc<dyn ObjectStore>), &both)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::PartSize { found, .. } if found == size - 10),
            "{e}"
        );
    }
}
