//! `skyfit sim serve`. A binary built without the simulator (Cargo feature `sim`) says so.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SimCommand;

#[cfg(feature = "sim")]
pub async fn run(cmd: SimCommand) -> Result<ExitCode> {
    use anyhow::Context as _;
    use skyfit_api_sim::{Scale, SimConfig};

    match cmd {
        SimCommand::Serve { scale, seed, port } => {
            let scale = Scale::preset(&scale).with_context(|| format!("--scale {scale}"))?;
            let bind: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
            skyfit_api_sim::run_until_ctrl_c(SimConfig::new(seed, scale), bind).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(not(feature = "sim"))]
pub async fn run(_cmd: SimCommand) -> Result<ExitCode> {
    anyhow::bail!(
        "`skyfit sim` is not in this binary: it was built without the API simulator (Cargo \
         feature `sim`). Use a development build (`cargo build`, the default features) to run it"
    )
}

#[cfg(all(test, not(feature = "sim")))]
mod tests {
    #[tokio::test]
    async fn without_the_simulator_sim_serve_says_so() {
        let cmd = crate::cli::SimCommand::Serve {
            scale: "tiny".into(),
            seed: 42,
            port: 0,
        };
        let err = super::run(cmd).await.unwrap_err().to_string();
        assert!(err.contains("built without the API simulator"), "{err}");
    }
}
