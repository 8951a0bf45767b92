//! Watermarks: a small JSON document per (source, scope, entity) under `_meta/`.
//!
//! `_meta/{source}/[scope={scope}/]entity={entity}/watermark.json`, replaced in one atomic put.
//! A put merges into what is stored and never replaces a stored value with null: Zendesk's
//! last export page carries a cursor and the next call a null one, and storing that null would
//! restart the export from the beginning.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use skyfit_core::RunId;

use crate::error::{Error, Result};
use crate::paths::EntityKey;
use crate::store::LakeStore;

/// Where the next incremental extraction of an entity starts.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Watermark {
    /// Opaque API cursor (Zendesk `after_cursor`, Pipedrive `cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Everything updated before this instant has been extracted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_until: Option<DateTime<Utc>>,
    /// The run that advanced the watermark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    /// Set on every put.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Source-specific fields (e.g. Zendesk `next_start_time`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Watermark {
    /// `self` over `stored`: values present in `self` win, absent or null ones keep `stored`'s.
    fn merged_over(self, stored: Watermark) -> Watermark {
        let mut extra = stored.extra;
        for (k, v) in self.extra {
            if !v.is_null() {
                extra.insert(k, v);
            }
        }
        Watermark {
            cursor: self.cursor.or(stored.cursor),
            last_successful_until: self.last_successful_until.or(stored.last_successful_until),
            run_id: self.run_id.or(stored.run_id),
            updated_at: Some(Utc::now()),
            extra,
        }
    }
}

impl LakeStore {
    pub async fn get_watermark(&self, key: &EntityKey) -> Result<Option<Watermark>> {
        let path = key.watermark_path();
        let Some(bytes) = self.get_opt(&path).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Json {
                path: path.to_string(),
                source,
            })
    }

    /// Merge `wm` into the stored watermark (see module docs) and store it; returns what was
    /// stored. One writer per entity is assumed (the run that owns it).
    pub async fn put_watermark(&self, key: &EntityKey, wm: Watermark) -> Result<Watermark> {
        let stored = self.get_watermark(key).await?.unwrap_or_default();
        if wm.cursor.is_none() && stored.cursor.is_some() {
            tracing::info!(entity = %key, "Keeping stored cursor: the new watermark has none.");
        }
        let merged = wm.merged_over(stored);
        let path = key.watermark_path();
        let bytes = serde_json::to_vec(&merged).map_err(|source| Error::Json {
            path: path.to_string(),
            source,
        })?;
        self.put(&path, bytes.into()).await?;
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyfit_core::Source;

    #[tokio::test]
    async fn never_overwrites_a_cursor_with_null() {
        let lake = LakeStore::in_memory();
        let key = EntityKey::try_new(Source::Zendesk, Some("support"), "tickets").unwrap();
        assert!(lake.get_watermark(&key).await.unwrap().is_none());
        let mut first = Watermark {
            cursor: Some("MTU3NjYxMzUzOS4wfHw0Njd8".into()),
            ..Default::default()
        };
        first
            .extra
            .insert("next_start_time".into(), Value::from(1_700_000_000));
        lake.put_watermark(&key, first).await.unwrap();

        let mut second = Watermark::default();
        second.extra.insert("next_start_time".into(), Value::Null);
        second
            .extra
            .insert("end_of_stream".into(), Value::Bool(true));
        let stored = lake.put_watermark(&key, second).await.unwrap();
        assert_eq!(stored.cursor.as_deref(), Some("MTU3NjYxMzUzOS4wfHw0Njd8"));
        assert_eq!(stored.extra["next_start_time"], Value::from(1_700_000_000));
        assert_eq!(stored.extra["end_of_stream"], Value::Bool(true));
        assert_eq!(lake.get_watermark(&key).await.unwrap().unwrap(), stored);

        let third = Watermark {
            cursor: Some("next".into()),
            ..Default::default()
        };
        let stored = lake.put_watermark(&key, third).await.unwrap();
        assert_eq!(stored.cursor.as_deref(), Some("next"));
    }
}
