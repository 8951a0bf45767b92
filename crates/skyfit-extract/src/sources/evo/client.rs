//! The EVO client: Basic auth (tenant DNS + secret key) and one rate budget per key.

use std::sync::Arc;

use skyfit_core::Source;
use skyfit_core::config::EvoConfig;

use crate::error::{Error, Result};
use crate::http::{ApiClient, Auth};
use crate::options::ExtractOptions;
use crate::rate::{FreeWindow, RateBudget};

/// Where EVO credentials are set, for error messages.
pub const CREDENTIAL_ENV: &str =
    "EVO_USERNAME / EVO_PASSWORD (or SKYFIT_EVO_USERNAME / SKYFIT_EVO_PASSWORD)";

/// One client (and so one budget) per EVO key; every entity and window shares it.
pub fn client(config: &EvoConfig, opts: &ExtractOptions) -> Result<Arc<ApiClient>> {
    let (user, password) = config.credentials().ok_or_else(|| {
        Error::config(Source::Evo, format!("no credentials: set {CREDENTIAL_ENV}"))
    })?;
    let free_window = match config.free_window {
        Some((start_hour, end_hour)) => {
            let tz = config
                .source_timezone
                .parse::<chrono_tz::Tz>()
                .map_err(|e| {
                    Error::config(
                        Source::Evo,
                        format!("evo.source_timezone `{}`: {e}", config.source_timezone),
                    )
                })?;
            Some(FreeWindow {
                start_hour,
                end_hour,
                tz,
            })
        }
        None => None,
    };
    let budget = RateBudget::per_minute(format!("evo:{user}"), config.requests_per_minute)
        .with_free_window(free_window);
    let mut retry = opts.retry.clone();
    // EVO sends `Retry-After: 0`; the floor (≥ 5 s in production) is what actually paces us.
    retry.retry_after_floor = retry
        .retry_after_floor
        .max(std::time::Duration::from_millis(1));
    let client = ApiClient::try_new(
        &config.api_url,
        Auth::Basic {
            user: user.to_string(),
            password: password.clone(),
        },
        CREDENTIAL_ENV,
        Arc::new(budget),
        retry,
    )?;
    Ok(Arc::new(client))
}
