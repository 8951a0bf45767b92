//! `skyfit bench entries`: the EVO entries path end to end against PostgreSQL's own limit;
//! `skyfit bench adopt`: adopting an original-layout EVO entries lake.
//!
//! Wiring only: the harnesses live in `skyfit_benches::e2e` and `skyfit_benches::adopt`. The
//! entries bench creates (and drops) its own database `skyfit_bench` on the configured server,
//! so it never touches real tables; the adopt bench needs no database and only its own lake
//! under `--work-dir`.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use skyfit_benches::e2e::{EntriesBench, run};

use crate::cli::{AdoptBenchArgs, BenchArgs, BenchCommand};
use crate::context::Context;

pub async fn run_bench(ctx: &Context, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Entries(args) => entries(ctx, args).await,
        BenchCommand::Adopt(args) => adopt(args).await,
    }
}

async fn adopt(args: AdoptBenchArgs) -> Result<ExitCode> {
    let bench = skyfit_benches::adopt::AdoptBench {
        records: args.records,
        seed: args.seed,
        work_dir: args.work_dir,
        repeat: args.repeat,
        concurrency: args.concurrency,
    };
    eprintln!(
        "Benchmarking the adoption of {} original entries in {} …",
        bench.records,
        bench.work_dir.display()
    );
    let report = skyfit_benches::adopt::run(&bench)
        .await
        .context("the adopt benchmark failed")?;
    print!("{}", report.render());
    Ok(ExitCode::SUCCESS)
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
