//! Arrow [`RecordBatch`] → PostgreSQL binary COPY bytes, with no I/O.
//!
//! Layout of the format: a 19-byte header (`PGCOPY\n\xff\r\n\0`, flags, extension
//! length), then per row an `i16` field count and per field an `i32` length (`-1`
//! for NULL) followed by the value in the type's binary "send" form, and a `-1`
//! `i16` trailer. See <https://www.postgresql.org/docs/current/sql-copy.html>.
//!
//! Encoding is columnar, in two passes over each batch:
//! 1. *measure*: each column adds its fields' sizes to a per-row size array and
//!    counts values it must alter (see [`crate::EncodeReport`]);
//! 2. *write*: the output is sized once; every column writes its fields at each
//!    row's cursor, a block of rows at a time so the output stays in cache.
//!
//! Each column runs one function specialised for its Arrow→PostgreSQL pair over
//! the whole array; there is no per-cell dynamic dispatch. A batch becomes one
//! `BytesMut` chunk, so a COPY streams any number of batches in bounded memory.
//!
//! Constraints: values must fit the target type's receive function. Text NUL
//! bytes, the JSON escape `\u0000` and lone surrogate escapes are rewritten;
//! out-of-range dates, timestamps and narrowing integers become NULL; all are
//! reported, never a panic. JSON text is assumed well-formed (it comes from a
//! JSON serializer) and is not validated here. `varchar(n)` length limits are
//! checked by the server.

mod fixed;
mod numeric;
mod plan;
mod text;

use std::ops::Range;

use arrow::array::Array;
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use bytes::{BufMut, BytesMut};

use crate::report::EncodeReport;
use crate::{Error, PgColumn, PgType, Result};

/// The 11-byte signature that starts every binary COPY stream.
pub const COPY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Size of the header: signature, flags (`i32`), header extension length (`i32`).
pub const HEADER_LEN: usize = 19;

/// Largest field PostgreSQL accepts (1 GiB - 1).
const MAX_FIELD: usize = (1 << 30) - 1;

/// PostgreSQL's limit on columns in a table.
const MAX_COLUMNS: usize = 1664;

/// What to do with NUL bytes inside text values, which PostgreSQL refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NulPolicy {
    /// Remove them (the default).
    #[default]
    Strip,
    /// Replace each with U+FFFD REPLACEMENT CHARACTER.
    Replace,
}

/// Encodes record batches of one schema into binary COPY data for a column list.
#[derive(Debug, Clone)]
pub struct CopyEncoder {
    columns: Vec<ColumnPlan>,
    nul_policy: NulPolicy,
    block_rows: usize,
}

/// One target column, resolved against the Arrow schema.
#[derive(Debug, Clone)]
struct ColumnPlan {
    target: PgColumn,
    index: usize,
    arrow: DataType,
}

impl CopyEncoder {
    /// Builds an encoder for `columns`, each looked up by name in `schema`.
    ///
    /// Fails if a column is missing or its Arrow type has no encoding as the
    /// requested PostgreSQL type.
    pub fn try_new(schema: &Schema, columns: &[PgColumn]) -> Result<Self> {
        if columns.is_empty() || columns.len() > MAX_COLUMNS {
            return Err(Error::ColumnCount {
                columns: columns.len(),
            });
        }
        let columns = columns
            .iter()
            .map(|target| {
                let (index, field) =
                    schema
                        .column_with_name(&target.name)
                        .ok_or_else(|| Error::MissingColumn {
                            column: target.name.clone(),
                        })?;
                plan::check(&target.name, field.data_type(), target.pg_type)?;
                Ok(ColumnPlan {
                    target: target.clone(),
                    index,
                    arrow: field.data_type().clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CopyEncoder {
            columns,
            nul_policy: NulPolicy::default(),
            block_rows: 256,
        })
    }

    /// Builds an encoder for every field of `schema`, each mapped to its natural
    /// PostgreSQL type ([`PgType::for_arrow`]).
    pub fn try_from_schema(schema: &Schema) -> Result<Self> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                let pg_type =
                    PgType::for_arrow(f.data_type()).ok_or_else(|| Error::UnsupportedType {
                        column: f.name().clone(),
                        arrow: f.data_type().clone(),
                        pg: PgType::Text,
                    })?;
                Ok(PgColumn::new(f.name().clone(), pg_type))
            })
            .collect::<Result<Vec<_>>>()?;
        Self::try_new(schema, &columns)
    }

    /// Sets how NUL bytes in text are made storable.
    pub fn with_nul_policy(mut self, policy: NulPolicy) -> Self {
        self.nul_policy = policy;
        self
    }

    /// Sets how many rows each column writes before the next column takes over
    /// (cache blocking; default 256).
    pub fn with_block_rows(mut self, rows: usize) -> Self {
        self.block_rows = rows.max(1);
        self
    }

    /// The target columns, in COPY order.
    pub fn columns(&self) -> impl ExactSizeIterator<Item = &PgColumn> {
        self.columns.iter().map(|c| &c.target)
    }

    /// Appends the 19-byte COPY header.
    pub fn write_header(&self, out: &mut BytesMut) {
        out.reserve(HEADER_LEN);
        out.put_slice(COPY_SIGNATURE);
        out.put_i32(0); // flags: no OIDs
        out.put_i32(0); // header extension length
    }

    /// Appends the 2-byte COPY trailer.
    pub fn write_trailer(&self, out: &mut BytesMut) {
        out.put_i16(-1);
    }

    /// Appends the rows of `batch` to `out` and reports what had to be altered.
    ///
    /// Fails if the batch's schema differs from the one the encoder was built for.
    pub fn encode_batch(&self, batch: &RecordBatch, out: &mut BytesMut) -> Result<EncodeReport> {
        let rows = batch.num_rows();
        let mut report =
            EncodeReport::for_columns(self.columns.iter().map(|c| c.target.name.as_str()));
        let mut writers = self
            .columns
            .iter()
            .map(|c| {
                let array = batch
                    .columns()
                    .get(c.index)
                    .filter(|a| a.data_type() == &c.arrow);
                let array = array.ok_or_else(|| Error::SchemaMismatch {
                    column: c.target.name.clone(),
                    expected: c.arrow.clone(),
                    found: batch
                        .columns()
                        .get(c.index)
                        .map_or(DataType::Null, |a| a.data_type().clone()),
                })?;
                plan::writer(&c.target, array.as_ref(), self.nul_policy)
            })
            .collect::<Result<Vec<_>>>()?;

        // Pass 1: row sizes. Every row starts with its i16 field count.
        let mut sizes = vec![2usize; rows];
        for (column, writer) in writers.iter_mut().enumerate() {
            let mut tally = Tally {
                report: &mut report,
                column,
            };
            writer.measure(&mut sizes, &mut tally)?;
        }

        // Turn sizes into cursors and write the field counts.
        let total: usize = sizes.iter().sum();
        let start = out.len();
        out.resize(start + total, 0);
        let buf = &mut out[start..];
        let field_count = (self.columns.len() as i16).to_be_bytes();
        let mut pos = 0;
        for size in sizes.iter_mut() {
            buf[pos..pos + 2].copy_from_slice(&field_count);
            let row_start = pos;
            pos += *size;
            *size = row_start + 2;
        }
        let mut cursors = sizes;

        // Pass 2: values, column by column over blocks of rows.
        let mut block = 0;
        while block < rows {
            let end = (block + self.block_rows).min(rows);
            for writer in &writers {
                writer.write(block..end, &mut cursors, buf);
            }
            block = end;
        }

        report.rows = rows as u64;
        report.bytes = total as u64;
        Ok(report)
    }

    /// Encodes a whole COPY stream (header, batches, trailer) into one buffer.
    /// Meant for tests and small tables; large loads stream batch by batch.
    pub fn encode_all<'a>(
        &self,
        batches: impl IntoIterator<Item = &'a RecordBatch>,
    ) -> Result<(BytesMut, EncodeReport)> {
        let mut out = BytesMut::new();
        let mut report = EncodeReport::default();
        self.write_header(&mut out);
        for batch in batches {
            let r = self.encode_batch(batch, &mut out)?;
            let offset = report.rows;
            report.absorb(&r, offset);
        }
        self.write_trailer(&mut out);
        Ok((out, report))
    }
}

/// Where a column writer records altered cells.
pub(crate) struct Tally<'a> {
    report: &'a mut EncodeReport,
    column: usize,
}

impl Tally<'_> {
    fn issue(&mut self, row: usize, kind: crate::IssueKind) {
        self.report.record(row, self.column, kind);
    }

    fn too_large(&self, row: usize, bytes: usize) -> Error {
        Error::ValueTooLarge {
            column: self.report.columns[self.column].name.clone(),
            row,
            bytes,
        }
    }
}

/// The rows of `array` whose value the encoder will alter when it stores the column as
/// `pg_type`, each with every kind of alteration (a rewrite, or NULL for a value the type
/// cannot hold). Empty when nothing changes, or when the pair is not one the encoder takes.
///
/// For callers that must account for each altered value with context the encoder does not
/// have (a quarantine row with the value's source). Text keeps the encoder's fast path (one
/// `memchr` when no suspicious byte is present); other types run the encoder's own size pass,
/// so both always agree on what is altered.
pub fn rewritten_rows(array: &dyn Array, pg_type: PgType) -> Vec<(usize, crate::IssueKind)> {
    if matches!(pg_type, PgType::Text | PgType::Varchar | PgType::Jsonb) {
        return text::rewritten_rows(array, pg_type);
    }
    let target = PgColumn::new("value", pg_type);
    if plan::check(&target.name, array.data_type(), pg_type).is_err() {
        return Vec::new();
    }
    let Ok(mut writer) = plan::writer(&target, array, NulPolicy::Strip) else {
        return Vec::new();
    };
    let mut report = EncodeReport::for_columns(std::iter::once(target.name.as_str()));
    let mut sizes = vec![0usize; array.len()];
    let mut tally = Tally {
        report: &mut report,
        column: 0,
    };
    if writer.measure(&mut sizes, &mut tally).is_err() {
        return Vec::new();
    }
    report.issues.into_iter().map(|i| (i.row, i.kind)).collect()
}

/// One column of one batch, specialised for its Arrow→PostgreSQL pair.
pub(crate) trait ColumnWriter {
    /// Adds each row's field size (4 + value length, or 4 for NULL) to `sizes`
    /// and records altered cells.
    fn measure(&mut self, sizes: &mut [usize], tally: &mut Tally<'_>) -> Result<()>;

    /// Writes the fields of `rows`, each at `cursors[row]`, advancing the cursors.
    /// Must write exactly the sizes `measure` reported.
    fn write(&self, rows: Range<usize>, cursors: &mut [usize], out: &mut [u8]);
}

/// Writes a NULL field (length -1).
#[inline]
fn put_null(out: &mut [u8], cursor: &mut usize) {
    let c = *cursor;
    out[c..c + 4].copy_from_slice(&(-1i32).to_be_bytes());
    *cursor = c + 4;
}
