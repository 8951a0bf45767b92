//! Command-line definitions. Every subcommand's `--help` explains it with an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "skyfit",
    version,
    about = "SkyFit Lake: EVO, Pipedrive and Zendesk into a bronze lake and a PostgreSQL warehouse.",
    long_about = "SkyFit Lake extracts the chain's SaaS systems (EVO gym management, Pipedrive CRM, \
Zendesk support) into a bronze lake (JSONL.GZ + Parquet on local disk or Azure Data Lake), \
transforms them with the DataFusion SQL in queries/, and loads PostgreSQL by binary COPY \
(stg_* raw JSONB with lineage, the typed core star schema, analytics views, the meta ledger).\n\n\
With no configuration every command uses the embedded default: a local lake in .skyfit/lake, \
a local PostgreSQL managed by skyfit, and the built-in API simulator for any source without credentials.",
    after_help = "Examples:\n  skyfit run                      # the nightly job on the embedded default\n  \
skyfit doctor                   # what is wrong with my set-up?\n  \
skyfit extract evo entries --since 2026-01-01\n  \
skyfit status                   # recent runs from meta.pipeline_runs"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./skyfit.toml when present). Environment variables
    /// (SKYFIT_*, or the reference's PG_HOST, EVO_USERNAME, ...) override it.
    #[arg(long, global = true, value_name = "PATH", env = "SKYFIT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the transform SQL (default: ./queries).
    #[arg(long, global = true, value_name = "DIR", env = "SKYFIT_QUERIES_DIR")]
    pub queries: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log detail (-v debug, -vv trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The nightly job: extract every source, load stg and core, refresh analytics.
    #[command(
        after_help = "Examples:\n  skyfit run\n  skyfit run --sources evo --entities entries,members\n  skyfit run --full-refresh"
    )]
    Run(RunArgs),
    /// Fetch API records into the bronze lake (incremental by default; resumable).
    #[command(
        after_help = "Examples:\n  skyfit extract evo entries --since 2026-01-01 --until 2026-01-31\n  \
skyfit extract pipedrive deals persons\n  skyfit extract zendesk --full\n  skyfit extract evo entries --resume"
    )]
    Extract(ExtractArgs),
    /// Load complete bronze runs not yet loaded into stg_* and core (oldest first).
    #[command(
        after_help = "Examples:\n  skyfit load\n  skyfit load --sources evo --entities entries --full-refresh"
    )]
    Load(LoadArgs),
    /// Rebuild core tables from the bronze lake with the SQL in queries/core.
    #[command(
        after_help = "Examples:\n  skyfit transform --entities evo_entries\n  skyfit transform --full-refresh"
    )]
    Transform(LoadArgs),
    /// Run, explain, test and diff transform SQL on the lake, without the nightly job.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Run the built-in EVO/Pipedrive/Zendesk API simulator.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Database migrations and their state.
    #[command(subcommand)]
    Db(DbCommand),
    /// Recent runs from the ledger (meta.pipeline_runs).
    #[command(after_help = "Examples:\n  skyfit status\n  skyfit status --limit 50 --json")]
    Status(StatusArgs),
    /// Check configuration, lake, database and API reachability, and say what is wrong.
    #[command(after_help = "Example:\n  skyfit doctor")]
    Doctor,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Sources to run (default: all).
    #[arg(long, value_delimiter = ',', value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Entities to run (default: all of each source).
    #[arg(long, value_delimiter = ',', value_name = "ENTITY")]
    pub entities: Vec<String>,
    /// Rebuild every target table instead of merging changes.
    #[arg(long)]
    pub full_refresh: bool,
    /// Scale of the simulator used for sources without credentials.
    #[arg(long, default_value = "small", value_name = "SCALE")]
    pub sim_scale: String,
}

#[derive(Debug, Args, Clone)]
pub struct ExtractArgs {
    /// evo, pipedrive or zendesk.
    pub source: String,
    /// Entities to extract (default: all of the source).
    pub entities: Vec<String>,
    /// Re-extract everything instead of continuing from the watermark.
    #[arg(long)]
    pub full: bool,
    /// Backfill from this date (YYYY-MM-DD), ignoring the watermark.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Backfill up to this date (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Continue the last incomplete run from its last completed page.
    #[arg(long)]
    pub resume: bool,
    /// Scale of the simulator used when the source has no credentials.
    #[arg(long, default_value = "small", value_name = "SCALE")]
    pub sim_scale: String,
}

#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    #[arg(long, value_delimiter = ',', value_name = "SOURCE")]
    pub sources: Vec<String>,
    #[arg(long, value_delimiter = ',', value_name = "ENTITY")]
    pub entities: Vec<String>,
    /// Rebuild the target tables (shadow table + atomic swap) instead of merging.
    #[arg(long)]
    pub full_refresh: bool,
    /// Load parts again even when the ledger says they were loaded.
    #[arg(long)]
    pub reload: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Run a query over the lake and print the first rows.
    #[command(after_help = "Example:\n  skyfit query run queries/core/evo_entries.sql --limit 20")]
    Run {
        file: PathBuf,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the logical and physical plan of a query.
    #[command(after_help = "Example:\n  skyfit query explain queries/core/evo_entries.sql")]
    Explain { file: PathBuf },
    /// Run the data tests declared in query headers.
    #[command(
        after_help = "Example:\n  skyfit query test\n  skyfit query test queries/core/evo_entries.sql"
    )]
    Test { files: Vec<PathBuf> },
    /// Compare a query's result with the current table in PostgreSQL.
    #[command(after_help = "Example:\n  skyfit query diff queries/core/evo_entries.sql")]
    Diff { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the three APIs on local ports and print their URLs and credentials.
    #[command(
        after_help = "Examples:\n  skyfit sim serve --scale small\n  skyfit sim serve --scale tiny --port 8080 --seed 7"
    )]
    Serve {
        /// tiny, small, medium or reference (the production volumes, generated on demand).
        #[arg(long, default_value = "small")]
        scale: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// First port; the APIs take this one and the next two (0: any free ports).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations from sql/migrations (idempotent).
    #[command(after_help = "Example:\n  skyfit db migrate")]
    Migrate,
    /// Show which migrations are applied, pending or edited.
    #[command(after_help = "Example:\n  skyfit db status")]
    Status,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// One JSON object per run instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed_and_every_subcommand_has_help() {
        Cli::command().debug_assert();
        for sub in Cli::command().get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
        }
    }
}
