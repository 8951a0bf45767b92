//! `skyfit extract <source> [entities]`.
//!
//! Works without a database. When one is configured, a successful extraction also writes its
//! bronze rows of the run ledger (`meta.pipeline_runs`) and mirrors the watermarks into
//! `meta.watermarks`, as `skyfit run` does; a database that cannot be reached is a warning,
//! never a failed extraction (the lake holds the truth and the next `skyfit run` catches up).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use skyfit_core::{RunId, Source};
use skyfit_extract::{ExtractRequest, RunSummary};
use skyfit_warehouse::{RunOutcome, RunRecord, RunStatus};
use tokio_postgres::Client;

use crate::cli::ExtractArgs;
use crate::commands::progress::Items;
use crate::commands::sources;
use crate::context::Context;

/// How long the best-effort ledger write may take before it is given up.
const LEDGER_BUDGET: Duration = Duration::from_secs(30);

fn date(s: &Option<String>, flag: &str) -> Result<Option<NaiveDate>> {
    s.as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .with_context(|| format!("{flag} {d}: expected YYYY-MM-DD"))
        })
        .transpose()
}

pub async fn run(ctx: &Context, args: ExtractArgs) -> Result<ExitCode> {
    let source: Source = args.source.parse().map_err(anyhow::Error::msg)?;
    let req = ExtractRequest::new(source)
        .with_entities(args.entities.clone())
        .with_range(date(&args.since, "--since")?, date(&args.until, "--until")?)
        .with_full(args.full)
        .with_resume(args.resume);
    let lake = ctx.lake()?;
    let sim_scale = sources::requested_scale(args.simulate, args.sim_scale.as_deref());
    let resolved = sources::resolve(&ctx.config, &[source], sim_scale).await?;
    let mut options = resolved.options.clone();
    if let Some(n) = args.part_records {
        options.part_limits.max_records = n.max(1);
    }
    // Bars while it runs; the table printed at the end lists every entity once.
    let items = Items::transient();
    let result = skyfit_extract::extract(&req, &resolved.config, &options, &lake, &items).await;
    drop(items);
    drop(resolved);
    let summary = result.map_err(|e| {
        anyhow::Error::new(e).context("extraction failed; rerun with --resume to continue it")
    })?;
    record_best_effort(ctx, &summary).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{}", summary.render());
    }
    Ok(ExitCode::SUCCESS)
}

/// The bronze rows of the run ledger, one per entity (also written by `skyfit run`).
pub async fn record(client: &Client, s: &RunSummary) -> Result<()> {
    for e in &s.entities {
        let rec = RunRecord {
            source: s.source.to_string(),
            scope: e.scope.clone(),
            entity: e.entity.clone(),
            run_id: s.run_id.to_string(),
            ingestion_date: s.run_id.ingestion_date().0,
            stage: "bronze".into(),
        };
        let metadata = serde_json::to_value(e)?;
        let outcome = RunOutcome {
            status: if e.status == "failed" {
                RunStatus::Failed
            } else {
                RunStatus::Success
            },
            records_processed: e.records as i64,
            records_rejected: e.rejects as i64,
            error: e.error.as_deref(),
            metadata: Some(&metadata),
            simulated: e.simulated,
        };
        skyfit_warehouse::record_run(client, &rec, &outcome).await?;
    }
    Ok(())
}

/// The FAILED bronze row of an extraction that failed as a whole (`skyfit run`), for the
/// entity the error names, else `*`.
pub async fn record_failure(
    client: &Client,
    source: Source,
    run_id: &RunId,
    error: &skyfit_extract::Error,
    simulated: bool,
) -> Result<()> {
    let rec = RunRecord {
        source: source.to_string(),
        scope: error.location().and_then(|l| l.scope.clone()),
        entity: error
            .location()
            .map(|l| l.entity.clone())
            .unwrap_or_else(|| "*".into()),
        run_id: run_id.to_string(),
        ingestion_date: run_id.ingestion_date().0,
        stage: "bronze".into(),
    };
    let message = error.to_string();
    let outcome = RunOutcome {
        simulated,
        ..RunOutcome::failed(&message)
    };
    skyfit_warehouse::record_run(client, &rec, &outcome).await?;
    Ok(())
}

/// Upserts the watermark each entity of the run stored in the lake into `meta.watermarks`;
/// returns how many rows were written. Entities without a watermark (failed) are left alone.
pub async fn mirror_watermarks(client: &Client, s: &RunSummary) -> skyfit_warehouse::Result<usize> {
    let mut written = 0;
    for e in &s.entities {
        if let Some(wm) = &e.watermark {
            skyfit_warehouse::upsert_watermark(
                client,
                s.source.as_str(),
                e.scope.as_deref(),
                &e.entity,
                wm,
            )
            .await?;
            written += 1;
        }
    }
    Ok(written)
}

/// The ledger rows and the watermark mirror, when a database is configured; warns on failure.
/// The embedded default is not started for this: `skyfit run` mirrors on its next night.
async fn record_best_effort(ctx: &Context, s: &RunSummary) {
    if ctx.config.database.is_embedded() {
        tracing::info!(
            "No database configured: the watermarks stay in the lake only until `skyfit run` mirrors them."
        );
        return;
    }
    let write = async {
        let db = skyfit_warehouse::Database::try_new(&ctx.config.database)?;
        let mut client = skyfit_warehouse::connect_with_retry(&db, Duration::from_secs(5)).await?;
        skyfit_warehouse::migrate(&mut client).await?;
        record(&client, s).await?;
        let n = mirror_watermarks(&client, s).await?;
        anyhow::Ok((db.target(), n))
    };
    match tokio::time::timeout(LEDGER_BUDGET, write).await {
        Ok(Ok((target, n))) => {
            tracing::info!(database = %target, watermarks = n, "Recorded the run in the ledger.")
        }
        Ok(Err(error)) => tracing::warn!(
            error = format!("{error:#}"),
            "Could not record the run in the database; the lake has it and the next `skyfit run` mirrors the watermarks."
        ),
        Err(_) => tracing::warn!(
            secs = LEDGER_BUDGET.as_secs(),
            "Recording the run in the database timed out; the lake has it."
        ),
    }
}
