//! The Pipedrive client of one account: `x-api-token` header (never `?api_token=`, which leaks
//! into logs), one budget per token, pacing from `x-ratelimit-*` and the daily token budget.

use std::sync::Arc;

use skyfit_core::{Secret, Source};

use crate::error::{Error, Result};
use crate::http::{ApiClient, Auth, Pacing};
use crate::options::ExtractOptions;
use crate::rate::RateBudget;

/// Where the token of a scope is set, for error messages.
pub fn credential_env(scope: &str) -> String {
    let upper = scope.to_ascii_uppercase();
    format!("PIPEDRIVE_TOKEN_{upper} (or SKYFIT_PIPEDRIVE_TOKEN_{upper})")
}

pub fn client(
    base_url: &str,
    scope: &str,
    token: &Secret,
    opts: &ExtractOptions,
) -> Result<Arc<ApiClient>> {
    if token.is_empty() {
        return Err(Error::config(
            Source::Pipedrive,
            format!("the {scope} token is empty: set {}", credential_env(scope)),
        ));
    }
    let budget = RateBudget::per_minute(
        format!("pipedrive:{scope}"),
        opts.pipedrive.requests_per_minute,
    );
    let client = ApiClient::try_new(
        base_url,
        Auth::Header {
            name: "x-api-token",
            token: token.clone(),
        },
        credential_env(scope),
        Arc::new(budget),
        opts.retry.clone(),
    )?
    .with_pacing(Pacing::Pipedrive, opts.pipedrive.daily_reserve);
    Ok(Arc::new(client))
}
