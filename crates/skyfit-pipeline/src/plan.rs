//! The first step of a target's load: everything decided and checked before a row is
//! written.
//!
//! 1. the parts of its primary bronze table not in `meta.loaded_parts` yet (all of them on a
//!    full refresh or a reload);
//! 2. those parts, registered, must read back as many records as their manifests list;
//! 3. the query's plan (top-level `TRY_CAST`s lifted into the quarantining cast,
//!    [`crate::lift`]), in passes when the load is large ([`crate::passes`]);
//! 4. the target's columns and the COPY encoder, the values already known to be bad (records
//!    the stg query cannot key, values the bronze Parquet read as NULL), and the strategy
//!    that writes the rows.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use datafusion::dataframe::DataFrame;
use futures::{Stream, StreamExt, TryStreamExt};
use skyfit_lake::LakeStore;
use skyfit_load::sql::Versioning;
use skyfit_load::strategy::{
    Merge, ParentKeys, PartitionedSwap, ReplaceChildren, Swap, Writer, is_partitioned,
};
use skyfit_load::{BoxError, CopyEncoder, PgColumn};
use skyfit_transform::{Strategy, TransformSession};
use tokio_postgres::Client;
use tracing::info;

use crate::bronze::{BronzePart, BronzeRef, register};
use crate::cast::{self, Quarantined};
use crate::error::{Error, Result};
use crate::options::LoadOptions;
use crate::summary::TargetSummary;
use crate::target::{self, Stage, Target, TargetColumn};

/// A bronze table feeding a target besides its primary one, with its complete parts.
pub(crate) type Feed<'a> = (&'a BronzeRef, &'a [BronzePart]);

/// What a target's load runs in.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub lake: &'a LakeStore,
    pub session: &'a TransformSession,
    pub opts: &'a LoadOptions,
    pub progress: &'a dyn crate::progress::LoadProgress,
}

/// A target's load, planned: the rows to write and how.
pub(crate) struct Planned {
    /// The summary so far (what is read); the write and the record complete it.
    pub summary: TargetSummary,
    /// The parts read, recorded in `meta.loaded_parts` with the rows.
    pub pending: Vec<BronzePart>,
    /// The new parts of the other tables feeding a child target, recorded with them.
    pub fed: Vec<(BronzeRef, BronzePart)>,
    pub writer: Writer,
    pub encoder: CopyEncoder,
    passes: Vec<DataFrame>,
    cols: Vec<TargetColumn>,
    schema: arrow::datatypes::SchemaRef,
    bad: Arc<Mutex<Vec<Quarantined>>>,
    rows: Arc<AtomicU64>,
    limit: u64,
}

/// What the plan says to do.
// One per target, moved once: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Plan {
    /// Write these rows.
    Write(Planned),
    /// Nothing pending (and no full refresh): the target is up to date.
    UpToDate(TargetSummary),
}

/// How this load writes `t`: a full refresh for every target of `--full-refresh`, else the
/// query's own strategy.
pub(crate) fn strategy_of(t: &Target, opts: &crate::options::LoadOptions) -> Strategy {
    if opts.full_refresh {
        Strategy::FullRefresh
    } else {
        t.strategy
    }
}

/// This load reads every complete part of `t`, whatever the ledger says: a full refresh or a
/// reload.
pub(crate) fn reads_every_part(t: &Target, opts: &crate::options::LoadOptions) -> bool {
    opts.reload || strategy_of(t, opts) == Strategy::FullRefresh
}

/// The parts the ledger says `t` has loaded, by path with their checksum; none when this load
/// reads every part anyway.
async fn done_parts(
    client: &Client,
    t: &Target,
    opts: &crate::options::LoadOptions,
) -> Result<HashMap<String, String>> {
    if reads_every_part(t, opts) {
        return Ok(HashMap::new());
    }
    Ok(skyfit_warehouse::loaded_parts(client, t.stage.as_str(), t.name()).await?)
}

/// A part is pending unless the ledger lists it with the same checksum (a part rewritten is
/// loaded again).
pub(crate) fn is_pending(done: &HashMap<String, String>, p: &BronzePart) -> bool {
    done.get(&p.path).is_none_or(|sum| sum != &p.sha256)
}

/// The bronze records `t` would read now: its primary table's pending parts and its feeds'.
/// Asked before planning, to decide which targets may load side by side.
pub(crate) async fn pending_records(
    client: &Client,
    t: &Target,
    all: &[BronzePart],
    feeds: &[Feed<'_>],
    opts: &crate::options::LoadOptions,
) -> Result<u64> {
    let done = done_parts(client, t, opts).await?;
    Ok(all
        .iter()
        .chain(feeds.iter().flat_map(|(_, parts)| parts.iter()))
        .filter(|p| is_pending(&done, p))
        .map(|p| p.records)
        .sum())
}

/// Plans `t`'s load over `all`, the complete parts of its primary bronze table.
pub(crate) async fn plan(
    env: Env<'_>,
    client: &Client,
    t: &Target,
    all: &[BronzePart],
    feeds: &[Feed<'_>],
) -> Result<Plan> {
    let opts = env.opts;
    let strategy = strategy_of(t, opts);
    let full = strategy == Strategy::FullRefresh;
    let done = done_parts(client, t, opts).await?;
    let pending: Vec<BronzePart> = all
        .iter()
        .filter(|p| is_pending(&done, p))
        .cloned()
        .collect();
    let mut s = TargetSummary {
        target: t.name().to_string(),
        query: t.path(),
        stage: t.stage,
        strategy,
        runs: pending
            .iter()
            .map(|p| &p.run_id)
            .collect::<HashSet<_>>()
            .len(),
        parts: pending.len(),
        bronze_table: t.primary.name(),
        bronze_records: pending.iter().map(|p| p.records).sum(),
        rejected: rejected_of(&pending),
        child: t.strategy == Strategy::ReplaceChildren,
        parts_digest: digest(&pending),
        reads_others: t.reads_others(),
        ..Default::default()
    };
    // A child target also fed by another table (EVO receivables from their own endpoint) loads
    // when that table has new parts, even if its primary one has none: nothing waits for the
    // next night's sales.
    let fed: Vec<(BronzeRef, BronzePart)> = feeds
        .iter()
        .flat_map(|(b, parts)| {
            parts
                .iter()
                .filter(|p| is_pending(&done, p))
                .map(|p| ((*b).clone(), p.clone()))
        })
        .collect();
    if pending.is_empty() && fed.is_empty() && !full {
        s.up_to_date = true;
        return Ok(Plan::UpToDate(s));
    }
    // Nothing is written for a target until every part it will read is there, whole
    // (`register` checks), and reads as many records as its manifest lists.
    register(env.session, &t.primary, &pending).await?;
    s.read_records = count_records(env.session, &t.primary.name()).await?;
    if s.read_records != s.bronze_records {
        return Err(Error::ReadMismatch {
            target: t.name().to_string(),
            parts: s.parts,
            listed: s.bronze_records,
            read: s.read_records,
        });
    }
    // Bad values reach the quarantining cast instead of vanishing in a TRY_CAST.
    let crate::lift::Lifted { df, zones } = crate::lift::lift(env.session.plan(&t.query).await?)?;
    let targets = target::columns(client, t.name()).await?;
    let (cols, schema) = cast::plan(df.schema().as_arrow(), &targets, &zones);
    if let Some(k) = t.key.iter().find(|k| cols.iter().all(|c| &c.name != *k)) {
        return Err(Error::Query {
            query: t.path(),
            message: format!("the key column {k} of {} is not in the result", t.name()),
        });
    }
    let pg_cols: Vec<PgColumn> = cols
        .iter()
        .map(|c| PgColumn::new(&c.name, c.pg_type))
        .collect();
    let encoder = CopyEncoder::try_new(&schema, &pg_cols).map_err(|e| load_error(t, e))?;
    // The parents are read before the passes re-register the primary table with a pass's
    // filter: they are the parents of every pending part, whatever pass their children fall in.
    let parents = match strategy {
        Strategy::ReplaceChildren => Some(parent_keys(env.session, t, &targets).await?),
        _ => None,
    };
    let limit = opts.max_bad_values;
    // Records the stg query cannot key are quarantined whole (core reads the same records:
    // once is enough).
    let mut bad = match t.stage {
        Stage::Stg => crate::unkeyed::find(env.session, &t.query, limit.saturating_add(1)).await?,
        Stage::Core => Vec::new(),
    };
    s.unkeyed = bad.len() as u64;
    // Values the bronze Parquet read as NULL (wrong JSON type) in the columns this query uses.
    bad.extend(
        crate::drift::find(
            env.session,
            env.lake,
            &df,
            &t.primary,
            &pending,
            limit.saturating_add(1),
        )
        .await?,
    );
    let bad = Arc::new(Mutex::new(bad));
    if let Some(e) = too_many(t, &bad, limit) {
        return Err(e);
    }
    let passes =
        crate::passes::passes(env.session, t, &pending, df, s.bronze_records, opts).await?;
    s.passes = passes.len();
    if passes.len() > 1 {
        info!(target = %t.name(), passes = passes.len(), records = s.bronze_records,
              "Large load: one pass per range of keys, to bound memory.");
    }
    let partitioned = is_partitioned(client, &t.table)
        .await
        .map_err(|e| load_error(t, e))?;
    let versioning = versioning(t, &cols, &targets)?;
    let writer = writer(
        t,
        strategy,
        partitioned,
        opts.connections,
        versioning,
        parents,
    )?;
    Ok(Plan::Write(Planned {
        summary: s,
        pending,
        fed,
        writer,
        encoder,
        passes,
        cols,
        schema,
        bad,
        rows: Arc::new(AtomicU64::new(0)),
        limit,
    }))
}

/// Lineage columns: a change in them alone is not a change of a row's content.
const LINEAGE: [&str; 9] = [
    "_source_run_id",
    "run_id",
    "ingestion_date",
    "_source_file",
    "_source_line",
    "source_blob_path",
    "source_line_no",
    "_run_id",
    "_ingestion_date",
];

/// The run-order columns, in the order they are looked for: core's `_source_run_id`, stg's
/// `run_id`.
const RUN_COLUMNS: [&str; 2] = ["_source_run_id", "run_id"];

/// How `t`'s upserts order versions and record changes. Versions: the query's `@version`
/// columns (the record's own change time), then the run id when the target stores one (run ids
/// sort chronologically); a stored row strictly newer stays. The time of the last change:
/// `_updated_at` where the table has it, else stg's `loaded_at`, moved only when a content
/// column changes.
fn versioning(t: &Target, cols: &[TargetColumn], all: &[TargetColumn]) -> Result<Versioning> {
    let written = |c: &str| cols.iter().any(|x| x.name == c);
    if let Some(v) = t.version.iter().find(|v| !written(v)) {
        return Err(Error::Query {
            query: t.path(),
            message: format!(
                "the @version column {v} of {} is not in the result",
                t.name()
            ),
        });
    }
    let mut order = t.version.clone();
    order.extend(
        RUN_COLUMNS
            .iter()
            .find(|c| written(c))
            .map(|c| c.to_string()),
    );
    let has = |c: &str| all.iter().any(|x| x.name == c);
    let touch = ["_updated_at", "loaded_at"]
        .into_iter()
        .find(|c| has(c) && !written(c));
    let mut v = Versioning::ordered_by(order).with_lineage(LINEAGE);
    if let Some(touch) = touch {
        v = v.with_touch(touch);
    }
    Ok(v)
}

/// The parents' column holding the run of their version in the load.
const PARENT_RUN: &str = "_run_id";

/// The distinct parent keys of the pending parts (`@parents`), cast to the child table's
/// parent key column.
async fn parent_keys(
    session: &TransformSession,
    t: &Target,
    targets: &[TargetColumn],
) -> Result<ParentKeys> {
    let missing = |what: &str| Error::Query {
        query: t.path(),
        message: format!("strategy replace_children needs {what}"),
    };
    let parent = t
        .parent_key
        .as_deref()
        .ok_or_else(|| missing("`-- @parent_key: column`"))?;
    let sql = t
        .parents_sql
        .as_deref()
        .ok_or_else(|| missing("`-- @parents: relation`"))?;
    let column = targets
        .iter()
        .find(|c| c.name == parent)
        .ok_or_else(|| missing(&format!("its parent key {parent} in {}", t.name())))?;
    let batches = session.context().sql(sql).await?.collect().await?;
    use arrow::datatypes::{DataType, Field, Schema};
    let mut fields = vec![Field::new(parent, column.arrow.clone(), true)];
    let mut pg = vec![PgColumn::new(parent, column.pg_type)];
    // With the parents' table, each parent's run in the load, compared with the stored one.
    if t.parent_table.is_some() {
        fields.push(Field::new(PARENT_RUN, DataType::Utf8, true));
        pg.push(PgColumn::new(PARENT_RUN, skyfit_load::PgType::Text));
    }
    let schema = Arc::new(Schema::new(fields));
    let mut keys = Vec::with_capacity(batches.len());
    for b in batches.iter().filter(|b| b.num_rows() > 0) {
        let arrow_error = |e: arrow::error::ArrowError| Error::DataFusion(e.into());
        let mut columns =
            vec![arrow::compute::cast(b.column(0), &column.arrow).map_err(arrow_error)?];
        if t.parent_table.is_some() {
            columns.push(arrow::compute::cast(b.column(1), &DataType::Utf8).map_err(arrow_error)?);
        }
        keys.push(RecordBatch::try_new(schema.clone(), columns).map_err(arrow_error)?);
    }
    let encoder = CopyEncoder::try_new(&schema, &pg).map_err(|e| load_error(t, e))?;
    Ok(ParentKeys::new(keys, encoder))
}

/// The strategy that writes `t`'s rows.
fn writer(
    t: &Target,
    strategy: Strategy,
    partitioned: bool,
    connections: usize,
    versioning: Versioning,
    parents: Option<ParentKeys>,
) -> Result<Writer> {
    Ok(match strategy {
        Strategy::Merge => Writer::Merge(
            Merge::new(t.key.clone())
                .with_partitioned(partitioned)
                .with_versioning(versioning),
        ),
        Strategy::ReplaceChildren => {
            let parent = t.parent_key.clone().ok_or_else(|| Error::Query {
                query: t.path(),
                message: "strategy replace_children needs `-- @parent_key: column`".into(),
            })?;
            let mut w = ReplaceChildren::new(parent)
                .with_partitioned(partitioned)
                .with_key(t.key.clone())
                .with_versioning(versioning);
            if let Some(parents) = parents {
                w = w.with_parents(parents);
            }
            if let Some(table) = &t.parent_table {
                w = w.with_parent_table(table.clone(), RUN_COLUMNS[0]);
            }
            Writer::ReplaceChildren(w)
        }
        Strategy::FullRefresh if partitioned => {
            Writer::PartitionedSwap(PartitionedSwap::new(connections))
        }
        Strategy::FullRefresh => Writer::Swap(Swap::new(connections)),
    })
}

impl Planned {
    /// The rows: the passes one after the other (a pass's plan and its hash tables are
    /// dropped before the next starts), each batch cast to the target's types, its bad values
    /// kept for the quarantine. More than the limit of bad values ends the stream. `on_pass`
    /// hears each pass (from 1, of how many) as its query starts.
    pub fn rows<F: FnMut(usize, usize)>(
        &mut self,
        mut on_pass: F,
    ) -> impl Stream<Item = std::result::Result<RecordBatch, BoxError>> + use<F> {
        let (bad, rows, cols, schema) = (
            self.bad.clone(),
            self.rows.clone(),
            self.cols.clone(),
            self.schema.clone(),
        );
        let limit = self.limit;
        let passes = std::mem::take(&mut self.passes);
        let n = passes.len();
        futures::stream::iter(passes.into_iter().enumerate())
            .then(move |(k, df)| {
                on_pass(k + 1, n);
                df.execute_stream()
            })
            .try_flatten()
            .map(move |b| -> std::result::Result<_, BoxError> {
                let b = b?;
                let (out, q) = cast::convert(&b, &cols, &schema)?;
                rows.fetch_add(out.num_rows() as u64, Ordering::Relaxed);
                let mut all = bad.lock().map_err(|_| "quarantine lock poisoned")?;
                all.extend(q);
                if all.len() as u64 > limit {
                    return Err(format!("more than {limit} values could not be converted").into());
                }
                Ok(out)
            })
    }

    /// A failed write, as the target's error: too many bad values when that is what stopped
    /// it.
    pub fn write_error(&self, t: &Target, e: skyfit_load::Error) -> Error {
        too_many(t, &self.bad, self.limit).unwrap_or_else(|| load_error(t, e))
    }

    /// The rows the query produced so far (all of them once the write is done).
    pub fn produced(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// The values quarantined so far.
    pub fn quarantined(&self) -> Vec<Quarantined> {
        self.bad.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

pub(crate) fn load_error(t: &Target, source: skyfit_load::Error) -> Error {
    Error::Load {
        target: t.name().to_string(),
        source,
    }
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

fn too_many(t: &Target, bad: &Arc<Mutex<Vec<Quarantined>>>, limit: u64) -> Option<Error> {
    let all = bad.lock().ok()?;
    if (all.len() as u64) <= limit {
        return None;
    }
    let f = all.first()?;
    Some(Error::TooManyBadValues {
        target: t.name().to_string(),
        quarantined: all.len() as u64,
        limit,
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
