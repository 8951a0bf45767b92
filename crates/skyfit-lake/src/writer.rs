//! `BronzeWriter`: one run of one entity, from API pages to parts and a manifest.
//!
//! Order of writes, so no reader ever sees a partial state:
//! 1. `_manifest.json` with status `running` when the run starts (created only if absent);
//! 2. per part: `part-NNNNN.parquet`, then `part-NNNNN.jsonl.gz`, then the rejects buffered
//!    with it, then the manifest naming them and advancing the window checkpoints;
//! 3. the manifest with status `complete` (or `failed`).
//!
//! Parts roll only between pages, when [`PartLimits`] are reached, so a window checkpoint
//! always falls on a page boundary and `--resume` restarts exactly after the last page that is
//! in a part. Memory is one part's buffers plus one page.
//!
//! One writer serves all windows of a run (it numbers parts and owns the manifest); concurrent
//! window workers feed it through a channel or a mutex. Encoding runs on the caller's task.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::Utc;
use skyfit_core::RunId;

use crate::error::{Error, Result};
use crate::manifest::{
    MANIFEST_VERSION, Manifest, PartEntry, RunStatus, WindowState, WindowStatus,
};
use crate::part::PartBuffer;
use crate::paths::{EntityKey, RunRef};
use crate::rejects::{self, Reject, RejectPosition};
use crate::schema::{EntitySchema, declared_schema};
use crate::store::LakeStore;

/// When a part is closed: whichever limit is reached first, checked after each page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLimits {
    pub max_records: u64,
    /// Uncompressed JSONL bytes.
    pub max_raw_bytes: u64,
}

impl Default for PartLimits {
    /// 50,000 records or 32 MiB: ~50 EVO entry pages, a few MB gzipped, and few enough parts
    /// that rewriting the manifest after each stays cheap for a 100M-record run.
    fn default() -> Self {
        PartLimits {
            max_records: 50_000,
            max_raw_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The page a batch of records came from.
#[derive(Debug, Clone, Copy)]
pub struct PageRef<'a> {
    pub window: &'a str,
    pub page: u64,
    /// Cursor or offset to resume from after this page.
    pub cursor: Option<&'a str>,
}

/// What happened to the records of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    pub accepted: u64,
    pub rejected: u64,
}

/// Checkpoint progress of a window not yet covered by a written part.
#[derive(Debug, Default)]
struct PendingWindow {
    pages: u64,
    records: u64,
    rejects: u64,
    last_page: Option<u64>,
    cursor: Option<String>,
}

/// Configures and opens a [`BronzeWriter`].
#[derive(Debug)]
pub struct BronzeWriterBuilder {
    lake: LakeStore,
    run: RunRef,
    schema: Option<EntitySchema>,
    limits: PartLimits,
    gzip_level: u32,
    simulated: bool,
}

impl BronzeWriterBuilder {
    /// The declared typed columns; defaults to [`declared_schema`] for the entity.
    pub fn with_schema(mut self, schema: EntitySchema) -> Self {
        self.schema = Some(schema);
        self
    }

    pub fn with_limits(mut self, limits: PartLimits) -> Self {
        self.limits = limits;
        self
    }

    /// gzip level 0–9 of the `.jsonl.gz` parts (default 6).
    pub fn with_gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level;
        self
    }

    /// Mark the run as written from the built-in API simulator (`simulated` in the manifest).
    /// A resumed run keeps the mark it has, and gains it when resumed from the simulator.
    pub fn with_simulated(mut self, simulated: bool) -> Self {
        self.simulated = simulated;
        self
    }

    /// Start a new run; fails if the run already has a manifest.
    pub async fn create(self) -> Result<BronzeWriter> {
        let simulated = self.simulated;
        let (mut w, schema) = self.into_parts()?;
        let now = Utc::now();
        w.manifest = Manifest {
            version: MANIFEST_VERSION,
            source: w.run.key.source(),
            scope: w.run.key.scope().map(str::to_string),
            entity: w.run.key.entity().to_string(),
            run_id: w.run.run_id.clone(),
            ingestion_date: w.run.ingestion_date.0,
            status: RunStatus::Running,
            schema: schema.name().to_string(),
            started_at: now,
            updated_at: now,
            finished_at: None,
            error: None,
            records: 0,
            rejects: 0,
            reject_files: Vec::new(),
            type_drift: BTreeMap::new(),
            newlines_replaced: 0,
            windows: Vec::new(),
            parts: Vec::new(),
            adopted: None,
            simulated,
        };
        let path = w.run.manifest_path();
        if !w.lake.put_new(&path, w.manifest_bytes()?).await? {
            return Err(w.state_error("a manifest already exists; resume the run instead"));
        }
        tracing::info!(run = %w.run, schema = schema.name(), "Started bronze run.");
        Ok(w)
    }

    /// Continue a run that was interrupted or failed, from its manifest.
    pub async fn resume(self) -> Result<BronzeWriter> {
        let simulated = self.simulated;
        let (mut w, schema) = self.into_parts()?;
        let manifest = w
            .lake
            .read_manifest(&w.run)
            .await?
            .ok_or_else(|| w.state_error("no manifest to resume from"))?;
        if manifest.is_complete() {
            return Err(w.state_error("the run is already complete"));
        }
        if manifest.schema != schema.name() {
            return Err(w.state_error(&format!(
                "parts were written with schema `{}`, not `{}`",
                manifest.schema,
                schema.name()
            )));
        }
        w.manifest = manifest;
        w.manifest.status = RunStatus::Running;
        w.manifest.error = None;
        w.manifest.finished_at = None;
        w.manifest.simulated |= simulated;
        tracing::info!(
            run = %w.run,
            parts = w.manifest.parts.len(),
            records = w.manifest.records,
            "Resuming bronze run."
        );
        Ok(w)
    }

    /// Resume the run if it has a manifest, create it otherwise.
    pub async fn open(self) -> Result<BronzeWriter> {
        if self.lake.read_manifest(&self.run).await?.is_some() {
            self.resume().await
        } else {
            self.create().await
        }
    }

    fn into_parts(self) -> Result<(BronzeWriter, EntitySchema)> {
        let schema = self
            .schema
            .unwrap_or_else(|| declared_schema(self.run.key.source(), self.run.key.entity()));
        let buffer = PartBuffer::try_new(schema.clone(), self.gzip_level)?.with_lineage(
            self.run.run_id.as_str(),
            &self.run.ingestion_date.to_string(),
            self.run.key.scope(),
        );
        let placeholder = Manifest {
            version: MANIFEST_VERSION,
            source: self.run.key.source(),
            scope: None,
            entity: String::new(),
            run_id: self.run.run_id.clone(),
            ingestion_date: self.run.ingestion_date.0,
            status: RunStatus::Running,
            schema: String::new(),
            started_at: Utc::now(),
            updated_at: Utc::now(),
            finished_at: None,
            error: None,
            records: 0,
            rejects: 0,
            reject_files: Vec::new(),
            type_drift: BTreeMap::new(),
            newlines_replaced: 0,
            windows: Vec::new(),
            parts: Vec::new(),
            adopted: None,
            simulated: false,
        };
        Ok((
            BronzeWriter {
                lake: self.lake,
                run: self.run,
                limits: self.limits,
                buffer,
                manifest: placeholder,
                pending: BTreeMap::new(),
                pending_rejects: Vec::new(),
                pending_complete: Vec::new(),
                broken: None,
            },
            schema,
        ))
    }
}

/// Writes the parts and manifest of one (source, scope, entity, run).
#[derive(Debug)]
pub struct BronzeWriter {
    lake: LakeStore,
    run: RunRef,
    limits: PartLimits,
    buffer: PartBuffer,
    manifest: Manifest,
    pending: BTreeMap<String, PendingWindow>,
    pending_rejects: Vec<Reject>,
    pending_complete: Vec<String>,
    /// Set when a flush failed: the records it held are gone from memory and were not (all)
    /// written, so nothing more may be written or checkpointed by this writer.
    broken: Option<String>,
}

impl BronzeWriter {
    pub fn builder(lake: &LakeStore, key: EntityKey, run_id: RunId) -> BronzeWriterBuilder {
        BronzeWriterBuilder {
            lake: lake.clone(),
            run: RunRef::new(key, run_id),
            schema: None,
            limits: PartLimits::default(),
            gzip_level: 6,
            simulated: false,
        }
    }

    pub fn run(&self) -> &RunRef {
        &self.run
    }

    /// The manifest as last written (plus windows begun since).
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Start (or, on resume, restart) a window. Returns its durable state: on resume,
    /// `last_page`/`cursor` say where to continue and `status` whether it is already complete.
    pub fn begin_window(&mut self, id: &str, range: Option<(String, String)>) -> &WindowState {
        let idx = match self.manifest.windows.iter().position(|w| w.id == id) {
            Some(i) => i,
            None => {
                self.manifest.windows.push(WindowState::new(id, range));
                self.manifest.windows.len() - 1
            }
        };
        let w = &mut self.manifest.windows[idx];
        if w.status == WindowStatus::Failed {
            w.status = WindowStatus::Running;
            w.error = None;
        }
        w
    }

    /// Add the records of one page (each the exact bytes of one API record, e.g.
    /// `RawValue::get()`). Records that are not a JSON object are rejected with their position;
    /// the others land. May close a part (and write it) after the page.
    pub async fn write_page<I, R>(&mut self, page: &PageRef<'_>, records: I) -> Result<Pushed>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        self.check_usable()?;
        if self.manifest.window(page.window).is_none() {
            return Err(Error::UnknownWindow {
                run: self.run.to_string(),
                window: page.window.to_string(),
            });
        }
        let mut pushed = Pushed::default();
        for (i, record) in records.into_iter().enumerate() {
            let position = || RejectPosition {
                window: Some(page.window.to_string()),
                page: Some(page.page),
                index: Some(i as u64),
                cursor: page.cursor.map(str::to_string),
                ..Default::default()
            };
            self.push_one(record.as_ref(), position, &mut pushed);
        }
        let p = self.pending.entry(page.window.to_string()).or_default();
        p.pages += 1;
        p.records += pushed.accepted;
        p.rejects += pushed.rejected;
        p.last_page = Some(page.page);
        p.cursor = page.cursor.map(str::to_string);
        self.maybe_roll().await?;
        Ok(pushed)
    }

    /// Add records that belong to no window (snapshot entities, tests).
    pub async fn write_records<I, R>(&mut self, records: I) -> Result<Pushed>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        self.check_usable()?;
        let mut pushed = Pushed::default();
        for (i, record) in records.into_iter().enumerate() {
            let position = || RejectPosition {
                index: Some(i as u64),
                ..Default::default()
            };
            self.push_one(record.as_ref(), position, &mut pushed);
        }
        self.maybe_roll().await?;
        Ok(pushed)
    }

    /// Record bytes the caller could not even split into records (e.g. a truncated tail of a
    /// page body). Written to `_rejects/` with the next part and counted in the manifest.
    pub fn reject(&mut self, position: RejectPosition, reason: &str, raw: &[u8]) {
        tracing::warn!(run = %self.run, ?position, reason, "Rejected input.");
        self.pending_rejects
            .push(Reject::new(position, reason, raw));
    }

    /// The window has no more pages; it is marked complete once its last page is in a part.
    pub fn complete_window(&mut self, id: &str) -> Result<()> {
        self.check_window(id)?;
        self.pending_complete.push(id.to_string());
        Ok(())
    }

    /// The window gave up (after retries); the run will finish as failed.
    pub fn fail_window(&mut self, id: &str, error: &str) -> Result<()> {
        self.check_window(id)?;
        if let Some(w) = self.manifest.window_mut(id) {
            w.status = WindowStatus::Failed;
            w.error = Some(error.to_string());
        }
        Ok(())
    }

    /// Write the buffered records as a part (if any), buffered rejects, and the manifest.
    ///
    /// When a write fails, the buffered records, their rejects and the progress of their pages
    /// are dropped and the manifest in memory goes back to the last one written: it then
    /// describes only what is durable, so a resume fetches those pages again. The writer is
    /// broken from then on: only [`BronzeWriter::fail`] may follow.
    pub async fn flush(&mut self) -> Result<Option<PartEntry>> {
        self.check_usable()?;
        let durable = self.manifest.clone();
        match self.write_buffered().await {
            Ok(written) => Ok(written),
            Err(e) => {
                self.manifest = durable;
                self.pending.clear();
                self.pending_complete.clear();
                self.pending_rejects.clear();
                self.broken = Some(e.to_string());
                tracing::warn!(run = %self.run, error = %e, "Bronze write failed; the unwritten pages will be fetched again on resume.");
                Err(e)
            }
        }
    }

    async fn write_buffered(&mut self) -> Result<Option<PartEntry>> {
        let mut written = None;
        if !self.buffer.is_empty() {
            let seq = self.manifest.next_seq();
            let jsonl_path = self.run.jsonl_path(seq);
            let parquet_path = self.run.parquet_path(seq);
            let part = self.buffer.finish(jsonl_path.as_ref())?;
            // Parquet first: a part is listed by its `.jsonl.gz`, so the twin must already exist.
            self.lake.put(&parquet_path, part.parquet.clone()).await?;
            self.lake.put(&jsonl_path, part.jsonl_gz.clone()).await?;
            let entry = PartEntry {
                seq,
                path: jsonl_path.to_string(),
                parquet_path: parquet_path.to_string(),
                records: part.records,
                bytes: part.jsonl_gz.len() as u64,
                raw_bytes: part.raw_bytes,
                parquet_bytes: part.parquet.len() as u64,
                sha256: part.sha256,
                type_drift: part.type_drift,
            };
            for (col, n) in &entry.type_drift {
                *self.manifest.type_drift.entry(col.clone()).or_default() += n;
            }
            self.manifest.records += entry.records;
            self.manifest.newlines_replaced += part.newlines_replaced;
            tracing::debug!(
                run = %self.run,
                seq,
                records = entry.records,
                bytes = entry.bytes,
                "Wrote bronze part."
            );
            self.manifest.parts.push(entry.clone());
            written = Some(entry);
        }
        if !self.pending_rejects.is_empty() {
            let path = self
                .run
                .rejects_path(self.manifest.reject_files.len() as u32 + 1);
            let rejects = std::mem::take(&mut self.pending_rejects);
            self.lake.put(&path, rejects::encode(&rejects)).await?;
            self.manifest.rejects += rejects.len() as u64;
            self.manifest.reject_files.push(path.to_string());
        }
        for (id, p) in std::mem::take(&mut self.pending) {
            if let Some(w) = self.manifest.window_mut(&id) {
                w.pages += p.pages;
                w.records += p.records;
                w.rejects += p.rejects;
                if p.last_page.is_some() {
                    w.last_page = p.last_page;
                    w.cursor = p.cursor;
                }
            }
        }
        for id in std::mem::take(&mut self.pending_complete) {
            if let Some(w) = self.manifest.window_mut(&id)
                && w.status == WindowStatus::Running
            {
                w.status = WindowStatus::Complete;
            }
        }
        self.write_manifest().await?;
        Ok(written)
    }

    /// Flush and mark the run complete — or failed, with an error, if a window failed.
    pub async fn finish(mut self) -> Result<Manifest> {
        self.flush().await?;
        let failed: Vec<String> = self
            .manifest
            .windows
            .iter()
            .filter(|w| w.status == WindowStatus::Failed)
            .map(|w| w.id.clone())
            .collect();
        if !failed.is_empty() {
            let reason = format!("windows failed: {}", failed.join(", "));
            self.close(RunStatus::Failed, Some(reason.clone())).await?;
            return Err(self.state_error(&reason));
        }
        for w in &mut self.manifest.windows {
            w.status = WindowStatus::Complete;
        }
        self.close(RunStatus::Complete, None).await?;
        tracing::info!(
            run = %self.run,
            records = self.manifest.records,
            parts = self.manifest.parts.len(),
            rejects = self.manifest.rejects,
            "Completed bronze run."
        );
        Ok(self.manifest)
    }

    /// Keep what is buffered (its pages were fetched completely) and mark the run failed.
    /// After a failed write, nothing is buffered any more: the manifest keeps the last durable
    /// checkpoint.
    pub async fn fail(mut self, error: &str) -> Result<Manifest> {
        if self.broken.is_none() {
            // A flush that fails here leaves the writer at its durable checkpoint: still
            // record that the run failed.
            let _ = self.flush().await;
        }
        self.close(RunStatus::Failed, Some(error.to_string()))
            .await?;
        tracing::warn!(run = %self.run, error, "Bronze run failed.");
        Ok(self.manifest)
    }

    async fn close(&mut self, status: RunStatus, error: Option<String>) -> Result<()> {
        self.manifest.status = status;
        self.manifest.error = error;
        self.manifest.finished_at = Some(Utc::now());
        self.write_manifest().await
    }

    fn push_one(
        &mut self,
        record: &str,
        position: impl FnOnce() -> RejectPosition,
        pushed: &mut Pushed,
    ) {
        match self.buffer.push(record) {
            Ok(()) => pushed.accepted += 1,
            Err(reason) => {
                pushed.rejected += 1;
                self.reject(position(), &reason, record.as_bytes());
            }
        }
    }

    async fn maybe_roll(&mut self) -> Result<()> {
        if self.buffer.len() >= self.limits.max_records
            || self.buffer.raw_bytes() >= self.limits.max_raw_bytes
        {
            self.flush().await?;
        }
        Ok(())
    }

    async fn write_manifest(&mut self) -> Result<()> {
        self.manifest.updated_at = Utc::now();
        let bytes = self.manifest_bytes()?;
        self.lake.put(&self.run.manifest_path(), bytes).await
    }

    fn manifest_bytes(&self) -> Result<Bytes> {
        serde_json::to_vec(&self.manifest)
            .map(Bytes::from)
            .map_err(|source| Error::Json {
                path: self.run.manifest_path().to_string(),
                source,
            })
    }

    fn check_usable(&self) -> Result<()> {
        match &self.broken {
            None => Ok(()),
            Some(e) => Err(self.state_error(&format!(
                "an earlier write failed ({e}); resume the run to fetch the unwritten pages again"
            ))),
        }
    }

    fn check_window(&self, id: &str) -> Result<()> {
        match self.manifest.window(id) {
            Some(_) => Ok(()),
            None => Err(Error::UnknownWindow {
                run: self.run.to_string(),
                window: id.to_string(),
            }),
        }
    }

    fn state_error(&self, reason: &str) -> Error {
        Error::RunState {
            run: self.run.to_string(),
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use skyfit_core::Source;

    use super::*;

    #[tokio::test]
    async fn a_simulated_run_says_so_in_its_manifest_and_keeps_it_when_resumed() {
        let lake = LakeStore::in_memory();
        let key = EntityKey::try_new(Source::Evo, None, "branches").unwrap();
        let run_id = RunId::now();
        let run = RunRef::new(key.clone(), run_id.clone());
        let w = BronzeWriter::builder(&lake, key.clone(), run_id.clone())
            .with_simulated(true)
            .create()
            .await
            .unwrap();
        assert!(lake.read_manifest(&run).await.unwrap().unwrap().simulated);
        w.fail("killed").await.unwrap();
        // Resumed without the mark (the builder's default): the run stays simulated.
        let w = BronzeWriter::builder(&lake, key.clone(), run_id)
            .resume()
            .await
            .unwrap();
        assert!(w.finish().await.unwrap().simulated);

        let real = BronzeWriter::builder(&lake, key, RunId::parse("20260109T203707Z").unwrap())
            .create()
            .await
            .unwrap();
        assert!(!real.finish().await.unwrap().simulated);
    }
}
