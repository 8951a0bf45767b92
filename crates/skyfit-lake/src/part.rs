//! `PartBuffer`: records in, the bytes of one part (`.jsonl.gz` + `.parquet`) out. No I/O.
//!
//! Each accepted record is appended three ways as it arrives: its bytes to a streaming gzip
//! encoder (plus `\n`), its text to the `_raw` Arrow column, and its typed values to the
//! declared columns. Nothing else is kept, so a part costs roughly its raw size plus its
//! compressed size; the writer bounds that with [`crate::PartLimits`].
//!
//! Bytes are preserved exactly with one exception: a raw CR or LF can only appear in JSON as
//! whitespace between tokens (inside strings they must be escaped), and it would break the
//! one-record-per-line format, so each is replaced by a space. Length and meaning are
//! unchanged; the count is reported as `newlines_replaced`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StringArray, StringBuilder,
};
use arrow::compute::SortOptions;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression as ParquetCompression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::record::{Cell, CompiledSchema, convert};
use crate::schema::{
    CLUSTER_DICTIONARY_PAGE_BYTES, CLUSTER_PAGE_ROWS, ColumnType, Derivation, EntitySchema,
    LINE_COLUMN, RAW_COLUMN,
};

/// Parquet key-value metadata naming the declared schema a part was written with.
pub const SCHEMA_METADATA_KEY: &str = "skyfit.schema";

/// The finished bytes of one part, ready to put.
#[derive(Debug, Clone)]
pub struct EncodedPart {
    pub jsonl_gz: Bytes,
    pub parquet: Bytes,
    pub records: u64,
    /// Uncompressed size of the JSONL (record bytes plus newlines).
    pub raw_bytes: u64,
    /// Lowercase hex sha256 of `jsonl_gz` (empty with [`PartBuffer::without_jsonl`]).
    pub sha256: String,
    /// Column name → values that became NULL because their JSON type did not fit.
    pub type_drift: BTreeMap<String, u64>,
    pub newlines_replaced: u64,
}

enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
}

impl ColumnBuilder {
    fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Int64 => ColumnBuilder::Int(Int64Builder::new()),
            ColumnType::Float64 => ColumnBuilder::Float(Float64Builder::new()),
            ColumnType::Boolean => ColumnBuilder::Bool(BooleanBuilder::new()),
            ColumnType::Utf8 | ColumnType::TimestampText | ColumnType::Json => {
                ColumnBuilder::Str(StringBuilder::new())
            }
        }
    }

    /// Append `cell`; `convert` only produces cells matching the builder's type, so any
    /// other combination is a NULL.
    fn append(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::Float(b), Cell::Float(v)) => b.append_value(v),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (ColumnBuilder::Str(b), Cell::Str(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Float(b), _) => b.append_null(),
            (ColumnBuilder::Bool(b), _) => b.append_null(),
            (ColumnBuilder::Str(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Str(b) => Arc::new(b.finish()),
        }
    }
}

/// `schema` with the [`LINEAGE_COLUMNS`] appended.
pub fn with_lineage_fields(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<arrow::datatypes::Field> =
        schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for name in LINEAGE_COLUMNS {
        fields.push(arrow::datatypes::Field::new(
            name,
            arrow::datatypes::DataType::Utf8,
            true,
        ));
    }
    Arc::new(arrow::datatypes::Schema::new(fields))
}

/// Accumulates the records of one part.
pub struct PartBuffer {
    schema: EntitySchema,
    compiled: CompiledSchema,
    arrow_schema: SchemaRef,
    gzip_level: u32,
    gz: GzEncoder<Vec<u8>>,
    raw: StringBuilder,
    columns: Vec<ColumnBuilder>,
    /// Derived columns: the builder and the declared columns each reads.
    derived: Vec<(Derivation, Vec<usize>, Int64Builder)>,
    drift: Vec<u64>,
    records: u64,
    raw_bytes: u64,
    newlines_replaced: u64,
    /// Constant lineage of every record of the part: run id, ingestion date, scope.
    lineage: [Option<String>; 3],
    /// `_line` of each record: its position in the part, or the physical line it has in a
    /// file written elsewhere (see [`PartBuffer::push_line`]).
    lines: Int64Builder,
    /// Whether the records also go to the `.jsonl.gz` (false when adopting a file that is the
    /// JSONL copy already).
    jsonl: bool,
}

/// Lineage columns after the declared ones: the part's `.jsonl.gz` path, its run, its
/// ingestion date and its scope. Constant per part (Parquet stores them in a few bytes), they
/// let SQL over many parts dedup by run and point every row back to its file and line.
pub const LINEAGE_COLUMNS: [&str; 4] = ["_source_file", "_run_id", "_ingestion_date", "_scope"];

impl PartBuffer {
    /// A buffer for `schema`; `gzip_level` 0–9 (6 is zlib's default speed/size balance).
    pub fn try_new(schema: EntitySchema, gzip_level: u32) -> Result<Self> {
        schema.validate()?;
        let compiled = CompiledSchema::new(&schema);
        let arrow_schema = with_lineage_fields(&schema.arrow_schema());
        let columns = schema
            .columns()
            .iter()
            .map(|c| ColumnBuilder::new(c.ty))
            .collect();
        let drift = vec![0; schema.columns().len()];
        let derived = schema
            .derived()
            .iter()
            .map(|d| {
                // `validate` refused schemas whose inputs are missing.
                let inputs = schema.derivation_inputs(d.derivation).unwrap_or_default();
                (d.derivation, inputs, Int64Builder::new())
            })
            .collect();
        let gzip_level = gzip_level.min(9);
        Ok(PartBuffer {
            schema,
            compiled,
            arrow_schema,
            gzip_level,
            gz: GzEncoder::new(Vec::new(), Compression::new(gzip_level)),
            raw: StringBuilder::new(),
            columns,
            derived,
            drift,
            records: 0,
            raw_bytes: 0,
            newlines_replaced: 0,
            lineage: [None, None, None],
            lines: Int64Builder::new(),
            jsonl: true,
        })
    }

    /// Sets the run id, ingestion date and scope written into the lineage columns.
    pub fn with_lineage(mut self, run_id: &str, ingestion_date: &str, scope: Option<&str>) -> Self {
        self.lineage = [
            Some(run_id.to_string()),
            Some(ingestion_date.to_string()),
            scope.map(str::to_string),
        ];
        self
    }

    /// Encode the Parquet twin only: [`EncodedPart::jsonl_gz`] stays empty. For records read
    /// from a `.jsonl.gz` that already exists and must not be rewritten.
    pub fn without_jsonl(mut self) -> Self {
        self.jsonl = false;
        self
    }

    pub fn schema(&self) -> &EntitySchema {
        &self.schema
    }

    pub fn len(&self) -> u64 {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Uncompressed JSONL bytes buffered so far.
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes
    }

    /// Append one record (its exact bytes). `Err(reason)` when it is not a single JSON
    /// object; the buffer is then unchanged and the caller should reject the record.
    pub fn push(&mut self, record: &str) -> std::result::Result<(), String> {
        self.push_line(self.records + 1, record)
    }

    /// [`PartBuffer::push`] for a record that sits at physical line `line` of an existing file,
    /// so `_line` points at it (blank lines in such files are skipped but still counted).
    pub fn push_line(&mut self, line: u64, record: &str) -> std::result::Result<(), String> {
        let record: Cow<'_, str> = if record.bytes().any(|b| b == b'\n' || b == b'\r') {
            self.newlines_replaced += 1;
            Cow::Owned(record.replace(['\n', '\r'], " "))
        } else {
            Cow::Borrowed(record)
        };
        let mut slots: Vec<Option<&RawValue>> = vec![None; self.compiled.len()];
        self.compiled.extract(&record, &mut slots)?;
        if self.jsonl {
            // Writing into a Vec cannot fail; keep the error path anyway rather than unwrap.
            self.gz
                .write_all(record.as_bytes())
                .and_then(|()| self.gz.write_all(b"\n"))
                .map_err(|e| format!("gzip buffer: {e}"))?;
        }
        for (derivation, inputs, builder) in &mut self.derived {
            match derivation {
                Derivation::EvoEntryId => {
                    let raw = |k: usize| inputs.get(k).and_then(|&c| slots[c]).map(RawValue::get);
                    builder.append_option(skyfit_core::entry_id::entry_id_from_raw(
                        std::array::from_fn(raw),
                    ));
                }
            }
        }
        for (i, raw) in slots.into_iter().enumerate() {
            let cell = convert(raw, self.compiled.column_type(i));
            if cell == Cell::Drift {
                self.drift[i] += 1;
            }
            self.columns[i].append(cell);
        }
        self.raw.append_value(&record);
        self.lines
            .append_value(i64::try_from(line).unwrap_or(i64::MAX));
        self.records += 1;
        self.raw_bytes += record.len() as u64 + 1;
        Ok(())
    }

    /// Encode the buffered records and reset the buffer for the next part.
    /// `label` names the part in errors (e.g. its path).
    pub fn finish(&mut self, label: &str) -> Result<EncodedPart> {
        let gz = std::mem::replace(
            &mut self.gz,
            GzEncoder::new(Vec::new(), Compression::new(self.gzip_level)),
        );
        let jsonl_gz = gz.finish().map_err(|source| Error::Gzip {
            path: label.to_string(),
            source,
        })?;
        let records = std::mem::take(&mut self.records);
        let mut arrays: Vec<ArrayRef> =
            Vec::with_capacity(2 + self.columns.len() + self.derived.len());
        arrays.push(Arc::new(self.raw.finish()));
        arrays.push(Arc::new(self.lines.finish()));
        arrays.extend(self.columns.iter_mut().map(ColumnBuilder::finish));
        arrays.extend(
            self.derived
                .iter_mut()
                .map(|(_, _, b)| Arc::new(b.finish()) as ArrayRef),
        );
        let n = records as usize;
        arrays.push(Arc::new(StringArray::from_iter_values(
            std::iter::repeat_n(label, n),
        )));
        for v in &self.lineage {
            arrays.push(Arc::new(StringArray::from(vec![v.as_deref(); n])));
        }
        let batch =
            RecordBatch::try_new(Arc::clone(&self.arrow_schema), arrays).map_err(|source| {
                Error::Arrow {
                    entity: self.schema.name().to_string(),
                    source,
                }
            })?;
        let parquet = encode_parquet(&batch, &self.schema, label)?;
        let type_drift = self
            .schema
            .columns()
            .iter()
            .zip(self.drift.iter_mut())
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| (c.name.clone(), std::mem::take(n)))
            .collect();
        let (jsonl_gz, sha256) = if self.jsonl {
            let sha256 = hex::encode(Sha256::digest(&jsonl_gz));
            (jsonl_gz, sha256)
        } else {
            (Vec::new(), String::new())
        };
        Ok(EncodedPart {
            jsonl_gz: Bytes::from(jsonl_gz),
            parquet,
            records,
            raw_bytes: std::mem::take(&mut self.raw_bytes),
            sha256,
            type_drift,
            newlines_replaced: std::mem::take(&mut self.newlines_replaced),
        })
    }
}

impl std::fmt::Debug for PartBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartBuffer")
            .field("schema", &self.schema().name())
            .field("records", &self.len())
            .finish()
    }
}

/// One batch → one Parquet file in memory, one row group (parts are already bounded). When the
/// schema clusters its rows they are ordered by the cluster column (NULLs first) and written in
/// data pages of at most [`CLUSTER_PAGE_ROWS`] rows, each with its min/max in the page index.
fn encode_parquet(batch: &RecordBatch, schema: &EntitySchema, label: &str) -> Result<Bytes> {
    let perr = |source| Error::Parquet {
        path: label.to_string(),
        source,
    };
    let aerr = |source| Error::Arrow {
        entity: schema.name().to_string(),
        source,
    };
    // `_raw` and `_line` are unique per row: a dictionary only adds a page every reader must
    // decode before the first value.
    let mut props = WriterProperties::builder()
        .set_column_dictionary_enabled(ColumnPath::from(RAW_COLUMN), false)
        .set_column_dictionary_enabled(ColumnPath::from(LINE_COLUMN), false);
    let batch = match schema.cluster_by() {
        Some(column) => {
            // A reader of one key range still decodes each column's whole dictionary page,
            // once per pass: small dictionaries keep that cost to the low-cardinality columns,
            // and the unique cluster key gets none.
            props = props
                .set_data_page_row_count_limit(CLUSTER_PAGE_ROWS)
                .set_dictionary_page_size_limit(CLUSTER_DICTIONARY_PAGE_BYTES)
                .set_column_dictionary_enabled(ColumnPath::from(column), false);
            sort_by(batch, column).map_err(aerr)?
        }
        None => batch.clone(),
    };
    let props = props
        // Snappy: cheap to write on the hot path; the JSONL.GZ is the archival copy.
        .set_compression(ParquetCompression::SNAPPY)
        .set_max_row_group_row_count(Some(batch.num_rows().max(1)))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            SCHEMA_METADATA_KEY.to_string(),
            schema.name().to_string(),
        )]))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).map_err(perr)?;
    writer.write(&batch).map_err(perr)?;
    let bytes = writer.into_inner().map_err(perr)?;
    Ok(Bytes::from(bytes))
}

/// `batch` with its rows ordered by `column`, NULLs first. Equal keys may come in any order:
/// `_line` still tells the rows apart.
fn sort_by(batch: &RecordBatch, column: &str) -> std::result::Result<RecordBatch, ArrowError> {
    let keys = batch.column_by_name(column).ok_or_else(|| {
        ArrowError::SchemaError(format!("the cluster column {column} is not in the part"))
    })?;
    let options = SortOptions {
        descending: false,
        nulls_first: true,
    };
    let order = arrow::compute::sort_to_indices(keys, Some(options), None)?;
    arrow::compute::take_record_batch(batch, &order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnType::*;
    use std::io::Read;

    #[test]
    fn encodes_exact_bytes_and_typed_columns() {
        let schema = EntitySchema::new("t").with_field("id", Int64);
        let mut buf = PartBuffer::try_new(schema, 6).unwrap();
        let records = [
            r#"{"id":1,"n":"ção"}"#,
            "{ \"id\" :\t\"x\" }",
            "{\"id\":\n3}",
        ];
        for r in records {
            buf.push(r).unwrap();
        }
        assert!(buf.push("not json").is_err());
        assert_eq!(buf.len(), 3);
        let part = buf.finish("test").unwrap();
        assert_eq!(part.records, 3);
        assert_eq!(part.type_drift.get("id"), Some(&1));
        assert_eq!(part.newlines_replaced, 1);
        let mut text = String::new();
        flate2::read::GzDecoder::new(&part.jsonl_gz[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(
            text,
            format!("{}\n{}\n{{\"id\": 3}}\n", records[0], records[1])
        );
        assert!(buf.is_empty());
        assert_eq!(buf.raw_bytes(), 0);
    }

    /// Records of an existing file keep their physical line numbers; no JSONL is encoded.
    #[test]
    fn parquet_only_part_keeps_given_line_numbers() {
        use arrow::array::AsArray;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let schema = EntitySchema::new("t").with_field("id", Int64);
        let mut buf = PartBuffer::try_new(schema, 6).unwrap().without_jsonl();
        buf.push_line(1, r#"{"id":1}"#).unwrap();
        buf.push_line(4, r#"{"id":2}"#).unwrap();
        let part = buf.finish("bronze/x/part-00001.jsonl.gz").unwrap();
        assert!(part.jsonl_gz.is_empty() && part.sha256.is_empty());
        let batch = ParquetRecordBatchReaderBuilder::try_new(part.parquet)
            .unwrap()
            .build()
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let lines = batch.column_by_name(LINE_COLUMN).unwrap();
        let lines = lines.as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!(lines.values().to_vec(), vec![1, 4]);
        let file = batch
            .column_by_name("_source_file")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(file.value(1), "bronze/x/part-00001.jsonl.gz");
    }

    /// `_entry_id` in the Parquet equals the key computed from the parsed record.
    #[test]
    fn derived_entry_id_matches_the_core_algorithm() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let mut buf = PartBuffer::try_new(crate::schema::evo_entries(), 1).unwrap();
        let records = [
            r#"{"date":"2024-03-15T07:42:10","idMember":123456,"idBranch":7,"device":"Catraca 1","entryAction":"Entrada"}"#,
            r#"{"date":"2025-01-02T10:00:00","idEmployee":55,"idBranch":3,"device":"Recep\u00e7\u00e3o","entryAction":"Saída"}"#,
            r#"{"date":"","idMember":1}"#,
        ];
        for r in records {
            buf.push(r).unwrap();
        }
        let part = buf.finish("t").unwrap();
        let batch = ParquetRecordBatchReaderBuilder::try_new(part.parquet)
            .unwrap()
            .build()
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        // Clustered parts are in `_entry_id` order; `_line` says which record each row is.
        use arrow::array::AsArray;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>()
        };
        let (ids, lines) = (column(crate::schema::EVO_ENTRY_ID_COLUMN), column("_line"));
        let mut got = vec![None; records.len()];
        for (id, line) in ids.iter().zip(lines.values()) {
            got[*line as usize - 1] = id;
        }
        let want: Vec<Option<i64>> = records
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                skyfit_core::entry_id(v.as_object().unwrap())
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(want[0], Some(480161953445189));
    }

    /// A clustered part keeps every record once, in one row group, ordered by the cluster
    /// column in pages whose min/max ranges follow each other, so a range filter can skip pages.
    #[test]
    fn clustered_part_orders_rows_into_pages_of_disjoint_ranges() {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::Int64Type;
        use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
        use parquet::file::page_index::column_index::ColumnIndexMetaData;
        let mut buf = PartBuffer::try_new(crate::schema::evo_entries(), 1).unwrap();
        let n = 2 * CLUSTER_PAGE_ROWS + 100;
        let mut records: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"date":"2024-03-15T07:{:02}:{:02}","idMember":{i},"idBranch":7}}"#,
                    i / 60 % 60,
                    i % 60
                )
            })
            .collect();
        records.push(r#"{"date":"","idMember":1}"#.into());
        for r in &records {
            buf.push(r).unwrap();
        }
        let part = buf.finish("t").unwrap();
        let options = ArrowReaderOptions::new()
            .with_page_index_policy(parquet::file::metadata::PageIndexPolicy::Required);
        let builder =
            ParquetRecordBatchReaderBuilder::try_new_with_options(part.parquet, options).unwrap();
        let meta = builder.metadata().clone();
        let id_col = builder
            .schema()
            .index_of(crate::schema::EVO_ENTRY_ID_COLUMN)
            .unwrap();
        assert_eq!(meta.num_row_groups(), 1);
        let index = &meta.column_index().expect("a page index")[0][id_col];
        let ColumnIndexMetaData::INT64(pages) = index else {
            panic!("no Int64 page index: {index:?}");
        };
        // 4,197 rows in pages of at most 2,048; the first page starts with the NULL key.
        assert_eq!(pages.num_pages(), 3);
        let mut previous_max = i64::MIN;
        for page in 0..3 {
            let (min, max) = (
                *pages.min_value(page).unwrap(),
                *pages.max_value(page).unwrap(),
            );
            assert!(
                min <= max && previous_max < min,
                "page {page}: {min}..{max} after {previous_max}"
            );
            previous_max = max;
        }
        let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
        let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let int64 = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Int64Type>()
        };
        let (lines, ids) = (int64("_line"), int64(crate::schema::EVO_ENTRY_ID_COLUMN));
        let raw = batch.column_by_name("_raw").unwrap().as_string::<i32>();
        // The record without a key comes first; the rest ascend.
        assert!(ids.is_null(0));
        assert!(ids.values()[1..].windows(2).all(|w| w[0] <= w[1]));
        let mut seen = vec![false; records.len()];
        for (line, raw) in lines.values().iter().zip(raw.iter()) {
            let i = *line as usize - 1;
            assert_eq!(raw, Some(records[i].as_str()), "line {line}");
            assert!(!std::mem::replace(&mut seen[i], true), "line {line} twice");
        }
        assert!(seen.iter().all(|s| *s));
    }

    /// A pass over one key range decodes every column's dictionary page whatever pages it
    /// skips, so a clustered part keeps none for its unique columns and small ones elsewhere.
    #[test]
    fn clustered_part_keeps_dictionaries_small() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let mut buf = PartBuffer::try_new(crate::schema::evo_entries(), 1).unwrap();
        for i in 0..3 * CLUSTER_PAGE_ROWS {
            // ~6K distinct dates of 19 bytes: a whole-part dictionary would hold ~115 KB.
            let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
            let r = format!(
                r#"{{"date":"2024-03-15T{h:02}:{m:02}:{s:02}","idMember":{i},"idBranch":{}}}"#,
                i % 7
            );
            buf.push(&r).unwrap();
        }
        let part = buf.finish("t").unwrap();
        let reader = SerializedFileReader::new(part.parquet).unwrap();
        let row_group = reader.metadata().row_group(0);
        let dictionary_bytes = |name: &str| {
            let column = row_group
                .columns()
                .iter()
                .find(|c| c.column_path().string() == name)
                .unwrap_or_else(|| panic!("no column {name}"));
            column
                .dictionary_page_offset()
                .map(|start| column.data_page_offset() - start)
        };
        for unique in ["_raw", "_line", crate::schema::EVO_ENTRY_ID_COLUMN] {
            assert_eq!(dictionary_bytes(unique), None, "{unique}");
        }
        let date = dictionary_bytes("date").expect("date starts with a dictionary");
        // The page header adds a few bytes to the limit on the page's values.
        assert!(
            date as usize <= CLUSTER_DICTIONARY_PAGE_BYTES + 64,
            "date dictionary of {date} bytes"
        );
        assert!(
            dictionary_bytes("idBranch").is_some(),
            "idBranch lost its dictionary"
        );
    }
}
