//! `skyfit status`: recent rows of `meta.pipeline_runs`, and what adopting the original
//! system's lake left to do.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::context::Context;

pub async fn run(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    if !args.json {
        adoption(ctx).await;
    }
    let client = ctx.migrated_client().await?;
    let rows = skyfit_warehouse::recent_runs(&client, args.limit).await?;
    if args.json {
        for r in &rows {
            let v = serde_json::json!({
                "source": r.source, "scope": r.scope, "entity": r.entity, "run_id": r.run_id,
                "stage": r.stage, "status": r.status, "started_at": r.started_at,
                "finished_at": r.finished_at, "records_processed": r.records_processed,
                "records_rejected": r.records_rejected, "error": r.error_message,
            });
            println!("{v}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("No runs yet. Start one with `skyfit run`.");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<17} {:<10} {:<9} {:<22} {:<5} {:<8} {:>12} {:>8} {:>9}  error",
        "run_id", "source", "scope", "entity", "stage", "status", "records", "rejected", "seconds"
    );
    for r in &rows {
        let secs = r.finished_at.map(|f| {
            format!(
                "{:.1}",
                (f - r.started_at).num_milliseconds() as f64 / 1000.0
            )
        });
        println!(
            "{:<17} {:<10} {:<9} {:<22} {:<5} {:<8} {:>12} {:>8} {:>9}  {}",
            r.run_id,
            r.source,
            r.scope.as_deref().unwrap_or("-"),
            r.entity,
            r.stage,
            r.status,
            r.records_processed,
            r.records_rejected,
            secs.as_deref().unwrap_or("running"),
            r.error_message.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the latest `skyfit lake adopt` could not do, so it stays in view until it is fixed.
async fn adoption(ctx: &Context) {
    let report = match ctx.lake() {
        Ok(lake) => lake.adoption_report().await,
        Err(e) => {
            tracing::warn!(error = %e, "Cannot open the lake to read the adoption report.");
            return;
        }
    };
    let report = match report {
        Ok(Some(report)) => report,
        Ok(None) => return,
        Err(e) => {
            println!("Adoption report unreadable: {e}");
            return;
        }
    };
    let lines = super::lake::attention_lines(&report);
    if lines.is_empty() {
        return;
    }
    println!(
        "The original system's lake (adopted {}): {} runs need attention",
        report
            .finished_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        report.attention().count()
    );
    for line in lines {
        println!("  {line}");
    }
    println!(
        "  (`skyfit lake adopt` retries what can be retried; `--dry-run` shows what it would do)\n"
    );
}
