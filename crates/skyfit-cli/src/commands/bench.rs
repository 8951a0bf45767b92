//! `skyfit bench entries`: the EVO entries path end to end against PostgreSQL's own limit;
//! `skyfit bench adopt`: adopting an original-layout EVO entries lake.
//!
//! Wiring only: the harnesses live in `skyfit_benches::e2e` and `skyfit_benches::adopt`. The
//! entries bench creates (and drops) its own database `skyfit_bench` on the configured server,
//! so it never touches real tables; the adopt bench needs no database and only its own lake
//! under `--work-dir`.
//!
//! The harnesses are the Cargo feature `bench` (on by default); a binary built without it
//! answers `skyfit bench` with an error saying so.

use std::process::ExitCode;

#[cfg(feature = "bench")]
use anyhow::Context as _;
use anyhow::Result;
#[cfg(feature = "bench")]
use skyfit_benches::e2e::{EntriesBench, run};

use crate::cli::BenchCommand;
#[cfg(feature = "bench")]
use crate::cli::{AdoptBenchArgs, BenchArgs};
use crate::context::Context;

#[cfg(feature = "bench")]
pub async fn run_bench(ctx: &Context, cmd: BenchCommand) -> Result<ExitCode> {
    match cmd {
        BenchCommand::Entries(args) => entries(ctx, args).await,
        BenchCommand::Adopt(args) => adopt(args).await,
    }
}

#[cfg(not(feature = "bench"))]
pub async fn run_bench(_ctx: &Context, _cmd: BenchCommand) -> Result<ExitCode> {
    anyhow::bail!(
        "`skyfit bench` is not in this binary: it was built without the benchmark harness \
         (Cargo feature `bench`). Build with the default features (`scripts/bench.sh` does) to run it"
    )
}

#[cfg(feature = "bench")]
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

#[cfg(feature = "bench")]
async fn entries(ctx: &Context, args: BenchArgs) -> Result<ExitCode> {
    let server = ctx.database().await?;
    let bench = EntriesBench {
        records: args.records,
        duplicate_pct: args.duplicates_pct,
        seed: args.seed,
        work_dir: args.work_dir,
        queries: ctx.queries(),
        pg_options: args.pg_options,
        skip_limit: args.skip_limit,
        delta: args.delta,
        delta_connections: args.delta_connections,
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

#[cfg(all(test, not(feature = "bench")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_the_harness_bench_says_so() {
        let ctx = Context::new(skyfit_core::Config::default(), None);
        let cmd = BenchCommand::Adopt(crate::cli::AdoptBenchArgs {
            records: 10,
            seed: 42,
            work_dir: std::env::temp_dir(),
            repeat: 1,
            concurrency: None,
        });
        let err = super::run_bench(&ctx, cmd).await.unwrap_err().to_string();
        assert!(err.contains("built without the benchmark harness"), "{err}");
    }
}
