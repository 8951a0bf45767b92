//! `skyfit bench entries`: the EVO entries path end to end, beside the hardware limit.
//!
//! 1. [`lake::build`] writes N entries (plus ~3 % re-extracted in a second run) through the
//!    bronze writer, into a lake kept under the work directory and reused by later runs with
//!    the same parameters (building it is not what is measured).
//! 2. A fresh database (`skyfit_bench`) is migrated, then `skyfit_pipeline::load` runs the
//!    stg and core entries queries as a full refresh, exactly as `skyfit load --full-refresh
//!    --entities entries` does: wall time and the peak RSS of this process are recorded.
//! 3. [`limit`] writes the same final rows as binary COPY files with the project's encoder and
//!    times the server's own `COPY … FROM 'file'` into index-less copies plus the index builds.
//!
//! The ratio is load time / limit time, both measured in the same run on the same server.

pub mod lake;
pub mod limit;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use skyfit_core::Source;
use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, TargetSummary};
use skyfit_warehouse::Database;
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// Database the bench creates (dropped and recreated each run) on the configured server.
pub const BENCH_DATABASE: &str = "skyfit_bench";

/// Targets of the entries path, in load order.
pub const TARGETS: [&str; 2] = ["stg_evo.entries_raw", "core.evo_entries"];

/// What to run.
#[derive(Debug, Clone)]
pub struct EntriesBench {
    pub records: u64,
    /// Share of the entries the second run re-extracts, in percent.
    pub duplicate_pct: f64,
    pub seed: u64,
    /// Lake and COPY files go here; it must be readable by the PostgreSQL server process.
    pub work_dir: PathBuf,
    /// The transform SQL the load and the limit run.
    pub queries: skyfit_transform::QuerySet,
    /// Extra server settings for the load's connections (`-c synchronous_commit=off`), to
    /// measure session tuning without changing the loader.
    pub pg_options: Option<String>,
    /// Skip the hardware-limit half.
    pub skip_limit: bool,
    /// Keep the bench database afterwards (to inspect it).
    pub keep_database: bool,
    /// After the full load, time the incremental load of a third run of this many entries
    /// (0: skip).
    pub delta: u64,
    /// One nightly delta per value, each loaded with that many connections (`2,1,2,1`
    /// alternates side by side and one target after the other, for a same-run comparison);
    /// empty: one night with the loader's default.
    pub delta_connections: Vec<usize>,
    /// The loader's `chunk_records` (records per pass); `None`: the loader's default.
    pub chunk_records: Option<u64>,
    /// Write the lake's Parquet parts in API order with default pages (as before clustering),
    /// to measure what the clustered layout saves the passes.
    pub unclustered: bool,
    /// Load from this lake (an ADLS container, Azurite) instead of a local one under
    /// `work_dir`; built there unless it already holds the bench's entries.
    pub lake: Option<LakeStore>,
    /// Delay added to every request the load makes to the lake (a remote store's latency).
    pub latency: Option<std::time::Duration>,
}

/// The nightly case: a small run loaded incrementally into the full tables.
#[derive(Debug, Clone, Default)]
pub struct DeltaReport {
    /// The night, from 1, and the connections its load used.
    pub night: usize,
    pub connections: usize,
    pub records: u64,
    pub new: u64,
    /// `VACUUM (ANALYZE)` and `CHECKPOINT` of the full tables before the delta (not timed in it).
    pub settle_seconds: f64,
    pub seconds: f64,
    pub targets: Vec<TargetSummary>,
    /// Rows of each target afterwards.
    pub rows: Vec<(String, i64)>,
}

/// Everything measured.
#[derive(Debug, Clone, Default)]
pub struct EntriesReport {
    pub lake: lake::LakeStats,
    /// Whether the lake was reused from an earlier run.
    pub lake_reused: bool,
    pub load_seconds: f64,
    pub targets: Vec<TargetSummary>,
    /// Rows in each target after the load.
    pub rows: Vec<(String, i64)>,
    /// Peak RSS during the load (bytes), if the platform reports it.
    pub load_peak_rss: Option<u64>,
    /// Whether the peak could be reset before the load (else it includes the lake build).
    pub peak_is_load_only: bool,
    pub limit: Option<limit::LimitReport>,
    pub limit_bytes: u64,
    /// The nightly deltas, in order.
    pub delta: Vec<DeltaReport>,
    /// The lake the load read (without secrets).
    pub lake_url: String,
    /// GET and HEAD requests the full load sent to the lake.
    pub lake_requests: u64,
    /// The delay added to each of them.
    pub latency: Option<std::time::Duration>,
}

impl EntriesReport {
    /// Load time over limit time.
    pub fn ratio(&self) -> Option<f64> {
        self.limit
            .as_ref()
            .filter(|l| l.seconds > 0.0)
            .map(|l| self.load_seconds / l.seconds)
    }

    /// Distinct entries loaded (the rows of each target).
    pub fn final_rows(&self) -> u64 {
        self.rows.first().map(|(_, n)| *n as u64).unwrap_or(0)
    }

    /// A plain-text table for the terminal.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let rows = self.final_rows().max(1) as f64;
        let _ = writeln!(
            s,
            "bronze lake   {} records in {} runs ({} distinct){}",
            self.lake.bronze_records,
            self.lake.runs,
            self.lake.distinct_records,
            if self.lake_reused {
                ", reused".to_string()
            } else {
                format!(", built in {:.1} s", self.lake.seconds)
            }
        );
        let _ = writeln!(
            s,
            "lake          {}: {} requests by the load{}",
            self.lake_url,
            self.lake_requests,
            self.latency
                .map(|d| format!(", each {} ms slower", d.as_millis()))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "{:<44} {:>10} {:>12} {:>12}",
            "step", "seconds", "rows", "rows/s"
        );
        for t in &self.targets {
            let _ = writeln!(
                s,
                "{:<44} {:>10.2} {:>12} {:>12.0}",
                format!("skyfit load → {}", t.target),
                t.seconds,
                t.rows,
                t.rows as f64 / t.seconds.max(1e-9)
            );
        }
        let _ = writeln!(
            s,
            "{:<44} {:>10.2} {:>12} {:>12.0}",
            "skyfit load, total (wall)",
            self.load_seconds,
            self.final_rows(),
            rows / self.load_seconds.max(1e-9)
        );
        if let Some(l) = &self.limit {
            for (t, secs, n) in &l.copies {
                let _ = writeln!(
                    s,
                    "{:<44} {:>10.2} {:>12} {:>12.0}",
                    format!("limit: COPY FROM file → {t}"),
                    secs,
                    n,
                    *n as f64 / secs.max(1e-9)
                );
            }
            for (t, secs) in &l.indexes {
                let _ = writeln!(s, "{:<44} {:>10.2}", format!("limit: indexes of {t}"), secs);
            }
            let _ = writeln!(
                s,
                "{:<44} {:>10.2} {:>12} {:>12.0}",
                "limit, total",
                l.seconds,
                self.final_rows(),
                rows / l.seconds.max(1e-9)
            );
        }
        match self.load_peak_rss {
            Some(b) => {
                let _ = writeln!(
                    s,
                    "peak RSS of the load: {:.0} MiB{}",
                    b as f64 / 1048576.0,
                    if self.peak_is_load_only {
                        ""
                    } else {
                        " (includes the lake build)"
                    }
                );
            }
            None => {
                let _ = writeln!(s, "peak RSS: not available on this platform");
            }
        }
        if let Some(r) = self.ratio() {
            let _ = writeln!(s, "ratio load / limit: {r:.2}×");
        }
        for d in &self.delta {
            let _ = writeln!(
                s,
                "incremental night {}: {} entries ({} new) into {} rows on {} connection{} \
                 (vacuumed first, {:.1} s)",
                d.night,
                d.records,
                d.new,
                d.rows
                    .first()
                    .map_or(0, |(_, n)| (*n as u64).saturating_sub(d.new)),
                d.connections,
                if d.connections == 1 { "" } else { "s" },
                d.settle_seconds
            );
            for t in &d.targets {
                let _ = writeln!(
                    s,
                    "{:<44} {:>10.2} {:>12} inserted {}, updated {}",
                    format!("  merge → {}", t.target),
                    t.seconds,
                    t.rows,
                    t.inserted,
                    t.updated
                );
            }
            let _ = writeln!(
                s,
                "{:<44} {:>10.2}",
                "  incremental, total (wall)", d.seconds
            );
        }
        s
    }
}

/// Loads one nightly delta per entry of `nights` (its connections) into the full tables.
async fn nightly(
    bench: &EntriesBench,
    lake: &LakeStore,
    schema: &skyfit_lake::EntitySchema,
    client: &Client,
    load_db: &Database,
    opts: &LoadOptions,
    nights: &[usize],
) -> Result<Vec<DeltaReport>> {
    let mut reports = Vec::new();
    for (night, &connections) in nights.iter().enumerate() {
        let new =
            lake::write_delta(lake, schema, bench.records, bench.delta, bench.seed, night).await?;
        // A nightly delta meets tables loaded and vacuumed long before. Right after the full
        // load, autovacuum is still rewriting them (at 30M, 25 GB of hint bits and visibility
        // map), and a delta timed beside it measured 2.9-4.1 s for the same work: the tables
        // are vacuumed first, and that time reported on its own.
        let settling = Instant::now();
        client
            .batch_execute(&format!("VACUUM (ANALYZE) {}", TARGETS.join(", ")))
            .await
            .map_err(Error::pg("vacuuming the loaded tables before the delta"))?;
        checkpoint(client).await;
        let settle_seconds = settling.elapsed().as_secs_f64();
        let mut opts = opts.clone();
        opts.full_refresh = false;
        opts.connections = connections;
        let started = Instant::now();
        let loaded = skyfit_pipeline::load(lake, load_db, &opts).await?;
        reports.push(DeltaReport {
            night: night + 1,
            connections,
            records: bench.delta,
            new,
            settle_seconds,
            seconds: started.elapsed().as_secs_f64(),
            targets: loaded.targets,
            rows: target_rows(client).await?,
        });
    }
    Ok(reports)
}

/// Runs the benchmark against the server of `server` (any database on it: the bench creates
/// and drops its own).
pub async fn run(bench: &EntriesBench, server: &Database) -> Result<EntriesReport> {
    let nights = &bench.delta_connections;
    if nights.len() > lake::MAX_DELTA_NIGHTS || nights.contains(&0) {
        return Err(Error::Setup(format!(
            "--delta-connections: 1 to {} nights of at least one connection each",
            lake::MAX_DELTA_NIGHTS
        )));
    }
    let mut report = EntriesReport::default();
    std::fs::create_dir_all(&bench.work_dir).map_err(Error::io(bench.work_dir.display()))?;
    limit::world_readable(&bench.work_dir, 0o755)?;

    // 1. The lake, reused when an earlier run built the same one with the same part format.
    // Parts clustered in pages of `p` rows with dictionaries of at most `k` KiB (0: in API order
    // with the writer's default dictionaries, as before session 5, except that `_raw` and
    // `_line` no longer get one).
    let schema = lake::entries_schema(bench.unclustered);
    let columns = schema.columns().len();
    let (page_rows, dictionary_kib) = schema.cluster_by().map_or((0, 0), |_| {
        (
            skyfit_lake::CLUSTER_PAGE_ROWS,
            skyfit_lake::CLUSTER_DICTIONARY_PAGE_BYTES / 1024,
        )
    });
    let lake_dir = bench.work_dir.join(format!(
        "lake-n{}-d{}-s{}-c{columns}-p{page_rows}-k{dictionary_kib}",
        bench.records, bench.duplicate_pct, bench.seed
    ));
    let done_marker = lake_dir.join(".complete");
    let dup = lake::duplicates(bench.records, bench.duplicate_pct);
    let reused_stats = lake::LakeStats {
        runs: if dup > 0 { 2 } else { 1 },
        bronze_records: bench.records + dup,
        distinct_records: bench.records,
        seconds: 0.0,
    };
    let lake = match &bench.lake {
        Some(remote) => {
            if bench.delta > 0 {
                return Err(Error::Setup(
                    "--delta needs the local bench lake (it writes and removes a run)".into(),
                ));
            }
            let key = skyfit_lake::EntityKey::try_new(Source::Evo, None, "entries")?;
            let held: u64 = remote
                .list_complete_runs(&key)
                .await?
                .iter()
                .map(|(_, m)| m.records)
                .sum();
            if held == reused_stats.bronze_records {
                report.lake_reused = true;
                report.lake = reused_stats;
            } else if held == 0 {
                report.lake = lake::build(
                    remote,
                    &schema,
                    bench.records,
                    bench.duplicate_pct,
                    bench.seed,
                )
                .await?;
            } else {
                return Err(Error::Setup(format!(
                    "{} already holds {held} entries, not this bench's {}: use an empty prefix",
                    remote.url(),
                    reused_stats.bronze_records
                )));
            }
            remote.clone()
        }
        None => {
            // A delta run left by an interrupted bench would change what the reused lake holds.
            lake::remove_delta(&lake_dir)?;
            if done_marker.exists() {
                report.lake_reused = true;
                report.lake = reused_stats;
            } else {
                if lake_dir.exists() {
                    std::fs::remove_dir_all(&lake_dir).map_err(Error::io(lake_dir.display()))?;
                }
                let lake = LakeStore::try_new(&lake_dir.display().to_string())?;
                report.lake = lake::build(
                    &lake,
                    &schema,
                    bench.records,
                    bench.duplicate_pct,
                    bench.seed,
                )
                .await?;
                std::fs::write(&done_marker, b"").map_err(Error::io(done_marker.display()))?;
            }
            LakeStore::try_new(&lake_dir.display().to_string())?
        }
    };
    // Every request of the load counted (and delayed, to model a remote store).
    let counted = crate::latency::LatencyStore::with_hook(
        lake.object_store(),
        crate::latency::Latency::new(bench.latency.unwrap_or_default()),
    );
    report.lake_url = lake.url().to_string();
    report.latency = bench.latency;
    let lake = LakeStore::from_object_store(counted.clone(), "", lake.url());

    // 2. A fresh, migrated database.
    let db = fresh_database(server).await?;
    let mut client = db.connect().await?;
    skyfit_warehouse::migrate(&mut client).await?;
    let load_db = match &bench.pg_options {
        Some(o) => Database::from_url(
            &format!("{}&options={}", db.url_with_password(), url_encode(o)),
            db.sslmode(),
        )?,
        None => db.clone(),
    };
    checkpoint(&client).await;

    let mut opts = LoadOptions::new(bench.queries.clone());
    opts.sources = vec![Source::Evo];
    opts.entities = vec!["entries".into()];
    opts.full_refresh = true;
    if let Some(chunk) = bench.chunk_records {
        opts.chunk_records = chunk;
    }
    report.peak_is_load_only = crate::rss::reset_peak();
    let started = Instant::now();
    report.targets = skyfit_pipeline::load(&lake, &load_db, &opts).await?.targets;
    report.load_seconds = started.elapsed().as_secs_f64();
    report.lake_requests = counted.gets();
    report.load_peak_rss = crate::rss::peak_rss_bytes();
    report.rows = target_rows(&client).await?;

    // 2b. The nightly deltas, merged into the full tables one night after the other, then
    // removed from the lake.
    if bench.delta > 0 {
        let nights = if bench.delta_connections.is_empty() {
            vec![opts.connections]
        } else {
            bench.delta_connections.clone()
        };
        let measured = nightly(bench, &lake, &schema, &client, &load_db, &opts, &nights).await;
        lake::remove_delta(&lake_dir)?;
        report.delta = measured?;
    }

    // 3. The limit, from the same lake and queries.
    if !bench.skip_limit {
        let queries: Vec<_> = bench
            .queries
            .files()?
            .into_iter()
            .filter(|q| TARGETS.contains(&q.target.as_str()))
            .collect();
        let mut ordered = Vec::new();
        for t in TARGETS {
            if let Some(q) = queries.iter().find(|q| q.target == t) {
                ordered.push(q.clone());
            }
        }
        let session = skyfit_pipeline::session_for(&lake, &ordered, &Default::default()).await?;
        let dir = bench.work_dir.join("limit");
        std::fs::create_dir_all(&dir).map_err(Error::io(dir.display()))?;
        limit::world_readable(&dir, 0o755)?;
        let mut files = Vec::new();
        for q in &ordered {
            files.push(limit::write_file(&session, &client, q, &dir).await?);
        }
        drop(session);
        report.limit_bytes = files.iter().map(|f| f.bytes).sum();
        // The load's rows are counted and no longer needed: emptying them leaves the disk to
        // the limit's tables (at 10M the two would not fit side by side on the bench machine).
        client
            .batch_execute(&format!("TRUNCATE {}", TARGETS.join(", ")))
            .await
            .map_err(|e| {
                Error::Setup(format!("emptying the load's tables before the limit: {e}"))
            })?;
        limit::create_tables(&client, &files).await?;
        checkpoint(&client).await;
        report.limit = Some(limit::measure(&client, &files).await?);
        for f in &files {
            let _ = std::fs::remove_file(&f.path);
        }
    }
    drop(client);
    if !bench.keep_database {
        drop_database(server).await?;
    }
    Ok(report)
}

/// Rows in each target.
async fn target_rows(client: &Client) -> Result<Vec<(String, i64)>> {
    let mut rows = Vec::new();
    for t in TARGETS {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .map_err(Error::pg(format!("counting {t}")))?
            .get(0);
        rows.push((t.to_string(), n));
    }
    Ok(rows)
}

/// Flushes dirty buffers so one phase's writes are not paid by the next (needs superuser or
/// `pg_checkpoint`; skipped silently otherwise).
async fn checkpoint(client: &Client) {
    if let Err(e) = client.batch_execute("CHECKPOINT").await {
        tracing::debug!(error = %e, "CHECKPOINT refused; phases may share write-back.");
    }
}

async fn fresh_database(server: &Database) -> Result<Database> {
    drop_database(server).await?;
    let c = server.connect().await?;
    c.batch_execute(&format!("CREATE DATABASE {BENCH_DATABASE}"))
        .await
        .map_err(Error::pg(format!("creating database {BENCH_DATABASE}")))?;
    Ok(server.with_dbname(BENCH_DATABASE))
}

async fn drop_database(server: &Database) -> Result<()> {
    let c = server.connect().await?;
    c.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
    ))
    .await
    .map_err(Error::pg(format!("dropping database {BENCH_DATABASE}")))
}

/// Percent-encodes a URL query value (libpq `options` holds spaces and `=`).
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_url_encoded() {
        assert_eq!(
            url_encode("-c synchronous_commit=off"),
            "-c%20synchronous_commit%3Doff"
        );
    }

    #[test]
    fn duplicates_are_a_share_of_the_records() {
        assert_eq!(lake::duplicates(1_000_000, 3.0), 30_000);
        assert_eq!(lake::duplicates(10, 0.0), 0);
        assert_eq!(lake::duplicates(10, 500.0), 10);
    }
}
