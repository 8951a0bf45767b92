//! The bronze path model: building object paths and parsing them back.
//!
//! ```text
//! bronze/{source}/[scope={scope}/]entity={entity}/ingestion_date={YYYY-MM-DD}/run_id={run_id}/
//!     part-{NNNNN}.jsonl.gz      records, one per line, bytes as the API sent them
//!     part-{NNNNN}.parquet       the same records: _raw, _line and typed columns
//!     _manifest.json             the run's manifest; the run exists for loaders once complete
//!     _skyfit_run.json           SkyFit's manifest of a run the original system wrote, once
//!                                adopted (the original's own `_manifest.json` stays untouched)
//!     _rejects/part-{NNNNN}.jsonl  records refused while part NNNNN was buffered
//! _meta/{source}/[scope={scope}/]entity={entity}/watermark.json
//! ```
//!
//! All paths are relative to the lake root (the store's prefix is applied by
//! [`crate::LakeStore`]). Names are restricted to `[A-Za-z0-9_-]` so a path always parses back
//! unambiguously. Parsing also accepts the EVO part names of the system SkyFit replaces, which
//! carry a window prefix (`2024-01_part-00001.jsonl.gz`; docs/data-contract.md#reference-lake).

use std::fmt;

use chrono::NaiveDate;
use object_store::path::Path;
use skyfit_core::{IngestionDate, RunId, Source};

use crate::error::{Error, Result};

pub const BRONZE: &str = "bronze";
pub const META: &str = "_meta";
pub const MANIFEST_FILE: &str = "_manifest.json";
/// SkyFit's manifest of an adopted run: a name of its own, because the original system's EVO
/// runs already have a `_manifest.json` (in another format) that must stay byte-identical.
pub const ADOPTED_MANIFEST_FILE: &str = "_skyfit_run.json";
pub const REJECTS_DIR: &str = "_rejects";
pub const WATERMARK_FILE: &str = "watermark.json";

/// One entity of one source (and scope): the unit that has runs and a watermark.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityKey {
    source: Source,
    scope: Option<String>,
    entity: String,
}

impl EntityKey {
    /// `scope` is `None` for sources without tenants (EVO) and e.g. `comercial` for Pipedrive.
    pub fn try_new(source: Source, scope: Option<&str>, entity: &str) -> Result<Self> {
        if let Some(scope) = scope {
            check_name("scope", scope)?;
        }
        check_name("entity", entity)?;
        Ok(EntityKey {
            source,
            scope: scope.map(str::to_string),
            entity: entity.to_string(),
        })
    }

    pub fn source(&self) -> Source {
        self.source
    }

    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// `bronze/{source}/[scope={scope}/]entity={entity}`: the directory of all its runs.
    pub fn bronze_dir(&self) -> Path {
        Path::from(format!("{BRONZE}/{}", self.relative()))
    }

    /// `_meta/{source}/[scope={scope}/]entity={entity}`.
    pub fn meta_dir(&self) -> Path {
        Path::from(format!("{META}/{}", self.relative()))
    }

    pub fn watermark_path(&self) -> Path {
        self.meta_dir().join(WATERMARK_FILE)
    }

    /// `{source}/[scope={scope}/]entity={entity}`.
    fn relative(&self) -> String {
        match &self.scope {
            Some(scope) => format!("{}/scope={scope}/entity={}", self.source, self.entity),
            None => format!("{}/entity={}", self.source, self.entity),
        }
    }
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Some(scope) => write!(f, "{}/{scope}/{}", self.source, self.entity),
            None => write!(f, "{}/{}", self.source, self.entity),
        }
    }
}

/// One run of one entity, located by its ingestion date.
///
/// New runs take the date from the run id; runs found by listing keep the date of the folder
/// they are in (the original system could write a run under another date).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunRef {
    pub key: EntityKey,
    pub ingestion_date: IngestionDate,
    pub run_id: RunId,
}

impl RunRef {
    pub fn new(key: EntityKey, run_id: RunId) -> Self {
        RunRef {
            key,
            ingestion_date: run_id.ingestion_date(),
            run_id,
        }
    }

    /// `…/entity={entity}/ingestion_date={date}/run_id={run_id}`.
    pub fn dir(&self) -> Path {
        self.key
            .bronze_dir()
            .join(format!("ingestion_date={}", self.ingestion_date))
            .join(format!("run_id={}", self.run_id))
    }

    pub fn manifest_path(&self) -> Path {
        self.dir().join(MANIFEST_FILE)
    }

    pub fn adopted_manifest_path(&self) -> Path {
        self.dir().join(ADOPTED_MANIFEST_FILE)
    }

    pub fn jsonl_path(&self, seq: u32) -> Path {
        self.dir().join(format!("part-{seq:05}.jsonl.gz"))
    }

    pub fn parquet_path(&self, seq: u32) -> Path {
        self.dir().join(format!("part-{seq:05}.parquet"))
    }

    pub fn rejects_path(&self, seq: u32) -> Path {
        self.dir()
            .join(REJECTS_DIR)
            .join(format!("part-{seq:05}.jsonl"))
    }
}

impl fmt::Display for RunRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.key, self.run_id)
    }
}

/// What a file inside a run directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BronzeObject {
    /// `part-NNNNN.jsonl.gz`; `name_prefix` is the original system's window prefix, if any.
    Jsonl {
        seq: u32,
        name_prefix: String,
    },
    /// `part-NNNNN.parquet`.
    Parquet {
        seq: u32,
        name_prefix: String,
    },
    /// `_manifest.json`: SkyFit's manifest, or the original system's for its EVO runs.
    Manifest,
    /// `_skyfit_run.json`: SkyFit's manifest of an adopted run.
    AdoptedManifest,
    Rejects {
        seq: u32,
    },
}

/// A bronze object path taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BronzePath {
    pub run: RunRef,
    pub object: BronzeObject,
}

impl BronzePath {
    /// Parse a lake-relative path such as
    /// `bronze/pipedrive/scope=comercial/entity=deals/ingestion_date=2026-01-09/run_id=20260109T203707Z/part-00001.jsonl.gz`.
    pub fn parse(path: &Path) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidPath {
            path: path.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = path.as_ref().split('/').collect();
        let mut it = parts.iter().copied();
        if it.next() != Some(BRONZE) {
            return Err(invalid("does not start with `bronze/`"));
        }
        let source: Source = it
            .next()
            .ok_or_else(|| invalid("no source"))?
            .parse()
            .map_err(|e: String| invalid(&e))?;
        let mut seg = it.next().ok_or_else(|| invalid("no entity"))?;
        let scope = match seg.strip_prefix("scope=") {
            Some(scope) => {
                seg = it.next().ok_or_else(|| invalid("no entity"))?;
                Some(scope)
            }
            None => None,
        };
        let entity = seg
            .strip_prefix("entity=")
            .ok_or_else(|| invalid("expected `entity=`"))?;
        let key = EntityKey::try_new(source, scope, entity).map_err(|e| invalid(&e.to_string()))?;
        let date = it
            .next()
            .and_then(|s| s.strip_prefix("ingestion_date="))
            .ok_or_else(|| invalid("expected `ingestion_date=`"))?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| invalid("ingestion_date is not YYYY-MM-DD"))?;
        let run_id = it
            .next()
            .and_then(|s| s.strip_prefix("run_id="))
            .ok_or_else(|| invalid("expected `run_id=`"))?;
        let run_id = RunId::parse(run_id).map_err(|e| invalid(&e.to_string()))?;
        let object = match (it.next(), it.next(), it.next()) {
            (Some(MANIFEST_FILE), None, _) => BronzeObject::Manifest,
            (Some(ADOPTED_MANIFEST_FILE), None, _) => BronzeObject::AdoptedManifest,
            (Some(REJECTS_DIR), Some(name), None) => BronzeObject::Rejects {
                seq: parse_seq(name, ".jsonl")
                    .map(|(_, seq)| seq)
                    .ok_or_else(|| invalid("reject file is not part-NNNNN.jsonl"))?,
            },
            (Some(name), None, _) => {
                if let Some((prefix, seq)) = parse_seq(name, ".jsonl.gz") {
                    BronzeObject::Jsonl {
                        seq,
                        name_prefix: prefix.to_string(),
                    }
                } else if let Some((prefix, seq)) = parse_seq(name, ".parquet") {
                    BronzeObject::Parquet {
                        seq,
                        name_prefix: prefix.to_string(),
                    }
                } else {
                    return Err(invalid("unknown file in a run directory"));
                }
            }
            _ => return Err(invalid("unexpected nesting below `run_id=`")),
        };
        Ok(BronzePath {
            run: RunRef {
                key,
                ingestion_date: IngestionDate(date),
                run_id,
            },
            object,
        })
    }
}

/// `{prefix}part-{digits}{ext}` → (prefix, number).
fn parse_seq<'a>(name: &'a str, ext: &str) -> Option<(&'a str, u32)> {
    let stem = name.strip_suffix(ext)?;
    let at = stem.rfind("part-")?;
    let digits = &stem[at + 5..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&stem[..at], digits.parse().ok()?))
}

/// Names become path segments: keep them to a set that needs no escaping and cannot be
/// mistaken for a `key=value` segment or a directory separator.
fn check_name(what: &'static str, value: &str) -> Result<()> {
    let reason = if value.is_empty() {
        Some("must not be empty")
    } else if value.len() > 64 {
        Some("longer than 64 characters")
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Some("only ASCII letters, digits, `_` and `-` are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName {
            what,
            value: value.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scope: Option<&str>) -> RunRef {
        let key = EntityKey::try_new(Source::Pipedrive, scope, "deals").unwrap();
        RunRef::new(key, RunId::parse("20260109T203707Z").unwrap())
    }

    #[test]
    fn builds_the_documented_layout() {
        let r = run(Some("comercial"));
        assert_eq!(
            r.jsonl_path(1).as_ref(),
            "bronze/pipedrive/scope=comercial/entity=deals/ingestion_date=2026-01-09/run_id=20260109T203707Z/part-00001.jsonl.gz"
        );
        assert_eq!(
            r.parquet_path(12).as_ref(),
            "bronze/pipedrive/scope=comercial/entity=deals/ingestion_date=2026-01-09/run_id=20260109T203707Z/part-00012.parquet"
        );
        assert_eq!(
            run(None).rejects_path(3).as_ref(),
            "bronze/pipedrive/entity=deals/ingestion_date=2026-01-09/run_id=20260109T203707Z/_rejects/part-00003.jsonl"
        );
        assert_eq!(
            r.key.watermark_path().as_ref(),
            "_meta/pipedrive/scope=comercial/entity=deals/watermark.json"
        );
    }

    #[test]
    fn parses_what_it_builds() {
        for r in [run(Some("comercial")), run(None)] {
            for (path, object) in [
                (
                    r.jsonl_path(7),
                    BronzeObject::Jsonl {
                        seq: 7,
                        name_prefix: String::new(),
                    },
                ),
                (
                    r.parquet_path(7),
                    BronzeObject::Parquet {
                        seq: 7,
                        name_prefix: String::new(),
                    },
                ),
                (r.manifest_path(), BronzeObject::Manifest),
                (r.rejects_path(2), BronzeObject::Rejects { seq: 2 }),
            ] {
                let parsed = BronzePath::parse(&path).unwrap();
                assert_eq!(parsed.run, r);
                assert_eq!(parsed.object, object);
            }
        }
    }

    #[test]
    fn parses_reference_evo_window_prefixes() {
        let p = Path::from(
            "bronze/evo/entity=entries/ingestion_date=2026-01-10/run_id=20260109T203707Z/2025-12-01_part-00004.jsonl.gz",
        );
        let parsed = BronzePath::parse(&p).unwrap();
        // The folder's date wins over the run id's: the original system's EVO runs could
        // straddle midnight.
        assert_eq!(parsed.run.ingestion_date.to_string(), "2026-01-10");
        assert_eq!(
            parsed.object,
            BronzeObject::Jsonl {
                seq: 4,
                name_prefix: "2025-12-01_".into()
            }
        );
    }

    #[test]
    fn rejects_foreign_paths() {
        for p in [
            "silver/evo/entity=x/ingestion_date=2026-01-01/run_id=20260101T000000Z/part-00001.jsonl.gz",
            "bronze/salesforce/entity=x/ingestion_date=2026-01-01/run_id=20260101T000000Z/part-00001.jsonl.gz",
            "bronze/evo/entity=x/ingestion_date=2026-13-01/run_id=20260101T000000Z/part-00001.jsonl.gz",
            "bronze/evo/entity=x/ingestion_date=2026-01-01/run_id=yesterday/part-00001.jsonl.gz",
            "bronze/evo/entity=x/ingestion_date=2026-01-01/run_id=20260101T000000Z/notes.txt",
            "bronze/evo/entity=x/ingestion_date=2026-01-01/run_id=20260101T000000Z/part-.parquet",
        ] {
            assert!(BronzePath::parse(&Path::from(p)).is_err(), "{p}");
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(EntityKey::try_new(Source::Evo, None, "entries").is_ok());
        assert!(EntityKey::try_new(Source::Evo, None, "a/b").is_err());
        assert!(EntityKey::try_new(Source::Evo, Some("x=y"), "e").is_err());
        assert!(EntityKey::try_new(Source::Evo, None, "").is_err());
        assert!(EntityKey::try_new(Source::Pipedrive, None, "dealFields").is_ok());
        assert!(EntityKey::try_new(Source::Evo, None, "é").is_err());
    }
}
