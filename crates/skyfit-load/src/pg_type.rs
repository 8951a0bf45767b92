//! Target descriptions: which PostgreSQL type each COPY column is encoded as.
//!
//! The binary COPY format carries no type information, so the encoder must write
//! exactly the representation the target column's receive function expects.
//! [`PgType`] names that representation; [`PgColumn`] pairs it with a column name
//! that is looked up in the Arrow schema.

use std::fmt;

use arrow::datatypes::{DataType, TimeUnit};

/// A PostgreSQL column type the encoder can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PgType {
    /// `smallint` (2-byte big-endian).
    Int2,
    /// `integer` (4-byte big-endian).
    Int4,
    /// `bigint` (8-byte big-endian).
    Int8,
    /// `real`.
    Float4,
    /// `double precision`.
    Float8,
    /// `numeric` (base-10000 digits, weight, sign, display scale).
    Numeric,
    /// `text`.
    Text,
    /// `varchar`; same wire format as `text` (length limits are checked by the server).
    Varchar,
    /// `jsonb` (version byte 1, then the JSON text).
    Jsonb,
    /// `boolean`.
    Bool,
    /// `date` (days since 2000-01-01).
    Date,
    /// `timestamptz` (microseconds since 2000-01-01 00:00 UTC).
    Timestamptz,
    /// `timestamp` (microseconds since 2000-01-01 00:00, no zone).
    Timestamp,
}

impl PgType {
    /// The SQL spelling of the type, as used in DDL.
    pub fn sql_name(self) -> &'static str {
        match self {
            PgType::Int2 => "smallint",
            PgType::Int4 => "integer",
            PgType::Int8 => "bigint",
            PgType::Float4 => "real",
            PgType::Float8 => "double precision",
            PgType::Numeric => "numeric",
            PgType::Text => "text",
            PgType::Varchar => "varchar",
            PgType::Jsonb => "jsonb",
            PgType::Bool => "boolean",
            PgType::Date => "date",
            PgType::Timestamptz => "timestamptz",
            PgType::Timestamp => "timestamp",
        }
    }

    /// The natural target for an Arrow type, if there is one.
    ///
    /// Timestamps with a time zone map to `timestamptz`, naive ones to `timestamp`.
    pub fn for_arrow(data_type: &DataType) -> Option<PgType> {
        Some(match data_type {
            DataType::Int8 | DataType::Int16 | DataType::UInt8 => PgType::Int2,
            DataType::Int32 | DataType::UInt16 => PgType::Int4,
            DataType::Int64 | DataType::UInt32 => PgType::Int8,
            DataType::Float32 => PgType::Float4,
            DataType::Float64 => PgType::Float8,
            DataType::Decimal128(_, _) => PgType::Numeric,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => PgType::Text,
            DataType::Boolean => PgType::Bool,
            DataType::Date32 => PgType::Date,
            DataType::Timestamp(TimeUnit::Second | TimeUnit::Millisecond, _)
            | DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Nanosecond, _) => {
                if matches!(data_type, DataType::Timestamp(_, Some(_))) {
                    PgType::Timestamptz
                } else {
                    PgType::Timestamp
                }
            }
            _ => return None,
        })
    }
}

impl fmt::Display for PgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// One target column of a COPY: its name (also the Arrow field name) and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgColumn {
    /// Column name in PostgreSQL and in the Arrow schema.
    pub name: String,
    /// How the column is encoded.
    pub pg_type: PgType,
}

impl PgColumn {
    /// A target column.
    pub fn new(name: impl Into<String>, pg_type: PgType) -> Self {
        PgColumn {
            name: name.into(),
            pg_type,
        }
    }
}
