//! From the lake's complete runs to bronze tables.
//!
//! A bronze table is named `{source}_{entity}` (`evo_entries`, `pipedrive_deals`); for
//! Pipedrive it spans both accounts, told apart by the `_scope` column.

use arrow::datatypes::SchemaRef;
use skyfit_core::Source;
use skyfit_lake::{EntityKey, LakeStore, RunRef, declared_schema};
use skyfit_transform::{BronzeTable, PartFile};

use crate::error::{Error, Result};

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
