//! `skyfit run`: the nightly job. Extract every selected source concurrently, load every
//! complete bronze run not yet loaded into stg and core, print one summary. The extraction's
//! ledger rows are written here ([`extract::record`]), the load's by the load itself, under
//! the night's run id. Exits non-zero when any step failed; what succeeded stays committed.
//!
//! However the run ends, even stopped by an error half-way, it is then reported to the
//! outside world ([`report`]): an alert when configured and needed, the metrics file and the
//! Pushgateway push when configured. Reporting never changes the exit code and is bounded by
//! `skyfit_report`'s retry policy.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, Utc};
use skyfit_core::{RunId, Source};
use skyfit_extract::{ExtractRequest, RunSummary};
use skyfit_report::{
    AlertConfig, EntityReport, MetricsConfig, PushConfig, RunReport, RunStatus, Stage, StaleTable,
    TargetReport, TargetStatus, TestFailure, WebhookFormat,
};
use tokio_postgres::Client;

use crate::cli::{LoadArgs, RunArgs, Summary};
use crate::commands::progress::{Items, console, n};
use crate::commands::{extract, load, sources, status};
use crate::context::Context;

/// What a run did, filled as it goes, so that a run stopped half-way is reported too.
#[derive(Default)]
struct Night {
    client: Option<Arc<Client>>,
    /// Per source: its summary, or the error that stopped it (with the scope and entity it
    /// names, if any).
    extractions: Vec<(Source, std::result::Result<RunSummary, Stopped>)>,
    loaded: Option<skyfit_pipeline::LoadSummary>,
    /// Every failed step, as the summary lists them.
    failures: Vec<String>,
    /// Failures no entity or target row tells (the load as a whole).
    general: Vec<String>,
    stages: BTreeMap<Stage, f64>,
    /// The data tests run on the loaded core tables.
    tests: Vec<skyfit_warehouse::TestResult>,
}

/// An extraction that stopped: where and why.
struct Stopped {
    scope: Option<String>,
    entity: String,
    error: String,
}

pub async fn run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let started_at = Utc::now();
    let run_id = RunId::now();
    let mut night = Night::default();
    let outcome = nightly(ctx, &args, &run_id, &mut night).await;
    let stopped = outcome.as_ref().err().map(|e| format!("{e:#}"));
    if stopped.is_some() {
        // The error itself is printed once, by `main`; this names the run it stopped.
        console().note(&format!("Nightly run {run_id} stopped before its end."));
    }
    report(ctx, &run_id, started_at, &night, stopped).await;
    outcome
}

async fn nightly(
    ctx: &Context,
    args: &RunArgs,
    run_id: &RunId,
    night: &mut Night,
) -> Result<ExitCode> {
    let started = Instant::now();
    let selected: Vec<Source> = if args.sources.is_empty() {
        Source::ALL.to_vec()
    } else {
        args.sources
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, String>>()
            .map_err(anyhow::Error::msg)?
    };
    let lake = ctx.lake()?;
    let db = ctx.database().await?;
    let client = Arc::new(ctx.migrate(&db).await?);
    night.client = Some(client.clone());
    let client = &*client;
    console().note(&format!(
        "Nightly run {run_id}: lake {}, database {}.",
        lake.url(),
        db.target()
    ));

    // 1. Extract, sources concurrently.
    let extract_started = Instant::now();
    let sim_scale = sources::requested_scale(args.simulate, args.sim_scale.as_deref());
    let resolved = sources::resolve(&ctx.config, &selected, sim_scale).await?;
    // One line per entity and per target as each finishes (a bar while it runs).
    let items = Items::collapsing();
    let mut requests = Vec::new();
    for s in &selected {
        let known = skyfit_extract::source_entities(*s);
        let entities: Vec<String> = args
            .entities
            .iter()
            .filter(|e| known.contains(&e.as_str()))
            .cloned()
            .collect();
        if !args.entities.is_empty() && entities.is_empty() {
            continue;
        }
        requests.push(ExtractRequest::new(*s).with_entities(entities));
    }
    let extractions =
        futures::future::join_all(requests.iter().map(|r| {
            skyfit_extract::extract(r, &resolved.config, &resolved.options, &lake, &items)
        }))
        .await;
    // An entity whose extraction stopped with an error has no summary line: its error is in
    // the failures at the end.
    items.clear();
    night
        .stages
        .insert(Stage::Extract, extract_started.elapsed().as_secs_f64());
    let simulated = resolved.options.simulated.clone();
    drop(resolved);
    for (req, result) in requests.iter().zip(&extractions) {
        match result {
            Ok(summary) => {
                night.extractions.push((req.source, Ok(summary.clone())));
                extract::record(client, summary).await?;
                extract::mirror_watermarks(client, summary).await?;
            }
            Err(e) => {
                let stopped = Stopped {
                    scope: e.location().and_then(|l| l.scope.clone()),
                    entity: e
                        .location()
                        .map(|l| l.entity.clone())
                        .unwrap_or_else(|| "*".into()),
                    error: skyfit_core::error::full_message(e),
                };
                night.extractions.push((req.source, Err(stopped)));
                night.failures.push(format!("extract {}: {e}", req.source));
                let simulated = simulated.contains(&req.source);
                extract::record_failure(client, req.source, run_id, e, simulated).await?;
            }
        }
    }

    // 2. Load whatever is complete and not yet loaded (including earlier nights' runs).
    let load_started = Instant::now();
    let load_args = LoadArgs {
        sources: selected.iter().map(|s| s.to_string()).collect(),
        entities: args.entities.clone(),
        full_refresh: args.full_refresh,
        reload: false,
        wait: args.wait,
        // Asking for the simulator in this run is asking to load what it serves.
        allow_simulated: args.allow_simulated || sim_scale.is_some(),
    };
    let mut opts = load::options(ctx, &load_args)?;
    opts.run_id = run_id.clone();
    let loaded = match skyfit_pipeline::load_with_progress(&lake, &db, &opts, &items).await {
        Ok(s) => Some(s),
        // Some targets failed, the others loaded: report the failures.
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => {
            for f in &summary.failed {
                night
                    .failures
                    .push(format!("load {}: {}", f.target, f.error));
            }
            Some(*summary)
        }
        Err(e) => {
            night.failures.push(format!("load: {e}"));
            night
                .general
                .push(format!("load: {}", skyfit_core::error::full_message(&e)));
            None
        }
    };
    night
        .stages
        .insert(Stage::Load, load_started.elapsed().as_secs_f64());
    night.loaded = loaded;

    // 3. The data tests of the loaded core tables, in PostgreSQL: the data stays loaded
    // whatever they find; an `error` test that fails fails the run.
    if let Some(l) = &night.loaded {
        let tests_started = Instant::now();
        let tested = match ctx.queries().files() {
            Ok(files) => skyfit_pipeline::datatests::after_load(client, &files, run_id, l)
                .await
                .map_err(anyhow::Error::from),
            Err(e) => Err(e.into()),
        };
        match tested {
            Ok(results) => {
                for r in results
                    .iter()
                    .filter(|r| skyfit_pipeline::datatests::is_fatal(r))
                {
                    night.failures.push(test_line(r));
                }
                night.tests = results;
            }
            Err(e) => {
                night.failures.push(format!("data tests: {e:#}"));
                night.general.push(format!("data tests: {e:#}"));
            }
        }
        night
            .stages
            .insert(Stage::Tests, tests_started.elapsed().as_secs_f64());
    }

    items.clear();
    drop(items);

    // 4. One summary: totals, what needs attention, where to look next.
    let stale = stale_tables(ctx, client).await;
    let mut out = String::new();
    if args.summary == Summary::Full {
        for s in extractions.iter().flatten() {
            out.push_str(&format!("\n{}", s.render()));
        }
        if let Some(s) = &night.loaded {
            out.push('\n');
            out.push_str(&load::summary_table(s));
        }
    } else {
        // EVO webhook callbacks (the full tables say them): only when some were pending.
        for w in extractions
            .iter()
            .flatten()
            .filter_map(|s| s.webhooks.as_ref())
        {
            out.push_str(&w.render());
        }
    }
    out.push_str(&summary(
        run_id,
        started.elapsed().as_secs_f64(),
        &extractions,
        night,
        &stale,
    ));
    console().print(&out);
    Ok(if night.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The end of a run, one fact a line: totals, then what needs attention, then where to look.
fn summary(
    run_id: &RunId,
    secs: f64,
    extractions: &[skyfit_extract::Result<RunSummary>],
    night: &Night,
    stale: &[String],
) -> String {
    let mut out = format!("\nRun {run_id} took {secs:.1}s.\n");
    let done: Vec<&RunSummary> = extractions.iter().flatten().collect();
    if !done.is_empty() {
        let entities: usize = done.iter().map(|s| s.entities.len()).sum();
        let records: u64 = done.iter().map(|s| s.records()).sum();
        let budgets: Vec<String> = done
            .iter()
            .map(|s| match s.request_budget {
                Some(b) => format!("{} {}/{}", s.source, n(s.requests), n(b)),
                None => format!("{} {}", s.source, n(s.requests)),
            })
            .collect();
        out.push_str(&format!(
            "Extracted {} records from {entities} entities; API requests (sent/allowed by the rate limit in that time): {}.\n",
            n(records),
            budgets.join(", ")
        ));
    }
    if let Some(l) = &night.loaded {
        let rows: u64 = l.targets.iter().map(|t| t.rows).sum();
        let up_to_date = l.targets.iter().filter(|t| t.up_to_date).count();
        let mut line = format!("Loaded {} rows into {} targets", n(rows), l.targets.len());
        if up_to_date > 0 {
            line.push_str(&format!(" ({up_to_date} up to date)"));
        }
        if !l.failed.is_empty() {
            line.push_str(&format!("; {} failed", l.failed.len()));
        }
        out.push_str(&format!("{line}.\n"));
    }
    if !night.tests.is_empty() {
        let passed = night.tests.iter().filter(|r| r.passed).count();
        out.push_str(&format!(
            "Data tests: {passed} passed, {} failed.\n",
            night.tests.len() - passed
        ));
    }

    let mut attention = Vec::new();
    let rejected: Vec<String> = done
        .iter()
        .flat_map(|s| &s.entities)
        .filter(|e| e.rejects > 0)
        .map(|e| {
            let name = match &e.scope {
                Some(scope) => format!("{scope}/{}", e.entity),
                None => e.entity.clone(),
            };
            format!("{name} {}", n(e.rejects))
        })
        .collect();
    if !rejected.is_empty() {
        attention.push(format!(
            "records rejected into the lake's _rejects/: {}",
            rejected.join(", ")
        ));
    }
    if let Some(l) = &night.loaded {
        let quarantined: Vec<String> = l
            .targets
            .iter()
            .filter(|t| t.quarantined > 0)
            .map(|t| format!("{} {}", t.target, n(t.quarantined)))
            .collect();
        if !quarantined.is_empty() {
            attention.push(format!(
                "values quarantined in meta.quarantine: {}",
                quarantined.join(", ")
            ));
        }
    }
    attention.extend(
        night
            .tests
            .iter()
            .filter(|r| !r.passed && !skyfit_pipeline::datatests::is_fatal(r))
            .map(test_line),
    );
    if !stale.is_empty() {
        const SHOWN: usize = 5;
        let mut names = stale[..stale.len().min(SHOWN)].join(", ");
        if stale.len() > SHOWN {
            names.push_str(&format!(" and {} more", stale.len() - SHOWN));
        }
        attention.push(format!("{} stale table(s): {names}", stale.len()));
    }
    if !attention.is_empty() {
        out.push_str("Needs attention:\n");
        for a in &attention {
            out.push_str(&format!("  - {a}\n"));
        }
    }
    if night.failures.is_empty() {
        out.push_str(&format!(
            "All steps succeeded. `skyfit status` shows each table's freshness, `skyfit status --run {run_id}` this run's rows.\n"
        ));
    } else {
        out.push_str(&format!("{} step(s) failed:\n", night.failures.len()));
        for f in &night.failures {
            out.push_str(&format!("  - {f}\n"));
        }
        out.push_str(&format!(
            "`skyfit status --run {run_id}` shows this run's rows, `skyfit status` each table's freshness.\n"
        ));
    }
    out
}

/// The tables past their freshness limit, as `skyfit status` marks them (none when the check
/// cannot run: it is said in a warning).
async fn stale_tables(ctx: &Context, client: &Client) -> Vec<String> {
    match skyfit_warehouse::freshness(client, &status::limits(&ctx.config), Utc::now()).await {
        Ok(f) => f.stale().map(|t| t.table.clone()).collect(),
        Err(error) => {
            tracing::warn!(%error, "Could not check the tables' freshness for the summary.");
            Vec::new()
        }
    }
}

/// `[error] core.t unique(id): 3 failing row(s), e.g. ...`.
fn test_line(r: &skyfit_warehouse::TestResult) -> String {
    format!(
        "[{}] {} {}: {}",
        r.test.severity.as_str(),
        r.test.table,
        r.test.name,
        failure_text(r)
    )
}

/// `3 failing rows, e.g. {"id": 1}, {"id": 2}` or why the test could not run.
fn failure_text(r: &skyfit_warehouse::TestResult) -> String {
    if let Some(e) = &r.error {
        return format!("could not run: {e}");
    }
    let mut text = format!("{} failing row(s)", r.failing_rows);
    if !r.sample_keys.is_empty() {
        let keys: Vec<String> = r.sample_keys.iter().map(|k| k.to_string()).collect();
        text.push_str(&format!(", e.g. {}", keys.join(", ")));
    }
    text
}

/// The run's [`RunReport`], from what it did and, when the database was reached, the
/// freshness of every table (the check `skyfit status` makes).
async fn build_report(
    ctx: &Context,
    run_id: &RunId,
    started_at: DateTime<Utc>,
    night: &Night,
    stopped: Option<String>,
) -> RunReport {
    let mut entities = Vec::new();
    for (source, result) in &night.extractions {
        match result {
            Ok(summary) => entities.extend(summary.entities.iter().map(|e| EntityReport {
                source: source.to_string(),
                scope: e.scope.clone(),
                entity: e.entity.clone(),
                records: e.records,
                rejects: e.rejects,
                pages: e.pages,
                requests: e.requests,
                throttled: e.throttled,
                error: e.error.clone(),
            })),
            Err(stopped) => entities.push(EntityReport {
                source: source.to_string(),
                scope: stopped.scope.clone(),
                entity: stopped.entity.clone(),
                error: Some(stopped.error.clone()),
                ..Default::default()
            }),
        }
    }
    let mut targets = Vec::new();
    if let Some(l) = &night.loaded {
        targets.extend(l.targets.iter().map(|t| TargetReport {
            table: t.target.clone(),
            rows: t.rows,
            quarantined: t.quarantined,
            status: if t.up_to_date {
                TargetStatus::UpToDate
            } else {
                TargetStatus::Loaded
            },
            error: None,
        }));
        targets.extend(l.failed.iter().map(|f| TargetReport {
            table: f.target.clone(),
            rows: 0,
            quarantined: 0,
            status: TargetStatus::Failed,
            error: Some(f.error.clone()),
        }));
    }
    let failed = stopped.is_some() || !night.failures.is_empty();
    let something_done = entities.iter().any(|e| e.error.is_none())
        || targets.iter().any(|t| t.status != TargetStatus::Failed);
    let status = match (failed, something_done) {
        (false, _) => RunStatus::Succeeded,
        (true, true) if stopped.is_none() => RunStatus::Partial,
        _ => RunStatus::Failed,
    };
    let mut general = night.general.clone();
    general.extend(stopped);
    let mut report = RunReport::new(run_id.to_string(), "run", status, started_at, Utc::now());
    report.stages = night.stages.clone();
    report.entities = entities;
    report.targets = targets;
    report.error = (!general.is_empty()).then(|| general.join("; "));
    report.test_failures = night
        .tests
        .iter()
        .filter(|r| !r.passed)
        .map(|r| TestFailure {
            test: r.test.name.clone(),
            table: r.test.table.clone(),
            severity: match r.test.severity {
                skyfit_warehouse::TestSeverity::Warn => skyfit_report::Severity::Warn,
                skyfit_warehouse::TestSeverity::Error => skyfit_report::Severity::Error,
            },
            failing_rows: r.failing_rows,
            sample_keys: r.sample_keys.iter().map(|k| k.to_string()).collect(),
        })
        .collect();

    if let Some(client) = night.client.as_ref().filter(|c| !c.is_closed()) {
        match skyfit_warehouse::freshness(client, &status::limits(&ctx.config), Utc::now()).await {
            Ok(f) => {
                report.stale_tables = f
                    .stale()
                    .map(|t| StaleTable {
                        table: t.table.clone(),
                        age_secs: t.age_secs.unwrap_or(0).max(0) as u64,
                        limit_secs: t.limit_secs,
                    })
                    .collect();
                report.last_success = f
                    .sources
                    .iter()
                    .filter_map(|s| Some((s.source.clone(), s.last_success?)))
                    .collect();
            }
            Err(error) => tracing::warn!(
                %error,
                "Could not check the tables' freshness; the alert and metrics leave stale tables out."
            ),
        }
    }
    report
}

/// Builds the report and hands it to the alert webhook and the metrics outputs configured,
/// both at once. A failure to deliver is a warning; nothing here fails the run.
async fn report(
    ctx: &Context,
    run_id: &RunId,
    started_at: DateTime<Utc>,
    night: &Night,
    stopped: Option<String>,
) {
    let alerts = &ctx.config.alerts;
    let metrics = &ctx.config.metrics;
    let alert_cfg = alerts.webhook_url.as_ref().and_then(|url| {
        match AlertConfig::try_new(url.expose()) {
            Ok(c) => Some(
                c.with_quarantine_threshold(alerts.quarantine_threshold)
                    .with_format(match alerts.format {
                        skyfit_core::config::AlertFormat::Auto => WebhookFormat::Auto,
                        skyfit_core::config::AlertFormat::Slack => WebhookFormat::Slack,
                        skyfit_core::config::AlertFormat::Teams => WebhookFormat::Teams,
                    }),
            ),
            Err(error) => {
                tracing::warn!(%error, "alerts.webhook_url is not a usable URL; no alert is sent.");
                None
            }
        }
    });
    let mut metrics_cfg = MetricsConfig::default();
    if let Some(path) = &metrics.textfile {
        metrics_cfg = metrics_cfg.with_textfile(path);
    }
    if let Some(url) = &metrics.pushgateway_url {
        match PushConfig::try_new(url.expose()) {
            Ok(p) => metrics_cfg = metrics_cfg.with_pushgateway(p),
            Err(error) => tracing::warn!(
                %error,
                "metrics.pushgateway_url is not a usable URL; the metrics are not pushed."
            ),
        }
    }
    if alert_cfg.is_none() && metrics_cfg.textfile.is_none() && metrics_cfg.pushgateway.is_none() {
        return;
    }

    let report = build_report(ctx, run_id, started_at, night, stopped).await;
    let alert = async {
        match &alert_cfg {
            Some(cfg) => Some(skyfit_report::notify(cfg, &report).await),
            None => None,
        }
    };
    let (alert, published) = tokio::join!(alert, skyfit_report::publish(&metrics_cfg, &report));
    match alert {
        Some(d) if d.is_failed() => {
            tracing::warn!(run_id = %run_id, outcome = %d, "The alert was not delivered.")
        }
        Some(d) => eprintln!("Alert: {d}."),
        None => {}
    }
    if published.has_failure() {
        tracing::warn!(run_id = %run_id, outcome = %published, "The metrics were not all published.");
    } else if metrics_cfg.textfile.is_some() || metrics_cfg.pushgateway.is_some() {
        eprintln!("Metrics: {published}.");
    }
}
