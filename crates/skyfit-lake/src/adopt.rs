//! Adopting the original system's runs: making bronze that SkyFit did not write loadable,
//! without touching a byte of it.
//!
//! A run directory the original system wrote holds only `.jsonl.gz` parts (and, for EVO, its
//! own `_manifest.json`). Adoption reads each part, writes its Parquet twin beside it (typed
//! columns, `_entry_id`, lineage pointing at the original file and its physical lines) and
//! then, last, SkyFit's manifest of the run as `_skyfit_run.json`. Loaders read a run only
//! through that manifest, so a killed adoption leaves nothing a load could read, and a rerun
//! redoes the run from the start (twins are SkyFit's own files and may be overwritten; the
//! originals are only ever read).
//!
//! What cannot be adopted is reported, never dropped silently: an unreadable part, the parts
//! of a window the original run reported as failed, a run that never finished (no original
//! manifest), counts that disagree with the original manifest. Those stay in the run's
//! manifest ([`Adoption`]) and in the report at `_meta/skyfit/adoption.json`.

use std::collections::BTreeSet;
use std::time::Instant;

use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use object_store::path::Path;
use sha2::{Digest, Sha256};
use skyfit_core::Source;

use crate::error::{Error, Result};
use crate::manifest::{
    Adoption, MANIFEST_VERSION, Manifest, PartEntry, RunStatus, SkipKind, Skipped,
};
use crate::original::{EvoRunManifest, OriginalRuns};
use crate::part::PartBuffer;
use crate::paths::{BRONZE, EntityKey, META, RunRef};
use crate::rejects::{self, Reject, RejectPosition};
use crate::schema::declared_schema;
use crate::store::LakeStore;

/// Where the latest adoption report is kept.
pub const REPORT_PATH: &str = "_meta/skyfit/adoption.json";

/// What to adopt and how.
#[derive(Debug, Clone)]
pub struct AdoptOptions {
    pub sources: Vec<Source>,
    /// Classify and report only; write nothing.
    pub dry_run: bool,
    /// Adopt runs that have no original manifest (the original run was killed, or is still
    /// running). Off by default: a run still being written would be adopted half.
    pub include_unfinished: bool,
    /// Parts converted at once; the work is CPU-bound, so one per core.
    pub concurrency: usize,
}

impl Default for AdoptOptions {
    fn default() -> Self {
        AdoptOptions {
            sources: vec![Source::Evo, Source::Pipedrive, Source::Zendesk],
            dry_run: false,
            include_unfinished: false,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdoptStatus {
    Adopted,
    AlreadyAdopted,
    WouldAdopt,
    NotAdopted,
}

/// The outcome for one original run directory.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOutcome {
    pub run: String,
    pub dir: String,
    pub status: AdoptStatus,
    /// Why the run was not adopted (with what to do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub parts: usize,
    pub records: u64,
    pub rejects: u64,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl RunOutcome {
    /// Whether something about this run needs a person's attention.
    pub fn needs_attention(&self) -> bool {
        self.status == AdoptStatus::NotAdopted
            || !self.skipped.is_empty()
            || !self.warnings.is_empty()
            || self.rejects > 0
    }
}

/// Everything one adoption did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AdoptReport {
    pub finished_at: Option<chrono::DateTime<Utc>>,
    pub dry_run: bool,
    pub seconds: f64,
    pub runs: Vec<RunOutcome>,
}

impl AdoptReport {
    pub fn count(&self, status: AdoptStatus) -> usize {
        self.runs.iter().filter(|r| r.status == status).count()
    }

    /// Records made loadable by this adoption.
    pub fn records(&self) -> u64 {
        self.runs
            .iter()
            .filter(|r| r.status == AdoptStatus::Adopted)
            .map(|r| r.records)
            .sum()
    }

    pub fn attention(&self) -> impl Iterator<Item = &RunOutcome> {
        self.runs.iter().filter(|r| r.needs_attention())
    }
}

/// One converted part, ready to put.
struct Converted {
    entry: PartEntry,
    parquet: Bytes,
    rejects: Vec<Reject>,
    rejects_path: Path,
}

impl LakeStore {
    /// Adopt every original run of `opts.sources` that is not adopted yet.
    pub async fn adopt(&self, opts: &AdoptOptions) -> Result<AdoptReport> {
        let started = Instant::now();
        let mut report = AdoptReport {
            dry_run: opts.dry_run,
            ..AdoptReport::default()
        };
        for &source in &opts.sources {
            let originals = match source {
                Source::Evo => Vec::new(),
                _ => self.original_runs(source).await?,
            };
            for key in self.entity_keys(source).await? {
                let runs = self.list_runs(&key).await?;
                for run in &runs {
                    if let Some(outcome) = self.adopt_run(run, &runs, &originals, opts).await? {
                        report.runs.push(outcome);
                    }
                }
            }
        }
        report.seconds = started.elapsed().as_secs_f64();
        report.finished_at = Some(Utc::now());
        if !opts.dry_run {
            let bytes = serde_json::to_vec_pretty(&report).map_err(|source| Error::Json {
                path: REPORT_PATH.into(),
                source,
            })?;
            self.put(&Path::from(REPORT_PATH), Bytes::from(bytes))
                .await?;
        }
        Ok(report)
    }

    /// The latest adoption report, if adoption ever ran on this lake.
    pub async fn adoption_report(&self) -> Result<Option<AdoptReport>> {
        let Some(bytes) = self.get_opt(&Path::from(REPORT_PATH)).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Json {
                path: REPORT_PATH.into(),
                source,
            })
    }

    /// `bronze/{source}/[scope=*/]entity=*` as keys; directories with names SkyFit cannot
    /// use are skipped with a warning (nothing of ours is there).
    pub(crate) async fn entity_keys(&self, source: Source) -> Result<Vec<EntityKey>> {
        let root = Path::from(format!("{BRONZE}/{source}"));
        let mut keys = Vec::new();
        for dir in self.list_dirs(&root).await? {
            let name = dir.filename().unwrap_or_default().to_string();
            let (scope, entity_dirs) = match name.strip_prefix("scope=") {
                Some(scope) => (Some(scope.to_string()), self.list_dirs(&dir).await?),
                None => (None, vec![dir.clone()]),
            };
            for entity_dir in entity_dirs {
                let Some(entity) = entity_dir
                    .filename()
                    .and_then(|n| n.strip_prefix("entity="))
                else {
                    continue;
                };
                match EntityKey::try_new(source, scope.as_deref(), entity) {
                    Ok(key) => keys.push(key),
                    Err(e) => {
                        tracing::warn!(dir = %entity_dir, error = %e, "Not an entity directory SkyFit can read.")
                    }
                }
            }
        }
        Ok(keys)
    }

    /// Adopt one run directory; `None` for SkyFit's own runs (nothing to do).
    async fn adopt_run(
        &self,
        run: &RunRef,
        siblings: &[RunRef],
        originals: &[OriginalRuns],
        opts: &AdoptOptions,
    ) -> Result<Option<RunOutcome>> {
        let objects = self.list_all(&run.dir()).await?;
        let mut jsonl: Vec<(Path, u64)> = objects
            .iter()
            .filter(|o| {
                o.location.as_ref().ends_with(".jsonl.gz")
                    && o.location.parts().count() == run.dir().parts().count() + 1
            })
            .map(|o| (o.location.clone(), o.size))
            .collect();
        jsonl.sort();
        let mut outcome = RunOutcome {
            run: run.to_string(),
            dir: run.dir().to_string(),
            status: AdoptStatus::NotAdopted,
            reason: None,
            parts: 0,
            records: 0,
            rejects: 0,
            skipped: Vec::new(),
            warnings: Vec::new(),
        };
        let existing = self.read_manifest(run).await?;
        match &existing {
            Some(m) if m.adopted.is_none() => return Ok(None),
            Some(m) => {
                let listed: BTreeSet<&str> = m.parts.iter().map(|p| p.path.as_str()).collect();
                let adopted = m.adopted.as_ref();
                let retry = adopted
                    .is_some_and(|a| a.skipped.iter().any(|s| s.kind == SkipKind::UnreadablePart));
                // Parts of failed windows are accounted for by their `{prefix}part-*` entry.
                let left_out: Vec<&str> = adopted
                    .iter()
                    .flat_map(|a| &a.skipped)
                    .filter(|s| s.kind == SkipKind::FailedWindow)
                    .filter_map(|s| s.path.strip_suffix("part-*"))
                    .collect();
                let complete = !retry
                    && jsonl.iter().all(|(p, _)| {
                        listed.contains(p.as_ref())
                            || left_out.iter().any(|prefix| p.as_ref().starts_with(prefix))
                    });
                if m.is_complete() && complete {
                    outcome.status = AdoptStatus::AlreadyAdopted;
                    outcome.parts = m.parts.len();
                    outcome.records = m.records;
                    outcome.rejects = m.rejects;
                    outcome.warnings = adopted.map(|a| a.warnings.clone()).unwrap_or_default();
                    outcome.skipped = adopted.map(|a| a.skipped.clone()).unwrap_or_default();
                    return Ok(Some(outcome));
                }
            }
            None if jsonl.is_empty() => return Ok(None),
            None => {}
        }

        let mut adoption = Adoption::default();
        let mut failed_prefixes: Vec<String> = Vec::new();
        let mut expected: Option<(u64, String)> = None;
        match run.key.source() {
            Source::Evo => {
                let (manifest, path, single_dir) = self.find_evo_manifest(run, siblings).await?;
                if let Some(m) = &manifest {
                    adoption.original_manifest = Some(path.clone());
                    adoption.period_end = m.end_date();
                    for w in m.results.iter().filter(|w| w.failed()) {
                        let Some(prefix) = w.part_prefix(run.key.entity()) else {
                            adoption.warnings.push(format!(
                                "a window failed in the original run but its period {:?} does not parse; \
                                 its parts cannot be told apart and are adopted",
                                w.period
                            ));
                            continue;
                        };
                        let (from, to) = w.bounds().unwrap_or_default();
                        adoption.skipped.push(Skipped {
                            kind: SkipKind::FailedWindow,
                            path: format!("{}/{prefix}part-*", run.dir()),
                            reason: format!(
                                "window {from} – {to} failed in the original run ({}; {} partial records): \
                                 its parts ({prefix}part-*) are not adopted; re-extract it with \
                                 `skyfit extract evo {} --since {from} --until {to}`",
                                w.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
                                w.partial_records.unwrap_or(0),
                                run.key.entity(),
                            ),
                        });
                        failed_prefixes.push(prefix);
                    }
                    if single_dir && let Some(total) = m.total_records {
                        expected = Some((total, path));
                    }
                } else if run.key.entity() == "prospects" {
                    adoption.warnings.push(
                        "no original manifest (the original system had no prospects extractor): \
                         completeness cannot be checked"
                            .into(),
                    );
                } else if !opts.include_unfinished {
                    outcome.reason = Some(format!(
                        "no original _manifest.json for run {}: the original run did not finish (or is still \
                         running); adopt it anyway with --include-unfinished once it is known to be over",
                        run.run_id
                    ));
                    return Ok(Some(outcome));
                } else {
                    adoption
                        .warnings
                        .push("adopted without an original manifest (--include-unfinished)".into());
                }
            }
            Source::Pipedrive | Source::Zendesk => {
                let found = originals.iter().find_map(|o| {
                    o.entity(run.key.scope(), run.run_id.as_str(), run.key.entity())
                        .map(|e| (o, e))
                });
                match found {
                    Some((o, e)) => {
                        adoption.original_manifest = Some(o.path.clone());
                        if let Some(records) = e.records {
                            expected = Some((records, o.path.clone()));
                        }
                    }
                    None if !opts.include_unfinished => {
                        outcome.reason = Some(format!(
                            "no run manifest under {META}/{}/runs/ names run {} for {}: the original run did not \
                             finish (or is still running); adopt it anyway with --include-unfinished once it is over",
                            run.key.source(),
                            run.run_id,
                            run.key.entity()
                        ));
                        return Ok(Some(outcome));
                    }
                    None => adoption.warnings.push(
                        "adopted without an original run manifest (--include-unfinished)".into(),
                    ),
                }
            }
        }
        // The parts of failed windows are named in `skipped` by their window.
        let keep: Vec<_> = jsonl
            .into_iter()
            .filter(|(p, _)| {
                let name = p.filename().unwrap_or_default();
                !failed_prefixes.iter().any(|f| name.starts_with(f.as_str()))
            })
            .collect();
        if opts.dry_run {
            outcome.status = AdoptStatus::WouldAdopt;
            outcome.parts = keep.len();
            outcome.skipped = adoption.skipped;
            outcome.warnings = adoption.warnings;
            return Ok(Some(outcome));
        }

        let schema = declared_schema(run.key.source(), run.key.entity());
        let mut manifest = Manifest {
            version: MANIFEST_VERSION,
            source: run.key.source(),
            scope: run.key.scope().map(str::to_string),
            entity: run.key.entity().to_string(),
            run_id: run.run_id.clone(),
            ingestion_date: run.ingestion_date.0,
            status: RunStatus::Complete,
            schema: schema.name().to_string(),
            started_at: Utc::now(),
            updated_at: Utc::now(),
            finished_at: Some(Utc::now()),
            error: None,
            records: 0,
            rejects: 0,
            reject_files: Vec::new(),
            type_drift: Default::default(),
            newlines_replaced: 0,
            windows: Vec::new(),
            parts: Vec::new(),
            adopted: None,
            simulated: false,
        };
        // Each twin is written as soon as its part is converted, so a run holds at most
        // `concurrency` parts in memory however many it has (the manifest keeps only entries).
        let converters = Converters::new(opts.concurrency);
        let converters = &converters;
        let mut converted = futures::stream::iter(keep.into_iter().enumerate())
            .map(|(i, (path, _))| {
                let lake = self.clone();
                let schema = schema.clone();
                let run = run.clone();
                async move {
                    let result = lake
                        .convert_part(converters, &run, schema, &path, i as u32 + 1)
                        .await;
                    (path, result)
                }
            })
            .buffered(opts.concurrency.max(1));
        while let Some((path, result)) = converted.next().await {
            match result? {
                Ok(c) => {
                    manifest.records += c.entry.records;
                    for (column, n) in &c.entry.type_drift {
                        *manifest.type_drift.entry(column.clone()).or_default() += n;
                    }
                    if !c.rejects.is_empty() {
                        manifest.rejects += c.rejects.len() as u64;
                        self.put(&c.rejects_path, rejects::encode(&c.rejects))
                            .await?;
                        manifest.reject_files.push(c.rejects_path.to_string());
                    }
                    self.put(&Path::from(c.entry.parquet_path.as_str()), c.parquet)
                        .await?;
                    manifest.parts.push(c.entry);
                }
                Err(reason) => adoption.skipped.push(Skipped {
                    kind: SkipKind::UnreadablePart,
                    path: path.to_string(),
                    reason,
                }),
            }
        }
        if let Some((want, from)) = expected {
            let have = manifest.records + manifest.rejects;
            let unreadable = adoption
                .skipped
                .iter()
                .any(|s| s.path != run.dir().to_string());
            if have != want && !unreadable && failed_prefixes.is_empty() {
                adoption.warnings.push(format!(
                    "{from} says {want} records; the files hold {have} ({} rejected)",
                    manifest.rejects
                ));
            }
        }
        adoption.adopted_at = Some(Utc::now());
        outcome.status = AdoptStatus::Adopted;
        outcome.parts = manifest.parts.len();
        outcome.records = manifest.records;
        outcome.rejects = manifest.rejects;
        outcome.skipped = adoption.skipped.clone();
        outcome.warnings = adoption.warnings.clone();
        manifest.adopted = Some(adoption);
        // Written last: until it exists the run has no readable parts.
        let path = run.adopted_manifest_path();
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|source| Error::Json {
            path: path.to_string(),
            source,
        })?;
        self.put(&path, Bytes::from(bytes)).await?;
        tracing::info!(
            run = %run,
            parts = outcome.parts,
            records = outcome.records,
            rejects = outcome.rejects,
            skipped = outcome.skipped.len(),
            "Adopted original run."
        );
        Ok(Some(outcome))
    }

    /// The original manifest of an EVO run: in its directory or, for a run that crossed UTC
    /// midnight, in another `ingestion_date=` directory of the same run id. Also says whether
    /// the run's parts are all in this one directory (its totals can then be checked).
    async fn find_evo_manifest(
        &self,
        run: &RunRef,
        siblings: &[RunRef],
    ) -> Result<(Option<EvoRunManifest>, String, bool)> {
        let same_id: Vec<&RunRef> = siblings.iter().filter(|r| r.run_id == run.run_id).collect();
        let single_dir = same_id.len() <= 1;
        let mut candidates = vec![run];
        candidates.extend(same_id.into_iter().filter(|r| *r != run));
        for candidate in candidates {
            if let Some(m) = self.original_evo_manifest(candidate).await? {
                return Ok((Some(m), candidate.manifest_path().to_string(), single_dir));
            }
        }
        Ok((None, String::new(), single_dir))
    }

    /// Read one original part and build its Parquet twin. `Ok(Err(reason))` when the part
    /// cannot be adopted (it is reported and left out); `Err` when the lake itself failed.
    async fn convert_part(
        &self,
        converters: &Converters,
        run: &RunRef,
        schema: crate::schema::EntitySchema,
        path: &Path,
        seq: u32,
    ) -> Result<std::result::Result<Converted, String>> {
        let gz = self.get(path).await?;
        let run = run.clone();
        let path = path.clone();
        converters
            .run(move || convert(&run, schema, &path, seq, gz))
            .await
    }
}

type ConvertJob = Box<dyn FnOnce() + Send>;

/// The threads that convert parts: CPU-bound work kept off the async runtime, on a fixed set
/// of threads that live as long as the run's adoption. Tokio's blocking pool starts and retires
/// threads as it likes, and glibc gives each new thread its own malloc arena and keeps the
/// freed pages of each: on that pool the footprint grew with the number of parts; on fixed
/// threads it is that of `n` parts (figures: docs/performance.md, "Adopting the original
/// lake").
struct Converters {
    jobs: std::sync::mpsc::Sender<ConvertJob>,
}

impl Converters {
    /// `n` threads (at least one); they end when the pool is dropped and their job is done.
    fn new(n: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<ConvertJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..n.max(1) {
            let queue = std::sync::Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("skyfit-adopt-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        job();
                    }
                });
            if let Err(e) = spawned {
                // The jobs still run on the threads that did start; with none, `run` says so.
                tracing::warn!(error = %e, "Could not start a conversion thread.");
            }
        }
        Converters { jobs }
    }

    /// Runs `f` on one of the threads. A panic in `f` is an error of this part's adoption,
    /// and the thread goes on with the next job.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: ConvertJob = Box::new(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(result.map_err(|_| ()));
        });
        let failed = |reason: &str| Error::Adopt {
            reason: format!("the conversion task failed: {reason}"),
        };
        self.jobs
            .send(job)
            .map_err(|_| failed("no conversion thread is running"))?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(())) => Err(failed("it panicked")),
            Err(_) => Err(failed("its thread stopped")),
        }
    }
}

fn convert(
    run: &RunRef,
    schema: crate::schema::EntitySchema,
    path: &Path,
    seq: u32,
    gz: Bytes,
) -> std::result::Result<Converted, String> {
    let sha256 = hex::encode(Sha256::digest(&gz));
    let part = crate::reader::decompress(path, &gz)
        .map_err(|e| format!("not a readable gzip file ({e}); restore it and adopt again"))?;
    let mut buffer = PartBuffer::try_new(schema, 0)
        .map_err(|e| e.to_string())?
        .without_jsonl()
        .with_lineage(
            run.run_id.as_str(),
            &run.ingestion_date.to_string(),
            run.key.scope(),
        );
    let mut rejects = Vec::new();
    let mut raw_bytes = 0u64;
    for (line, bytes) in part.records() {
        let position = || RejectPosition {
            file: Some(path.to_string()),
            line: Some(line),
            ..Default::default()
        };
        raw_bytes += bytes.len() as u64 + 1;
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                rejects.push(Reject::new(position(), format!("not UTF-8: {e}"), bytes));
                continue;
            }
        };
        if let Err(reason) = buffer.push_line(line, text) {
            rejects.push(Reject::new(position(), reason, bytes));
        }
    }
    let encoded = buffer.finish(path.as_ref()).map_err(|e| e.to_string())?;
    let name = path.filename().unwrap_or_default();
    let stem = name.strip_suffix(".jsonl.gz").unwrap_or(name);
    let dir = run.dir();
    let parquet_path = dir.join(format!("{stem}.parquet"));
    Ok(Converted {
        entry: PartEntry {
            seq,
            path: path.to_string(),
            parquet_path: parquet_path.to_string(),
            records: encoded.records,
            bytes: gz.len() as u64,
            raw_bytes,
            parquet_bytes: encoded.parquet.len() as u64,
            sha256,
            type_drift: encoded.type_drift,
        },
        parquet: encoded.parquet,
        rejects,
        rejects_path: run
            .dir()
            .join(crate::paths::REJECTS_DIR)
            .join(format!("{stem}.jsonl")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn converters_run_jobs_on_their_threads_and_survive_a_panic() {
        let converters = Converters::new(2);
        let name = converters
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap_or_default().starts_with("skyfit-adopt-"));
        let err = converters
            .run(|| -> u32 { panic!("a bad part") })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("panicked"), "{err}");
        let sum: u32 = futures::future::join_all((0..8).map(|i| converters.run(move || i)))
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .sum();
        assert_eq!(sum, 28);
    }
}
