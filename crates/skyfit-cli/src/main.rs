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
    commands::progress::init(console_mode(&cli.global));
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
            eprintln!("error: {}", render(&error));
            ExitCode::FAILURE
        }
    }
}

/// Bars when a person watches stderr; plain lines for cron, CI and containers (and a
/// terminal that cannot move its cursor); only log events in JSON.
fn console_mode(g: &cli::GlobalArgs) -> commands::progress::Mode {
    use commands::progress::Mode;
    use std::io::IsTerminal;
    let dumb = !std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb");
    match (g.quiet, g.log_format) {
        (true, _) => Mode::Quiet,
        (false, cli::LogFormat::Json) => Mode::Json,
        (false, cli::LogFormat::Text) if std::io::stderr().is_terminal() && !dumb => Mode::Bars,
        (false, cli::LogFormat::Text) => Mode::Lines,
    }
}

/// The error and its causes, each said once: the library errors already print their source
/// in their own message (`loading X: <cause>`), so anyhow's `{:#}` repeated every cause. A
/// cause is skipped when its text, or that of a cause below it, is already printed: the error
/// above it then rendered it in its own words (the warehouse's connect error quotes the
/// server's message rather than the driver's "db error").
fn render(error: &anyhow::Error) -> String {
    skyfit_core::error::full_message(error.as_ref())
}

#[cfg(test)]
mod tests {
    /// A library error the way thiserror writes them: the source in its message too.
    #[derive(Debug)]
    struct Outer {
        source: std::io::Error,
    }

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "loading core.x: {}", self.source)
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let io = std::io::Error::other("disk full");
        let e = anyhow::Error::new(Outer { source: io }).context("load failed");
        assert_eq!(
            format!("{e:#}"),
            "load failed: loading core.x: disk full: disk full"
        );
        assert_eq!(super::render(&e), "load failed: loading core.x: disk full");
    }

    /// An error that quotes its cause's cause in its own words (as the warehouse's connect
    /// error quotes the server's message instead of the driver's "db error").
    #[derive(Debug)]
    struct Quoting {
        source: Generic,
    }

    #[derive(Debug)]
    struct Generic {
        source: std::io::Error,
    }

    impl std::fmt::Display for Quoting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot connect: {}", self.source.source)
        }
    }

    impl std::fmt::Display for Generic {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("db error")
        }
    }

    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    impl std::error::Error for Generic {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_quoted_further_up_is_not_repeated() {
        let io = std::io::Error::other("password authentication failed");
        let e = anyhow::Error::new(Quoting {
            source: Generic { source: io },
        });
        assert_eq!(
            super::render(&e),
            "cannot connect: password authentication failed"
        );
    }
}
