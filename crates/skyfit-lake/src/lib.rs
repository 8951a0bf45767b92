//! The bronze layer of SkyFit Lake: raw API records on object storage.
//!
//! Everything an extractor fetches lands here first, as gzip-compressed JSON Lines holding
//! each record exactly as the API sent it, plus a Parquet twin of every part with the raw text,
//! its line number and the entity's declared typed columns. A run's `_manifest.json` says which
//! parts exist and whether the run is complete; loaders only ever see complete runs.
//!
//! Constraints every module keeps:
//! - No reader ever sees half a part: each object is written with one atomic `put`, Parquet
//!   first, then JSONL.GZ, then the manifest that names them.
//! - Memory is bounded by the part limits ([`PartLimits`]), not by the size of a window.
//! - Bad input never fails a run: a malformed record goes to `_rejects/`, a value of the wrong
//!   JSON type becomes NULL in Parquet and is counted as type drift.
//! - Secrets (Azure keys, SAS tokens, client secrets) never reach `Debug` output or errors.
//!
//! Layout (see [`paths`]):
//!
//! ```text
//! bronze/{source}/[scope={scope}/]entity={entity}/ingestion_date={YYYY-MM-DD}/run_id={run_id}/
//!     part-{NNNNN}.jsonl.gz
//!     part-{NNNNN}.parquet
//!     _manifest.json
//!     _rejects/part-{NNNNN}.jsonl
//! _meta/{source}/[scope={scope}/]entity={entity}/watermark.json
//! ```

pub mod adopt;
pub mod azure;
pub mod error;
pub mod manifest;
pub mod original;
pub mod part;
pub mod paths;
mod prefix;
pub mod reader;
pub mod record;
pub mod rejects;
pub mod schema;
pub mod store;
pub mod volume;
pub mod watermark;
pub mod writer;

pub use adopt::{AdoptOptions, AdoptReport, AdoptStatus, RunOutcome};
pub use azure::{AzureCredentials, AzureOptions};
pub use error::{Error, Result};
pub use manifest::{
    Adoption, Manifest, PartEntry, RunStatus, SkipKind, Skipped, WindowState, WindowStatus,
};
pub use part::{EncodedPart, LINEAGE_COLUMNS, PartBuffer, with_lineage_fields};
pub use paths::{BronzeObject, BronzePath, EntityKey, RunRef};
pub use reader::{JsonlPart, ParquetStream, RunScan};
pub use rejects::{Reject, RejectPosition};
pub use schema::{
    CLUSTER_DICTIONARY_PAGE_BYTES, CLUSTER_PAGE_ROWS, ColumnSpec, ColumnType, Derivation,
    DerivedSpec, EVO_ENTRY_ID_COLUMN, EntitySchema, declared_schema,
};
pub use store::{LakeStore, LakeStoreBuilder};
pub use volume::NightlyVolume;
pub use watermark::Watermark;
pub use writer::{BronzeWriter, PageRef, PartLimits, Pushed};
