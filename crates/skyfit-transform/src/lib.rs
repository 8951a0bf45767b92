//! The transform stage: DataFusion over the bronze lake.
//!
//! * [`query`] parses the SQL files of `queries/` and their `-- @` headers (target, key,
//!   strategy, data tests).
//! * [`session`] builds a DataFusion session in which each bronze entity is a table
//!   (`bronze.evo_entries`, `bronze.pipedrive_deals`, …) over an explicit list of Parquet
//!   parts — the caller decides which runs count (complete ones, not yet loaded ones) — with
//!   the JSON functions and SkyFit's UDFs registered.
//! * [`queryset`] says where the query files come from: a directory, or the copy compiled into
//!   the `skyfit` binary.
//! * [`shared`] puts the relations written once in `queries/_shared/` (each entity's keyed
//!   records and their latest versions) into the query files that use them.
//!
//! Nothing here touches PostgreSQL: loading the results is `skyfit-load`'s job.

pub mod datatest;
pub mod error;
pub mod parts;
pub mod probe;
pub mod query;
pub mod queryset;
pub mod session;
pub mod shared;
pub mod udf;

pub use datatest::{TestOutcome, describe, run_tests};
pub use error::{Error, Result};
pub use parts::{ColumnRange, ColumnRanges, PartFile, PartsTable, column_ranges, verify_parts};
pub use query::{DataTest, QueryFile, Strategy, TestSeverity};
pub use queryset::QuerySet;
pub use session::{BronzeTable, SessionOptions, TransformSession};
pub use shared::SharedRelations;
pub use udf::ZonedTimestamp;
