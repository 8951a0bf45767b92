//! Logging: human-readable text, or one JSON object per line for log collectors.
//!
//! In text, SkyFit's own info events are hidden unless `-v`: what a person needs while a
//! command runs is its progress and summary ([`crate::commands::progress`]), and the info
//! events would say each of those facts a second time. Warnings and errors always show, written
//! above the progress bars. In JSON every info event is kept: it is what a collector gets.
//! `-v`/`-vv`/`-vvv` raise SkyFit's verbosity to info/debug/trace; dependencies stay at `warn`
//! (`info` from `-vv`), or the `SKYFIT_LOG` filter when set, so their trace output cannot echo
//! request headers.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};
use crate::commands::progress::LogWriter;

/// SkyFit's level for these flags.
fn level(g: &GlobalArgs) -> &'static str {
    match (g.quiet, g.log_format, g.verbose) {
        (true, _, _) => "warn",
        (false, LogFormat::Text, 0) => "warn",
        (false, LogFormat::Json, 0) | (false, _, 1) => "info",
        (false, _, 2) => "debug",
        (false, _, _) => "trace",
    }
}

pub fn init(g: &GlobalArgs) {
    let ours = level(g);
    let deps = if g.verbose >= 2 { "info" } else { "warn" };
    let default = format!(
        "{deps},skyfit={ours},skyfit_core={ours},skyfit_lake={ours},skyfit_extract={ours},\
         skyfit_transform={ours},skyfit_load={ours},skyfit_warehouse={ours},\
         skyfit_pipeline={ours},skyfit_report={ours},skyfit_api_sim={ours}"
    );
    let filter = std::env::var("SKYFIT_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| LogWriter);
    match g.log_format {
        LogFormat::Json => builder.json().with_current_span(false).init(),
        LogFormat::Text => builder.with_target(false).compact().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level_of(flags: &[&str]) -> &'static str {
        use clap::Parser;
        let argv = ["skyfit"].iter().chain(flags).chain(&["doctor"]);
        let cli = crate::cli::Cli::try_parse_from(argv).expect("valid flags");
        level(&cli.global)
    }

    #[test]
    fn info_shows_in_text_only_when_asked_and_always_in_json() {
        assert_eq!(level_of(&[]), "warn");
        assert_eq!(level_of(&["-v"]), "info");
        assert_eq!(level_of(&["-vv"]), "debug");
        assert_eq!(level_of(&["--log-format", "json"]), "info");
        assert_eq!(level_of(&["--log-format", "json", "-q"]), "warn");
    }
}
