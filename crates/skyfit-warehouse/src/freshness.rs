//! Is the data fresh and complete? Read from the `meta` ledger and the catalog only; this
//! module writes nothing (the ledger module owns every `meta` write).
//!
//! Per core table:
//! - **rows**: `pg_class.reltuples` (the planner's estimate as of the table's last ANALYZE,
//!   which every load runs; summed over the partitions of a partitioned table), or an exact
//!   `count(*)` when a table or one of its partitions was never analyzed (`rows_exact`).
//! - **last load**: the newest `meta.loaded_parts.loaded_at` of the table (when rows were last
//!   written), else its newest SUCCESS `core` row in `meta.pipeline_runs`.
//! - **current as of**: the newest extraction the table fully reflects. A night whose
//!   incremental extraction brought no record leaves the table "up to date" without loading
//!   anything, so the last load alone would call a quiet table stale. For each bronze stream
//!   the table reads (source, scope, entity in `meta.loaded_parts`), it is the finish of the
//!   newest successful extraction (`bronze` SUCCESS row) such that every successful
//!   extraction up to it either is loaded into the table or brought no record; the table's
//!   value is the oldest of its streams'. A table is **stale** when this is older than its
//!   source's freshness limit. A table never loaded is reported as such, not as stale.
//! - **pending runs**: successful extractions with records the table has not loaded yet.
//! - **watermark**: the extraction watermark (`meta.watermarks`) of its streams.
//! - **quarantined**: values its last load quarantined (`records_rejected` of that load's
//!   SUCCESS row, written in the transaction that wrote the `meta.quarantine` rows).
//! - **last failure**: the newest FAILED row of its load (`core`) or of its extraction
//!   (`bronze`, its streams or the whole source), with the message.
//!
//! Per source: the newest extraction run, its entities by status, records, and the API
//! requests and 429s its entities recorded (`meta.pipeline_runs.metadata`, written from the
//! extraction summary); rows written before that was recorded count as "not recorded".

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::Client;

use crate::error::{Error, Result};

/// How old each source's tables may get.
#[derive(Debug, Clone)]
pub struct FreshnessLimits {
    pub per_source: BTreeMap<String, Duration>,
    /// For a table whose source is not listed.
    pub default: Duration,
}

impl FreshnessLimits {
    pub fn limit(&self, source: &str) -> Duration {
        self.per_source.get(source).copied().unwrap_or(self.default)
    }
}

impl Default for FreshnessLimits {
    fn default() -> Self {
        FreshnessLimits {
            per_source: BTreeMap::new(),
            default: Duration::from_secs(26 * 3600),
        }
    }
}

/// The state of every core table and every source, at `checked_at`.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub checked_at: DateTime<Utc>,
    pub tables: Vec<TableFreshness>,
    pub sources: Vec<SourceFreshness>,
}

impl Freshness {
    pub fn stale(&self) -> impl Iterator<Item = &TableFreshness> {
        self.tables.iter().filter(|t| t.stale)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TableFreshness {
    /// `core.evo_entries`.
    pub table: String,
    /// `evo`, `pipedrive`, `zendesk` (from the ledger, else the table's name prefix).
    pub source: String,
    pub rows: i64,
    /// `false`: `rows` is the planner's estimate (`pg_class.reltuples`).
    pub rows_exact: bool,
    pub last_load: Option<DateTime<Utc>>,
    /// The newest extraction the table fully reflects (see the module docs).
    pub current_as_of: Option<DateTime<Utc>>,
    /// Seconds from `current_as_of` to the check.
    pub age_secs: Option<i64>,
    pub limit_secs: u64,
    pub stale: bool,
    /// Successful extractions with records the table has not loaded yet.
    pub pending_runs: usize,
    /// The oldest watermark of its streams, as the lake stores it (`last_successful_until`,
    /// `next_start_time` or a cursor).
    pub watermark: Option<String>,
    /// Values or records its last load quarantined.
    pub quarantined: i64,
    /// The run of its last load.
    pub last_run_id: Option<String>,
    pub last_failure: Option<Failure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub run_id: String,
    /// `bronze` (extraction) or `core` (load).
    pub stage: String,
    pub entity: String,
    pub at: DateTime<Utc>,
    pub message: String,
    /// Newer than the table's last load: not fixed by a later run yet.
    pub since_last_load: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceFreshness {
    pub source: String,
    pub last_run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub entities_succeeded: i64,
    pub entities_failed: i64,
    pub entities_running: i64,
    pub records: i64,
    /// API requests of the run, summed over the entities that recorded them; `None` when none
    /// did.
    pub requests: Option<i64>,
    /// HTTP 429 answers, as `requests`.
    pub throttled: Option<i64>,
    /// Entities of the run whose request count is in the ledger, of `entities`.
    pub requests_recorded: i64,
    pub entities: i64,
    pub simulated: bool,
    /// The newest successful extraction of any entity of the source, whichever run.
    pub last_success: Option<DateTime<Utc>>,
}

/// One bronze stream a table reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Stream {
    source: String,
    scope: String,
    entity: String,
}

/// A successful extraction of a stream.
struct Extraction {
    run_id: String,
    finished_at: DateTime<Utc>,
    records: i64,
}

/// Reads the freshness of every core table and every source, as of `now`.
pub async fn freshness(
    client: &Client,
    limits: &FreshnessLimits,
    now: DateTime<Utc>,
) -> Result<Freshness> {
    let tables = core_tables(client).await?;

    // What each table loaded, per stream.
    let mut streams: BTreeMap<String, BTreeMap<Stream, (DateTime<Utc>, String)>> = BTreeMap::new();
    for r in query(
        client,
        "SELECT target_table, coalesce(source, ''), coalesce(scope, ''), coalesce(entity, ''),
                max(loaded_at), max(run_id)
         FROM meta.loaded_parts WHERE stage = 'core' GROUP BY 1, 2, 3, 4",
        "reading meta.loaded_parts",
    )
    .await?
    {
        let stream = Stream {
            source: r.get(1),
            scope: r.get(2),
            entity: r.get(3),
        };
        streams
            .entry(r.get(0))
            .or_default()
            .insert(stream, (r.get(4), r.get(5)));
    }

    // Successful extractions per stream, oldest first (run ids sort by time).
    let mut extractions: HashMap<Stream, Vec<Extraction>> = HashMap::new();
    for r in query(
        client,
        "SELECT source, coalesce(scope, ''), entity, run_id, finished_at, records_processed
         FROM meta.pipeline_runs
         WHERE stage = 'bronze' AND status = 'SUCCESS' AND finished_at IS NOT NULL
         ORDER BY run_id, finished_at",
        "reading the extractions in meta.pipeline_runs",
    )
    .await?
    {
        extractions
            .entry(Stream {
                source: r.get(0),
                scope: r.get(1),
                entity: r.get(2),
            })
            .or_default()
            .push(Extraction {
                run_id: r.get(3),
                finished_at: r.get(4),
                records: r.get(5),
            });
    }

    // The newest SUCCESS load row of each table.
    let mut loads: HashMap<String, (String, String, DateTime<Utc>, i64)> = HashMap::new();
    for r in query(
        client,
        "SELECT DISTINCT ON (entity) entity, source, run_id, finished_at, records_rejected
         FROM meta.pipeline_runs
         WHERE stage = 'core' AND status = 'SUCCESS' AND finished_at IS NOT NULL
         ORDER BY entity, finished_at DESC, id DESC",
        "reading the loads in meta.pipeline_runs",
    )
    .await?
    {
        loads.insert(r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4)));
    }

    let failures = query(
        client,
        "SELECT stage, source, coalesce(scope, ''), entity, run_id, coalesce(finished_at, started_at),
                coalesce(error_message, '')
         FROM meta.pipeline_runs
         WHERE status = 'FAILED' AND stage IN ('bronze', 'core')
         ORDER BY coalesce(finished_at, started_at) DESC, id DESC",
        "reading the failures in meta.pipeline_runs",
    )
    .await?;

    let mut watermarks: HashMap<Stream, serde_json::Value> = HashMap::new();
    for w in crate::watermarks::watermarks(client).await? {
        watermarks.insert(
            Stream {
                source: w.source,
                scope: w.scope.unwrap_or_default(),
                entity: w.entity,
            },
            w.value,
        );
    }

    let mut out = Vec::with_capacity(tables.len());
    for (table, rows, rows_exact) in tables {
        let table_streams = streams.remove(&table).unwrap_or_default();
        let load = loads.get(&table);
        let source = table_streams
            .keys()
            .map(|s| s.source.clone())
            .find(|s| !s.is_empty())
            .or_else(|| load.map(|l| l.0.clone()))
            // Never loaded: no ledger row says which source fills it, and a table that was
            // never loaded is stale under any source's limit, so the name is not guessed.
            .unwrap_or_default();
        let last_load = table_streams
            .values()
            .map(|(at, _)| *at)
            .max()
            .or(load.map(|l| l.2));

        let mut as_of: Option<DateTime<Utc>> = None;
        let mut pending = 0;
        for (stream, (loaded_at, newest_run)) in &table_streams {
            let runs = extractions.get(stream).map(Vec::as_slice).unwrap_or(&[]);
            // Without a ledger row for the loaded run (a lake extracted without the
            // database, or adopted), the load itself is the best witness.
            let mut current = runs
                .iter()
                .find(|e| &e.run_id == newest_run)
                .map(|e| e.finished_at)
                .unwrap_or(*loaded_at);
            let mut blocked = false;
            for e in runs.iter().filter(|e| &e.run_id > newest_run) {
                if e.records > 0 {
                    pending += 1;
                    blocked = true;
                } else if !blocked {
                    current = current.max(e.finished_at);
                }
            }
            as_of = Some(as_of.map_or(current, |a: DateTime<Utc>| a.min(current)));
        }
        if table_streams.is_empty() {
            as_of = last_load;
        }

        let limit = limits.limit(&source);
        let age_secs = as_of.map(|a| (now - a).num_seconds().max(0));
        let stale = age_secs.is_some_and(|a| a as u64 > limit.as_secs());

        let watermark = table_streams
            .keys()
            .filter_map(|s| watermarks.get(s))
            .map(describe_watermark)
            .min();

        let last_failure = failures.iter().find_map(|r| {
            let stage: String = r.get(0);
            let f_source: String = r.get(1);
            let f_scope: String = r.get(2);
            let entity: String = r.get(3);
            let ours = match stage.as_str() {
                "core" => entity == table,
                _ => {
                    f_source == source
                        && (entity == "*"
                            || table_streams.keys().any(|s| {
                                s.entity == entity && (f_scope.is_empty() || s.scope == f_scope)
                            }))
                }
            };
            ours.then(|| {
                let at: DateTime<Utc> = r.get(5);
                Failure {
                    run_id: r.get(4),
                    stage,
                    entity,
                    at,
                    message: r.get(6),
                    since_last_load: last_load.is_none_or(|l| at > l),
                }
            })
        });

        out.push(TableFreshness {
            source,
            rows,
            rows_exact,
            last_load,
            current_as_of: as_of,
            age_secs,
            limit_secs: limit.as_secs(),
            stale,
            pending_runs: pending,
            watermark,
            quarantined: load.map_or(0, |l| l.3),
            last_run_id: load.map(|l| l.1.clone()),
            last_failure,
            table,
        });
    }

    Ok(Freshness {
        checked_at: now,
        tables: out,
        sources: sources(client).await?,
    })
}

/// Every core table (partitions and shadow tables of a killed refresh left out), with its rows.
async fn core_tables(client: &Client) -> Result<Vec<(String, i64, bool)>> {
    let rows = query(
        client,
        "SELECT c.oid::regclass::text, n.nspname || '.' || c.relname,
                CASE WHEN c.relkind = 'p' THEN
                    (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) FROM pg_partition_tree(c.oid) pt
                     JOIN pg_class l ON l.oid = pt.relid WHERE pt.isleaf)
                ELSE greatest(c.reltuples, 0) END::float8,
                CASE WHEN c.relkind = 'p' THEN
                    (SELECT coalesce(bool_and(l.reltuples >= 0), true) FROM pg_partition_tree(c.oid) pt
                     JOIN pg_class l ON l.oid = pt.relid WHERE pt.isleaf)
                ELSE c.reltuples >= 0 END
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'core' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname NOT LIKE '%\\_\\_%'
         ORDER BY 2",
        "listing the core tables",
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let regclass: String = r.get(0);
        let name: String = r.get(1);
        let analyzed: bool = r.get(3);
        let (rows, exact) = if analyzed {
            (r.get::<_, f64>(2).round() as i64, false)
        } else {
            // Never analyzed: no estimate to give, and such a table is new or small.
            let n: i64 = client
                .query_one(&format!("SELECT count(*) FROM {regclass}"), &[])
                .await
                .map_err(Error::pg("counting the rows of a core table"))?
                .get(0);
            (n, true)
        };
        out.push((name, rows, exact));
    }
    Ok(out)
}

/// The newest extraction run of each source.
async fn sources(client: &Client) -> Result<Vec<SourceFreshness>> {
    let rows = query(
        client,
        "WITH last AS (
             SELECT DISTINCT ON (source) source, run_id FROM meta.pipeline_runs
             WHERE stage = 'bronze' ORDER BY source, started_at DESC, id DESC
         ), ok AS (
             SELECT source, max(finished_at) AS at FROM meta.pipeline_runs
             WHERE stage = 'bronze' AND status = 'SUCCESS' GROUP BY source
         )
         SELECT r.source, r.run_id, min(r.started_at), max(r.finished_at),
                count(*) FILTER (WHERE r.status = 'SUCCESS'),
                count(*) FILTER (WHERE r.status = 'FAILED'),
                count(*) FILTER (WHERE r.status = 'RUNNING'),
                coalesce(sum(r.records_processed), 0)::bigint,
                sum((r.metadata->>'requests')::bigint)::bigint,
                sum((r.metadata->>'throttled')::bigint)::bigint,
                count(*) FILTER (WHERE r.metadata ? 'requests'),
                count(*), bool_or(r.simulated), max(ok.at)
         FROM meta.pipeline_runs r JOIN last USING (source, run_id)
         LEFT JOIN ok ON ok.source = r.source
         WHERE r.stage = 'bronze'
         GROUP BY r.source, r.run_id ORDER BY r.source",
        "reading the extractions in meta.pipeline_runs",
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| SourceFreshness {
            source: r.get(0),
            last_run_id: r.get(1),
            started_at: r.get(2),
            finished_at: r.get(3),
            entities_succeeded: r.get(4),
            entities_failed: r.get(5),
            entities_running: r.get(6),
            records: r.get(7),
            requests: r.get(8),
            throttled: r.get(9),
            requests_recorded: r.get(10),
            entities: r.get(11),
            simulated: r.get::<_, Option<bool>>(12).unwrap_or(false),
            last_success: r.get(13),
        })
        .collect())
}

/// One run's rows, as `skyfit status --run` lists them: the rows under its id and the
/// extractions it started. A successful extraction keeps its own run id (made when it starts,
/// so it never reuses a lake run's), recorded before the run's `load` row opens: the bronze
/// rows with an id from the run's up to the next load's, opened before this run's load.
pub async fn run_rows(client: &Client, run_id: &str) -> Result<Vec<crate::RunRow>> {
    let rows = client
        .query(
            "WITH me AS (
                 SELECT min(started_at) FILTER (WHERE stage = 'load') AS load_start, count(*) AS n
                 FROM meta.pipeline_runs WHERE run_id = $1
             ), nxt AS (
                 SELECT min(run_id) AS next FROM meta.pipeline_runs
                 WHERE stage = 'load' AND run_id > $1
             )
             SELECT r.source, r.scope, r.entity, r.run_id, r.stage, r.status, r.started_at,
                    r.finished_at, r.records_processed, r.records_rejected, r.error_message
             FROM meta.pipeline_runs r, me, nxt
             WHERE r.run_id = $1
                OR (me.n > 0 AND r.stage = 'bronze' AND r.run_id > $1
                    AND (nxt.next IS NULL OR r.run_id < nxt.next)
                    AND (me.load_start IS NULL OR r.started_at <= me.load_start))
             ORDER BY r.started_at, r.id",
            &[&run_id],
        )
        .await
        .map_err(Error::pg("reading meta.pipeline_runs"))?;
    Ok(rows.iter().map(crate::RunRow::from_row).collect())
}

/// One line per recent run id: when, how many rows by status.
#[derive(Debug, Clone, Serialize)]
pub struct RunOverview {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub succeeded: i64,
    pub failed: i64,
    pub running: i64,
}

/// The `limit` newest runs, newest first.
pub async fn recent_run_overview(client: &Client, limit: i64) -> Result<Vec<RunOverview>> {
    let rows = client
        .query(
            "SELECT run_id, min(started_at), max(finished_at),
                    count(*) FILTER (WHERE status = 'SUCCESS'),
                    count(*) FILTER (WHERE status = 'FAILED'),
                    count(*) FILTER (WHERE status = 'RUNNING')
             FROM meta.pipeline_runs GROUP BY run_id ORDER BY min(started_at) DESC LIMIT $1",
            &[&limit],
        )
        .await
        .map_err(Error::pg("reading meta.pipeline_runs"))?;
    Ok(rows
        .iter()
        .map(|r| RunOverview {
            run_id: r.get(0),
            started_at: r.get(1),
            finished_at: r.get(2),
            succeeded: r.get(3),
            failed: r.get(4),
            running: r.get(5),
        })
        .collect())
}

async fn query(client: &Client, sql: &str, what: &'static str) -> Result<Vec<tokio_postgres::Row>> {
    client.query(sql, &[]).await.map_err(Error::pg(what))
}

/// The watermark as one short string: the time extracted up to, or the cursor's run.
fn describe_watermark(v: &serde_json::Value) -> String {
    if let Some(until) = v.get("last_successful_until").and_then(|u| u.as_str()) {
        return until.to_string();
    }
    if let Some(t) = v.get("next_start_time").and_then(|t| t.as_i64())
        && let Some(at) = DateTime::<Utc>::from_timestamp(t, 0)
    {
        return at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    match v.get("run_id").and_then(|r| r.as_str()) {
        Some(run) => format!("cursor of run {run}"),
        None => "cursor".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermarks_read_as_one_string() {
        let v = serde_json::json!({"run_id": "20261205T215757Z", "last_successful_until": "2026-12-05T21:57:57Z"});
        assert_eq!(describe_watermark(&v), "2026-12-05T21:57:57Z");
        let v = serde_json::json!({"run_id": "r", "next_start_time": 0});
        assert_eq!(describe_watermark(&v), "1970-01-01T00:00:00Z");
        let v = serde_json::json!({"run_id": "r", "cursor": "abc"});
        assert_eq!(describe_watermark(&v), "cursor of run r");
    }
}
