//! `skyfit sim serve`.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use skyfit_api_sim::{Scale, SimConfig};

use crate::cli::SimCommand;

pub async fn run(cmd: SimCommand) -> Result<ExitCode> {
    match cmd {
        SimCommand::Serve { scale, seed, port } => {
            let scale = Scale::preset(&scale).with_context(|| format!("--scale {scale}"))?;
            let bind: SocketAddr = ([127, 0, 0, 1], port).into();
            skyfit_api_sim::run_until_ctrl_c(SimConfig::new(seed, scale), bind).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
