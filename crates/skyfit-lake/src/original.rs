//! The original system's lake state: its run manifests and watermarks, read so SkyFit can
//! adopt its runs ([`crate::adopt`]) and continue from where it stopped.
//!
//! ```text
//! bronze/evo/entity={e}/ingestion_date={d}/run_id={r}/{window}_part-{NNNNN}.jsonl.gz
//! bronze/evo/entity={e}/ingestion_date={d}/run_id={r}/_manifest.json     per run, at its end
//! bronze/{pipedrive|zendesk}/scope={s}/entity={e}/ingestion_date={d}/run_id={r}/part-{NNNNN}.jsonl.gz
//! _meta/{pipedrive|zendesk}/runs/run_id={r}/manifest.json               per run, at its end
//! _meta/{pipedrive|zendesk}/watermarks/scope={s}/entity={e}.json
//! ```
//!
//! Every field is optional here: these files were written by hand-run scripts over years, and
//! a field that is missing must not make a whole run unreadable.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use object_store::path::Path;
use serde_json::Value;
use skyfit_core::Source;

use crate::error::{Error, Result};
use crate::paths::{EntityKey, META, RunRef};
use crate::store::LakeStore;
use crate::watermark::Watermark;

/// The original EVO extractor's `_manifest.json`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EvoRunManifest {
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub total_records: Option<u64>,
    #[serde(default)]
    pub total_parts: Option<u64>,
    /// Entries only: windows that returned an error.
    #[serde(default)]
    pub errors: Option<u64>,
    #[serde(default)]
    pub results: Vec<EvoWindowResult>,
}

/// One window of an original EVO run: its counts, or the error that ended it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EvoWindowResult {
    /// `"{start} - {end}"`.
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub records: Option<u64>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub partial_records: Option<u64>,
}

impl EvoWindowResult {
    pub fn failed(&self) -> bool {
        self.error.as_ref().is_some_and(|e| !e.is_null())
    }

    /// The window's first and last day.
    pub fn bounds(&self) -> Option<(NaiveDate, NaiveDate)> {
        let (start, end) = self.period.as_deref()?.split_once(" - ")?;
        Some((date_prefix(start)?, date_prefix(end)?))
    }

    /// The file-name prefix of the window's parts: `YYYY-MM-DD_` for entries, `YYYY-MM_`
    /// for members and sales.
    pub fn part_prefix(&self, entity: &str) -> Option<String> {
        let (start, _) = self.bounds()?;
        Some(match entity {
            "entries" => format!("{}_", start.format("%Y-%m-%d")),
            _ => format!("{}_", start.format("%Y-%m")),
        })
    }
}

impl EvoRunManifest {
    pub fn end_date(&self) -> Option<NaiveDate> {
        self.end_date.as_deref().and_then(date_prefix)
    }
}

/// The original Pipedrive/Zendesk `_meta/{source}/runs/run_id={r}/manifest.json`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RunsManifest {
    #[serde(default)]
    pub run_finished_at_utc: Option<String>,
    #[serde(default)]
    pub reports: Vec<ScopeReport>,
}

/// One scope of an original Pipedrive/Zendesk run (Pipedrive gives each scope its own id).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ScopeReport {
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub entities: BTreeMap<String, EntityReport>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EntityReport {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub records: Option<u64>,
    #[serde(default)]
    pub parts: Option<u64>,
    /// Zendesk time-based exports: where the next run starts (Unix seconds).
    #[serde(default)]
    pub next_start_time: Option<i64>,
}

/// A runs manifest with the lake path it was read from.
#[derive(Debug, Clone)]
pub struct OriginalRuns {
    pub path: String,
    pub manifest: RunsManifest,
}

impl OriginalRuns {
    /// The report of `entity` in the scope whose run id is `run_id`.
    pub fn entity(&self, scope: Option<&str>, run_id: &str, entity: &str) -> Option<&EntityReport> {
        self.manifest
            .reports
            .iter()
            .filter(|r| r.run_id.as_deref() == Some(run_id))
            .filter(|r| scope.is_none() || r.scope.as_deref() == scope)
            .find_map(|r| r.entities.get(entity))
    }
}

/// Whether `bytes` are the original system's EVO `_manifest.json` rather than SkyFit's.
pub fn is_original_manifest(bytes: &[u8]) -> bool {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
        return false;
    };
    !map.contains_key("version") && (map.contains_key("results") || map.contains_key("total_parts"))
}

fn date_prefix(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim().get(..10)?, "%Y-%m-%d").ok()
}

impl LakeStore {
    /// The original EVO manifest in a run directory, if it has one.
    pub async fn original_evo_manifest(&self, run: &RunRef) -> Result<Option<EvoRunManifest>> {
        let path = run.manifest_path();
        let Some(bytes) = self.get_opt(&path).await? else {
            return Ok(None);
        };
        if !is_original_manifest(&bytes) {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Json {
                path: path.to_string(),
                source,
            })
    }

    /// Every run manifest the original Pipedrive/Zendesk extractors left, oldest first.
    pub async fn original_runs(&self, source: Source) -> Result<Vec<OriginalRuns>> {
        let dir = Path::from(format!("{META}/{source}/runs"));
        let mut out = Vec::new();
        for run_dir in self.list_dirs(&dir).await? {
            let path = run_dir.join("manifest.json");
            let Some(bytes) = self.get_opt(&path).await? else {
                continue;
            };
            let manifest = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                path: path.to_string(),
                source,
            })?;
            out.push(OriginalRuns {
                path: path.to_string(),
                manifest,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Where the original system would have continued `key`, as a SkyFit watermark, with the
    /// file it comes from. `None` when it left nothing for this entity.
    ///
    /// Pipedrive: its watermark file's `last_successful_until`. Zendesk: the ticket export's
    /// cursor, or the time-based exports' `start_time` (falling back to the latest run
    /// manifest's `next_start_time`). EVO kept no watermarks: the end of the latest adopted run.
    pub async fn original_watermark(&self, key: &EntityKey) -> Result<Option<(Watermark, String)>> {
        match key.source() {
            Source::Evo => self.evo_adopted_watermark(key).await,
            Source::Pipedrive | Source::Zendesk => {
                if let Some(found) = self.original_watermark_file(key).await? {
                    return Ok(Some(found));
                }
                if key.source() == Source::Zendesk {
                    return self.zendesk_manifest_watermark(key).await;
                }
                Ok(None)
            }
        }
    }

    async fn original_watermark_file(
        &self,
        key: &EntityKey,
    ) -> Result<Option<(Watermark, String)>> {
        let Some(scope) = key.scope() else {
            return Ok(None);
        };
        let path = Path::from(format!(
            "{META}/{}/watermarks/scope={scope}/entity={}.json",
            key.source(),
            key.entity()
        ));
        let Some(bytes) = self.get_opt(&path).await? else {
            return Ok(None);
        };
        let doc: Value = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            path: path.to_string(),
            source,
        })?;
        let mut wm = Watermark::default();
        if let Some(until) = doc.get("last_successful_until").and_then(Value::as_str) {
            let until = DateTime::parse_from_rfc3339(until).map_err(|e| Error::InvalidPath {
                path: path.to_string(),
                reason: format!("last_successful_until {until:?} is not RFC 3339: {e}"),
            })?;
            wm.last_successful_until = Some(until.with_timezone(&Utc));
        }
        if let Some(cursor) = doc.get("cursor").and_then(Value::as_str) {
            wm.cursor = Some(cursor.to_string());
        }
        if let Some(start) = doc.get("start_time").and_then(Value::as_i64)
            && doc.get("mode").and_then(Value::as_str) != Some("cursor")
        {
            wm.extra.insert("next_start_time".into(), start.into());
        }
        if wm == Watermark::default() {
            return Ok(None);
        }
        Ok(Some((wm, path.to_string())))
    }

    async fn zendesk_manifest_watermark(
        &self,
        key: &EntityKey,
    ) -> Result<Option<(Watermark, String)>> {
        let runs = self.original_runs(Source::Zendesk).await?;
        for run in runs.iter().rev() {
            let next = run
                .manifest
                .reports
                .iter()
                .filter(|r| r.scope.as_deref() == key.scope())
                .find_map(|r| r.entities.get(key.entity())?.next_start_time);
            if let Some(next) = next {
                let mut wm = Watermark::default();
                wm.extra.insert("next_start_time".into(), next.into());
                return Ok(Some((wm, run.path.clone())));
            }
        }
        Ok(None)
    }

    async fn evo_adopted_watermark(&self, key: &EntityKey) -> Result<Option<(Watermark, String)>> {
        let mut latest: Option<(NaiveDate, String)> = None;
        for (run, manifest) in self.list_complete_runs(key).await? {
            let Some(end) = manifest.adopted.as_ref().and_then(|a| a.period_end) else {
                continue;
            };
            if latest.as_ref().is_none_or(|(d, _)| end > *d) {
                latest = Some((end, run.adopted_manifest_path().to_string()));
            }
        }
        Ok(latest.map(|(end, path)| {
            // The original's windows end at 23:59:59 of their last day.
            let next_day = end.checked_add_days(Days::new(1)).unwrap_or(end);
            let wm = Watermark {
                last_successful_until: next_day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
                ..Watermark::default()
            };
            (wm, path)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_original_evo_manifest() {
        let original = br#"{"entity": "entries", "mode": "full_parallel", "run_id": "20240101T000000Z",
            "total_records": 3, "total_parts": 1, "errors": 1,
            "results": [{"period": "2024-01-01 - 2024-01-07", "records": 3, "parts": 1},
                        {"period": "2024-01-08 - 2024-01-14", "error": "HTTP 502", "partial_records": 0}]}"#;
        assert!(is_original_manifest(original));
        assert!(!is_original_manifest(br#"{"version": 1, "parts": []}"#));
        assert!(!is_original_manifest(b"not json"));
        let m: EvoRunManifest = serde_json::from_slice(original).unwrap();
        assert!(!m.results[0].failed() && m.results[1].failed());
        assert_eq!(
            m.results[1].part_prefix("entries").as_deref(),
            Some("2024-01-08_")
        );
        assert_eq!(
            m.results[1].part_prefix("members").as_deref(),
            Some("2024-01_")
        );
    }
}
