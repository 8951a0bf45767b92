//! Bronze → PostgreSQL: every query of `queries/` over the parts its target has not loaded.
//!
//! The query files are analysed first ([`Target::analyse_all`]): a malformed one fails the
//! load before anything is written. Then, for each selected target (stg first, then core
//! parents, then children), three steps:
//! 1. **plan** ([`crate::plan`]): the pending parts of its primary bronze table, checked
//!    whole, the query planned over exactly them, the rows cast to the target's column types
//!    (bad values → NULL + `meta.quarantine`) and the strategy chosen;
//! 2. **write** ([`skyfit_load::strategy`]): merge, child replacement or full refresh by
//!    swap, leaving the rows in an uncommitted transaction;
//! 3. **record** ([`crate::record`]): the parts, the quarantine and the target's ledger row
//!    in that same transaction, then commit.
//!
//! Small incremental loads run their targets side by side, one connection each, up to the
//! load's `connections` ([`side_by_side`]): a nightly run's merges are mostly the server's
//! index maintenance, which then uses the server's cores.
//!
//! A target that fails on a dropped connection or a failover is retried on a new connection
//! (step 1 again: the ledger says what is still pending). After the last target the record
//! flow of each entity is reconciled ([`crate::reconcile`]); a mismatch fails the load.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use skyfit_core::Classify;
use skyfit_lake::LakeStore;
use skyfit_load::strategy::{Destination, LoadStrategy, WriteStep};
use skyfit_transform::{QueryFile, SessionOptions, Strategy, TransformSession};
use skyfit_warehouse::Database;
use tokio_postgres::Client;
use tracing::{error, info, warn};

use crate::bronze::{BronzePart, BronzeRef, complete_parts, register, scan_parts};
use crate::error::{Error, Result};
use crate::options::LoadOptions;
use crate::plan::{Env, Feed, Plan, Planned, load_error, plan};
use crate::progress::{LoadProgress, NoLoadProgress, Phase};
use crate::reconcile::reconcile;
use crate::summary::{LoadSummary, TargetFailure, TargetSummary};
use crate::target::{Stage, Target};

/// Load order: stg, then core parents, then the children (their parents' rows are in).
fn order(t: &Target) -> u8 {
    match (t.stage, t.strategy) {
        (Stage::Stg, _) => 0,
        (Stage::Core, Strategy::ReplaceChildren) => 2,
        (Stage::Core, _) => 1,
    }
}

fn selected(t: &Target, opts: &LoadOptions) -> bool {
    let source_ok = opts.sources.is_empty() || opts.sources.contains(&t.source());
    let primary = t.primary.name();
    let entity_ok = opts.entities.is_empty()
        || opts
            .entities
            .iter()
            .any(|e| e == t.entity() || *e == primary || e == t.name() || *e == t.table.name);
    let stage_ok = !(opts.core_only && t.stage == Stage::Stg);
    source_ok && entity_ok && stage_ok
}

/// Loads every selected query. A target that fails (a missing part, a bad run, a value that
/// cannot be stored) is reported and the others still load: each target commits on its own,
/// so one bad run does not hold back every later target. The load then ends with
/// [`Error::TargetsFailed`], which carries the summary of what did load.
///
/// The load's ledger rows (`meta.pipeline_runs`) are written here, whatever the caller:
/// a `load` row for the whole load and one row per target, FAILED for what failed.
pub async fn load(lake: &LakeStore, db: &Database, opts: &LoadOptions) -> Result<LoadSummary> {
    load_with_progress(lake, db, opts, &NoLoadProgress).await
}

/// [`load`], telling `progress` which target it is on, its phase and its rows so far.
pub async fn load_with_progress(
    lake: &LakeStore,
    db: &Database,
    opts: &LoadOptions,
    progress: &dyn LoadProgress,
) -> Result<LoadSummary> {
    let mut client = connect(db).await?;
    let row = crate::record::load_started(&client, &opts.run_id).await?;
    let loaded = load_targets(lake, db, &mut client, opts, progress).await;
    if client.is_closed() {
        // The load's connection died with the load: the ledger row still gets closed.
        client = connect(db).await?;
    }
    if let Err(error) = crate::record::load_finished(&client, row, &loaded).await {
        warn!(%error, "Could not close the load's row in meta.pipeline_runs.");
    }
    loaded
}

async fn load_targets(
    lake: &LakeStore,
    db: &Database,
    client: &mut Client,
    opts: &LoadOptions,
    progress: &dyn LoadProgress,
) -> Result<LoadSummary> {
    let _lock = crate::lock::LoadLock::acquire(db, opts.wait_for_lock).await?;
    let mut targets = Target::analyse_all(opts.queries.files()?, &opts.session).await?;
    targets.retain(|t| selected(t, opts));
    targets.sort_by_key(|t| (order(t), t.query.path.clone()));
    let mut parts = PartsCache::default();
    // Before any target writes: simulated runs are refused unless allowed.
    let simulated = crate::simulated::check(lake, client, &targets, &mut parts.0, opts).await?;
    let mut summary = LoadSummary {
        simulated,
        ..Default::default()
    };
    progress.load_started(targets.len());
    let mut next = 0;
    while next < targets.len() {
        let n = side_by_side(lake, client, &mut parts, &targets[next..], opts).await;
        let wave = &targets[next..next + n];
        next += n;
        let mut listed = Vec::new();
        for t in wave {
            progress.target_started(t.name());
            listed.push(parts.list(lake, t).await);
        }
        let mut others = Vec::new();
        for _ in 1..n {
            others.push(connect(db).await?);
        }
        let simulated = &summary.simulated;
        let parts = &parts;
        let loads = wave
            .iter()
            .zip(listed)
            .zip(std::iter::once(&mut *client).chain(others.iter_mut()))
            .map(|((t, listed), client)| async move {
                let loaded = match listed {
                    Ok(()) => {
                        let simulated = simulated.iter().any(|r| r.target == t.name());
                        load_listed(lake, db, client, t, parts, simulated, opts, progress).await
                    }
                    Err(e) => Err(e),
                };
                (t, client, loaded)
            });
        for (t, client, loaded) in futures::future::join_all(loads).await {
            match loaded {
                Ok(s) => {
                    progress.target_finished(&s);
                    summary.targets.push(s);
                }
                Err(e) => {
                    error!(target = %t.name(), error = %e, "Target failed; the other targets still load.");
                    let error = skyfit_core::error::full_message(&e);
                    progress.target_failed(t.name(), &error);
                    if client.is_closed() {
                        *client = connect(db).await?;
                    }
                    if let Err(error) =
                        crate::record::target_failed(&*client, t, &opts.run_id, &error).await
                    {
                        warn!(target = %t.name(), %error, "Could not record the failure in meta.pipeline_runs.");
                    }
                    summary.failed.push(TargetFailure {
                        target: t.name().to_string(),
                        query: t.path(),
                        error,
                    });
                }
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

/// How many targets from the first of `rest` load side by side: up to `connections`, while
/// each is an incremental load independent of the others (a child target waits for its
/// parents) and the records pending for all of them fit one pass (`chunk_records`), so that
/// memory stays within one pass's. A nightly run's small merges then overlap on the server:
/// each is mostly the server's index maintenance, one core each (issue 20: the stg and core
/// merges of the 30M nightly delta). A full refresh, or anything larger, loads alone.
async fn side_by_side(
    lake: &LakeStore,
    client: &Client,
    parts: &mut PartsCache,
    rest: &[Target],
    opts: &LoadOptions,
) -> usize {
    let alone = |t: &Target| crate::plan::strategy_of(t, opts) == Strategy::FullRefresh;
    let Some(first) = rest.first() else {
        return 1;
    };
    if opts.connections < 2 || alone(first) {
        return 1;
    }
    let children = order(first) == 2;
    let mut records = 0u64;
    let mut n = 0;
    for (i, t) in rest.iter().take(opts.connections).enumerate() {
        let same_table = rest[..i].iter().any(|o| o.name() == t.name());
        if alone(t) || (order(t) == 2) != children || same_table {
            break;
        }
        // Only a scheduling choice: a target whose parts or ledger cannot be read here loads
        // alone, and its own load reports the error.
        let pending = match parts.list(lake, t).await {
            Ok(()) => {
                let feeds = parts.feeds(t);
                crate::plan::pending_records(client, t, &parts.0[&t.primary], &feeds, opts).await
            }
            Err(e) => Err(e),
        };
        match pending {
            Ok(p) if records + p <= opts.chunk_records => records += p,
            _ => break,
        }
        n += 1;
    }
    n.max(1)
}

/// One target whose parts are listed, in a DataFusion session of its own: a load registers
/// its primary table with the parts pending for *it*, which differ between two targets reading
/// the same table (the stg and core queries of an entity) when they load side by side.
#[allow(clippy::too_many_arguments)]
async fn load_listed(
    lake: &LakeStore,
    db: &Database,
    client: &mut Client,
    t: &Target,
    parts: &PartsCache,
    simulated: bool,
    opts: &LoadOptions,
    progress: &dyn LoadProgress,
) -> Result<TargetSummary> {
    let session = TransformSession::with_options(lake, &opts.session)?;
    parts.register_secondary(&session, t).await?;
    let env = Env {
        lake,
        session: &session,
        opts,
        progress,
    };
    let (all, feeds) = (&parts.0[&t.primary], parts.feeds(t));
    load_with_retry(env, db, client, t, all, &feeds, simulated).await
}

/// The complete parts of each bronze table, listed once per load.
#[derive(Default)]
struct PartsCache(HashMap<BronzeRef, Vec<BronzePart>>);

impl PartsCache {
    /// Lists the parts of every bronze table `t` reads, those not listed yet.
    async fn list(&mut self, lake: &LakeStore, t: &Target) -> Result<()> {
        for b in t.reads() {
            if !self.0.contains_key(b) {
                let parts = complete_parts(lake, b.source, &b.entity).await?;
                self.0.insert(b.clone(), parts);
            }
        }
        Ok(())
    }

    /// Registers `t`'s secondary tables (lookups such as field definitions) whole in
    /// `session`. `t`'s tables must be listed.
    async fn register_secondary(&self, session: &TransformSession, t: &Target) -> Result<()> {
        for b in &t.secondary {
            register(session, b, &self.0[b]).await?;
        }
        Ok(())
    }

    /// The other bronze tables that feed a child target's rows (EVO receivables, nested in
    /// sales and from their own endpoint), with their parts: a new part of one of them loads
    /// the target even when its primary table has none.
    fn feeds<'a>(&'a self, t: &'a Target) -> Vec<Feed<'a>> {
        if t.strategy != Strategy::ReplaceChildren {
            return Vec::new();
        }
        t.secondary
            .iter()
            .filter_map(|b| Some((b, self.0.get(b)?.as_slice())))
            .collect()
    }
}

/// The complete parts a target's load chooses from: its primary table's and its feeds'.
#[derive(Clone, Copy)]
struct Reads<'a> {
    primary: &'a [BronzePart],
    feeds: &'a [Feed<'a>],
}

/// The load's connection. `synchronous_commit = off`: a commit returns before its WAL is
/// flushed. A server crash can then lose the last commits, but each target's rows commit with
/// their ledger rows, so a lost commit loses both and the next load takes the parts again:
/// exactly once still holds, and the load stops waiting on a flush per transaction.
async fn connect(db: &Database) -> Result<Client> {
    let client = skyfit_warehouse::connect_with_retry(db, Duration::from_secs(60))
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

/// [`load_target`], retried with backoff on a fresh connection when the connection drops or
/// the server fails over (read-only transaction, admin shutdown). Safe because a target's rows
/// and its ledger rows commit in one transaction: a failed attempt left nothing, and the retry
/// recomputes the pending parts from the ledger.
async fn load_with_retry(
    env: Env<'_>,
    db: &Database,
    client: &mut Client,
    t: &Target,
    parts: &[BronzePart],
    feeds: &[Feed<'_>],
    simulated: bool,
) -> Result<TargetSummary> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        let reads = Reads {
            primary: parts,
            feeds,
        };
        match load_target(env, db, client, t, reads, simulated, attempt - 1).await {
            Ok(s) => return Ok(s),
            Err(e) if e.retry().is_transient() && attempt < MAX_ATTEMPTS => {
                warn!(target = %t.name(), attempt, error = %e, "Load failed on a transient database error, retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(20));
                attempt += 1;
                // The old connection may be dead or mid-COPY: never reuse it.
                *client = connect(db).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// One target: plan → write → record, the rows and the records committed together.
async fn load_target(
    env: Env<'_>,
    db: &Database,
    client: &mut Client,
    t: &Target,
    parts: Reads<'_>,
    simulated: bool,
    retries: u32,
) -> Result<TargetSummary> {
    let started = Instant::now();
    env.progress.phase(t.name(), Phase::Plan);
    let mut p = match plan(env, client, t, parts.primary, parts.feeds).await? {
        Plan::Write(p) => p,
        Plan::UpToDate(mut up_to_date) => {
            up_to_date.seconds = started.elapsed().as_secs_f64();
            return Ok(up_to_date);
        }
    };
    let mut helpers = Vec::new();
    for _ in 0..p.writer.helpers() {
        helpers.push(connect(db).await?);
    }
    env.progress.phase(
        t.name(),
        Phase::Write {
            passes: p.summary.passes,
        },
    );
    let mut written = 0;
    let rows = p
        .rows(|pass, passes| env.progress.pass(t.name(), pass, passes))
        .inspect_ok(|b| {
            written += b.num_rows() as u64;
            env.progress.rows(t.name(), written);
        });
    let on_step = |step: WriteStep| env.progress.phase(t.name(), Phase::from(step));
    let to = Destination::new(&t.table, &p.encoder).with_on_step(&on_step);
    let staged = match p.writer.write(client, helpers, to, rows).await {
        Ok(staged) => staged,
        Err(e) => return Err(p.write_error(t, e)),
    };
    let s = summarise(&p, staged.written(), started, retries);
    env.progress.phase(t.name(), Phase::Commit);
    crate::record::target_loaded(staged.transaction(), t, &p, &s, &env.opts.run_id, simulated)
        .await?;
    staged.commit().await.map_err(|e| load_error(t, e))?;
    info!(target = %t.name(), parts = s.parts, rows = s.rows, inserted = s.inserted, updated = s.updated,
          quarantined = s.quarantined, seconds = format!("{:.2}", s.seconds), "Loaded.");
    Ok(s)
}

/// The target's summary once its rows are written.
fn summarise(
    p: &Planned,
    w: skyfit_load::strategy::Written,
    started: Instant,
    retries: u32,
) -> TargetSummary {
    let mut s = p.summary.clone();
    (s.copied, s.inserted, s.updated, s.deleted) = (w.copied, w.inserted, w.updated, w.deleted);
    s.kept_newer = w.kept;
    s.rows = p.produced();
    if !s.child {
        s.dropped = s.bronze_records.saturating_sub(s.rows);
    }
    s.quarantined = p.quarantined().len() as u64;
    s.retries = retries;
    s.seconds = started.elapsed().as_secs_f64();
    s
}

/// A session in which every bronze table the queries read holds all complete runs: what
/// `skyfit query` runs on (the data engineer's view of the lake, not the loader's delta).
pub async fn session_for(
    lake: &LakeStore,
    queries: &[QueryFile],
    options: &SessionOptions,
) -> Result<TransformSession> {
    let analysis = TransformSession::with_options(&LakeStore::in_memory(), options)?;
    let mut tables = Vec::new();
    for q in queries {
        tables.extend(crate::target::bronze_tables(&analysis, q).await?);
    }
    let (session, _) = session_over(lake, &tables, options, None).await?;
    Ok(session)
}

/// A session over `tables` as [`session_for`] builds it, except `deferred`: its parts are
/// scanned once and returned, neither checked nor registered, for a caller that checks and
/// registers only the ones it reads (a preview: the parts below its bound).
pub(crate) async fn session_over(
    lake: &LakeStore,
    tables: &[BronzeRef],
    options: &SessionOptions,
    deferred: Option<&BronzeRef>,
) -> Result<(TransformSession, Vec<BronzePart>)> {
    let session = TransformSession::with_options(lake, options)?;
    let mut seen = HashSet::new();
    let mut deferred_parts = Vec::new();
    for b in tables {
        if !seen.insert(b.clone()) {
            continue;
        }
        let (parts, unadopted) = scan_parts(lake, b.source, &b.entity).await?;
        if let Some(first) = unadopted.first() {
            warn!(
                table = %b,
                runs = unadopted.len(),
                first = %first.dir(),
                "Runs written by the original system are not adopted yet and are not read; \
                 run `skyfit lake adopt --sources {}`.", b.source
            );
        }
        if deferred == Some(b) {
            deferred_parts = parts;
        } else {
            register(&session, b, &parts).await?;
        }
    }
    Ok((session, deferred_parts))
}
