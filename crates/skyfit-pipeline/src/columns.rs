//! A target table's columns as PostgreSQL has them, and the Arrow type each is cast to
//! before encoding.

use arrow::datatypes::{DataType, TimeUnit};
use skyfit_load::PgType;
use tokio_postgres::GenericClient;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct TargetColumn {
    pub name: String,
    pub pg_type: PgType,
    /// The Arrow type the query result is cast to before encoding.
    pub arrow: DataType,
    /// For a timestamp arriving as text (a lifted `evo_timestamp()`): the zone its naive
    /// values are read in. `None`: Arrow's cast, which reads them as UTC.
    pub zone: Option<String>,
}

fn map(typname: &str) -> Option<(PgType, DataType)> {
    Some(match typname {
        "int2" => (PgType::Int2, DataType::Int16),
        "int4" => (PgType::Int4, DataType::Int32),
        "int8" => (PgType::Int8, DataType::Int64),
        "float4" => (PgType::Float4, DataType::Float32),
        "float8" => (PgType::Float8, DataType::Float64),
        // Scale 10 covers money and rates; PostgreSQL rounds to the column's own scale.
        "numeric" => (PgType::Numeric, DataType::Decimal128(38, 10)),
        "text" | "bpchar" | "name" => (PgType::Text, DataType::Utf8),
        "varchar" => (PgType::Varchar, DataType::Utf8),
        "jsonb" => (PgType::Jsonb, DataType::Utf8),
        "bool" => (PgType::Bool, DataType::Boolean),
        "date" => (PgType::Date, DataType::Date32),
        "timestamptz" => (
            PgType::Timestamptz,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        "timestamp" => (
            PgType::Timestamp,
            DataType::Timestamp(TimeUnit::Microsecond, None),
        ),
        _ => return None,
    })
}

/// Columns of `schema.table` in table order.
pub async fn columns(client: &impl GenericClient, target: &str) -> Result<Vec<TargetColumn>> {
    let rows = client
        .query(
            "SELECT a.attname::text, t.typname::text FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&target],
        )
        .await
        .map_err(Error::pg(format!("reading the columns of {target} (does the table exist? run `skyfit db migrate`)")))?;
    rows.iter()
        .map(|r| {
            let (name, typ): (String, String) = (r.get(0), r.get(1));
            let (pg_type, arrow) = map(&typ).ok_or_else(|| Error::Query {
                query: target.to_string(),
                message: format!("column {name} has type {typ}, which the loader cannot write"),
            })?;
            Ok(TargetColumn {
                name,
                pg_type,
                arrow,
                zone: None,
            })
        })
        .collect()
}
