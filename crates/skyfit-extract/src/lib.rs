//! The extractors of SkyFit Lake: EVO, Pipedrive and Zendesk into the bronze lake.
//!
//! [`extract`] runs one source: it plans each requested entity (endpoint, paging, windows,
//! watermark), runs the entity's windows concurrently under the API account's one shared
//! [`rate::RateBudget`], and lands every page's records — the API's own bytes — through a
//! [`skyfit_lake::BronzeWriter`]. Then it advances the entity's watermark under `_meta/`.
//!
//! Guarantees:
//! - **Lossless or failed.** A page that keeps failing fails the run with its entity, window
//!   and page in the message; nothing is skipped. A malformed record inside a page goes to
//!   `_rejects/` with its position and reason while the page's good records land.
//! - **Resumable.** With `resume`, the newest run of the requested entities continues from
//!   its manifests' last durable page per window and yields the same bronze record set as an
//!   uninterrupted run, however often it was killed (`kill -9` included): entities it
//!   completed are skipped (their watermark is stored again, idempotently, in case the kill
//!   fell between manifest and watermark), the others continue or start under its id. With
//!   no run in the lake at all (killed before its first manifest) it starts a new run.
//! - **Incremental by default.** Watermarks per source/scope/entity with an overlap; `full`
//!   and `since/until` override them. A stored cursor is never replaced by null.
//! - **Secrets stay secret.** Credentials only travel in auth headers; errors name the
//!   environment variable to check.
//!
//! Layout: [`http`] (auth, retries, classification), [`rate`] (token buckets, pacing),
//! [`page`] (records as raw bytes), [`window`] (date windows), [`engine`] (windows → bronze),
//! [`sources`] (one directory per API, one registry function).

// Errors carry their full location (source, scope, entity, window, page) by design; they are
// rare and never on a hot path, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod engine;
pub mod error;
pub mod http;
pub mod options;
pub mod page;
pub mod rate;
pub mod sources;
pub mod summary;
pub mod webhook;
pub mod window;

use chrono::{NaiveDate, Utc};
use serde_json::Value;
use skyfit_core::{Config, RunId, Source};
use skyfit_lake::{EntityKey, LakeStore, RunRef, Watermark};

pub use error::{Error, Location, Result};
pub use http::RetryPolicy;
pub use options::{EvoOptions, ExtractOptions, PipedriveOptions, ZendeskOptions};
pub use rate::BudgetUse;
pub use summary::{
    CountingProgress, EntitySummary, NoProgress, PageEvent, ProgressSink, RunSummary,
    ThrottleEvent, ThrottleReason,
};

use crate::engine::{EntityRun, run_entity};
use crate::sources::{PlanRequest, WatermarkPlan};

/// What to extract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtractRequest {
    pub source: Source,
    /// Entity names; empty means every entity of the source.
    pub entities: Vec<String>,
    /// First day (inclusive) instead of the watermark.
    pub since: Option<NaiveDate>,
    /// Last day (inclusive); default: the day the run started.
    pub until: Option<NaiveDate>,
    /// Ignore watermarks and extract the whole history.
    pub full: bool,
    /// Continue an interrupted run (`run_id`, or the latest incomplete run of the source).
    pub resume: bool,
    /// The run id; default: now (or the run being resumed).
    pub run_id: Option<RunId>,
}

impl ExtractRequest {
    /// Every entity of `source`, incrementally, as a new run.
    pub fn new(source: Source) -> Self {
        ExtractRequest {
            source,
            entities: Vec::new(),
            since: None,
            until: None,
            full: false,
            resume: false,
            run_id: None,
        }
    }

    pub fn with_entities<S: Into<String>>(mut self, entities: impl IntoIterator<Item = S>) -> Self {
        self.entities = entities.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_range(mut self, since: Option<NaiveDate>, until: Option<NaiveDate>) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    pub fn with_full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    pub fn with_resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    pub fn with_run_id(mut self, run_id: RunId) -> Self {
        self.run_id = Some(run_id);
        self
    }
}

/// The entities a source offers, in the order `extract` runs them.
pub fn source_entities(source: Source) -> &'static [&'static str] {
    sources::entities(source)
}

/// Extracts one source into the bronze lake; see the crate docs for the guarantees.
///
/// Entities run one after another (each with concurrent windows). The first entity that fails
/// stops the run with its error; its manifest is marked failed and keeps what landed, so the
/// same request with `resume` continues it. Auth failures stop at the first request.
pub async fn extract(
    req: &ExtractRequest,
    config: &Config,
    opts: &ExtractOptions,
    lake: &LakeStore,
    progress: &dyn ProgressSink,
) -> Result<RunSummary> {
    let started_at = Utc::now();
    let (run_id, resume) = match (&req.run_id, req.resume) {
        (Some(id), resume) => (id.clone(), resume),
        (None, true) => match resume_target(req, config, lake).await? {
            Some(id) => (id, true),
            None => {
                tracing::warn!(
                    source = %req.source,
                    "Nothing to resume (no run of these entities in the lake); starting a new run."
                );
                (RunId::now(), false)
            }
        },
        (None, false) => (RunId::now(), false),
    };
    let mut run_id = run_id;
    let plans = loop {
        let plan_req = PlanRequest {
            entities: &req.entities,
            since: req.since,
            until: req.until,
            full: req.full,
            run_id: &run_id,
        };
        let plans = sources::plan(req.source, &plan_req, config, opts, lake).await?;
        // Run ids have one-second resolution: a new run never reuses an existing run's id.
        if resume || req.run_id.is_some() || !any_run_exists(lake, &plans, &run_id).await? {
            break plans;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        run_id = RunId::now();
    };
    let mut plans = plans;
    // EVO webhook callbacks (the optional push path) become id-filtered windows of this run.
    let mut hooks = match req.source {
        Source::Evo => webhook::WebhookWindows::load(lake)
            .await
            .map_err(Error::Webhook)?,
        _ => None,
    };
    if let Some(h) = hooks.as_mut() {
        h.attach(&mut plans);
    }
    tracing::info!(
        source = %req.source, run_id = %run_id, entities = plans.len(), resume,
        "Extraction started."
    );
    let mut summary = RunSummary {
        source: req.source,
        run_id: run_id.clone(),
        started_at,
        finished_at: started_at,
        entities: Vec::new(),
        requests: 0,
        request_budget: None,
        webhooks: None,
    };
    for plan in plans {
        let run_ref = RunRef::new(plan.key.clone(), run_id.clone());
        if resume {
            let manifest = lake
                .read_manifest(&run_ref)
                .await
                .map_err(|e| Error::Lake {
                    at: Location::new(plan.key.source(), plan.key.scope(), plan.key.entity()),
                    source: e,
                })?;
            if let Some(m) = manifest.filter(|m| m.is_complete()) {
                tracing::info!(entity = %plan.key, "Already complete; nothing to resume.");
                // The run may have died between the complete manifest and the watermark put:
                // advancing again is idempotent and never moves a watermark back.
                let outcome = engine::outcome_of(&m, &plan.windows);
                let wm = advance_watermark(
                    lake,
                    &plan.key,
                    &plan.watermark,
                    &outcome,
                    &run_id,
                    req.full,
                )
                .await?;
                let s = EntitySummary {
                    source: Some(plan.key.source()),
                    scope: plan.key.scope().map(str::to_string),
                    entity: plan.key.entity().to_string(),
                    run_id: Some(run_id.clone()),
                    status: "skipped".into(),
                    records: m.records,
                    rejects: m.rejects,
                    pages: m.windows.iter().map(|w| w.pages).sum(),
                    windows: m.windows.len() as u64,
                    since: plan.since.clone(),
                    until: plan.until.clone(),
                    watermark: watermark_json(&wm),
                    simulated: m.simulated,
                    ..Default::default()
                };
                if let Some(h) = hooks.as_mut() {
                    h.settle(lake, &plan.key, &run_id)
                        .await
                        .map_err(Error::Webhook)?;
                }
                progress.entity_finished(&s);
                summary.entities.push(s);
                continue;
            }
        }
        let key = plan.key.clone();
        let watermark_plan = plan.watermark.clone();
        let (since, until) = (plan.since.clone(), plan.until.clone());
        let result = run_entity(EntityRun {
            key: plan.key,
            spec: plan.spec,
            windows: plan.windows,
            client: plan.client,
            lake,
            run_id: run_id.clone(),
            resume,
            workers: opts.workers,
            limits: opts.part_limits,
            simulated: opts.simulated.contains(&req.source),
            progress,
        })
        .await?;
        let wm = advance_watermark(
            lake,
            &key,
            &watermark_plan,
            &result.outcome,
            &run_id,
            req.full,
        )
        .await?;
        // The entity's records and manifest are durable: its webhook callbacks can go.
        if let Some(h) = hooks.as_mut() {
            h.settle(lake, &key, &run_id)
                .await
                .map_err(Error::Webhook)?;
        }
        let mut s = result.summary;
        s.since = since;
        s.until = until;
        s.watermark = watermark_json(&wm);
        tracing::info!(
            entity = %key, records = s.records, pages = s.pages, rejects = s.rejects,
            retries = s.retries, throttled = s.throttled, secs = s.duration_secs,
            "Entity extracted."
        );
        summary.entities.push(s);
    }
    summary.webhooks = hooks.map(webhook::WebhookWindows::finish);
    summary.finished_at = Utc::now();
    let per_minute = match req.source {
        Source::Evo => config.evo.requests_per_minute,
        Source::Pipedrive => opts.pipedrive.requests_per_minute,
        Source::Zendesk => opts.zendesk.requests_per_minute,
    };
    let summary = summary.with_budget(per_minute);
    tracing::info!(
        source = %req.source, requests = summary.requests, budget = ?summary.request_budget,
        "Requests used against the rate budget."
    );
    Ok(summary)
}

async fn any_run_exists(
    lake: &LakeStore,
    plans: &[sources::EntityPlan],
    run_id: &RunId,
) -> Result<bool> {
    for p in plans {
        let run = RunRef::new(p.key.clone(), run_id.clone());
        let m = lake.read_manifest(&run).await.map_err(|e| Error::Lake {
            at: Location::new(p.key.source(), p.key.scope(), p.key.entity()),
            source: e,
        })?;
        if m.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

async fn advance_watermark(
    lake: &LakeStore,
    key: &EntityKey,
    plan: &WatermarkPlan,
    outcome: &engine::Outcome,
    run_id: &RunId,
    full: bool,
) -> Result<Option<Watermark>> {
    let lake_err = |e| Error::Lake {
        at: Location::new(key.source(), key.scope(), key.entity()),
        source: e,
    };
    let mut wm = Watermark {
        run_id: Some(run_id.clone()),
        ..Default::default()
    };
    match plan {
        WatermarkPlan::None => {
            wm.last_successful_until = Some(run_id.started_at());
        }
        WatermarkPlan::Until(t) => {
            let stored = sources::watermark(lake, key).await?;
            // A backfill of an old range must not move the watermark back.
            if !full
                && stored
                    .as_ref()
                    .and_then(|w| w.last_successful_until)
                    .is_some_and(|s| s >= *t)
            {
                return Ok(stored);
            }
            wm.last_successful_until = Some(*t);
        }
        WatermarkPlan::Cursor => {
            // `None` leaves the stored cursor in place (the lake merges, never nulls).
            wm.cursor = outcome.wm.clone();
        }
        WatermarkPlan::EndTime => {
            if let Some(t) = outcome.end_time {
                wm.extra.insert("next_start_time".into(), Value::from(t));
            }
        }
    }
    let stored = lake.put_watermark(key, wm).await.map_err(lake_err)?;
    Ok(Some(stored))
}

/// The watermark document as the summary (and `meta.watermarks`) carries it.
fn watermark_json(wm: &Option<Watermark>) -> Option<Value> {
    wm.as_ref().and_then(|w| serde_json::to_value(w).ok())
}

/// The run `--resume` continues: the newest run of any of the request's entities, whatever
/// its state (entities it completed are skipped, the others continue or start under its id).
/// `None` when no run exists at all: a run killed before its first manifest left nothing to
/// continue, and a new run is the same thing.
async fn resume_target(
    req: &ExtractRequest,
    config: &Config,
    lake: &LakeStore,
) -> Result<Option<RunId>> {
    let scopes: Vec<Option<&str>> = match req.source {
        Source::Evo => vec![None],
        Source::Pipedrive => config
            .pipedrive
            .scopes()
            .iter()
            .map(|(s, _)| Some(*s))
            .collect(),
        Source::Zendesk => vec![Some(sources::zendesk::SCOPE)],
    };
    let entities: Vec<&str> = if req.entities.is_empty() {
        source_entities(req.source).to_vec()
    } else {
        req.entities.iter().map(String::as_str).collect()
    };
    let mut best: Option<RunId> = None;
    for scope in scopes {
        for entity in &entities {
            let key = sources::key(req.source, scope, entity)?;
            let runs = lake.list_runs(&key).await.map_err(|e| Error::Lake {
                at: Location::new(req.source, scope, entity),
                source: e,
            })?;
            if let Some(run) = runs.last()
                && best.as_ref().is_none_or(|b| run.run_id > *b)
            {
                best = Some(run.run_id.clone());
            }
        }
    }
    Ok(best)
}
