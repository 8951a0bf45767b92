//! The database mirror of the extraction watermarks, `meta.watermarks`.
//!
//! The lake's `_meta/…/watermark.json` stays authoritative: extraction reads only the lake.
//! After each successful extraction the CLI upserts the document stored there, so monitoring
//! can see how far each source/scope/entity has been extracted without reading the lake.
//! EVO has no scope; it is stored as the empty string (the table's key has no NULLs).

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// One row of `meta.watermarks`.
#[derive(Debug, Clone, PartialEq)]
pub struct WatermarkRow {
    pub source: String,
    /// `None` for sources without scopes (stored as `''`).
    pub scope: Option<String>,
    pub entity: String,
    /// The watermark document as stored in the lake.
    pub value: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

/// Inserts or replaces the mirror of one entity's watermark.
pub async fn upsert_watermark(
    client: &Client,
    source: &str,
    scope: Option<&str>,
    entity: &str,
    value: &serde_json::Value,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO meta.watermarks (source, scope, entity, value, updated_at)
             VALUES ($1, $2, $3, $4, NOW())
             ON CONFLICT (source, scope, entity)
             DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
            &[&source, &scope.unwrap_or(""), &entity, value],
        )
        .await
        .map_err(Error::pg("upserting a meta.watermarks row"))?;
    Ok(())
}

/// Every mirrored watermark, ordered by source, scope and entity.
pub async fn watermarks(client: &Client) -> Result<Vec<WatermarkRow>> {
    let rows = client
        .query(
            "SELECT source, scope, entity, value, updated_at FROM meta.watermarks
             ORDER BY source, scope, entity",
            &[],
        )
        .await
        .map_err(Error::pg("reading meta.watermarks"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let scope: String = r.get(1);
            WatermarkRow {
                source: r.get(0),
                scope: (!scope.is_empty()).then_some(scope),
                entity: r.get(2),
                value: r.get(3),
                updated_at: r.get(4),
            }
        })
        .collect())
}
