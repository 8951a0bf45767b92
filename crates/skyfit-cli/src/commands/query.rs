//! `skyfit query run|explain|test|diff`: the data engineer's loop over the lake, without the
//! nightly job and (except `diff`) without PostgreSQL.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::dataframe::DataFrameWriteOptions;
use skyfit_transform::QueryFile;
use skyfit_transform::query::load_dir;

use crate::cli::{OutputFormat, QueryCommand};
use crate::context::Context;

pub async fn run(ctx: &Context, cmd: QueryCommand) -> Result<ExitCode> {
    let lake = ctx.lake()?;
    match cmd {
        QueryCommand::Run {
            file,
            limit,
            format,
            output,
        } => {
            let q = QueryFile::load(&file)?;
            let session = skyfit_pipeline::session_for(&lake, std::slice::from_ref(&q)).await?;
            let started = Instant::now();
            let df = session.plan(&q).await?;
            if let Some(path) = output {
                let p = path.to_string_lossy().to_string();
                let opts = DataFrameWriteOptions::new();
                match format {
                    OutputFormat::Csv => df.write_csv(&p, opts, None).await?,
                    OutputFormat::Json => df.write_json(&p, opts, None).await?,
                    OutputFormat::Parquet | OutputFormat::Table => {
                        df.write_parquet(&p, opts, None).await?
                    }
                };
                println!(
                    "Wrote {} in {:.2}s.",
                    path.display(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let total = df.clone().count().await?;
            let rows = df.limit(0, Some(limit))?.collect().await?;
            match format {
                OutputFormat::Table | OutputFormat::Parquet => {
                    println!("{}", pretty_format_batches(&rows)?)
                }
                OutputFormat::Csv => {
                    let mut w = datafusion::arrow::csv::Writer::new(std::io::stdout());
                    for b in &rows {
                        w.write(b)?;
                    }
                }
                OutputFormat::Json => {
                    let mut w =
                        datafusion::arrow::json::LineDelimitedWriter::new(std::io::stdout());
                    for b in &rows {
                        w.write(b)?;
                    }
                    w.finish()?;
                }
            }
            eprintln!(
                "{total} rows ({} shown) in {:.2}s.",
                rows.iter().map(|b| b.num_rows()).sum::<usize>(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        QueryCommand::Explain { file } => {
            let q = QueryFile::load(&file)?;
            let session = skyfit_pipeline::session_for(&lake, std::slice::from_ref(&q)).await?;
            let df = session.plan(&q).await?.explain(false, false)?;
            println!("{}", pretty_format_batches(&df.collect().await?)?);
            Ok(ExitCode::SUCCESS)
        }
        QueryCommand::Test { files } => test(ctx, &lake, &files).await,
        QueryCommand::Diff { .. } => {
            anyhow::bail!("`skyfit query diff` is not available in this build yet")
        }
    }
}

async fn test(
    ctx: &Context,
    lake: &skyfit_lake::LakeStore,
    files: &[std::path::PathBuf],
) -> Result<ExitCode> {
    let all = load_dir(&ctx.queries_dir())
        .with_context(|| format!("reading {}", ctx.queries_dir().display()))?;
    let selected: Vec<QueryFile> = if files.is_empty() {
        all.clone()
    } else {
        files
            .iter()
            .map(|f| QueryFile::load(Path::new(f)))
            .collect::<Result<_, _>>()?
    };
    let session = skyfit_pipeline::session_for(lake, &all).await?;
    let (mut passed, mut failed) = (0, 0);
    for q in &selected {
        for t in skyfit_transform::run_tests(&session, q, &all, 5).await? {
            if t.passed {
                passed += 1;
                println!("ok    {} {}", t.query, t.test);
            } else {
                failed += 1;
                println!(
                    "FAIL  {} {}: {} offending row(s)",
                    t.query, t.test, t.failures
                );
                if !t.sample.is_empty() {
                    println!("{}", t.sample);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
