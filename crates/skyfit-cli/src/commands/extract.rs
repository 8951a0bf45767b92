//! `skyfit extract <source> [entities]`.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use skyfit_core::Source;
use skyfit_extract::{ExtractRequest, RunSummary};

use crate::cli::ExtractArgs;
use crate::commands::{progress::Progress, sources};
use crate::context::Context;

fn date(s: &Option<String>, flag: &str) -> Result<Option<NaiveDate>> {
    s.as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .with_context(|| format!("{flag} {d}: expected YYYY-MM-DD"))
        })
        .transpose()
}

pub async fn run(ctx: &Context, args: ExtractArgs) -> Result<ExitCode> {
    let source: Source = args.source.parse().map_err(anyhow::Error::msg)?;
    let req = ExtractRequest::new(source)
        .with_entities(args.entities.clone())
        .with_range(date(&args.since, "--since")?, date(&args.until, "--until")?)
        .with_full(args.full)
        .with_resume(args.resume);
    let lake = ctx.lake()?;
    let resolved = sources::resolve(&ctx.config, &[source], &args.sim_scale).await?;
    let summary = skyfit_extract::extract(
        &req,
        &resolved.config,
        &resolved.options,
        &lake,
        &Progress::default(),
    )
    .await;
    report(summary)
}

pub fn report(summary: skyfit_extract::Result<RunSummary>) -> Result<ExitCode> {
    match summary {
        Ok(s) => {
            println!("{}", s.render());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            Err(anyhow::Error::new(e)
                .context("extraction failed; rerun with --resume to continue it"))
        }
    }
}
