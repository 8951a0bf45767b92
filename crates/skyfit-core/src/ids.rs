//! Run ids and source names.
//!
//! A run id is the UTC start time formatted `YYYYMMDDTHHMMSSZ`, exactly as the reference
//! warehouse wrote it, so lexicographic order is chronological order and existing
//! `run_id` values in the warehouse keep sorting correctly beside ours.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The three SaaS systems SkyFit Lake extracts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Evo,
    Pipedrive,
    Zendesk,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Evo, Source::Pipedrive, Source::Zendesk];

    /// The name used in lake paths, schema names (`stg_{name}`) and the run ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Evo => "evo",
            Source::Pipedrive => "pipedrive",
            Source::Zendesk => "zendesk",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "evo" => Ok(Source::Evo),
            "pipedrive" => Ok(Source::Pipedrive),
            "zendesk" => Ok(Source::Zendesk),
            other => Err(format!(
                "unknown source `{other}`: expected evo, pipedrive or zendesk"
            )),
        }
    }
}

/// Error for a string that is not a `YYYYMMDDTHHMMSSZ` run id.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a run id: expected UTC time as YYYYMMDDTHHMMSSZ, e.g. 20260109T203707Z")]
pub struct RunIdError(pub String);

/// Identifies one extraction run; ordered chronologically.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

const RUN_ID_FORMAT: &str = "%Y%m%dT%H%M%SZ";

impl RunId {
    /// A run id for `now`, truncated to the second.
    pub fn from_time(t: DateTime<Utc>) -> Self {
        RunId(t.format(RUN_ID_FORMAT).to_string())
    }

    pub fn now() -> Self {
        Self::from_time(Utc::now())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instant the run started.
    pub fn started_at(&self) -> DateTime<Utc> {
        // Validated in `parse`, so this cannot fail for a constructed RunId.
        NaiveDateTime::parse_from_str(&self.0, RUN_ID_FORMAT)
            .map(|n| n.and_utc())
            .unwrap_or_default()
    }

    /// The UTC date of the run's start: the `ingestion_date=` partition of everything it writes.
    ///
    /// The reference recomputed the date per window, so one run could straddle two folders; we
    /// derive it once from the run id.
    pub fn ingestion_date(&self) -> IngestionDate {
        IngestionDate(self.started_at().date_naive())
    }

    pub fn parse(s: &str) -> Result<Self, RunIdError> {
        NaiveDateTime::parse_from_str(s, RUN_ID_FORMAT).map_err(|_| RunIdError(s.to_string()))?;
        Ok(RunId(s.to_string()))
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RunId {
    type Err = RunIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunId::parse(s)
    }
}

impl TryFrom<String> for RunId {
    type Error = RunIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RunId::parse(&s)
    }
}

impl From<RunId> for String {
    fn from(r: RunId) -> String {
        r.0
    }
}

/// The `ingestion_date=YYYY-MM-DD` partition value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IngestionDate(pub NaiveDate);

impl fmt::Display for IngestionDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn run_id_round_trips_and_orders_chronologically() {
        let a = RunId::from_time(Utc.with_ymd_and_hms(2026, 1, 9, 20, 37, 7).unwrap());
        assert_eq!(a.as_str(), "20260109T203707Z");
        assert_eq!(a.ingestion_date().to_string(), "2026-01-09");
        let b = RunId::parse("20260110T000000Z").unwrap();
        assert!(a < b);
        assert!(RunId::parse("2026-01-10").is_err());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<RunId>(&json).unwrap(), a);
        assert!(serde_json::from_str::<RunId>("\"nope\"").is_err());
    }

    #[test]
    fn source_names() {
        for s in Source::ALL {
            assert_eq!(s.as_str().parse::<Source>().unwrap(), s);
        }
        assert!("salesforce".parse::<Source>().is_err());
    }
}
