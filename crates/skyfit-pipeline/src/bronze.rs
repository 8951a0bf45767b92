//! From the lake's complete runs to bronze tables.
//!
//! A bronze table is named `{source}_{entity}` (`evo_entries`, `pipedrive_deals`); for
//! Pipedrive it spans both accounts, told apart by the `_scope` column.

use std::fmt;

use arrow::datatypes::SchemaRef;
use datafusion::logical_expr::Expr;
use skyfit_core::Source;
use skyfit_lake::{EntityKey, LakeStore, RunRef, declared_schema};
use skyfit_transform::{BronzeTable, PartFile, TransformSession};

use crate::error::{Error, Result};

/// A bronze table a query reads: `bronze.{source}_{entity}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct BronzeRef {
    pub source: Source,
    /// The entity as SQL names it (`deal_fields`; see [`lake_entity`] for the lake's name).
    pub entity: String,
}

impl BronzeRef {
    /// `evo_entries` → evo / `entries`; `None` when the name starts with no known source.
    pub fn parse(name: &str) -> Option<BronzeRef> {
        let (source, entity) = parse_table_name(name)?;
        Some(BronzeRef {
            source,
            entity: entity.to_string(),
        })
    }

    /// The table's name in schema `bronze` (`evo_entries`).
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// The entity's name in lake paths.
    pub fn lake_entity(&self) -> String {
        lake_entity(self.source, &self.entity)
    }

    /// The table's Arrow schema (declared columns plus lineage).
    pub fn schema(&self) -> SchemaRef {
        table_schema(self.source, &self.entity)
    }
}

impl fmt::Display for BronzeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.source, self.entity)
    }
}

/// One bronze part as the loader tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BronzePart {
    pub run_id: String,
    pub scope: Option<String>,
    /// Lake-relative path of the `.jsonl.gz` (the ledger's and lineage's name for the part).
    pub path: String,
    pub parquet_path: String,
    /// Size of the `.parquet` twin as written: the scan reads its footer from here.
    pub parquet_bytes: u64,
    pub sha256: String,
    pub records: u64,
    /// Records the lake rejected over the part's whole run (`_rejects/`).
    pub run_rejects: u64,
    /// The declared schema the run's Parquet parts were written with (`evo.entries.v2`).
    pub schema: String,
    /// The run was written from the built-in API simulator (its manifest says so).
    pub simulated: bool,
}

impl BronzePart {
    /// The part's Parquet twin as the scan reads it: path and manifest size.
    pub fn file(&self) -> PartFile {
        PartFile::new(&self.parquet_path, self.parquet_bytes)
    }
}

/// `evo_entries` → (evo, "entries").
pub fn parse_table_name(name: &str) -> Option<(Source, &str)> {
    let (source, entity) = name.split_once('_')?;
    Some((source.parse().ok()?, entity))
}

/// The entity's name in lake paths. Pipedrive's field definitions keep the API's spelling
/// there (`dealFields`), while SQL table names stay snake_case (`pipedrive_deal_fields`).
pub fn lake_entity(source: Source, entity: &str) -> String {
    match (source, entity.strip_suffix("_fields")) {
        (Source::Pipedrive, Some(kind)) => format!("{kind}Fields"),
        _ => entity.to_string(),
    }
}

fn scopes(source: Source) -> Vec<Option<&'static str>> {
    match source {
        Source::Pipedrive => vec![Some("comercial"), Some("expansao")],
        Source::Zendesk => vec![Some("support")],
        Source::Evo => vec![None],
    }
}

/// The Arrow schema of a bronze table: the entity's declared Parquet columns plus lineage.
pub fn table_schema(source: Source, entity: &str) -> SchemaRef {
    skyfit_lake::with_lineage_fields(
        &declared_schema(source, &lake_entity(source, entity)).arrow_schema(),
    )
}

/// The bronze table over `parts`: parts written with an older declared schema than today's
/// read today's derived columns computed in SQL (see [`BronzeTable::legacy_parts`]).
pub fn bronze_table(name: &str, source: Source, entity: &str, parts: &[BronzePart]) -> BronzeTable {
    let declared = declared_schema(source, &lake_entity(source, entity));
    BronzeTable {
        name: name.to_string(),
        parts: parts.iter().map(BronzePart::file).collect(),
        schema: table_schema(source, entity),
        legacy_parts: parts
            .iter()
            .filter(|p| p.schema != declared.name())
            .map(|p| p.parquet_path.clone())
            .collect(),
        derived: declared.derived().to_vec(),
        filter: None,
    }
}

/// Every part of every complete run of the table's entity, oldest run first. A run the
/// original system wrote and nobody adopted yet fails the table: its records exist, and
/// loading without them would lose them silently.
pub async fn complete_parts(
    lake: &LakeStore,
    source: Source,
    entity: &str,
) -> Result<Vec<BronzePart>> {
    let (parts, unadopted) = scan_parts(lake, source, entity).await?;
    if let Some(first) = unadopted.first() {
        return Err(Error::NotAdopted {
            table: format!("{source}_{entity}"),
            runs: unadopted.len(),
            first: first.dir().to_string(),
            of: source,
        });
    }
    Ok(parts)
}

/// [`complete_parts`] without the refusal: the parts, and the original system's runs that are
/// not adopted yet (for readers that only warn, such as `skyfit query`).
pub async fn scan_parts(
    lake: &LakeStore,
    source: Source,
    entity: &str,
) -> Result<(Vec<BronzePart>, Vec<RunRef>)> {
    let mut parts = Vec::new();
    let mut unadopted = Vec::new();
    for scope in scopes(source) {
        let key = EntityKey::try_new(source, scope, &lake_entity(source, entity))?;
        let scan = lake.scan_runs(&key).await?;
        unadopted.extend(scan.unadopted);
        for (_, manifest) in scan.complete {
            for p in &manifest.parts {
                parts.push(BronzePart {
                    run_id: manifest.run_id.to_string(),
                    scope: scope.map(str::to_string),
                    path: p.path.clone(),
                    parquet_path: p.parquet_path.clone(),
                    parquet_bytes: p.parquet_bytes,
                    sha256: p.sha256.clone(),
                    records: p.records,
                    run_rejects: manifest.rejects,
                    schema: manifest.schema.clone(),
                    simulated: manifest.simulated,
                });
            }
        }
    }
    parts.sort_by(|a, b| (&a.run_id, &a.path).cmp(&(&b.run_id, &b.path)));
    Ok((parts, unadopted))
}

/// Registers `bronze.{table}` over `parts` once they are verified to be in the lake, whole.
pub(crate) async fn register(
    session: &TransformSession,
    table: &BronzeRef,
    parts: &[BronzePart],
) -> Result<()> {
    register_checked(session, table, parts, None).await
}

/// [`register`] keeping only the rows `filter` keeps: the parts are checked against their
/// manifests first, then registered as [`register_filtered`] does.
pub(crate) async fn register_checked(
    session: &TransformSession,
    table: &BronzeRef,
    parts: &[BronzePart],
    filter: Option<Expr>,
) -> Result<()> {
    let files: Vec<PartFile> = parts.iter().map(BronzePart::file).collect();
    session
        .verify_parts(&files)
        .await
        .map_err(|source| Error::Parts {
            table: format!("bronze.{table}"),
            source: Box::new(source),
        })?;
    register_filtered(session, table, parts, filter).await
}

/// Registers `bronze.{table}` over `parts` as they are, keeping only the rows `filter` keeps
/// (one pass of a load split into passes).
pub(crate) async fn register_filtered(
    session: &TransformSession,
    table: &BronzeRef,
    parts: &[BronzePart],
    filter: Option<Expr>,
) -> Result<()> {
    let mut t = bronze_table(&table.name(), table.source, &table.entity, parts);
    t.filter = filter;
    session.register_bronze(&t).await?;
    Ok(())
}
