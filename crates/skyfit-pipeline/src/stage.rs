//! The two layers a query file can load.

use skyfit_core::Source;

/// The layer a target belongs to: it decides the load order, what the reconciliation
/// compares and the `stage` of the ledger rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `stg_{source}.*`: the raw records, one row per key.
    Stg,
    /// `core.*`: typed tables (and their children).
    Core,
}

impl Stage {
    /// The name the ledger stores (`meta.loaded_parts.stage`, `meta.pipeline_runs.stage`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Stg => "stg",
            Stage::Core => "core",
        }
    }

    /// The stage of a target schema: `core`, or `stg_{source}` for one of the sources. The
    /// whole name must match: a schema that is neither is not a load target.
    pub fn of_schema(schema: &str) -> Option<Stage> {
        if schema == "core" {
            return Some(Stage::Core);
        }
        Source::ALL
            .iter()
            .any(|s| schema == format!("stg_{s}"))
            .then_some(Stage::Stg)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}
