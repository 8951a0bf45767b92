//! One module per subcommand; each turns arguments into library calls and prints results.

mod bench;
mod db;
mod docs;
mod doctor;
mod doctor_checks;
mod doctor_report;
mod extract;
mod lake;
mod load;
pub(crate) mod progress;
mod query;
mod run;
mod sim;
mod sources;
mod status;
mod webhook;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::context::Context;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Doctor => doctor::run(&cli.global).await,
        Command::Sim(cmd) => sim::run(cmd).await,
        command => {
            let ctx = Context::load(&cli.global)?;
            match command {
                Command::Bench(cmd) => bench::run_bench(&ctx, cmd).await,
                Command::Db(cmd) => db::run(&ctx, cmd).await,
                Command::Lake(cmd) => lake::run(&ctx, cmd).await,
                Command::Docs(args) => docs::run(&ctx, args).await,
                Command::Status(args) => status::run(&ctx, args).await,
                Command::Load(args) => load::run(&ctx, args, false).await,
                Command::Transform(args) => load::run(&ctx, args, true).await,
                Command::Query(cmd) => query::run(&ctx, cmd).await,
                Command::Extract(args) => extract::run(&ctx, args).await,
                Command::Run(args) => run::run(&ctx, args).await,
                Command::Webhook(cmd) => webhook::run(&ctx, cmd).await,
                other => anyhow::bail!("`{}` is not available in this build yet", name(&other)),
            }
        }
    }
}

fn name(c: &Command) -> &'static str {
    match c {
        Command::Run(_) => "skyfit run",
        Command::Extract(_) => "skyfit extract",
        Command::Load(_) => "skyfit load",
        Command::Transform(_) => "skyfit transform",
        Command::Query(_) => "skyfit query",
        Command::Sim(_) => "skyfit sim",
        Command::Db(_) => "skyfit db",
        Command::Lake(_) => "skyfit lake",
        Command::Status(_) => "skyfit status",
        Command::Doctor => "skyfit doctor",
        Command::Docs(_) => "skyfit docs",
        Command::Bench(_) => "skyfit bench",
        Command::Webhook(_) => "skyfit webhook",
    }
}
