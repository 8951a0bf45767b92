//! The extraction engine: one entity's windows, run concurrently, page by page into bronze.
//!
//! Constraints:
//! - One [`BronzeWriter`] per (entity, run) shared by the entity's window workers; the part
//!   and manifest writes happen under its lock, between pages.
//! - A window's checkpoint (the manifest's `cursor`) is a [`Checkpoint`]: the token of the
//!   next page plus the watermark values seen so far. The writer only makes it durable once
//!   the page's records are in a listed part, so `--resume` restarts right after the last
//!   durable page: no record lost, none repeated.
//! - A window that fails fails the entity and the run, naming window and page; nothing is
//!   skipped. Sibling windows are cancelled; what they landed stays for `--resume`.
//! - Offset paging ends on an empty page only: APIs clamp `take` below what was asked, so a
//!   page shorter than `take` says nothing about what follows.
//! - Adaptive windows: a window whose first page is full (or, when the API clamps `take`,
//!   whose second page is not empty) and that still has records at `max_records` is split in
//!   two (recursively) before anything of it is written, so deep offsets — where EVO answers
//!   500 — are never needed.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use skyfit_core::RunId;
use skyfit_lake::{
    BronzeWriter, EntityKey, LakeStore, Manifest, PageRef, PartLimits, RejectPosition, WindowStatus,
};
use tokio::sync::Mutex;

use crate::error::{Error, Location, Result};
use crate::http::{ApiClient, Counters, PageRequest};
use crate::page::{Envelope, Page};
use crate::rate::RateBudget;
use crate::summary::{EntitySummary, PageEvent, ProgressSink};
use crate::window::{Span, split};

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `skip`/`take` (EVO); the window ends on an empty page, and `skip` advances by the
    /// records received, because the API may clamp `take` to less than was asked.
    Offset { take: u64 },
    /// Pipedrive v2: `cursor` = `additional_data.next_cursor`, with `limit`.
    Cursor { limit: u64 },
    /// Pipedrive v1: `start`/`limit`, `additional_data.pagination.next_start`.
    Start { limit: u64 },
    /// Zendesk cursor export: `start_time` first, then `cursor=after_cursor` until
    /// `end_of_stream`.
    ZendeskCursor { per_page: u64 },
    /// Zendesk time-based export: `start_time` = the previous page's `end_time`.
    ZendeskTime { per_page: u64 },
    /// Follow absolute `next_page` links (Zendesk lists).
    NextPage { per_page: u64 },
    /// One request.
    Single,
}

/// Adaptive splitting of date windows (EVO).
#[derive(Debug, Clone)]
pub struct SplitRule {
    pub start_param: &'static str,
    pub end_param: &'static str,
    /// A window with a record at this offset is split.
    pub max_records: u64,
    pub min_span: chrono::Duration,
}

/// One endpoint of one entity.
#[derive(Debug, Clone)]
pub struct EntitySpec {
    pub path: String,
    pub envelope: Envelope,
    pub paging: Paging,
    /// Parameters sent on every request of the entity.
    pub query: Vec<(String, String)>,
    /// A second budget (Zendesk incremental exports).
    pub extra_budget: Option<Arc<RateBudget>>,
    pub split: Option<SplitRule>,
}

/// One unit of work.
#[derive(Debug, Clone)]
pub struct WindowSpec {
    pub id: String,
    pub range: Option<(String, String)>,
    /// Parameters of the window's first request (filters, `start_time`).
    pub query: Vec<(String, String)>,
    pub span: Option<Span>,
    /// Token of the first page (a stored Zendesk cursor).
    pub first_token: Option<String>,
    /// The date filter a split rewrites, when it is not the spec's [`SplitRule`] pair (an EVO
    /// change feed windows on `updateDate`, `removalDate`, ... instead of the main date).
    pub split_params: Option<(&'static str, &'static str)>,
    /// A record fetched by id on a path of its own (EVO `GET /api/v2/sales/{idSale}`): one
    /// request with the spec's parameters, its body a single object, and a 404 lands no
    /// record (the record no longer exists) instead of failing the window.
    pub by_id: Option<String>,
}

impl WindowSpec {
    pub fn all() -> Self {
        WindowSpec {
            id: "all".into(),
            range: None,
            query: Vec::new(),
            span: None,
            first_token: None,
            split_params: None,
            by_id: None,
        }
    }
}

/// What a window stores as its manifest cursor.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Token of the next page; `None` once the window has no more pages.
    pub next: Option<String>,
    /// Last non-null watermark cursor seen (Zendesk `after_cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wm: Option<String>,
    /// Last watermark time seen (Zendesk `end_time`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
}

impl Checkpoint {
    fn parse(s: Option<&str>) -> Checkpoint {
        s.and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

/// What one window (or all of an entity's windows) yielded.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub wm: Option<String>,
    pub end_time: Option<i64>,
    pub splits: u64,
}

/// What a complete run's windows yielded, rebuilt from its manifest checkpoints (a resumed
/// run whose entity was already complete still has a watermark to store). `windows` gives the
/// request order: the last window with a value wins, as in [`run_entity`].
pub fn outcome_of(manifest: &Manifest, windows: &[WindowSpec]) -> Outcome {
    let mut out = Outcome::default();
    for w in windows {
        let Some(state) = manifest.window(&w.id) else {
            continue;
        };
        let ck = Checkpoint::parse(state.cursor.as_deref());
        if ck.wm.is_some() {
            out.wm = ck.wm;
        }
        if ck.end_time.is_some() {
            out.end_time = ck.end_time;
        }
    }
    out
}

struct Step {
    next: Option<String>,
    wm: Option<String>,
    end_time: Option<i64>,
}

impl Paging {
    fn request(&self, spec: &EntitySpec, w: &WindowSpec, token: Option<&str>) -> PageRequest {
        let mut req = PageRequest::new(spec.path.clone());
        req.extra_budget = spec.extra_budget.clone();
        req.query.extend(spec.query.iter().cloned());
        let window_query = || w.query.iter().cloned();
        match (self, token) {
            (Paging::Offset { take }, t) => {
                req.query.extend(window_query());
                req = req.param("skip", t.unwrap_or("0")).param("take", take);
            }
            (Paging::Cursor { limit }, t) => {
                req.query.extend(window_query());
                req = req.param("limit", limit);
                if let Some(c) = t {
                    req = req.param("cursor", c);
                }
            }
            (Paging::Start { limit }, t) => {
                req.query.extend(window_query());
                req = req.param("start", t.unwrap_or("0")).param("limit", limit);
            }
            (Paging::ZendeskCursor { per_page }, Some(c)) => {
                req = req.param("cursor", c).param("per_page", per_page);
            }
            (Paging::ZendeskCursor { per_page }, None) => {
                req.query.extend(window_query());
                req = req.param("per_page", per_page);
            }
            (Paging::ZendeskTime { per_page }, t) => {
                req.query
                    .extend(window_query().filter(|(k, _)| t.is_none() || k != "start_time"));
                if let Some(t) = t {
                    req = req.param("start_time", t);
                }
                req = req.param("per_page", per_page);
            }
            (Paging::NextPage { .. }, Some(url)) => {
                req = PageRequest::new(url);
                req.extra_budget = spec.extra_budget.clone();
            }
            (Paging::NextPage { per_page }, None) => {
                req.query.extend(window_query());
                req = req.param("per_page", per_page);
            }
            (Paging::Single, _) => req.query.extend(window_query()),
        }
        req
    }

    fn step(&self, page: &Page, token: Option<&str>, at: &Location) -> Result<Step> {
        let invalid = |reason: String| Error::InvalidResponse {
            at: at.clone(),
            reason,
        };
        let mut step = Step {
            next: None,
            wm: None,
            end_time: None,
        };
        match self {
            Paging::Offset { .. } => {
                // A short page is not the end: EVO clamps `take` (docs/data-contract.md#evo-api), and so may a
                // tenant or proxy below the documented maximum. Only an empty page is.
                let n = page.len() as u64;
                if n > 0 {
                    let skip = match token {
                        None => 0,
                        Some(t) => t
                            .parse::<u64>()
                            .map_err(|_| invalid(format!("offset token `{t}` is not a number")))?,
                    };
                    step.next = Some((skip + n).to_string());
                }
            }
            Paging::Cursor { .. } => {
                step.next = page.meta_value("additional_data").and_then(|v| {
                    v.get("next_cursor")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            }
            Paging::Start { .. } => {
                let pagination = page
                    .meta_value("additional_data")
                    .and_then(|v| v.get("pagination").cloned());
                if let Some(p) = pagination
                    && p.get("more_items_in_collection").and_then(Value::as_bool) == Some(true)
                {
                    let next = p.get("next_start").and_then(Value::as_u64).ok_or_else(|| {
                        invalid("more_items_in_collection without next_start".into())
                    })?;
                    step.next = Some(next.to_string());
                }
            }
            Paging::ZendeskCursor { .. } => {
                let eos = page.meta::<bool>("end_of_stream").unwrap_or(false);
                let after = page.meta::<String>("after_cursor");
                step.wm = after.clone();
                if !eos {
                    step.next = Some(after.ok_or_else(|| {
                        invalid("no after_cursor and end_of_stream is false".into())
                    })?);
                }
            }
            Paging::ZendeskTime { .. } => {
                let eos = page.meta::<bool>("end_of_stream").unwrap_or(false);
                let end_time = page.meta::<i64>("end_time");
                step.end_time = end_time;
                if !eos {
                    let end = end_time
                        .ok_or_else(|| invalid("no end_time and end_of_stream is false".into()))?;
                    if token.and_then(|t| t.parse::<i64>().ok()) == Some(end) {
                        return Err(invalid(format!(
                            "end_time {end} does not advance (more than a page of records in one second)"
                        )));
                    }
                    step.next = Some(end.to_string());
                }
            }
            Paging::NextPage { .. } => {
                step.next = page.meta::<String>("next_page");
                if step.next.is_some() && step.next.as_deref() == token {
                    return Err(invalid("next_page points to the same page".into()));
                }
            }
            Paging::Single => {}
        }
        Ok(step)
    }
}

/// Everything one entity's run needs.
pub struct EntityRun<'a> {
    pub key: EntityKey,
    pub spec: EntitySpec,
    pub windows: Vec<WindowSpec>,
    pub client: Arc<ApiClient>,
    pub lake: &'a LakeStore,
    pub run_id: RunId,
    pub resume: bool,
    pub workers: usize,
    pub limits: PartLimits,
    /// The records come from the built-in simulator (marked in the manifest).
    pub simulated: bool,
    pub progress: &'a dyn ProgressSink,
}

struct Worker<'a> {
    key: &'a EntityKey,
    spec: &'a EntitySpec,
    client: &'a ApiClient,
    writer: &'a Mutex<BronzeWriter>,
    counters: &'a Counters,
    progress: &'a dyn ProgressSink,
    windows_done: AtomicU64,
    windows_total: AtomicU64,
}

impl Worker<'_> {
    fn loc(&self, window: &str) -> Location {
        Location::new(self.key.source(), self.key.scope(), self.key.entity()).with_window(window)
    }

    fn lake_err(&self, window: &str, source: skyfit_lake::Error) -> Error {
        Error::Lake {
            at: self.loc(window),
            source,
        }
    }

    /// How `w` pages: a by-id window is one request whatever the entity's paging.
    fn paging(&self, w: &WindowSpec) -> Paging {
        match w.by_id {
            Some(_) => Paging::Single,
            None => self.spec.paging,
        }
    }

    async fn fetch(&self, w: &WindowSpec, token: Option<&str>) -> Result<Page> {
        let at = self
            .loc(&w.id)
            .with_page(token.map_or_else(|| "first page".to_string(), page_label));
        let Some(path) = &w.by_id else {
            let req = self.spec.paging.request(self.spec, w, token);
            return self
                .client
                .get_page(&req, self.spec.envelope, &at, self.counters, self.progress)
                .await;
        };
        let mut req = PageRequest::new(path.clone());
        req.extra_budget = self.spec.extra_budget.clone();
        req.query.extend(self.spec.query.iter().cloned());
        req.query.extend(w.query.iter().cloned());
        match self
            .client
            .get_page(&req, Envelope::Object, &at, self.counters, self.progress)
            .await
        {
            Err(Error::Http { status: 404, .. }) => {
                tracing::warn!(at = %at, path = %path, "Record not found by id (HTTP 404); it no longer exists.");
                Ok(Page::empty())
            }
            other => other,
        }
    }

    /// Children of a window that is too big, or `None`.
    ///
    /// `held` holds the window's first page; a page fetched to decide is appended after it, so
    /// when the window is kept the caller lands `held` in order before fetching more.
    async fn split_if_big(
        &self,
        w: &WindowSpec,
        held: &mut VecDeque<Page>,
    ) -> Result<Option<Vec<WindowSpec>>> {
        let (Some(rule), Some(span), Paging::Offset { take }, Some(first)) =
            (&self.spec.split, w.span, self.spec.paging, held.front())
        else {
            return Ok(None);
        };
        let n = first.len() as u64;
        if n == 0 || rule.max_records <= take {
            return Ok(None);
        }
        if n < take {
            // Either the window is small or the API clamps `take`; only the next page can
            // tell. Keeping it means a small window costs no extra request.
            let at = self.loc(&w.id).with_page("first page");
            let first_token = w.first_token.as_deref();
            let Some(next) = self.spec.paging.step(first, first_token, &at)?.next else {
                return Ok(None);
            };
            let second = self.fetch(w, Some(&next)).await?;
            let small = second.is_empty();
            held.push_back(second);
            if small {
                return Ok(None);
            }
        }
        let mut probe = self.spec.paging.request(self.spec, w, None);
        probe.query.retain(|(k, _)| k != "skip" && k != "take");
        probe = probe.param("skip", rule.max_records).param("take", 1);
        let at = self
            .loc(&w.id)
            .with_page(format!("probe skip={}", rule.max_records));
        let page = self
            .client
            .get_page(
                &probe,
                self.spec.envelope,
                &at,
                self.counters,
                self.progress,
            )
            .await?;
        if page.is_empty() {
            return Ok(None);
        }
        let Some((a, b)) = split(span, rule.min_span) else {
            tracing::warn!(window = %w.id, "Window is too big but cannot be split further.");
            return Ok(None);
        };
        tracing::info!(entity = %self.key, window = %w.id, "Window too big; splitting it in two.");
        let (start_param, end_param) = w.split_params.unwrap_or((rule.start_param, rule.end_param));
        // A child keeps its parent's id prefix (`updateDate:`, `resweep:`), so the windows of
        // different feeds over the same dates never share a manifest entry.
        let prefix = w.id.strip_suffix(&span.id()).unwrap_or("").to_string();
        let child = |s: Span| {
            let (from, to) = s.query_bounds();
            let mut query: Vec<(String, String)> = w
                .query
                .iter()
                .filter(|(k, _)| k != start_param && k != end_param)
                .cloned()
                .collect();
            query.push((start_param.to_string(), from.clone()));
            query.push((end_param.to_string(), to.clone()));
            WindowSpec {
                id: format!("{prefix}{}", s.id()),
                range: Some((from, to)),
                query,
                span: Some(s),
                first_token: None,
                split_params: w.split_params,
                by_id: None,
            }
        };
        Ok(Some(vec![child(a), child(b)]))
    }

    async fn run_window(&self, w: WindowSpec) -> Result<Outcome> {
        let state = self.writer.lock().await.manifest().window(&w.id).cloned();
        let mut out = Outcome::default();
        let (mut token, mut page_no) = match &state {
            Some(s) => {
                let ck = Checkpoint::parse(s.cursor.as_deref());
                out.wm = ck.wm.clone();
                out.end_time = ck.end_time;
                let ended = s.last_page.is_some() && ck.next.is_none();
                if s.status == WindowStatus::Complete || ended {
                    let mut wr = self.writer.lock().await;
                    wr.begin_window(&w.id, w.range.clone());
                    wr.complete_window(&w.id)
                        .map_err(|e| self.lake_err(&w.id, e))?;
                    self.window_done();
                    return Ok(out);
                }
                match s.last_page {
                    Some(p) => (ck.next, p + 1),
                    None => (w.first_token.clone(), 0),
                }
            }
            None => (w.first_token.clone(), 0),
        };
        // Pages already fetched (to decide on a split), in order from `token`.
        let mut held = VecDeque::new();
        if state.is_none() && self.spec.split.is_some() && w.by_id.is_none() {
            held.push_back(self.fetch(&w, token.as_deref()).await?);
            if let Some(children) = self.split_if_big(&w, &mut held).await? {
                self.windows_total.fetch_add(1, Ordering::Relaxed);
                out.splits += 1;
                for c in children {
                    let o = Box::pin(self.run_window(c)).await?;
                    out.splits += o.splits;
                }
                self.window_done();
                return Ok(out);
            }
        }
        self.writer
            .lock()
            .await
            .begin_window(&w.id, w.range.clone());
        // Zendesk's time export repeats the records of the last second of a page at the top
        // of the next one (`start_time = end_time` is inclusive); land each version once.
        let mut previous: HashSet<(u64, String)> = HashSet::new();
        // Offset paging runs until an empty page; an API that ignores `skip` would repeat
        // its first page forever, so a page identical to the one before stops the window.
        let mut last_body: Option<bytes::Bytes> = None;
        loop {
            let mut page = match held.pop_front() {
                Some(p) => p,
                None => self.fetch(&w, token.as_deref()).await?,
            };
            if matches!(self.spec.paging, Paging::ZendeskTime { .. }) {
                previous = drop_repeats(&mut page, &previous);
            }
            let at = self.loc(&w.id).with_page(
                token
                    .as_deref()
                    .map_or_else(|| "first page".to_string(), page_label),
            );
            let paging = self.paging(&w);
            if matches!(paging, Paging::Offset { .. }) && !page.is_empty() {
                if last_body.as_ref() == Some(&page.body) {
                    return Err(Error::InvalidResponse {
                        at,
                        reason: "the page repeats the previous one byte for byte; the API \
                                 ignores `skip`"
                            .into(),
                    });
                }
                last_body = Some(page.body.clone());
            }
            let step = paging.step(&page, token.as_deref(), &at)?;
            if step.wm.is_some() {
                out.wm = step.wm.clone();
            }
            if step.end_time.is_some() {
                out.end_time = step.end_time;
            }
            let ck = Checkpoint {
                next: step.next.clone(),
                wm: out.wm.clone(),
                end_time: out.end_time,
            };
            self.write(&w, page_no, token.as_deref(), &ck, &page)
                .await?;
            match step.next {
                Some(next) => {
                    token = Some(next);
                    page_no += 1;
                }
                None => break,
            }
        }
        self.writer
            .lock()
            .await
            .complete_window(&w.id)
            .map_err(|e| self.lake_err(&w.id, e))?;
        self.window_done();
        Ok(out)
    }

    fn window_done(&self) {
        self.windows_done.fetch_add(1, Ordering::Relaxed);
    }

    async fn write(
        &self,
        w: &WindowSpec,
        page_no: u64,
        token: Option<&str>,
        ck: &Checkpoint,
        page: &Page,
    ) -> Result<()> {
        let ck_text = serde_json::to_string(ck).unwrap_or_default();
        let mut records: Vec<&str> = Vec::with_capacity(page.records.len());
        let mut not_utf8 = Vec::new();
        for (i, r) in page.records.iter().enumerate() {
            match std::str::from_utf8(&page.body[r.clone()]) {
                Ok(s) => records.push(s),
                Err(e) => not_utf8.push((i, e.to_string())),
            }
        }
        let position = |index: usize| RejectPosition {
            window: Some(w.id.clone()),
            page: Some(page_no),
            index: Some(index as u64),
            cursor: token.map(str::to_string),
            ..Default::default()
        };
        let mut wr = self.writer.lock().await;
        for bad in &page.bad {
            wr.reject(position(bad.index), &bad.reason, &bad.bytes);
        }
        for (i, reason) in &not_utf8 {
            wr.reject(position(*i), reason, &page.body[page.records[*i].clone()]);
        }
        let pushed = wr
            .write_page(
                &PageRef {
                    window: &w.id,
                    page: page_no,
                    cursor: Some(&ck_text),
                },
                records,
            )
            .await
            .map_err(|e| self.lake_err(&w.id, e))?;
        drop(wr);
        self.progress.page(&PageEvent {
            source: self.key.source(),
            scope: self.key.scope(),
            entity: self.key.entity(),
            window: &w.id,
            records: pushed.accepted,
            rejects: pushed.rejected + (page.bad.len() + not_utf8.len()) as u64,
            windows_done: self.windows_done.load(Ordering::Relaxed),
            windows_total: self.windows_total.load(Ordering::Relaxed),
            budget: self.client.budget().in_use(),
        });
        Ok(())
    }
}

/// Removes records whose `(id, updated_at)` was on the previous page; returns this page's keys.
fn drop_repeats(page: &mut Page, previous: &HashSet<(u64, String)>) -> HashSet<(u64, String)> {
    #[derive(serde::Deserialize)]
    struct Version {
        id: u64,
        #[serde(default)]
        updated_at: Option<String>,
    }
    let mut keys = HashSet::new();
    let body = page.body.clone();
    page.records.retain(|r| {
        let Ok(v) = serde_json::from_slice::<Version>(&body[r.clone()]) else {
            return true;
        };
        let key = (v.id, v.updated_at.unwrap_or_default());
        let repeat = previous.contains(&key);
        keys.insert(key);
        !repeat
    });
    keys
}

/// A short label of a page token for messages (`skip=2000`, `cursor=…`).
fn page_label(token: &str) -> String {
    if token.starts_with("http") {
        format!("next_page={token}")
    } else if token.bytes().all(|b| b.is_ascii_digit()) {
        format!("offset={token}")
    } else {
        format!("cursor={token}")
    }
}

/// Result of one entity's run.
pub struct EntityResult {
    pub manifest: Manifest,
    pub outcome: Outcome,
    pub summary: EntitySummary,
}

/// Runs one entity to completion (or failure), writing bronze and the manifest.
pub async fn run_entity(run: EntityRun<'_>) -> Result<EntityResult> {
    let started = std::time::Instant::now();
    let at = Location::new(run.key.source(), run.key.scope(), run.key.entity());
    let lake_err = |source| Error::Lake {
        at: at.clone(),
        source,
    };
    let builder = BronzeWriter::builder(run.lake, run.key.clone(), run.run_id.clone())
        .with_limits(run.limits)
        .with_simulated(run.simulated);
    let writer = if run.resume {
        builder.open().await.map_err(lake_err)?
    } else {
        builder.create().await.map_err(lake_err)?
    };
    let writer = Mutex::new(writer);
    let counters = Counters::default();
    let windows_total = run.windows.len() as u64;
    run.progress.entity_started(
        run.key.source(),
        run.key.scope(),
        run.key.entity(),
        windows_total,
    );
    let worker = Worker {
        key: &run.key,
        spec: &run.spec,
        client: &run.client,
        writer: &writer,
        counters: &counters,
        progress: run.progress,
        windows_done: AtomicU64::new(0),
        windows_total: AtomicU64::new(windows_total),
    };
    let result: Result<Vec<Outcome>> = futures::stream::iter(run.windows)
        .map(|w| worker.run_window(w))
        .buffered(run.workers.max(1))
        .try_collect()
        .await;
    let writer = writer.into_inner();
    let mut summary = EntitySummary {
        source: Some(run.key.source()),
        scope: run.key.scope().map(str::to_string),
        entity: run.key.entity().to_string(),
        run_id: Some(run.run_id.clone()),
        ..Default::default()
    };
    counters.record_in(&mut summary);
    match result {
        Ok(outcomes) => {
            let manifest = writer.finish().await.map_err(lake_err)?;
            // Windows are in request order, so the last one carries the latest watermark.
            let mut outcome = Outcome::default();
            for o in outcomes {
                outcome.splits += o.splits;
                if o.wm.is_some() {
                    outcome.wm = o.wm;
                }
                if o.end_time.is_some() {
                    outcome.end_time = o.end_time;
                }
            }
            fill(&mut summary, &manifest, started, &outcome);
            summary.status = "complete".into();
            run.progress.entity_finished(&summary);
            Ok(EntityResult {
                manifest,
                outcome,
                summary,
            })
        }
        Err(error) => {
            let mut writer = writer;
            if let Some(loc) = error.location()
                && !loc.window.is_empty()
            {
                let _ = writer.fail_window(&loc.window, &error.to_string());
            }
            let message = error.to_string();
            match writer.fail(&message).await {
                Ok(m) => fill(&mut summary, &m, started, &Outcome::default()),
                Err(e) => {
                    tracing::warn!(entity = %run.key, error = %e, "Could not mark the run failed.")
                }
            }
            summary.status = "failed".into();
            summary.error = Some(message);
            run.progress.entity_finished(&summary);
            tracing::error!(entity = %run.key, error = %error, "Extraction failed.");
            Err(error)
        }
    }
}

fn fill(s: &mut EntitySummary, m: &Manifest, started: std::time::Instant, o: &Outcome) {
    s.records = m.records;
    s.rejects = m.rejects;
    s.pages = m.windows.iter().map(|w| w.pages).sum();
    s.windows = m.windows.len() as u64;
    s.windows_split = o.splits;
    s.duration_secs = started.elapsed().as_secs_f64();
    s.simulated = m.simulated;
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyfit_core::Source;

    fn window(id: &str) -> WindowSpec {
        WindowSpec {
            id: id.into(),
            ..WindowSpec::all()
        }
    }

    #[tokio::test]
    async fn outcome_of_a_manifest_takes_the_last_values_in_request_order() {
        let lake = LakeStore::in_memory();
        let key = EntityKey::try_new(Source::Zendesk, Some("support"), "tickets").unwrap();
        let mut w = BronzeWriter::builder(&lake, key, RunId::now())
            .create()
            .await
            .unwrap();
        let pages = [
            (
                "a",
                Checkpoint {
                    next: None,
                    wm: Some("c1".into()),
                    end_time: Some(10),
                },
            ),
            (
                "b",
                Checkpoint {
                    next: None,
                    wm: None,
                    end_time: Some(20),
                },
            ),
            ("c", Checkpoint::default()),
        ];
        for (id, ck) in &pages {
            w.begin_window(id, None);
            let text = serde_json::to_string(ck).unwrap();
            w.write_page(
                &PageRef {
                    window: id,
                    page: 0,
                    cursor: Some(&text),
                },
                [r#"{"id":1}"#],
            )
            .await
            .unwrap();
            w.complete_window(id).unwrap();
        }
        let manifest = w.finish().await.unwrap();
        let o = outcome_of(&manifest, &[window("a"), window("b"), window("c")]);
        assert_eq!(o.wm.as_deref(), Some("c1"), "a null cursor never wins");
        assert_eq!(o.end_time, Some(20));
        // Request order, not manifest order, decides; unknown windows are ignored.
        let o = outcome_of(&manifest, &[window("b"), window("x"), window("a")]);
        assert_eq!(o.end_time, Some(10));
        assert_eq!(Checkpoint::parse(Some("not json")), Checkpoint::default());
    }
}
