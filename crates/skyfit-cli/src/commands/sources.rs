//! Which API each source talks to: the configured one, or the built-in simulator when the
//! source has no credentials (the embedded default of `skyfit run` and `skyfit extract`).
//!
//! The simulator never stands in silently for a real deployment: with an Azure lake or a
//! configured database, a source without credentials is an error unless `--simulate` or
//! `--sim-scale` asks for the simulator explicitly. One missing `EVO_PASSWORD` must not write
//! invented members into a production lake and warehouse.
//!
//! Whatever the simulator serves is marked: the runs' manifests say `simulated`, so a later
//! `skyfit load` into a real database refuses them (see [`allow_simulated_load`]).
//!
//! The simulator is the Cargo feature `sim` (on by default). A binary built without it has
//! no simulator to fall back on: a source without credentials, `--simulate` and
//! `--sim-scale` are errors that say so, never a silent change of plan.

use anyhow::Result;
use skyfit_core::Source;
use skyfit_core::config::Config;
use skyfit_extract::ExtractOptions;

/// The running simulator kept alive while extracting (it stops when dropped); a binary
/// without the simulator never has one.
#[cfg(feature = "sim")]
type SimGuard = skyfit_api_sim::RunningSim;
#[cfg(not(feature = "sim"))]
type SimGuard = std::convert::Infallible;

/// A config whose sources without credentials point at a simulator started here.
pub struct Resolved {
    pub config: Config,
    pub options: ExtractOptions,
    /// Kept alive while extracting; stops when dropped.
    pub _sim: Option<SimGuard>,
}

/// The simulator's scale when none is asked for (on the embedded default deployment).
pub const DEFAULT_SIM_SCALE: &str = "small";

/// Where a source's credentials are set.
fn credential_vars(s: Source) -> &'static str {
    match s {
        Source::Evo => "EVO_USERNAME, EVO_PASSWORD",
        Source::Pipedrive => "PIPEDRIVE_TOKEN_COMERCIAL, PIPEDRIVE_TOKEN_EXPANSAO",
        Source::Zendesk => "ZENDESK_EMAIL, ZENDESK_API_TOKEN",
    }
}

pub fn has_credentials(c: &Config, s: Source) -> bool {
    match s {
        Source::Evo => c.evo.credentials().is_some(),
        Source::Pipedrive => !c.pipedrive.scopes().is_empty(),
        Source::Zendesk => c.zendesk.credentials().is_some(),
    }
}

/// What makes this deployment a real one (an Azure lake, a configured database), if anything.
#[cfg(feature = "sim")]
pub fn real_deployment(c: &Config) -> Option<String> {
    let lake = c.lake.url.trim();
    let azure = ["az://", "azure://", "abfs://", "abfss://"]
        .iter()
        .any(|p| lake.starts_with(p));
    if azure {
        return Some("an Azure lake (lake.url)".into());
    }
    if c.database.url.is_some() || c.database.host.is_some() {
        return Some("a configured database (DATABASE_URL / PG_HOST)".into());
    }
    None
}

/// The simulator's scale the user asked for: `--sim-scale`, or the default with `--simulate`;
/// `None` when neither was given (the simulator then stands in only on the embedded default).
pub fn requested_scale(simulate: bool, sim_scale: Option<&str>) -> Option<&str> {
    sim_scale.or(simulate.then_some(DEFAULT_SIM_SCALE))
}

/// Whether a load may write runs the simulator produced: on the embedded default (the demo),
/// or when asked (`--allow-simulated`, or `skyfit run` asking for the simulator itself).
pub fn allow_simulated_load(c: &Config, asked: bool) -> bool {
    c.database.is_embedded() || asked
}

/// `sim_scale`: the scale asked for ([`requested_scale`]), `None` when not asked.
pub async fn resolve(
    config: &Config,
    sources: &[Source],
    sim_scale: Option<&str>,
) -> Result<Resolved> {
    let config = config.clone();
    let options = ExtractOptions::default();
    let simulated: Vec<Source> = sources
        .iter()
        .copied()
        .filter(|s| !has_credentials(&config, *s))
        .collect();
    if simulated.is_empty() {
        return Ok(Resolved {
            config,
            options,
            _sim: None,
        });
    }
    start_simulator(config, options, &simulated, sim_scale).await
}

/// Points `simulated` (the sources without credentials) at a simulator started here.
#[cfg(feature = "sim")]
async fn start_simulator(
    mut config: Config,
    mut options: ExtractOptions,
    simulated: &[Source],
    sim_scale: Option<&str>,
) -> Result<Resolved> {
    use skyfit_api_sim::{Scale, SimConfig, Simulator};
    use skyfit_core::Secret;

    let names: Vec<&str> = simulated.iter().map(|s| s.as_str()).collect();
    if let (Some(real), None) = (real_deployment(&config), sim_scale) {
        let missing: Vec<&str> = simulated.iter().map(|s| credential_vars(*s)).collect();
        anyhow::bail!(
            "no credentials for {} ({}), and this deployment has {real}: refusing to fill it from the built-in simulator. \
             Set the credentials (`skyfit doctor` checks them), limit the run to configured sources with --sources, \
             or pass --simulate (or --sim-scale SCALE) to use the simulator on purpose",
            names.join(", "),
            missing.join("; ")
        );
    }
    options.simulated = simulated.to_vec();
    let sim_scale = sim_scale.unwrap_or(DEFAULT_SIM_SCALE);
    let scale =
        Scale::preset(sim_scale).map_err(|e| anyhow::anyhow!("--sim-scale {sim_scale}: {e}"))?;
    let sim = Simulator::start(SimConfig::new(42, scale), ([127, 0, 0, 1], 0).into()).await?;
    let creds = sim.credentials().clone();
    for s in simulated {
        match s {
            Source::Evo => {
                config.evo.api_url = sim.evo_url().to_string();
                config.evo.username = Some(creds.evo_user.clone());
                config.evo.password = Some(Secret::new(creds.evo_password.clone()));
                // The simulator does not throttle unless asked to; pacing at the real 40/min
                // would only slow the demo down.
                config.evo.requests_per_minute = 60_000;
            }
            Source::Pipedrive => {
                config.pipedrive.api_url = Some(sim.pipedrive_url().to_string());
                config.pipedrive.token_comercial =
                    Some(Secret::new(creds.pipedrive_token_comercial.clone()));
                config.pipedrive.token_expansao =
                    Some(Secret::new(creds.pipedrive_token_expansao.clone()));
            }
            Source::Zendesk => {
                config.zendesk.api_url = Some(sim.zendesk_url().to_string());
                config.zendesk.email = Some(creds.zendesk_email.clone());
                config.zendesk.api_token = Some(Secret::new(creds.zendesk_token.clone()));
                options.zendesk.incremental_per_minute = 6_000;
                options.zendesk.requests_per_minute = 6_000;
            }
        }
    }
    super::progress::console().note(&format!(
        "No credentials for {}: using the built-in API simulator (scale {sim_scale}); its runs are marked simulated in the lake and the ledger.",
        names.join(", ")
    ));
    Ok(Resolved {
        config,
        options,
        _sim: Some(sim),
    })
}

/// A binary built without the simulator: say so, and what to configure instead.
#[cfg(not(feature = "sim"))]
async fn start_simulator(
    _config: Config,
    _options: ExtractOptions,
    simulated: &[Source],
    sim_scale: Option<&str>,
) -> Result<Resolved> {
    anyhow::bail!("{}", no_simulator(simulated, sim_scale.is_some()))
}

/// Why a binary without the simulator cannot run `simulated`; `asked`: `--simulate` or
/// `--sim-scale` was given.
#[cfg_attr(feature = "sim", allow(dead_code))]
fn no_simulator(simulated: &[Source], asked: bool) -> String {
    let names: Vec<&str> = simulated.iter().map(|s| s.as_str()).collect();
    let missing: Vec<&str> = simulated.iter().map(|s| credential_vars(*s)).collect();
    let what = if asked {
        "--simulate/--sim-scale asks for the built-in API simulator".to_string()
    } else {
        format!(
            "no credentials for {} ({})",
            names.join(", "),
            missing.join("; ")
        )
    };
    format!(
        "{what}, but this skyfit was built without the simulator (Cargo feature `sim`). \
         Set the credentials of {} (`skyfit doctor` checks them) or limit the run to configured \
         sources with --sources; for a demo, use a build with the simulator (the default \
         `cargo build`)",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_simulator_the_error_names_the_build_and_the_credentials() {
        let msg = no_simulator(&[Source::Evo, Source::Zendesk], false);
        assert!(msg.contains("built without the simulator"), "{msg}");
        assert!(msg.contains("EVO_USERNAME, EVO_PASSWORD"), "{msg}");
        assert!(msg.contains("ZENDESK_EMAIL"), "{msg}");
        assert!(msg.contains("--sources"), "{msg}");
        let msg = no_simulator(&[Source::Pipedrive], true);
        assert!(msg.starts_with("--simulate/--sim-scale"), "{msg}");
        assert!(msg.contains("built without the simulator"), "{msg}");
    }

    /// A binary without the simulator refuses instead of extracting something else.
    #[cfg(not(feature = "sim"))]
    #[tokio::test]
    async fn without_the_simulator_a_source_without_credentials_fails() {
        let config = Config::default();
        let err = resolve(&config, &[Source::Evo], None).await.err().unwrap();
        assert!(
            err.to_string().contains("built without the simulator"),
            "{err}"
        );
        let err = resolve(&config, &[Source::Evo], Some("tiny"))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("--simulate"), "{err}");
    }
}
