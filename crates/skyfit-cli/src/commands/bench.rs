//! `skyfit bench entries`: the EVO entries path end to end against PostgreSQL's own limit.
//!
//! Wiring only: the harness lives in `skyfit_benches::e2e`. The bench creates (and drops) its
//! own database `skyfit_bench` on the configured server, so it never touches real tables.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use skyfit_benches::e2e::{EntriesBench, run};

use crate::cli::{BenchArgs, BenchCommand};
use crate::context::Context;

pub async fn run_bench(ctx: &Context, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Entries(args) => entries(ctx, args).await,
    }
}

async fn entries(ctx: &Context, args: BenchArgs) -> Result<ExitCode> {
    let server = ctx.database().await?;
    let bench = EntriesBench {
        records: args.records,
        duplicate_pct: args.duplicates_pct,
        seed: args.seed,
        work_dir: args.work_dir,
        queries_dir: ctx.queries_dir(),
        pg_options: args.pg_options,
        skip_limit: args.skip_limit,
        delta: args.delta,
        keep_database: args.keep_database,
        chunk_records: args.chunk_records,
        unclustered: args.unclustered,
        lake: if args.configured_lake {
            Some(ctx.lake()?)
        } else {
            None
        },
        latency: args.latency_ms.map(std::time::Duration::from_millis),
    };
    eprintln!(
        "Benchmarking {} entries (+{}% re-extracted) in {} …",
        bench.records,
        bench.duplicate_pct,
        bench.work_dir.display()
    );
    let report = run(&bench, &server)
        .await
        .context("the entries benchmark failed")?;
    print!("{}", report.render());
    Ok(ExitCode::SUCCESS)
}
