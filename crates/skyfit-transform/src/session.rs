//! A DataFusion session over the bronze lake.
//!
//! Bronze entities are registered as tables in schema `bronze` over an explicit list of
//! Parquet parts chosen by the caller, never by listing a directory: a run is visible only once
//! its manifest says complete, and the loader picks the runs it has not loaded yet.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::MemorySchemaProvider;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use skyfit_lake::LakeStore;

use crate::error::{Error, Result};
use crate::query::QueryFile;

/// Scheme under which the lake's object store is known to DataFusion.
const LAKE_URL: &str = "skyfit-lake://lake/";

/// One bronze table: its name in schema `bronze` and the Parquet parts it reads.
#[derive(Debug, Clone)]
pub struct BronzeTable {
    /// `evo_entries`, `pipedrive_deals`, …
    pub name: String,
    /// Lake-relative paths of the `.parquet` parts.
    pub parts: Vec<String>,
    /// The table's schema when it has no parts (so queries still plan), and the schema parts
    /// are read with (so a part written before a column was declared reads it as NULL).
    pub schema: SchemaRef,
}

/// The session the transform queries run in.
pub struct TransformSession {
    ctx: SessionContext,
}

impl TransformSession {
    pub fn try_new(lake: &LakeStore) -> Result<Self> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            );
        let mut ctx = SessionContext::new_with_config(config);
        let url = ObjectStoreUrl::parse(LAKE_URL)?;
        ctx.runtime_env()
            .register_object_store(url.as_ref(), lake.object_store());
        datafusion_functions_json::register_all(&mut ctx)?;
        for udf in crate::udf::udfs() {
            ctx.register_udf(udf);
        }
        let catalog = ctx.catalog("datafusion").ok_or_else(|| {
            datafusion::error::DataFusionError::Internal("default catalog missing".into())
        })?;
        catalog.register_schema("bronze", Arc::new(MemorySchemaProvider::new()))?;
        Ok(TransformSession { ctx })
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Registers (or replaces) `bronze.{name}`.
    pub async fn register_bronze(&self, table: &BronzeTable) -> Result<()> {
        let reference = TableReference::partial("bronze", table.name.as_str());
        self.ctx.deregister_table(reference.clone())?;
        if table.parts.is_empty() {
            let empty = MemTable::try_new(table.schema.clone(), vec![vec![]])?;
            self.ctx.register_table(reference, Arc::new(empty))?;
            return Ok(());
        }
        let urls = table
            .parts
            .iter()
            .map(|p| ListingTableUrl::parse(format!("{LAKE_URL}{}", p.trim_start_matches('/'))))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(table.schema.clone());
        self.ctx
            .register_table(reference, Arc::new(ListingTable::try_new(config)?))?;
        Ok(())
    }

    /// Plans a query file, placing SQL errors at the file's line and column.
    pub async fn plan(&self, q: &QueryFile) -> Result<DataFrame> {
        self.ctx.sql(&q.sql).await.map_err(|e| sql_error(q, e))
    }
}

/// DataFusion reports parser errors as "… at Line: L, Column: C"; planner errors carry no
/// position, so they point at the first line of the statement.
fn sql_error(q: &QueryFile, e: datafusion::error::DataFusionError) -> Error {
    let message = e.to_string();
    let pos = message.find("Line: ").and_then(|i| {
        let rest = &message[i + 6..];
        let (line, rest) = rest.split_once(", Column: ")?;
        let col: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        Some((line.trim().parse().ok()?, col.parse().ok()?))
    });
    let (line, column) = pos.unwrap_or_else(|| {
        let first = q
            .sql
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"));
        (first.map(|i| i + 1).unwrap_or(1), 1)
    });
    Error::Sql {
        file: q.path.clone(),
        line,
        column,
        message,
    }
}
