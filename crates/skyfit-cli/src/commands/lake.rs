//! `skyfit lake adopt`: the original system's runs made loadable.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use skyfit_lake::{AdoptOptions, AdoptReport, AdoptStatus};

use crate::cli::{AdoptArgs, LakeCommand};
use crate::context::Context;

pub async fn run(ctx: &Context, cmd: LakeCommand) -> Result<ExitCode> {
    match cmd {
        LakeCommand::Adopt(args) => adopt(ctx, args).await,
    }
}

async fn adopt(ctx: &Context, args: AdoptArgs) -> Result<ExitCode> {
    let lake = ctx.lake()?;
    let mut opts = AdoptOptions {
        dry_run: args.dry_run,
        include_unfinished: args.include_unfinished,
        ..AdoptOptions::default()
    };
    if !args.sources.is_empty() {
        opts.sources = args
            .sources
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, String>>()
            .map_err(anyhow::Error::msg)?;
    }
    eprintln!(
        "{} the original system's runs in {} …",
        if opts.dry_run { "Checking" } else { "Adopting" },
        lake.url()
    );
    let report = lake
        .adopt(&opts)
        .await
        .with_context(|| format!("adopting the original runs in {}", lake.url()))?;
    print_report(&report);
    // Exit 0 even when something needs attention: everything adoptable was adopted, and the
    // rest is listed above, in the lake's report and in `skyfit status`; loads of the
    // affected entities refuse runs that are still unadopted.
    Ok(ExitCode::SUCCESS)
}

/// One line per thing adoption could not do, with what to do about it.
pub(super) fn attention_lines(report: &AdoptReport) -> Vec<String> {
    let mut lines = Vec::new();
    for r in report.attention() {
        if let Some(reason) = &r.reason {
            lines.push(format!("not adopted  {}: {reason}", r.run));
        }
        for s in &r.skipped {
            lines.push(format!("skipped      {}: {}", s.path, s.reason));
        }
        for w in &r.warnings {
            lines.push(format!("warning      {}: {w}", r.run));
        }
        if r.rejects > 0 {
            lines.push(format!(
                "rejected     {}: {} lines are not JSON records; kept with file and line in the run's _rejects/",
                r.run, r.rejects
            ));
        }
    }
    lines
}

fn print_report(report: &AdoptReport) {
    for line in attention_lines(report) {
        println!("{line}");
    }
    let (adopted, already, would, not) = (
        report.count(AdoptStatus::Adopted),
        report.count(AdoptStatus::AlreadyAdopted),
        report.count(AdoptStatus::WouldAdopt),
        report.count(AdoptStatus::NotAdopted),
    );
    let records = report.records();
    let rate = records as f64 / report.seconds.max(1e-9);
    if report.dry_run {
        println!(
            "Dry run: {would} runs would be adopted, {already} are adopted already, {not} cannot be \
             adopted. Nothing was written."
        );
    } else {
        println!(
            "Adopted {adopted} runs ({records} records, {:.1} s, {rate:.0} records/s); {already} were \
             adopted already; {not} not adopted.",
            report.seconds
        );
        if report.attention().next().is_some() {
            println!(
                "Report: {} in the lake; `skyfit status` shows it too.",
                skyfit_lake::adopt::REPORT_PATH
            );
        }
    }
}
