//! `skyfit`: the nightly batch and the data engineer's tools, as one command.
//!
//! This binary only wires library crates together: parse arguments, load configuration,
//! set up logging, call the library, print results. `anyhow` lives here and nowhere else.

mod cli;
mod commands;
mod context;
mod logging;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `.env` in the working directory is read before the configuration, as the reference did;
    // variables already in the environment win.
    let dotenv = dotenvy::dotenv().ok();
    logging::init(&cli.global);
    if let Some(path) = dotenv {
        tracing::debug!(path = %path.display(), "Loaded .env file.");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
