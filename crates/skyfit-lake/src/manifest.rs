//! The run manifest: `_manifest.json` beside a run's parts.
//!
//! It is written when the run starts (`running`), rewritten after every part so a killed run
//! can resume from it, and finally marked `complete` (or `failed`). Loaders list only runs
//! whose manifest says `complete`; parts not named in the manifest do not exist for them
//! (a crash between a part's put and the manifest update leaves such an orphan, which the
//! resumed run overwrites because it reuses the part number).
//!
//! Window checkpoints (`last_page`, `cursor`) only ever name pages whose records are all in
//! parts the manifest lists, so resuming after the checkpoint neither loses nor repeats rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use skyfit_core::{RunId, Source};

/// Version of the manifest layout; bump on incompatible changes.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Complete,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    Running,
    Complete,
    Failed,
}

/// Progress of one extraction window (a date range or a cursor stream).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowState {
    pub id: String,
    /// Inclusive bounds as the extractor states them (dates, datetimes or ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<(String, String)>,
    pub status: WindowStatus,
    /// Pages whose records are in listed parts.
    pub pages: u64,
    /// Records accepted from those pages.
    pub records: u64,
    /// Records of those pages sent to `_rejects/`.
    #[serde(default)]
    pub rejects: u64,
    /// The last page whose records are all durable; resume after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_page: Option<u64>,
    /// The pagination cursor/offset to continue from after `last_page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl WindowState {
    pub fn new(id: impl Into<String>, range: Option<(String, String)>) -> Self {
        WindowState {
            id: id.into(),
            range,
            status: WindowStatus::Running,
            pages: 0,
            records: 0,
            rejects: 0,
            last_page: None,
            cursor: None,
            error: None,
        }
    }
}

/// One part of the run, as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PartEntry {
    pub seq: u32,
    /// Lake-relative path of the `.jsonl.gz`.
    pub path: String,
    /// Lake-relative path of the `.parquet` twin.
    pub parquet_path: String,
    pub records: u64,
    /// Size of the `.jsonl.gz` object.
    pub bytes: u64,
    pub raw_bytes: u64,
    pub parquet_bytes: u64,
    /// Lowercase hex sha256 of the `.jsonl.gz` object.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub type_drift: BTreeMap<String, u64>,
}

/// The manifest of one run of one entity.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub entity: String,
    pub run_id: RunId,
    pub ingestion_date: NaiveDate,
    pub status: RunStatus,
    /// Name of the declared schema the Parquet parts carry.
    pub schema: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub records: u64,
    pub rejects: u64,
    /// Lake-relative paths of the `_rejects/` files.
    #[serde(default)]
    pub reject_files: Vec<String>,
    /// Column → values turned NULL over the whole run.
    #[serde(default)]
    pub type_drift: BTreeMap<String, u64>,
    /// Records whose raw CR/LF whitespace was replaced by spaces (see [`crate::part`]).
    #[serde(default)]
    pub newlines_replaced: u64,
    pub windows: Vec<WindowState>,
    pub parts: Vec<PartEntry>,
    /// Set when the run was written by the original system and adopted by SkyFit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<Adoption>,
    /// Set when the records came from the built-in API simulator, not a real API: loaders
    /// refuse such a run on a real database unless told otherwise. Absent (false) in the
    /// manifests of real runs, and in every manifest written before this field existed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub simulated: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a run the original system wrote became loadable: what it was checked against and what
/// could not be adopted. Kept in the run's manifest so `skyfit status` and a later adoption
/// (which retries what was skipped) see it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adoption {
    pub adopted_at: Option<DateTime<Utc>>,
    /// The original system's run manifest the files were checked against, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_manifest: Option<String>,
    /// Last day of the period the original run extracted (EVO), where the first incremental
    /// extraction continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    /// Original files or windows left out, each with why and what to do.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Disagreements that did not stop the adoption (a manifest count that differs from
    /// the files, a run without an original manifest).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Something adoption left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub kind: SkipKind,
    /// The original file (or `{run dir}/{window prefix}part-*` for a whole window).
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// A part that could not be read; the next adoption tries it again (it may be restored).
    UnreadablePart,
    /// A window the original run reported as failed: its records must be extracted again.
    FailedWindow,
}

impl Manifest {
    pub fn is_complete(&self) -> bool {
        self.status == RunStatus::Complete
    }

    /// Why a complete manifest cannot describe its parts truthfully, if it cannot: a part listed
    /// twice (read twice, its records would load twice) or parts whose counts do not add up to
    /// the run's. SkyFit's writers never produce either, so this is a manifest edited or
    /// corrupted after the run.
    pub fn inconsistency(&self) -> Option<String> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.parts {
            for path in [&p.path, &p.parquet_path] {
                if !seen.insert(path.as_str()) {
                    return Some(format!("the manifest lists part {path} twice"));
                }
            }
        }
        let sum: u64 = self.parts.iter().map(|p| p.records).sum();
        (sum != self.records).then(|| {
            format!(
                "the manifest's parts hold {sum} records but its total says {}",
                self.records
            )
        })
    }

    pub fn window(&self, id: &str) -> Option<&WindowState> {
        self.windows.iter().find(|w| w.id == id)
    }

    pub(crate) fn window_mut(&mut self, id: &str) -> Option<&mut WindowState> {
        self.windows.iter_mut().find(|w| w.id == id)
    }

    /// The part number the next part gets: one past the highest listed.
    pub fn next_seq(&self) -> u32 {
        self.parts.iter().map(|p| p.seq).max().unwrap_or(0) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip_and_field_names() {
        let m = Manifest {
            version: MANIFEST_VERSION,
            source: Source::Zendesk,
            scope: Some("support".into()),
            entity: "tickets".into(),
            run_id: RunId::parse("20260109T203707Z").unwrap(),
            ingestion_date: NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
            status: RunStatus::Running,
            schema: "generic".into(),
            started_at: Utc::now(),
            updated_at: Utc::now(),
            finished_at: None,
            error: None,
            records: 0,
            rejects: 0,
            reject_files: vec![],
            type_drift: BTreeMap::new(),
            newlines_replaced: 0,
            windows: vec![WindowState::new(
                "w1",
                Some(("2026-01-01".into(), "2026-01-07".into())),
            )],
            parts: vec![],
            adopted: None,
            simulated: false,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains(r#""status":"running""#), "{json}");
        assert!(
            !json.contains("simulated"),
            "a real run says nothing: {json}"
        );
        assert!(json.contains(r#""source":"zendesk""#), "{json}");
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.next_seq(), 1);

        let sim = Manifest {
            simulated: true,
            ..m
        };
        let json = serde_json::to_string(&sim).unwrap();
        assert!(json.contains(r#""simulated":true"#), "{json}");
        assert!(serde_json::from_str::<Manifest>(&json).unwrap().simulated);
    }
}
