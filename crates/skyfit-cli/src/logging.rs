//! Logging: human-readable text on a terminal, or one JSON object per line for log
//! collectors. `-v`/`-vv` raise SkyFit's own verbosity; dependencies stay at `info` (or the
//! `SKYFIT_LOG` filter when set) so their trace output cannot echo request headers.

use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

pub fn init(g: &GlobalArgs) {
    let ours = match (g.quiet, g.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let deps = if g.verbose >= 2 { "info" } else { "warn" };
    let default = format!(
        "{deps},skyfit={ours},skyfit_core={ours},skyfit_lake={ours},skyfit_extract={ours},\
         skyfit_transform={ours},skyfit_load={ours},skyfit_warehouse={ours},skyfit_api_sim={ours}"
    );
    let filter = std::env::var("SKYFIT_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match g.log_format {
        LogFormat::Json => builder.json().with_current_span(false).init(),
        LogFormat::Text => builder.with_target(false).compact().init(),
    }
}
