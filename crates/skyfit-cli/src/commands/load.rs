//! `skyfit load` and `skyfit transform`: complete bronze runs into stg and core. The load
//! writes its own ledger rows (`meta.pipeline_runs`, one `load` row and one per target).

use std::process::ExitCode;

use anyhow::Result;
use skyfit_pipeline::{LoadOptions, LoadSummary};

use crate::cli::LoadArgs;
use crate::commands::progress::{Items, console};
use crate::context::Context;

pub fn options(ctx: &Context, args: &LoadArgs) -> Result<LoadOptions> {
    let mut opts = LoadOptions::new(ctx.queries());
    opts.sources = args
        .sources
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    opts.entities = args.entities.clone();
    opts.full_refresh = args.full_refresh;
    opts.reload = args.reload;
    opts.wait_for_lock = args.wait;
    opts.allow_simulated = super::sources::allow_simulated_load(&ctx.config, args.allow_simulated);
    opts.session = ctx.session_options();
    Ok(opts)
}

pub async fn run(ctx: &Context, args: LoadArgs, core_only: bool) -> Result<ExitCode> {
    let lake = ctx.lake()?;
    let db = ctx.database().await?;
    // Migrated before the load, which writes its ledger rows in `meta`.
    drop(ctx.migrate(&db).await?);
    let mut opts = options(ctx, &args)?;
    opts.core_only = core_only;
    // Bars while it runs; the table below lists every target once.
    let items = Items::transient();
    let loaded = skyfit_pipeline::load_with_progress(&lake, &db, &opts, &items).await;
    drop(items);
    match loaded {
        Ok(summary) => {
            console().print(&summary_table(&summary));
            Ok(ExitCode::SUCCESS)
        }
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => {
            console().print(&summary_table(&summary));
            for f in &summary.failed {
                eprintln!("error: {} failed: {}", f.target, f.error);
            }
            Err(anyhow::anyhow!(
                "{} of {} targets failed (the others loaded); fix the cause and run `skyfit load` again: it loads what is still pending",
                summary.failed.len(),
                summary.failed.len() + summary.targets.len()
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every target's row, and the reconciliation of each bronze entity.
pub fn summary_table(s: &LoadSummary) -> String {
    let mut out = format!(
        "{:<34} {:<16} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>11} {:>8}\n",
        "target",
        "strategy",
        "parts",
        "bronze",
        "rows",
        "inserted",
        "updated",
        "deleted",
        "quarantined",
        "seconds"
    );
    for t in &s.targets {
        if t.up_to_date {
            out.push_str(&format!("{:<34} {:<16} up to date\n", t.target, t.strategy));
            continue;
        }
        out.push_str(&format!(
            "{:<34} {:<16} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>11} {:>8.2}\n",
            t.target,
            t.strategy,
            t.parts,
            t.bronze_records,
            t.rows,
            t.inserted,
            t.updated,
            t.deleted,
            t.quarantined,
            t.seconds
        ));
    }
    if !s.reconciliation.is_empty() {
        out.push_str("\nreconciliation (bronze → rejected → dropped → stg → core):\n");
        for r in &s.reconciliation {
            out.push_str(&format!("  {}\n", r.render()));
        }
    }
    out
}
