//! `skyfit load` and `skyfit transform`: complete bronze runs into stg and core.

use std::process::ExitCode;

use anyhow::Result;
use skyfit_pipeline::{LoadOptions, LoadSummary};

use crate::cli::LoadArgs;
use crate::context::Context;

pub fn options(ctx: &Context, args: &LoadArgs) -> Result<LoadOptions> {
    let mut opts = LoadOptions::new(ctx.queries_dir());
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
    let client = ctx.migrate(&db).await?;
    let mut opts = options(ctx, &args)?;
    opts.core_only = core_only;
    // The ledger: a `load` row for the whole load, then one per target (as `skyfit run`).
    let run_id = skyfit_core::RunId::now();
    let row = super::run::open_load_row(&client, &run_id).await?;
    let loaded = skyfit_pipeline::load(&lake, &db, &opts).await;
    super::run::close_load_row(&client, row, &loaded).await?;
    match loaded {
        Ok(summary) => {
            super::run::record_load(&client, &run_id, &summary).await?;
            print_summary(&summary);
            Ok(ExitCode::SUCCESS)
        }
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => {
            super::run::record_load(&client, &run_id, &summary).await?;
            print_summary(&summary);
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

pub fn print_summary(s: &LoadSummary) {
    println!(
        "{:<34} {:<16} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>11} {:>8}",
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
            println!("{:<34} {:<16} up to date", t.target, t.strategy);
            continue;
        }
        println!(
            "{:<34} {:<16} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>11} {:>8.2}",
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
        );
    }
    if !s.reconciliation.is_empty() {
        println!("\nreconciliation (bronze → rejected → dropped → stg → core):");
        for r in &s.reconciliation {
            println!("  {}", r.render());
        }
    }
}
