//! `skyfit run`: the nightly job. Extract every selected source concurrently, load every
//! complete bronze run not yet loaded into stg and core, print one summary. The extraction's
//! ledger rows are written here ([`extract::record`]), the load's by the load itself, under
//! the night's run id. Exits non-zero when any step failed; what succeeded stays committed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use skyfit_core::{RunId, Source};
use skyfit_extract::ExtractRequest;

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
                extract::record(&client, summary).await?;
                extract::mirror_watermarks(&client, summary).await?;
            }
            Err(e) => {
                failures.push(format!("extract {}: {e}", req.source));
                let simulated = simulated.contains(&req.source);
                extract::record_failure(&client, req.source, &run_id, e, simulated).await?;
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
    let mut opts = load::options(ctx, &load_args)?;
    opts.run_id = run_id.clone();
    let loaded = match skyfit_pipeline::load(&lake, &db, &opts).await {
        Ok(s) => Some(s),
        // Some targets failed, the others loaded: report the failures.
        Err(skyfit_pipeline::Error::TargetsFailed { summary }) => {
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
