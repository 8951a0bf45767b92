//! Declared schemas: which typed columns a Parquet part carries besides `_raw` and `_line`.
//!
//! A schema maps a JSON field (a top-level key, or a dotted path into nested objects) to an
//! Arrow column of a fixed type. Values that do not fit become NULL and are counted as type
//! drift by [`crate::record`]; they never fail a write. Column names are the API's own field
//! names so DataFusion queries read like the API documentation.
//!
//! To add an entity, write a `fn` returning its [`EntitySchema`] and add one arm to
//! [`declared_schema`]. Entities without a declared schema get [`EntitySchema::generic`].

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use skyfit_core::Source;

use crate::error::{Error, Result};

/// Name of the column holding each record's JSON text, byte for byte.
pub const RAW_COLUMN: &str = "_raw";
/// Name of the column holding each record's 1-based line number in its `.jsonl.gz` part.
pub const LINE_COLUMN: &str = "_line";

/// The Arrow type of a declared column and the JSON values it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// JSON integers that fit in i64; strings holding such an integer (PostgreSQL's text cast
    /// would accept them too).
    Int64,
    /// Any JSON number; strings holding a number.
    Float64,
    /// JSON strings, numbers (their literal text) and booleans (`true`/`false`), as PostgreSQL
    /// `->>` renders them. Objects and arrays are drift: use [`ColumnType::Json`] for those.
    Utf8,
    /// `true`/`false`, and the strings `"true"`/`"false"`.
    Boolean,
    /// A date or datetime kept as the API's text (`YYYY-MM-DD[THH:MM:SS…]`): the zone is
    /// decided downstream, never guessed here. Any other shape is drift.
    TimestampText,
    /// Any JSON value as its JSON text (nested objects and arrays included); never drifts.
    Json,
}

impl ColumnType {
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Utf8 | ColumnType::TimestampText | ColumnType::Json => DataType::Utf8,
        }
    }
}

/// One typed column: its name, where its value sits in the record, and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    /// Object keys from the record's root, e.g. `["address", "city"]`.
    pub path: Vec<String>,
    pub ty: ColumnType,
}

/// What a derived column computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// EVO's synthetic entry key ([`skyfit_core::entry_id`]) as Int64, NULL when the record
    /// has no usable `date`. Computed from the raw JSON of the seven key fields, which must be
    /// declared columns, so SQL never has to re-parse `_raw` to get the key.
    EvoEntryId,
}

/// A column computed from the record when the part is written (after the declared columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedSpec {
    pub name: String,
    pub derivation: Derivation,
}

/// The typed columns of one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySchema {
    name: String,
    columns: Vec<ColumnSpec>,
    derived: Vec<DerivedSpec>,
    cluster_by: Option<String>,
}

impl EntitySchema {
    /// An empty schema called `name` (e.g. `evo.entries.v1`); add columns with
    /// [`EntitySchema::with_column`].
    pub fn new(name: impl Into<String>) -> Self {
        EntitySchema {
            name: name.into(),
            columns: Vec::new(),
            derived: Vec::new(),
            cluster_by: None,
        }
    }

    /// Only `_raw` and `_line`: for entities nobody has declared yet.
    pub fn generic() -> Self {
        Self::new("generic")
    }

    /// Add a column read from `path`, a dotted JSON path (`idMember`, `address.city`).
    pub fn with_column(mut self, name: impl Into<String>, path: &str, ty: ColumnType) -> Self {
        self.columns.push(ColumnSpec {
            name: name.into(),
            path: path.split('.').map(str::to_string).collect(),
            ty,
        });
        self
    }

    /// Add a column named after its top-level JSON field.
    pub fn with_field(self, field: &str, ty: ColumnType) -> Self {
        self.with_column(field, field, ty)
    }

    /// Add a column computed when the part is written (see [`Derivation`]).
    pub fn with_derived(mut self, name: impl Into<String>, derivation: Derivation) -> Self {
        self.derived.push(DerivedSpec {
            name: name.into(),
            derivation,
        });
        self
    }

    /// Write each Parquet part's rows ordered by `column` (an Int64 column, declared or
    /// derived), in data pages of at most [`CLUSTER_PAGE_ROWS`] rows. Every page then covers
    /// a narrow range of the column, so a reader filtering on a range of it (the loader's
    /// passes over `_entry_id`) skips the other pages from the page index instead of decoding
    /// them. `_line` still gives each row's line in the JSONL.
    pub fn with_cluster_by(mut self, column: impl Into<String>) -> Self {
        self.cluster_by = Some(column.into());
        self
    }

    /// The same schema with its parts' rows left in API order (as before clustering existed).
    pub fn without_cluster_by(mut self) -> Self {
        self.cluster_by = None;
        self
    }

    /// The column Parquet rows are ordered by, if any (see [`EntitySchema::with_cluster_by`]).
    pub fn cluster_by(&self) -> Option<&str> {
        self.cluster_by.as_deref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The derived columns, in Parquet order (after [`EntitySchema::columns`]).
    pub fn derived(&self) -> &[DerivedSpec] {
        &self.derived
    }

    /// For each key field of `derivation`, the index of the declared top-level column reading it.
    pub(crate) fn derivation_inputs(&self, derivation: Derivation) -> Option<Vec<usize>> {
        let fields: &[&str] = match derivation {
            Derivation::EvoEntryId => &skyfit_core::entry_id::ENTRY_KEY_FIELDS,
        };
        fields
            .iter()
            .map(|f| {
                self.columns
                    .iter()
                    .position(|c| c.path.len() == 1 && c.path[0] == *f)
            })
            .collect()
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// Column names must be unique, must not shadow `_raw`/`_line`, and paths must be non-empty.
    pub fn validate(&self) -> Result<()> {
        let invalid = |value: &str, reason: &'static str| Error::InvalidName {
            what: "schema column",
            value: format!("{}.{value}", self.name),
            reason,
        };
        for (i, c) in self.columns.iter().enumerate() {
            if c.name == RAW_COLUMN || c.name == LINE_COLUMN {
                return Err(invalid(&c.name, "reserved column name"));
            }
            if c.name.is_empty() || c.path.iter().any(String::is_empty) {
                return Err(invalid(&c.name, "empty column name or path segment"));
            }
            if self.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(invalid(&c.name, "duplicate column name"));
            }
        }
        for (i, d) in self.derived.iter().enumerate() {
            if d.name == RAW_COLUMN || d.name == LINE_COLUMN {
                return Err(invalid(&d.name, "reserved column name"));
            }
            if self.columns.iter().any(|c| c.name == d.name)
                || self.derived[..i].iter().any(|o| o.name == d.name)
            {
                return Err(invalid(&d.name, "duplicate column name"));
            }
            if self.derivation_inputs(d.derivation).is_none() {
                return Err(invalid(
                    &d.name,
                    "a derived column needs its input fields declared as top-level columns",
                ));
            }
        }
        if let Some(c) = &self.cluster_by {
            let int64 = self
                .arrow_schema()
                .field_with_name(c)
                .is_ok_and(|f| f.data_type() == &DataType::Int64);
            if !int64 {
                return Err(invalid(
                    c,
                    "the cluster column must be an Int64 column of the schema",
                ));
            }
        }
        Ok(())
    }

    /// `_raw`, `_line`, the declared columns, then the derived ones (all nullable: drift
    /// becomes NULL).
    pub fn arrow_schema(&self) -> SchemaRef {
        let mut fields = vec![
            Field::new(RAW_COLUMN, DataType::Utf8, false),
            Field::new(LINE_COLUMN, DataType::Int64, false),
        ];
        fields.extend(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.ty.arrow_type(), true)),
        );
        fields.extend(self.derived.iter().map(|d| match d.derivation {
            Derivation::EvoEntryId => Field::new(&d.name, DataType::Int64, true),
        }));
        Arc::new(Schema::new(fields))
    }
}

/// The declared schema of `entity` of `source`, or [`EntitySchema::generic`].
///
/// The registry: one arm per declared entity.
pub fn declared_schema(source: Source, entity: &str) -> EntitySchema {
    match (source, entity) {
        (Source::Evo, "entries") => evo_entries(),
        (Source::Evo, "members") => evo_members(),
        (Source::Evo, "sales") => evo_sales(),
        (Source::Evo, "prospects") => evo_prospects(),
        _ => EntitySchema::generic(),
    }
}

/// EVO `/api/v1/entries` (docs/data-contract.md#evo-entries): every field the core table reads,
/// plus `_entry_id`, the synthetic key computed at write time (v2; v1 parts lack it and read it
/// as NULL; the transform session computes it from `_raw` for them).
pub fn evo_entries() -> EntitySchema {
    use ColumnType::*;
    EntitySchema::new("evo.entries.v2")
        .with_field("date", TimestampText)
        .with_field("dateTurn", TimestampText)
        .with_field("timeZone", Utf8)
        .with_field("idMember", Int64)
        .with_field("nameMember", Utf8)
        .with_field("idProspect", Int64)
        .with_field("nameProspect", Utf8)
        .with_field("idEmployee", Int64)
        .with_field("nameEmployee", Utf8)
        .with_field("idBranch", Int64)
        .with_field("entryType", Utf8)
        .with_field("entryAction", Utf8)
        .with_field("device", Utf8)
        .with_field("blockReason", Utf8)
        .with_field("releasesByID", Int64)
        .with_field("idMigration", Utf8)
        .with_derived(EVO_ENTRY_ID_COLUMN, Derivation::EvoEntryId)
        .with_cluster_by(EVO_ENTRY_ID_COLUMN)
}

/// Rows per data page of a clustered part: a pass over a range of the cluster column reads
/// little beyond its range (a 50K-record part has ~25 pages per column, so one of 9 passes
/// reads ~4 of them). Pages, not row groups: a part stays one row group, so a single full
/// scan costs what it did (row groups of 2,048 rows slowed the one-pass load down:
/// docs/performance.md, optimisation 11).
pub const CLUSTER_PAGE_ROWS: usize = 2048;

/// Largest dictionary page of a clustered part's column. Every pass over a key range decodes
/// each column's dictionary page in full, whatever pages it skips: with the writer's default
/// (1 MiB) the near-unique columns (`date`, member ids) kept a dictionary of the whole part, and
/// the 9 passes of a 10M load decoded those pages in every part 9 times. Low-cardinality
/// columns (branch, device, action) fit in far less and keep their dictionary.
pub const CLUSTER_DICTIONARY_PAGE_BYTES: usize = 16 * 1024;

/// The derived key column of EVO entries.
pub const EVO_ENTRY_ID_COLUMN: &str = "_entry_id";

/// EVO `/api/v2/members`: keys and dates only; nested memberships/contacts stay in `_raw`.
pub fn evo_members() -> EntitySchema {
    use ColumnType::*;
    EntitySchema::new("evo.members.v1")
        .with_field("idMember", Int64)
        .with_field("idBranch", Int64)
        .with_field("registerDate", TimestampText)
        .with_field("lastAccessDate", TimestampText)
        .with_field("conversionDate", TimestampText)
}

/// EVO `/api/v2/sales`: keys and dates only; items and receivables stay in `_raw`.
pub fn evo_sales() -> EntitySchema {
    use ColumnType::*;
    EntitySchema::new("evo.sales.v1")
        .with_field("idSale", Int64)
        .with_field("idMember", Int64)
        .with_field("idBranch", Int64)
        .with_field("saleDate", TimestampText)
        .with_field("removalDate", TimestampText)
}

/// EVO `/api/v1/prospects`.
pub fn evo_prospects() -> EntitySchema {
    use ColumnType::*;
    EntitySchema::new("evo.prospects.v1")
        .with_field("idProspect", Int64)
        .with_field("idBranch", Int64)
        .with_field("idMember", Int64)
        .with_field("registerDate", TimestampText)
        .with_field("conversionDate", TimestampText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_declares_entries_and_falls_back() {
        let s = declared_schema(Source::Evo, "entries");
        assert_eq!(s.columns().len(), 16);
        s.validate().unwrap();
        let arrow = s.arrow_schema();
        assert_eq!(arrow.field(0).name(), "_raw");
        assert_eq!(arrow.field(1).name(), "_line");
        assert_eq!(
            arrow.field_with_name("releasesByID").unwrap().data_type(),
            &DataType::Int64
        );
        assert_eq!(
            arrow.field(arrow.fields().len() - 1).name(),
            EVO_ENTRY_ID_COLUMN
        );
        assert_eq!(
            declared_schema(Source::Zendesk, "tickets"),
            EntitySchema::generic()
        );
        for e in ["members", "sales", "prospects"] {
            declared_schema(Source::Evo, e).validate().unwrap();
        }
    }

    #[test]
    fn validation_catches_clashes() {
        let dup = EntitySchema::new("x")
            .with_field("a", ColumnType::Int64)
            .with_field("a", ColumnType::Utf8);
        assert!(dup.validate().is_err());
        assert!(
            EntitySchema::new("x")
                .with_field("_raw", ColumnType::Utf8)
                .validate()
                .is_err()
        );
        assert!(
            EntitySchema::new("x")
                .with_column("c", "a..b", ColumnType::Utf8)
                .validate()
                .is_err()
        );
        // The key's input fields are not declared.
        assert!(
            EntitySchema::new("x")
                .with_field("date", ColumnType::TimestampText)
                .with_derived("_entry_id", Derivation::EvoEntryId)
                .validate()
                .is_err()
        );
        // Rows cluster only by an Int64 column the schema has.
        let clustered = |c: &str| {
            EntitySchema::new("x")
                .with_field("id", ColumnType::Int64)
                .with_field("name", ColumnType::Utf8)
                .with_cluster_by(c)
                .validate()
        };
        assert!(clustered("id").is_ok());
        assert!(clustered("name").is_err());
        assert!(clustered("missing").is_err());
        assert!(evo_entries().validate().is_ok());
    }
}
