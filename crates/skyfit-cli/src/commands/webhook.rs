//! `skyfit webhook serve`: the optional EVO webhook receiver (docs/operations.md).
//!
//! Off unless started. The secret comes from the environment only (`evo.webhook_secret`); the
//! process prints the address it listens on to stdout, then serves until Ctrl-C / SIGTERM.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use skyfit_extract::webhook::{ServeOptions, WebhookStats, serve};

use crate::cli::WebhookCommand;
use crate::context::Context;

pub async fn run(ctx: &Context, cmd: WebhookCommand) -> Result<ExitCode> {
    let WebhookCommand::Serve { listen } = cmd;
    let Some(secret) = ctx
        .config
        .evo
        .webhook_secret
        .clone()
        .filter(|s| !s.is_empty())
    else {
        anyhow::bail!(
            "the webhook receiver needs a shared secret: set environment variable SKYFIT_EVO_WEBHOOK_SECRET (or a .env file)"
        );
    };
    let addr = listen.unwrap_or_else(|| ctx.config.evo.webhook_listen.clone());
    let lake = ctx.lake()?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let stats = Arc::new(WebhookStats::default());
    tracing::info!(listen = %local, lake = %lake.url(), "EVO webhook receiver started.");
    // Tests and supervisors read the bound port (with --listen host:0) from this line.
    println!("listening on http://{local}/webhooks/evo");
    std::io::stdout().flush().ok();
    let opts = ServeOptions {
        lake,
        secret,
        stats: stats.clone(),
    };
    serve(listener, opts, shutdown_signal()).await?;
    let s = stats.snapshot();
    tracing::info!(
        accepted = s.accepted,
        refused_unauthorized = s.refused_unauthorized,
        refused_malformed = s.refused_malformed,
        store_failures = s.store_failures,
        "EVO webhook receiver stopped."
    );
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
