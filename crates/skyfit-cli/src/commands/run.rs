//! `skyfit run`: the nightly job. Extract every selected source concurrently, load every
//! complete bronze run not yet loaded into stg and core, write the ledger, print one summary.
//! Exits non-zero when any step failed; what succeeded stays committed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use skyfit_core::{RunId, Source};
use skyfit_extract::{ExtractRequest, RunSummary};
use skyfit_pipeline::LoadSummary;
use skyfit_warehouse::{RunRecord, RunStatus, finish_run, mark_simulated, start_run};
use tokio_postgres::Client;

use crate::cli::{LoadArgs, RunArgs};
use crate::commands::{extract, load, progress::Progress, sources};
use crate::context::Context;

pub async fn run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let run_id = RunId::now();
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
    let client = ctx.migrate(&db).await?;
    eprintln!(
        "Nightly run {run_id}: lake {}, database {}.",
        lake.url(),
        db.target()
    );

    // 1. Extract, sources concurrently.
    let sim_scale = sources::requested_scale(args.simulate, args.sim_scale.as_deref());
    let resolved = sources::resolve(&ctx.config, &selected, sim_scale).await?;
    let progress = Progress::default();
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
    let extractions = futures::future::join_all(requests.iter().map(|r| {
        skyfit_extract::extract(r, &resolved.config, &resolved.options, &lake, &progress)
    }))
    .await;
    let simulated = resolved.options.simulated.clone();
    drop(resolved);
    let mut failures = Vec::new();
    for (req, result) in requests.iter().zip(&extractions) {
        match result {
            Ok(summary) => {
                record_extract(&client, summary).await?;
                extract::mirror_watermarks(&client, summary).await?;
            }
            Err(e) => {
                failures.push(format!("extract {}: {e}", req.source));
                let rec = RunRecord {
                    source: req.source.to_string(),
                    scope: e.location().and_then(|l| l.scope.clone()),
                    entity: e
                        .location()
                        .map(|l| l.entity.clone())
                        .unwrap_or_else(|| "*".into()),
                    run_id: run_id.to_string(),
                    ingestion_date: run_id.ingestion_date().0,
                    stage: "bronze".into(),
                };
                let id = start_run(&client, &rec).await?;
                if simulated.contains(&req.source) {
                    mark_simulated(&client, id).await?;
                }
                finish_run(
                    &client,
                    id,
                    RunStatus::Failed,
                    0,
                    0,
                    Some(&e.to_string()),
                    None,
                )
                .await?;
            }
        }
    }

    // 2. Load whatever is complete and not yet loaded (including earlier nights' runs).
    let load_args = LoadArgs {
        sources: selected.iter().map(|s| s.to_string()).collect(),
        entities: args.entities.clone(),
        full_refresh: args.full_refresh,
        reload: false,
        wait: args.wait,
        // Asking for the simulator in this run is asking to load what it serves.
        allow_simulated: args.allow_simulated || sim_scale.is_some(),
    };
    let opts = load::options(ctx, &load_args)?;
    let row = open_load_row(&client, &run_id).await?;
    let loaded = skyfit_pipeline::load(&lake, &db, &opts).await;
    close_load_row(&client, row, &loaded).await?;
    let loaded = match loaded {
        Ok(s) => {
            record_load(&client, &run_id, &s).await?;
            Some(s)
        }
        // Some targets failed, the others loaded: record both, report the failures.
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => {
            record_load(&client, &run_id, &summary).await?;
            for f in &summary.failed {
                failures.push(format!("load {}: {}", f.target, f.error));
            }
            Some(*summary)
        }
        Err(e) => {
            failures.push(format!("load: {e}"));
            None
        }
    };

    // 3. One summary.
    println!(
        "\nSkyFit Lake run {run_id} ({:.1}s)\n",
        started.elapsed().as_secs_f64()
    );
    for s in extractions.iter().flatten() {
        println!("{}", s.render());
    }
    if let Some(s) = &loaded {
        load::print_summary(s);
    }
    if failures.is_empty() {
        println!("\nAll steps succeeded. `skyfit status` shows the ledger.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} step(s) failed:", failures.len());
        for f in &failures {
            println!("  - {f}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// The bronze rows of the run ledger, one per entity (also written by `skyfit extract`).
pub(crate) async fn record_extract(client: &Client, s: &RunSummary) -> Result<()> {
    for e in &s.entities {
        let rec = RunRecord {
            source: s.source.to_string(),
            scope: e.scope.clone(),
            entity: e.entity.clone(),
            run_id: s.run_id.to_string(),
            ingestion_date: s.run_id.ingestion_date().0,
            stage: "bronze".into(),
        };
        let id = start_run(client, &rec).await?;
        if e.simulated {
            mark_simulated(client, id).await?;
        }
        let status = if e.status == "failed" {
            RunStatus::Failed
        } else {
            RunStatus::Success
        };
        let meta = serde_json::to_value(e)?;
        finish_run(
            client,
            id,
            status,
            e.records as i64,
            e.rejects as i64,
            e.error.as_deref(),
            Some(&meta),
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn record_load(client: &Client, run_id: &RunId, s: &LoadSummary) -> Result<()> {
    let record = |target: &str| {
        let stage = if target.starts_with("stg_") {
            "stg"
        } else {
            "core"
        };
        let source = target.split_once('.').map(|(schema, table)| {
            schema
                .strip_prefix("stg_")
                .map(str::to_string)
                .unwrap_or_else(|| match table.split('_').next() {
                    Some("pd") => "pipedrive".into(),
                    Some("zd") => "zendesk".into(),
                    _ => "evo".into(),
                })
        });
        RunRecord {
            source: source.unwrap_or_default(),
            scope: None,
            entity: target.to_string(),
            run_id: run_id.to_string(),
            ingestion_date: run_id.ingestion_date().0,
            stage: stage.into(),
        }
    };
    for t in s.targets.iter().filter(|t| !t.up_to_date) {
        let id = start_run(client, &record(&t.target)).await?;
        if s.simulated.iter().any(|r| r.target == t.target) {
            mark_simulated(client, id).await?;
        }
        let meta = serde_json::to_value(t)?;
        finish_run(
            client,
            id,
            RunStatus::Success,
            t.rows as i64,
            t.quarantined as i64,
            None,
            Some(&meta),
        )
        .await?;
    }
    for f in &s.failed {
        let id = start_run(client, &record(&f.target)).await?;
        finish_run(client, id, RunStatus::Failed, 0, 0, Some(&f.error), None).await?;
    }
    Ok(())
}

/// A `load` row in `meta.pipeline_runs`, RUNNING until [`close_load_row`]: a load killed
/// half-way leaves it RUNNING, so the ledger shows that it started and never ended.
pub(crate) async fn open_load_row(client: &Client, run_id: &RunId) -> Result<i64> {
    let rec = RunRecord {
        source: "*".into(),
        scope: None,
        entity: "*".into(),
        run_id: run_id.to_string(),
        ingestion_date: run_id.ingestion_date().0,
        stage: "load".into(),
    };
    Ok(start_run(client, &rec).await?)
}

/// SUCCESS with the rows loaded, or FAILED with the error; marked simulated when it loaded
/// runs of the built-in API simulator.
pub(crate) async fn close_load_row(
    client: &Client,
    id: i64,
    loaded: &skyfit_pipeline::Result<LoadSummary>,
) -> Result<()> {
    let summary = match loaded {
        Ok(s) => Some(s),
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => Some(&**summary),
        Err(_) => None,
    };
    if summary.is_some_and(|s| !s.simulated.is_empty()) {
        mark_simulated(client, id).await?;
    }
    let (status, rows, bad, error) = match loaded {
        Ok(s) => (
            RunStatus::Success,
            s.targets.iter().map(|t| t.rows as i64).sum(),
            s.targets.iter().map(|t| t.quarantined as i64).sum(),
            None,
        ),
        Err(e) => (RunStatus::Failed, 0, 0, Some(e.to_string())),
    };
    finish_run(client, id, status, rows, bad, error.as_deref(), None).await?;
    Ok(())
}
