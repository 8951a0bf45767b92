//! `skyfit sim serve`.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SimCommand;

pub async fn run(cmd: SimCommand) -> Result<ExitCode> {
    match cmd {
        SimCommand::Serve { scale, seed, port } => {
            let _ = (scale, seed, port);
            anyhow::bail!("`skyfit sim serve` is not available in this build yet")
        }
    }
}
