//! Arrow → PostgreSQL loading by binary COPY.
//!
//! * [`CopyEncoder`] turns record batches into binary COPY bytes; it does no I/O.
//!   What it had to alter to make values storable comes back as an
//!   [`EncodeReport`].
//! * [`copy_in`] streams batches into a table over a `tokio_postgres::Client`.
//! * [`merge`] loads incrementally (COPY into a temp table, then upsert by key);
//!   [`swap`] does a full refresh through a shadow table swapped in atomically;
//!   [`partition`] does it partition by partition for partitioned tables.
//!   Their SQL comes from plain functions in [`sql`], testable without a server.
//! * [`strategy`] puts them, and child replacement, behind one trait, each leaving its rows
//!   in a transaction the caller records its ledger in before committing.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use arrow::record_batch::RecordBatch;
//! use skyfit_load::{CopyEncoder, PgColumn, PgType};
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("member_id", DataType::Int64, false),
//!     Field::new("raw_data", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(
//!     schema.clone(),
//!     vec![
//!         Arc::new(Int64Array::from(vec![1, 2])),
//!         Arc::new(StringArray::from(vec![Some(r#"{"name":"a\u0000b"}"#), None])),
//!     ],
//! )?;
//! let encoder = CopyEncoder::try_new(
//!     &schema,
//!     &[PgColumn::new("member_id", PgType::Int8), PgColumn::new("raw_data", PgType::Jsonb)],
//! )?;
//! let (bytes, report) = encoder.encode_all([&batch])?;
//! assert!(bytes.starts_with(skyfit_load::COPY_SIGNATURE));
//! assert_eq!(report.columns[1].json_nul_escape, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod copy;
mod encoder;
mod error;
pub mod merge;
pub mod partition;
mod pg_type;
mod report;
pub mod sql;
pub mod strategy;
pub mod swap;

pub use copy::{CopyOptions, CopyOutcome, copy_in, copy_in_parallel, copy_in_with};
pub use encoder::{COPY_SIGNATURE, CopyEncoder, HEADER_LEN, NulPolicy, rewritten_rows};
pub use error::{BoxError, Error, Result};
pub use pg_type::{PgColumn, PgType};
pub use report::{CellIssue, ColumnReport, EncodeReport, IssueKind};
