//! `skyfit query run|explain|test|diff|sample`: the data engineer's loop over the lake, without
//! the nightly job and (except `diff`) without PostgreSQL.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::dataframe::DataFrameWriteOptions;
use skyfit_transform::QueryFile;

use crate::cli::{OutputFormat, QueryCommand};
use crate::context::Context;

pub async fn run(ctx: &Context, cmd: QueryCommand) -> Result<ExitCode> {
    let lake = ctx.lake()?;
    match cmd {
        QueryCommand::Run {
            file,
            limit,
            count,
            format,
            output,
        } => {
            let q = ctx.queries().load_file(&file)?;
            let started = Instant::now();
            if output.is_none() && !count {
                let p = skyfit_pipeline::preview(&lake, &q, &ctx.session_options(), limit).await?;
                print_rows(&p.batches, format)?;
                eprintln!(
                    "{} rows shown in {:.2}s; {}",
                    p.rows(),
                    started.elapsed().as_secs_f64(),
                    describe_scope(&p.scope)
                );
                return Ok(ExitCode::SUCCESS);
            }
            let session = skyfit_pipeline::session_for(
                &lake,
                std::slice::from_ref(&q),
                &ctx.session_options(),
            )
            .await?;
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
            // One pass: count every row, keep the first `limit`. (Counting and limiting as two
            // queries ran the dedup twice.)
            let mut stream = df.execute_stream().await?;
            let (mut total, mut rows) = (0usize, Vec::new());
            while let Some(batch) = futures::StreamExt::next(&mut stream).await {
                let batch = batch?;
                let kept: usize = rows
                    .iter()
                    .map(|b: &datafusion::arrow::array::RecordBatch| b.num_rows())
                    .sum();
                if kept < limit {
                    rows.push(batch.slice(0, (limit - kept).min(batch.num_rows())));
                }
                total += batch.num_rows();
            }
            print_rows(&rows, format)?;
            eprintln!(
                "{total} rows ({} shown) in {:.2}s.",
                rows.iter().map(|b| b.num_rows()).sum::<usize>(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        QueryCommand::Explain {
            file,
            analyze,
            limit,
        } => {
            let q = ctx.queries().load_file(&file)?;
            let df = match limit {
                Some(limit) => {
                    let p =
                        skyfit_pipeline::preview(&lake, &q, &ctx.session_options(), limit).await?;
                    eprintln!("The preview of {limit} rows: {}", describe_scope(&p.scope));
                    p.session.plan(&q).await?.limit(0, Some(limit))?
                }
                None => {
                    let session = skyfit_pipeline::session_for(
                        &lake,
                        std::slice::from_ref(&q),
                        &ctx.session_options(),
                    )
                    .await?;
                    session.plan(&q).await?
                }
            };
            let df = df.explain(false, analyze)?;
            println!("{}", pretty_format_batches(&df.collect().await?)?);
            Ok(ExitCode::SUCCESS)
        }
        QueryCommand::Test { files } => test(ctx, &lake, &files).await,
        QueryCommand::Diff {
            file,
            fail_on_diff,
            examples,
            json,
        } => diff(ctx, &lake, &file, fail_on_diff, examples, json).await,
        QueryCommand::Sample {
            fraction,
            output,
            whole_below,
        } => sample(&lake, fraction, &output, whole_below).await,
    }
}

fn print_rows(rows: &[datafusion::arrow::array::RecordBatch], format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Table | OutputFormat::Parquet => {
            println!("{}", pretty_format_batches(rows)?)
        }
        OutputFormat::Csv => {
            let mut w = datafusion::arrow::csv::Writer::new(std::io::stdout());
            for b in rows {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut w = datafusion::arrow::json::LineDelimitedWriter::new(std::io::stdout());
            for b in rows {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    Ok(())
}

/// Where a preview's rows came from, for stderr.
fn describe_scope(scope: &skyfit_pipeline::PreviewScope) -> String {
    match scope {
        skyfit_pipeline::PreviewScope::Bounded {
            table,
            column,
            below,
            parts_read,
            parts_total,
            ..
        } => format!(
            "a preview: rows of the full result, from the records of {table} with {column} < {below} \
             ({parts_read} of {parts_total} parts read); --count runs the whole query"
        ),
        skyfit_pipeline::PreviewScope::Whole { reason } => {
            format!("the whole query ran: {reason}")
        }
    }
}

async fn test(
    ctx: &Context,
    lake: &skyfit_lake::LakeStore,
    files: &[std::path::PathBuf],
) -> Result<ExitCode> {
    let queries = ctx.queries();
    let all = queries
        .files()
        .with_context(|| format!("reading {queries}"))?;
    let selected: Vec<QueryFile> = if files.is_empty() {
        all.clone()
    } else {
        files
            .iter()
            .map(|f| queries.load_file(Path::new(f)))
            .collect::<Result<_, _>>()?
    };
    let session = skyfit_pipeline::session_for(lake, &all, &ctx.session_options()).await?;
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

async fn diff(
    ctx: &Context,
    lake: &skyfit_lake::LakeStore,
    file: &Path,
    fail_on_diff: bool,
    examples: usize,
    json: bool,
) -> Result<ExitCode> {
    let q = ctx.queries().load_file(file)?;
    let session =
        skyfit_pipeline::session_for(lake, std::slice::from_ref(&q), &ctx.session_options())
            .await?;
    let db = ctx.database().await?;
    let client = skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(60))
        .await
        .with_context(|| format!("connecting to {}", db.target()))?;
    let opts = skyfit_pipeline::DiffOptions::default().with_examples(examples);
    let report = skyfit_pipeline::diff(&session, &client, &q, &opts).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(if fail_on_diff && report.has_differences() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn sample(
    lake: &skyfit_lake::LakeStore,
    fraction: f64,
    output: &Path,
    whole_below: u64,
) -> Result<ExitCode> {
    if output.join("bronze").exists() {
        anyhow::bail!(
            "{} already holds a lake (bronze/); choose an empty directory",
            output.display()
        );
    }
    let dir = output
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", output.display()))?;
    let to = skyfit_lake::LakeStore::try_new(dir)?;
    let opts = skyfit_pipeline::SampleOptions::try_new(fraction)?.with_whole_below(whole_below);
    let started = Instant::now();
    let summary = skyfit_pipeline::sample(lake, &to, &opts).await?;
    for e in &summary.entities {
        println!(
            "{:<50} {:>6}/{:<6} parts {:>10}/{:<10} records{}",
            e.entity,
            e.parts,
            e.parts_total,
            e.records,
            e.records_total,
            if e.whole { "  (whole)" } else { "" }
        );
    }
    println!(
        "Sampled {} entities ({:.1} MB) into {} in {:.2}s.",
        summary.entities.len(),
        summary.bytes as f64 / 1e6,
        output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
