//! Bronze → PostgreSQL: every query of `queries/` over the parts its target has not loaded.
//!
//! For each query (stg first, then core parents, then children):
//! 1. the parts of its primary bronze table (the first `bronze.*` it names) from complete runs,
//!    minus those `meta.loaded_parts` lists for its target (all of them on a full refresh);
//! 2. DataFusion runs the SQL over exactly those parts (top-level `TRY_CAST`s lifted into
//!    step 3, [`crate::lift`]);
//! 3. the result is cast to the target's column types (bad values → NULL + `meta.quarantine`)
//!    and COPYed in binary: merge (temp table + upsert), child replacement, or full refresh
//!    (a shadow swapped in; partition by partition for partitioned tables);
//! 4. the parts are recorded in `meta.loaded_parts` in the same transaction as the rows
//!    (for a full refresh: the transaction that swaps the shadow in).
//!
//! A target that fails on a dropped connection or a failover is retried on a new connection
//! (step 1 again: the ledger says what is still pending). After the last target the record
//! flow of each entity is reconciled ([`crate::reconcile`]); a mismatch fails the load.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use datafusion::logical_expr::Expr;
use futures::{StreamExt, TryStreamExt};
use skyfit_core::Source;
use skyfit_lake::LakeStore;
use skyfit_load::merge::MergeSpec;
use skyfit_load::sql::{TableName, quote_ident};
use skyfit_load::{CopyEncoder, PgColumn, copy_in, copy_in_parallel};
use skyfit_transform::query::load_dir;
use skyfit_transform::{QueryFile, SessionOptions, Strategy, TransformSession};
use skyfit_warehouse::Database;
use tokio_postgres::Client;
use tracing::{error, info, warn};

use crate::bronze::{BronzePart, complete_parts, parse_table_name, scan_parts};
use crate::cast::{self, Quarantined};
use crate::error::{Error, Result};
use crate::reconcile::{Reconciliation, reconcile};
use crate::shadow::TargetShadow;
use crate::target;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub queries_dir: PathBuf,
    /// Only queries whose primary bronze table belongs to these sources (empty: all).
    pub sources: Vec<Source>,
    /// Only these bronze entities (`entries`) or targets (`core.evo_entries`, `evo_entries`).
    pub entities: Vec<String>,
    /// Rebuild every target from all complete runs.
    pub full_refresh: bool,
    /// Load parts again even if the ledger lists them.
    pub reload: bool,
    /// Above this many quarantined values in one target the load stops.
    pub max_bad_values: u64,
    /// Skip the `stg_*` targets (`skyfit transform`: core only).
    pub core_only: bool,
    /// What the SQL functions depend on (the EVO source time zone).
    pub session: SessionOptions,
    /// Above this many pending bronze records, a target keyed by an integer runs its query in
    /// several passes, each keeping one bucket of keys (see [`passes`]), so the dedup's hash
    /// tables hold a bounded number of keys whatever the lake's size.
    pub chunk_records: u64,
    /// Connections a full refresh uses at once (the load's own included): its COPY runs on
    /// all of them, and so do a partitioned target's index builds and statistics. Both are
    /// server-bound: more than the server's cores gains nothing.
    pub connections: usize,
    /// When another load holds the database's load lock: wait for it (`--wait`) instead of
    /// failing at once.
    pub wait_for_lock: bool,
    /// Load runs the built-in API simulator wrote. Off, a load whose targets would read one
    /// fails before writing anything ([`crate::simulated`]); the CLI turns it on for the
    /// embedded default and when asked.
    pub allow_simulated: bool,
}

impl LoadOptions {
    pub fn new(queries_dir: impl Into<PathBuf>) -> Self {
        LoadOptions {
            queries_dir: queries_dir.into(),
            sources: Vec::new(),
            entities: Vec::new(),
            full_refresh: false,
            reload: false,
            max_bad_values: 10_000,
            core_only: false,
            session: SessionOptions::default(),
            chunk_records: 1_250_000,
            connections: 2,
            wait_for_lock: false,
            allow_simulated: false,
        }
    }
}

/// What one target got.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TargetSummary {
    pub target: String,
    pub query: String,
    pub strategy: String,
    pub runs: usize,
    pub parts: usize,
    /// The primary bronze table read, e.g. `evo_entries` (the reconciliation's entity).
    pub bronze_table: String,
    /// Records in the parts read, as their run manifests list them.
    pub bronze_records: u64,
    /// Records DataFusion read from those parts (must equal `bronze_records`).
    pub read_records: u64,
    /// Records of the runs read that the lake rejected (`_rejects/`, never in a part).
    pub rejected: u64,
    /// Rows the query produced (after dedup and explosion).
    pub rows: u64,
    /// Records not loaded as rows: older versions of a key and records without a loadable
    /// key (0 for child tables, whose rows are exploded arrays).
    pub dropped: u64,
    /// Of `dropped`: records without a loadable key, quarantined whole (stg targets).
    pub unkeyed: u64,
    /// Rows the COPY wrote.
    pub copied: u64,
    /// A `replace_children` target (exploded arrays: its own cardinality).
    pub child: bool,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    pub quarantined: u64,
    pub seconds: f64,
    pub up_to_date: bool,
    /// Connection losses/failovers retried before the load succeeded.
    pub retries: u32,
    /// Passes over ranges of the query's `@chunk_by` column (1 unless the load is large).
    pub passes: usize,
    /// Identifies the set of parts read, to tell whether two targets read the same ones.
    #[serde(skip)]
    pub parts_digest: u64,
    /// The query also reads other bronze tables (unions, lookups): its rows are not a
    /// function of the primary table's records alone.
    #[serde(skip)]
    pub reads_others: bool,
}

/// A target that did not load, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetFailure {
    pub target: String,
    pub query: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoadSummary {
    pub targets: Vec<TargetSummary>,
    /// Targets that failed; the others loaded.
    pub failed: Vec<TargetFailure>,
    /// Per bronze entity: bronze → rejected → dropped → stg → core.
    pub reconciliation: Vec<Reconciliation>,
    /// Runs of the built-in API simulator the targets read (only when allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated: Vec<crate::simulated::SimulatedRun>,
}

/// The first `bronze.<name>` the SQL mentions, and all of them.
fn bronze_tables(sql: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let lower = sql.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("bronze.") {
        let name: String = rest[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
        rest = &rest[i + 7..];
    }
    out
}

fn order(q: &QueryFile) -> u8 {
    match (q.target.starts_with("stg_"), q.strategy) {
        (true, _) => 0,
        (false, Strategy::ReplaceChildren) => 2,
        _ => 1,
    }
}

fn selected(q: &QueryFile, primary: &str, opts: &LoadOptions) -> bool {
    let Some((source, entity)) = parse_table_name(primary) else {
        return false;
    };
    let source_ok = opts.sources.is_empty() || opts.sources.contains(&source);
    let (_, table) = q.target_parts();
    let entity_ok = opts.entities.is_empty()
        || opts
            .entities
            .iter()
            .any(|e| e == entity || e == primary || e == &q.target || e == table);
    let stage_ok = !(opts.core_only && q.target.starts_with("stg_"));
    source_ok && entity_ok && stage_ok
}

/// Loads every selected query. A target that fails (a missing part, a bad run, a value that
/// cannot be stored) is reported and the others still load: each target commits on its own,
/// so one bad run does not hold back every later target. The load then ends with
/// [`Error::TargetsFailed`], which carries the summary of what did load.
pub async fn load(lake: &LakeStore, db: &Database, opts: &LoadOptions) -> Result<LoadSummary> {
    let _lock = crate::lock::LoadLock::acquire(db, opts.wait_for_lock).await?;
    let mut queries = load_dir(&opts.queries_dir)?;
    queries.sort_by_key(|q| (order(q), q.path.clone()));
    let session = TransformSession::with_options(lake, &opts.session)?;
    let mut parts_cache: HashMap<String, Vec<BronzePart>> = HashMap::new();
    let mut client = connect(db).await?;
    // Before any target writes: simulated runs are refused unless allowed.
    let simulated = simulated_runs(lake, &client, &queries, &mut parts_cache, opts).await?;
    let mut summary = LoadSummary {
        simulated,
        ..Default::default()
    };
    for q in &queries {
        let tables = bronze_tables(&q.sql);
        let Some(primary) = tables.first().cloned() else {
            return Err(Error::Query {
                query: q.path.display().to_string(),
                message: "reads no bronze.* table".into(),
            });
        };
        if !selected(q, &primary, opts) {
            continue;
        }
        let loaded = match prepare_tables(lake, &session, &mut parts_cache, q, &tables).await {
            Ok(()) => {
                load_with_retry(
                    db,
                    lake,
                    &session,
                    &mut client,
                    q,
                    &primary,
                    &parts_cache[&primary],
                    opts,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match loaded {
            Ok(s) => summary.targets.push(s),
            Err(e) => {
                error!(target = %q.target, error = %e, "Target failed; the other targets still load.");
                summary.failed.push(TargetFailure {
                    target: q.target.clone(),
                    query: q.path.display().to_string(),
                    error: e.to_string(),
                });
            }
        }
    }
    summary.reconciliation = reconcile(&summary.targets);
    for r in &summary.reconciliation {
        info!(entity = %r.entity, bronze = r.bronze_records, rejected = r.rejected, dropped = r.dropped,
              stg = ?r.stg_rows, core = ?r.core_rows, "Reconciled.");
    }
    if let Some(r) = summary
        .reconciliation
        .iter()
        .find(|r| !r.problems.is_empty())
    {
        return Err(Error::Reconciliation {
            entity: r.entity.clone(),
            detail: r.render(),
        });
    }
    if !summary.failed.is_empty() {
        return Err(Error::TargetsFailed {
            summary: Box::new(summary),
        });
    }
    Ok(summary)
}

/// The simulated runs the selected targets would read; an error, before any target writes,
/// unless they are allowed. Lists each primary table's parts once (kept in `parts_cache`); a
/// table that cannot be listed is left for its target to report.
async fn simulated_runs(
    lake: &LakeStore,
    client: &Client,
    queries: &[QueryFile],
    parts_cache: &mut HashMap<String, Vec<BronzePart>>,
    opts: &LoadOptions,
) -> Result<Vec<crate::simulated::SimulatedRun>> {
    let mut chosen = Vec::new();
    for q in queries {
        let Some(primary) = bronze_tables(&q.sql).into_iter().next() else {
            continue;
        };
        let Some((source, entity)) = parse_table_name(&primary) else {
            continue;
        };
        if !selected(q, &primary, opts) {
            continue;
        }
        if !parts_cache.contains_key(&primary) {
            match complete_parts(lake, source, entity).await {
                Ok(parts) => {
                    parts_cache.insert(primary.clone(), parts);
                }
                Err(_) => continue,
            }
        }
        chosen.push((q, primary));
    }
    let targets: Vec<(&QueryFile, &str, &[BronzePart])> = chosen
        .iter()
        .map(|(q, t)| (*q, t.as_str(), parts_cache[t].as_slice()))
        .collect();
    let runs = crate::simulated::pending(client, &targets, opts).await?;
    if let (false, Some(refused)) = (opts.allow_simulated, crate::simulated::refusal(&runs)) {
        return Err(refused);
    }
    if !runs.is_empty() {
        info!(
            runs = runs.len(),
            "Loading runs written by the built-in API simulator."
        );
    }
    Ok(runs)
}

/// The parts of every bronze table a query reads; its secondary tables (lookups such as field
/// definitions) registered whole.
async fn prepare_tables(
    lake: &LakeStore,
    session: &TransformSession,
    parts_cache: &mut HashMap<String, Vec<BronzePart>>,
    q: &QueryFile,
    tables: &[String],
) -> Result<()> {
    for t in tables {
        if !parts_cache.contains_key(t) {
            let (source, entity) = parse_table_name(t).ok_or_else(|| Error::Query {
                query: q.path.display().to_string(),
                message: format!("bronze.{t} is not {{source}}_{{entity}}"),
            })?;
            parts_cache.insert(t.clone(), complete_parts(lake, source, entity).await?);
        }
    }
    for t in tables.iter().skip(1) {
        register(session, t, &parts_cache[t]).await?;
    }
    Ok(())
}

/// The load's connection. `synchronous_commit = off`: a commit returns before its WAL is
/// flushed. A server crash can then lose the last commits, but each target's rows commit with
/// their ledger rows, so a lost commit loses both and the next load takes the parts again:
/// exactly once still holds, and the load stops waiting on a flush per transaction.
async fn connect(db: &Database) -> Result<Client> {
    let client = skyfit_warehouse::connect_with_retry(db, std::time::Duration::from_secs(60))
        .await
        .map_err(|e| Error::Query {
            query: "connect".into(),
            message: e.to_string(),
        })?;
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .map_err(Error::pg("setting synchronous_commit for the load session"))?;
    Ok(client)
}

/// Attempts per target before a failover is given up on (the waits add up to about a minute).
const MAX_ATTEMPTS: u32 = 6;

/// [`load_query`], retried with backoff on a fresh connection when the connection drops or the
/// server fails over (read-only transaction, admin shutdown). Safe because a target's rows and
/// its ledger rows commit in one transaction: a failed attempt left nothing, and the retry
/// recomputes the pending parts from the ledger.
#[allow(clippy::too_many_arguments)]
async fn load_with_retry(
    db: &Database,
    lake: &LakeStore,
    session: &TransformSession,
    client: &mut Client,
    q: &QueryFile,
    primary: &str,
    parts: &[BronzePart],
    opts: &LoadOptions,
) -> Result<TargetSummary> {
    let mut delay = std::time::Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match load_query(db, lake, session, client, q, primary, parts, opts).await {
            Ok(mut s) => {
                s.retries = attempt - 1;
                return Ok(s);
            }
            Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => {
                warn!(target = %q.target, attempt, error = %e, "Load failed on a transient database error, retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(20));
                attempt += 1;
                // The old connection may be dead or mid-COPY: never reuse it.
                *client = connect(db).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A session in which every bronze table the queries read holds all complete runs: what
/// `skyfit query` runs on (the data engineer's view of the lake, not the loader's delta).
pub async fn session_for(
    lake: &LakeStore,
    queries: &[QueryFile],
    options: &SessionOptions,
) -> Result<TransformSession> {
    let session = TransformSession::with_options(lake, options)?;
    let mut seen = HashSet::new();
    for q in queries {
        for t in bronze_tables(&q.sql) {
            if seen.insert(t.clone()) {
                let (source, entity) = parse_table_name(&t).ok_or_else(|| Error::Query {
                    query: q.path.display().to_string(),
                    message: format!("bronze.{t} is not {{source}}_{{entity}}"),
                })?;
                let (parts, unadopted) = scan_parts(lake, source, entity).await?;
                if let Some(first) = unadopted.first() {
                    tracing::warn!(
                        table = %t,
                        runs = unadopted.len(),
                        first = %first.dir(),
                        "Runs written by the original system are not adopted yet and are not read; \
                         run `skyfit lake adopt --sources {source}`."
                    );
                }
                register(&session, &t, &parts).await?;
            }
        }
    }
    Ok(session)
}

/// Registers `bronze.{table}` over `parts` once they are verified to be in the lake, whole.
async fn register(session: &TransformSession, table: &str, parts: &[BronzePart]) -> Result<()> {
    let files: Vec<skyfit_transform::PartFile> = parts.iter().map(BronzePart::file).collect();
    session
        .verify_parts(&files)
        .await
        .map_err(|source| Error::Parts {
            table: format!("bronze.{table}"),
            source: Box::new(source),
        })?;
    register_filtered(session, table, parts, None).await
}

pub(crate) async fn register_filtered(
    session: &TransformSession,
    table: &str,
    parts: &[BronzePart],
    filter: Option<Expr>,
) -> Result<()> {
    let (source, entity) = parse_table_name(table).ok_or_else(|| Error::Query {
        query: table.into(),
        message: "not a bronze table name".into(),
    })?;
    let mut t = crate::bronze::bronze_table(table, source, entity, parts);
    t.filter = filter;
    session.register_bronze(&t).await?;
    Ok(())
}

fn stage_of(q: &QueryFile) -> &'static str {
    if q.target.starts_with("stg_") {
        "stg"
    } else {
        "core"
    }
}

pub(crate) async fn loaded(client: &Client, q: &QueryFile) -> Result<HashMap<String, String>> {
    let rows = client
        .query(
            "SELECT part_path, coalesce(checksum, '') FROM meta.loaded_parts WHERE stage = $1 AND target_table = $2",
            &[&stage_of(q), &q.target],
        )
        .await
        .map_err(Error::pg("reading meta.loaded_parts"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[allow(clippy::too_many_arguments)]
async fn load_query(
    db: &Database,
    lake: &LakeStore,
    session: &TransformSession,
    client: &mut Client,
    q: &QueryFile,
    primary: &str,
    all_parts: &[BronzePart],
    opts: &LoadOptions,
) -> Result<TargetSummary> {
    let started = Instant::now();
    let full = opts.full_refresh || q.strategy == Strategy::FullRefresh;
    let done = if full || opts.reload {
        HashMap::new()
    } else {
        loaded(client, q).await?
    };
    // A part whose checksum changed was rewritten and is loaded again.
    let pending: Vec<BronzePart> = all_parts
        .iter()
        .filter(|p| done.get(&p.path).is_none_or(|sum| sum != &p.sha256))
        .cloned()
        .collect();
    let mut s = TargetSummary {
        target: q.target.clone(),
        query: q.path.display().to_string(),
        strategy: if full {
            "full_refresh".into()
        } else {
            q.strategy.as_str().into()
        },
        runs: pending
            .iter()
            .map(|p| &p.run_id)
            .collect::<HashSet<_>>()
            .len(),
        parts: pending.len(),
        bronze_table: primary.to_string(),
        bronze_records: pending.iter().map(|p| p.records).sum(),
        rejected: rejected_of(&pending),
        child: q.strategy == Strategy::ReplaceChildren,
        parts_digest: digest(&pending),
        reads_others: bronze_tables(&q.sql).len() > 1,
        ..Default::default()
    };
    if pending.is_empty() && !full {
        s.up_to_date = true;
        s.seconds = started.elapsed().as_secs_f64();
        return Ok(s);
    }
    // Nothing is written for a target until every part it will read is there, whole
    // (`register` checks), and reads as many records as its manifest lists.
    register(session, primary, &pending).await?;
    s.read_records = count_records(session, primary).await?;
    if s.read_records != s.bronze_records {
        return Err(Error::ReadMismatch {
            target: q.target.clone(),
            parts: s.parts,
            listed: s.bronze_records,
            read: s.read_records,
        });
    }
    // Bad values reach the quarantining cast instead of vanishing in a TRY_CAST.
    let crate::lift::Lifted { df, zones } = crate::lift::lift(session.plan(q).await?)?;
    let targets = target::columns(&*client, &q.target).await?;
    let arrow_schema = df.schema().as_arrow().clone();
    let (cols, schema) = cast::plan(&arrow_schema, &targets, &zones);
    for k in &q.key {
        if cols.iter().all(|c| &c.name != k) {
            return Err(Error::Query {
                query: q.path.display().to_string(),
                message: format!("the key column {k} of {} is not in the result", q.target),
            });
        }
    }
    let pg_cols: Vec<PgColumn> = cols
        .iter()
        .map(|c| PgColumn::new(&c.name, c.pg_type))
        .collect();
    let encoder = CopyEncoder::try_new(&schema, &pg_cols).map_err(|source| Error::Load {
        target: q.target.clone(),
        source,
    })?;
    // Records the stg query cannot key are quarantined whole (core reads the same records:
    // once is enough).
    let unkeyed = if stage_of(q) == "stg" {
        crate::unkeyed::find(session, q, opts.max_bad_values.saturating_add(1)).await?
    } else {
        Vec::new()
    };
    s.unkeyed = unkeyed.len() as u64;
    let mut unkeyed = unkeyed;
    // Values the bronze Parquet read as NULL (wrong JSON type) in the columns this query uses.
    unkeyed.extend(
        crate::drift::find(
            session,
            lake,
            &df,
            primary,
            &pending,
            opts.max_bad_values.saturating_add(1),
        )
        .await?,
    );
    let bad: Arc<Mutex<Vec<Quarantined>>> = Arc::new(Mutex::new(unkeyed));
    if let Some(e) = too_many(q, &bad, opts) {
        return Err(e);
    }
    let rows = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let passes =
        crate::passes::passes(session, q, primary, &pending, df, s.bronze_records, opts).await?;
    s.passes = passes.len();
    if passes.len() > 1 {
        info!(target = %q.target, passes = passes.len(), records = s.bronze_records,
              "Large load: one pass per range of keys, to bound memory.");
    }
    let stream = {
        let (bad, rows, cols, schema) = (bad.clone(), rows.clone(), cols.clone(), schema.clone());
        let limit = opts.max_bad_values;
        // Passes run one after the other: a pass's plan (and its hash tables) is dropped
        // before the next starts.
        futures::stream::iter(passes)
            .then(|df| df.execute_stream())
            .try_flatten()
            .map(move |b| -> std::result::Result<_, skyfit_load::BoxError> {
                let b = b?;
                let (out, q) = cast::convert(&b, &cols, &schema)?;
                rows.fetch_add(out.num_rows() as u64, std::sync::atomic::Ordering::Relaxed);
                let mut all = bad.lock().map_err(|_| "quarantine lock poisoned")?;
                all.extend(q);
                if all.len() as u64 > limit {
                    return Err(format!("more than {limit} values could not be converted").into());
                }
                Ok(out)
            })
    };
    let (schema_name, table_name) = q.target_parts();
    let table = TableName::new(schema_name, table_name);
    let load_err = |source| Error::Load {
        target: q.target.clone(),
        source,
    };
    let partitioned: bool = client
        .query_one(
            "SELECT relkind = 'p' FROM pg_class WHERE oid = $1::text::regclass",
            &[&q.target],
        )
        .await
        .map_err(Error::pg(format!("inspecting {}", q.target)))?
        .get(0);

    if full {
        // Full refresh: a shadow loaded and indexed outside any lock, installed with the
        // ledger reset in one short transaction.
        let mut shadow = TargetShadow::create(client, table.clone(), partitioned)
            .await
            .map_err(load_err)?;
        // More connections: the server parses and indexes on as many backends at once.
        let mut helpers = Vec::new();
        for _ in 1..opts.connections {
            match connect(db).await {
                Ok(c) => helpers.push(c),
                Err(e) => {
                    shadow.abandon(client).await.ok();
                    return Err(e);
                }
            }
        }
        let clients: Vec<&Client> = std::iter::once(&*client).chain(&helpers).collect();
        let copied = match copy_in_parallel(&clients, shadow.table(), &encoder, stream).await {
            Ok(c) => c,
            Err(e) => {
                // A COPY still running on a helper holds its lock: closing it ends the COPY.
                drop(clients);
                drop(helpers);
                shadow.abandon(client).await.ok();
                return Err(too_many(q, &bad, opts).unwrap_or(load_err(e)));
            }
        };
        drop(clients);
        if let Err(e) = shadow.prepare(client, &helpers).await {
            // A build still running on a helper holds its lock: the DROP waits for it.
            drop(helpers);
            shadow.abandon(client).await.ok();
            return Err(load_err(e));
        }
        drop(helpers);
        (s.inserted, s.copied) = (copied.rows, copied.rows);
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg(format!("starting the swap of {}", q.target)))?;
        shadow.swap_in(&tx).await.map_err(load_err)?;
        tx.execute(
            "DELETE FROM meta.loaded_parts WHERE stage = $1 AND target_table = $2",
            &[&stage_of(q), &q.target],
        )
        .await
        .map_err(Error::pg("resetting meta.loaded_parts"))?;
        record(&tx, q, &pending, &bad).await?;
        tx.commit()
            .await
            .map_err(Error::pg(format!("committing the swap of {}", q.target)))?;
    } else {
        let tx = client
            .transaction()
            .await
            .map_err(Error::pg(format!("starting the load of {}", q.target)))?;
        let result = if q.strategy == Strategy::ReplaceChildren {
            replace_children(&tx, q, &table, &encoder, stream)
                .await
                .map(|(copied, deleted)| (copied, copied, 0, deleted))
        } else {
            let spec = MergeSpec::new(table.clone(), q.key.clone());
            skyfit_load::merge::merge(&tx, &spec, &encoder, stream)
                .await
                .map(|m| (m.copied, m.inserted, m.updated, 0))
        };
        let (copied, inserted, updated, deleted) = match result {
            Ok(r) => r,
            Err(e) => return Err(too_many(q, &bad, opts).unwrap_or(load_err(e))),
        };
        (s.copied, s.inserted, s.updated, s.deleted) = (copied, inserted, updated, deleted);
        if partitioned {
            // Rows of a year without a partition landed in DEFAULT: give the year its own,
            // committed with the rows.
            skyfit_load::partition::split_default(&tx, &table)
                .await
                .map_err(load_err)?;
        }
        record(&tx, q, &pending, &bad).await?;
        tx.commit()
            .await
            .map_err(Error::pg(format!("committing {}", q.target)))?;
    }
    s.rows = rows.load(std::sync::atomic::Ordering::Relaxed);
    if !s.child {
        s.dropped = s.bronze_records.saturating_sub(s.rows);
    }
    s.quarantined = bad.lock().map(|b| b.len() as u64).unwrap_or(0);
    s.seconds = started.elapsed().as_secs_f64();
    info!(target = %q.target, parts = s.parts, rows = s.rows, inserted = s.inserted, updated = s.updated,
          quarantined = s.quarantined, seconds = format!("{:.2}", s.seconds), "Loaded.");
    Ok(s)
}

/// Records the lake rejected in the runs of `parts` (counted once per run).
fn rejected_of(parts: &[BronzePart]) -> u64 {
    let mut runs: HashMap<(&str, Option<&str>), u64> = HashMap::new();
    for p in parts {
        runs.insert((p.run_id.as_str(), p.scope.as_deref()), p.run_rejects);
    }
    runs.values().sum()
}

fn digest(parts: &[BronzePart]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        (&p.path, &p.sha256).hash(&mut h);
    }
    h.finish()
}

/// Records DataFusion reads from the registered parts (Parquet row counts).
async fn count_records(session: &TransformSession, table: &str) -> Result<u64> {
    let batches = session
        .context()
        .sql(&format!("SELECT count(*) FROM bronze.{table}"))
        .await?
        .collect()
        .await?;
    let n = batches
        .first()
        .filter(|b| b.num_rows() > 0)
        .and_then(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .map(|a| a.value(0))
        })
        .unwrap_or(0);
    Ok(n.max(0) as u64)
}

fn too_many(
    q: &QueryFile,
    bad: &Arc<Mutex<Vec<Quarantined>>>,
    opts: &LoadOptions,
) -> Option<Error> {
    let all = bad.lock().ok()?;
    if (all.len() as u64) <= opts.max_bad_values {
        return None;
    }
    let f = all.first()?;
    Some(Error::TooManyBadValues {
        target: q.target.clone(),
        quarantined: all.len() as u64,
        limit: opts.max_bad_values,
        first: format!(
            "{}:{} column {}: {} (value `{}`)",
            f.file.as_deref().unwrap_or("?"),
            f.line.map(|l| l.to_string()).unwrap_or("?".into()),
            f.column,
            f.reason,
            f.raw
        ),
    })
}

/// Children: delete every row of the parents present in the batch, then insert the batch.
async fn replace_children<S>(
    tx: &tokio_postgres::Transaction<'_>,
    q: &QueryFile,
    table: &TableName,
    encoder: &CopyEncoder,
    stream: S,
) -> std::result::Result<(u64, u64), skyfit_load::Error>
where
    S: futures::Stream<
            Item = std::result::Result<arrow::array::RecordBatch, skyfit_load::BoxError>,
        >,
{
    let parent = q.parent_key.as_deref().unwrap_or_default();
    let stage = format!("{}__children", table.name);
    let pg = |what: &'static str| {
        let t = table.clone();
        move |source| skyfit_load::Error::Postgres {
            table: t.to_string(),
            step: what,
            source,
        }
    };
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE {s} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP",
        s = quote_ident(&stage)
    ))
    .await
    .map_err(pg("create child stage"))?;
    let copied = copy_in(
        tx.client(),
        &TableName::unqualified(&stage),
        encoder,
        stream,
    )
    .await?;
    let cols: Vec<String> = encoder.columns().map(|c| quote_ident(&c.name)).collect();
    let deleted = tx
        .execute(
            &format!(
                "DELETE FROM {table} WHERE {p} IN (SELECT DISTINCT {p} FROM {s})",
                p = quote_ident(parent),
                s = quote_ident(&stage)
            ),
            &[],
        )
        .await
        .map_err(pg("delete replaced children"))?;
    tx.execute(
        &format!(
            "INSERT INTO {table} ({c}) SELECT {c} FROM {s}",
            c = cols.join(", "),
            s = quote_ident(&stage)
        ),
        &[],
    )
    .await
    .map_err(pg("insert children"))?;
    Ok((copied.rows, deleted))
}

/// Ledger rows for the parts and quarantine rows for the bad values, in the load's transaction.
async fn record(
    tx: &tokio_postgres::Transaction<'_>,
    q: &QueryFile,
    parts: &[BronzePart],
    bad: &Arc<Mutex<Vec<Quarantined>>>,
) -> Result<()> {
    let stmt = tx
        .prepare(
            "INSERT INTO meta.loaded_parts (stage, target_table, source, scope, entity, part_path, checksum, run_id, rows)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (stage, target_table, part_path)
             DO UPDATE SET checksum = EXCLUDED.checksum, run_id = EXCLUDED.run_id, rows = EXCLUDED.rows, loaded_at = now()",
        )
        .await
        .map_err(Error::pg("preparing the ledger insert"))?;
    let primary = bronze_tables(&q.sql).into_iter().next().unwrap_or_default();
    let (source, entity) = parse_table_name(&primary)
        .map(|(s, e)| (s.to_string(), e.to_string()))
        .unwrap_or_default();
    for p in parts {
        tx.execute(
            &stmt,
            &[
                &stage_of(q),
                &q.target,
                &source,
                &p.scope,
                &entity,
                &p.path,
                &p.sha256,
                &p.run_id,
                &(p.records as i64),
            ],
        )
        .await
        .map_err(Error::pg("writing meta.loaded_parts"))?;
    }
    let bad = bad.lock().map(|b| b.clone()).unwrap_or_default();
    if !bad.is_empty() {
        let stmt = tx
            .prepare(
                "INSERT INTO meta.quarantine (run_id, source, entity, target_table, bronze_file, line, column_name, reason, raw_value)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await
            .map_err(Error::pg("preparing the quarantine insert"))?;
        for b in &bad {
            let run = b
                .file
                .as_deref()
                .and_then(|f| f.split("run_id=").nth(1))
                .map(|r| r.split('/').next().unwrap_or(r).to_string());
            tx.execute(
                &stmt,
                &[
                    &run,
                    &source,
                    &entity,
                    &q.target,
                    &b.file,
                    &b.line,
                    &(!b.column.is_empty()).then_some(&b.column),
                    &b.reason,
                    &b.raw.replace('\0', "\\0"),
                ],
            )
            .await
            .map_err(Error::pg("writing meta.quarantine"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bronze_tables_are_found_in_order() {
        let sql = "SELECT * FROM bronze.pipedrive_deals d JOIN BRONZE.pipedrive_deal_fields f ON true JOIN bronze.pipedrive_deals x";
        assert_eq!(
            bronze_tables(sql),
            ["pipedrive_deals", "pipedrive_deal_fields"]
        );
    }
}
