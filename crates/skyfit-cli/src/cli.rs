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
    /// Directory of the transform SQL (default: the queries/ compiled into this binary, which
    /// match its migrations). Use it to run SQL you are editing: --queries queries.
    #[arg(long, global = true, value_name = "DIR", env = "SKYFIT_QUERIES_DIR")]
    pub queries: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log detail (-v info, -vv debug, -vvv trace). Without it, text logs show warnings
    /// and errors only: the progress lines and the summary say the rest. Secrets are never
    /// logged.
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
    // Hidden (and an error saying so) in a binary built without the `sim` feature.
    #[command(subcommand, hide = !cfg!(feature = "sim"))]
    Sim(SimCommand),
    /// Database migrations and their state.
    #[command(subcommand)]
    Db(DbCommand),
    /// The bronze lake itself: adopting the runs the original system wrote.
    #[command(subcommand)]
    Lake(LakeCommand),
    /// Is the data fresh and complete? Per core table: rows, last load, age against the
    /// source's freshness limit, watermark, quarantines, last failure; per source: the last
    /// extraction and its API requests; then the recent runs.
    #[command(
        after_help = "Examples:\n  skyfit status\n  skyfit status --json\n  skyfit status --run 20260304T030000Z\n  \
skyfit status --fail-on-stale   # exit code 3 when a table is stale"
    )]
    Status(StatusArgs),
    /// Check configuration, lake, database and API reachability, and say what is wrong.
    #[command(after_help = "Example:\n  skyfit doctor")]
    Doctor,
    /// Generate docs/catalog.md: every core table, its columns, types, descriptions and
    /// lineage to bronze.
    #[command(
        after_help = "Examples:\n  skyfit docs\n  skyfit docs --types query --output /tmp/catalog.md"
    )]
    Docs(DocsArgs),
    /// Benchmarks: the EVO entries path end to end beside PostgreSQL's own COPY, and adopting
    /// the original lake.
    // Hidden (and an error saying so) in a binary built without the `bench` feature.
    #[command(subcommand, hide = !cfg!(feature = "bench"))]
    Bench(BenchCommand),
    /// Optional, off by default: receive EVO webhook callbacks into the lake for the next run.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Serve the EVO webhook receiver: each authenticated callback is stored in the lake
    /// (webhooks/evo/pending/) before it is acknowledged; the next EVO extraction re-fetches
    /// its record by id. Needs SKYFIT_EVO_WEBHOOK_SECRET.
    #[command(
        after_help = "Examples:\n  SKYFIT_EVO_WEBHOOK_SECRET=... skyfit webhook serve\n  skyfit webhook serve --listen 0.0.0.0:8787"
    )]
    Serve {
        /// Address to listen on (default: evo.webhook_listen, 127.0.0.1:8787).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
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
    /// Use the built-in API simulator at this scale (tiny, small, medium, reference) for sources
    /// without credentials. Without it the simulator stands in only on the embedded default
    /// (local lake, local database, scale small); with an Azure lake or a configured database
    /// a missing credential is an error. Its runs are marked simulated in the lake and the
    /// ledger, and asking for it here also lets this run load them into a configured database.
    #[arg(long, value_name = "SCALE", hide = !cfg!(feature = "sim"))]
    pub sim_scale: Option<String>,
    /// Use the built-in API simulator (scale small) for sources without credentials, on
    /// purpose; the same as --sim-scale small.
    #[arg(long, conflicts_with = "sim_scale", hide = !cfg!(feature = "sim"))]
    pub simulate: bool,
    /// Load runs the simulator wrote into a configured database (a demo or test database).
    /// Without it (or --simulate/--sim-scale), simulated runs a target does not hold yet are
    /// refused, naming them, before anything is written; the embedded default takes them.
    #[arg(long)]
    pub allow_simulated: bool,
    /// When another load is running on the database, wait for it to end instead of failing.
    #[arg(long)]
    pub wait: bool,
    /// The end of the run: totals and what needs attention (short), or also every entity's
    /// and target's row in a table (full; `skyfit status --run ID` shows them later too).
    #[arg(long, value_enum, default_value_t = Summary::Short)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Summary {
    Short,
    Full,
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
    /// Continue the last incomplete run from its last completed page (a new run when there is
    /// none; nothing when the latest run is complete). Pass the same entities and dates.
    #[arg(long)]
    pub resume: bool,
    /// Use the built-in API simulator at this scale (tiny, small, medium, reference) for sources
    /// without credentials. Without it the simulator stands in only on the embedded default
    /// (local lake, local database, scale small); with an Azure lake or a configured database
    /// a missing credential is an error. Its runs are marked simulated in the lake and the
    /// ledger: `skyfit load` into a configured database refuses them unless --allow-simulated.
    #[arg(long, value_name = "SCALE", hide = !cfg!(feature = "sim"))]
    pub sim_scale: Option<String>,
    /// Use the built-in API simulator (scale small) for sources without credentials, on
    /// purpose; the same as --sim-scale small.
    #[arg(long, conflicts_with = "sim_scale", hide = !cfg!(feature = "sim"))]
    pub simulate: bool,
    /// Print the run summary as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Close a bronze part after this many records (default 50000). Smaller parts make a
    /// killed run lose less work, at the price of more files.
    #[arg(long, value_name = "N")]
    pub part_records: Option<u64>,
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
    /// When another load is running on the database, wait for it to end instead of failing.
    #[arg(long)]
    pub wait: bool,
    /// Load runs the built-in API simulator wrote into a configured database (a demo or test
    /// database). Without it, simulated runs a target does not hold yet are refused, naming
    /// them, before anything is written; the embedded default takes them.
    #[arg(long)]
    pub allow_simulated: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Run a query over the lake and print its first rows. A query that declares
    /// `@chunk_by` is previewed from the smallest keys of the lake (rows of the full result,
    /// read in about the same time whatever the lake's size); others run whole.
    #[command(
        after_help = "Examples:\n  skyfit query run queries/core/evo_entries.sql --limit 20\n  \
skyfit query run queries/core/evo_entries.sql --count   # the whole query, with its row count"
    )]
    Run {
        file: PathBuf,
        /// Rows shown.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Run the whole query and print its row count (reads the whole lake).
        #[arg(long)]
        count: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print the logical and physical plan of a query; with --analyze, run it over the lake
    /// and show each operator's rows, time and memory (where a slow query spends its time).
    #[command(
        after_help = "Examples:\n  skyfit query explain queries/core/evo_entries.sql\n  skyfit query explain --analyze queries/core/evo_entries.sql"
    )]
    Explain {
        file: PathBuf,
        /// Execute the query and annotate the physical plan with its metrics.
        #[arg(long)]
        analyze: bool,
        /// Explain the preview of this many rows (`query run --limit`): the plan over the
        /// smallest keys it reads.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Run the data tests declared in query headers.
    #[command(
        after_help = "Example:\n  skyfit query test\n  skyfit query test queries/core/evo_entries.sql"
    )]
    Test { files: Vec<PathBuf> },
    /// Compare a query's result over the whole lake with the current table in PostgreSQL:
    /// row counts, keys on one side only, and per column how many rows differ (by the
    /// query's @key). Exits 0 with a report; --fail-on-diff exits 1 when anything differs.
    #[command(
        after_help = "Examples:\n  skyfit query diff queries/core/evo_entries.sql\n  \
skyfit query diff queries/core/evo_members.sql --examples 20 --fail-on-diff"
    )]
    Diff {
        file: PathBuf,
        /// Exit with status 1 when any row differs.
        #[arg(long)]
        fail_on_diff: bool,
        /// Example keys and values shown per difference.
        #[arg(long, default_value_t = 5, value_name = "N")]
        examples: usize,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Copy a deterministic sample of the lake (whole parts of complete runs, manifests
    /// rewritten to list them, at least one part per entity, small entities whole) into a
    /// local directory that is itself a valid lake.
    #[command(
        after_help = "Examples:\n  skyfit query sample --fraction 0.01 --output /tmp/sample-lake\n  \
SKYFIT_LAKE_URL=/tmp/sample-lake skyfit query run queries/core/evo_entries.sql"
    )]
    Sample {
        /// Share of the parts to keep, in (0, 1].
        #[arg(long, default_value_t = 0.01)]
        fraction: f64,
        /// Directory of the sample lake (created; must not hold a lake already).
        #[arg(long, value_name = "DIR")]
        output: PathBuf,
        /// Entities with at most this many records are copied whole (keeps dimensions for
        /// the sampled facts).
        #[arg(long, default_value_t = 10_000, value_name = "RECORDS")]
        whole_below: u64,
    },
}

#[derive(Debug, Args, Clone)]
pub struct DocsArgs {
    /// Where to write the catalog.
    #[arg(long, default_value = "docs/catalog.md", value_name = "FILE")]
    pub output: PathBuf,
    /// Where column types come from: the migrated database (PostgreSQL types), the query's
    /// result over an empty lake (Arrow types), or auto (the database when reachable).
    #[arg(long, value_enum, default_value_t = TypeSource::Auto)]
    pub types: TypeSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypeSource {
    Auto,
    Database,
    Query,
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
    /// Apply pending migrations from sql/migrations (idempotent). On a warehouse the original
    /// system built (its tables, no migration ledger) it first adopts it in place, in one
    /// transaction, keeping rows, views and grants; it refuses, changing nothing, when the
    /// schema differs in a way it does not recognise.
    #[command(after_help = "Examples:\n  skyfit db migrate --plan\n  skyfit db migrate")]
    Migrate {
        /// Print what would be done (adoption steps, pending migrations) and change nothing.
        #[arg(long)]
        plan: bool,
    },
    /// Show which migrations are applied, pending or edited.
    #[command(after_help = "Example:\n  skyfit db status")]
    Status,
}

#[derive(Debug, Subcommand)]
pub enum LakeCommand {
    /// Make the runs the original (Python) system wrote loadable: write the Parquet twin of
    /// every original part and SkyFit's own manifest beside it, never changing an original
    /// file. Idempotent: a rerun adopts only what is missing. What cannot be adopted (an
    /// unreadable part, a window the original run reported as failed, a run that never
    /// finished) is reported here and in `skyfit status`.
    #[command(
        after_help = "Examples:\n  skyfit lake adopt --dry-run\n  skyfit lake adopt\n  \
skyfit lake adopt --sources evo --include-unfinished"
    )]
    Adopt(AdoptArgs),
}

#[derive(Debug, Args, Clone)]
pub struct AdoptArgs {
    /// Sources to adopt (default: all).
    #[arg(long, value_delimiter = ',', value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Say what would be adopted; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also adopt runs without the original system's run manifest (killed or still running
    /// runs). Only once the original system is known to be stopped.
    #[arg(long)]
    pub include_unfinished: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Recent runs listed (one line each).
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// One JSON object (tables, sources, runs) instead of text, for scripts.
    #[arg(long)]
    pub json: bool,
    /// The ledger rows of one run (per source, entity and stage) instead of the overview.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Exit with code 3 when a table is stale (older than its source's freshness limit).
    #[arg(long)]
    pub fail_on_stale: bool,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Bronze lake of N entries → stg + core (full refresh), timed against the server-side
    /// `COPY … FROM 'file' (FORMAT binary)` of the same rows plus the same indexes.
    #[command(after_help = "Examples:\n  skyfit bench entries --records 1000000\n  \
skyfit bench entries --records 1000000 --pg-options '-c synchronous_commit=off'")]
    Entries(BenchArgs),
    /// An EVO entries lake of N records in the original (Python) system's layout, adopted
    /// (`skyfit lake adopt`) and timed: records/s, wall time and peak RSS. No database needed.
    #[command(
        after_help = "Examples:\n  skyfit bench adopt --records 1000000 --repeat 3\n  \
skyfit bench adopt --records 5000000 --concurrency 1"
    )]
    Adopt(AdoptBenchArgs),
}

#[derive(Debug, Args, Clone)]
pub struct AdoptBenchArgs {
    /// Entries in the original lake (the last N of a 110M-entry history, so each 7-day window
    /// holds as many as in production).
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The original lake is kept here and reused by later runs with the same parameters.
    #[arg(long, default_value = "/tmp/skyfit-bench", value_name = "DIR")]
    pub work_dir: PathBuf,
    /// Timed adoptions, one after the other (each first removes the previous one's files).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
    /// Parts converted at once (default: one per core, as `skyfit lake adopt`).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Distinct entries in the lake.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Share of them re-extracted by a second run (duplicates the load must drop), in percent.
    #[arg(long, default_value_t = 3.0)]
    pub duplicates_pct: f64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Lake (kept and reused) and COPY files; the PostgreSQL server must be able to read it.
    #[arg(long, default_value = "/tmp/skyfit-bench", value_name = "DIR")]
    pub work_dir: PathBuf,
    /// Server settings for the load's connections (libpq `options`), e.g. `-c synchronous_commit=off`.
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    pub pg_options: Option<String>,
    /// Only time the load, not the server-side COPY limit.
    #[arg(long)]
    pub skip_limit: bool,
    /// Load from the configured lake (SKYFIT_LAKE_URL: an ADLS container, Azurite) instead of
    /// a local one under --work-dir; the bench's entries are written there once, under the
    /// lake's prefix (use a prefix of its own). Not with --delta.
    #[arg(long)]
    pub configured_lake: bool,
    /// Add this many milliseconds to every request the load makes to the lake, as a remote
    /// store would (ADLS: 20-50 ms).
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Keep the `skyfit_bench` database afterwards.
    #[arg(long)]
    pub keep_database: bool,
    /// After the full load, write a third run of N entries (a tenth re-extracted, the rest
    /// new), time its incremental load into the full tables (the nightly case), then remove it.
    /// The full tables are vacuumed first, as a nightly run finds them (reported apart).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub delta: u64,
    /// Load several nightly deltas, one after the other, each with the given number of
    /// connections: `2,1,2,1` alternates targets side by side and one after the other, for a
    /// comparison within one run (at most 8 nights). Default: one night, the loader's default.
    #[arg(long, value_delimiter = ',', value_name = "N,N,..", requires = "delta")]
    pub delta_connections: Vec<usize>,
    /// Records per load pass (the loader's `chunk_records`, default 1,250,000): a small value
    /// at 1M gives the pass count of a much larger lake.
    #[arg(long, value_name = "RECORDS")]
    pub chunk_records: Option<u64>,
    /// Write the bench lake as parts were written before clustering (API order, default
    /// pages), to measure what the clustered layout saves; kept in its own directory.
    #[arg(long)]
    pub unclustered: bool,
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

    /// A binary without the simulator or the benches keeps their commands (they answer with
    /// an error naming the missing feature) but does not advertise them.
    #[test]
    fn commands_of_features_left_out_are_hidden() {
        let cli = Cli::command();
        let hidden = |name: &str| cli.find_subcommand(name).unwrap().is_hide_set();
        assert_eq!(hidden("sim"), !cfg!(feature = "sim"));
        assert_eq!(hidden("bench"), !cfg!(feature = "bench"));
        let run = cli.find_subcommand("run").unwrap();
        let simulate = run
            .get_arguments()
            .find(|a| a.get_id() == "simulate")
            .unwrap();
        assert_eq!(simulate.is_hide_set(), !cfg!(feature = "sim"));
    }
}
