//! The Zendesk client: Basic auth `{email}/token` + API token, the account budget, and a
//! separate budget for the incremental-export endpoints (10/min documented, 20/min cursor).

use std::sync::Arc;

use skyfit_core::Source;
use skyfit_core::config::ZendeskConfig;

use crate::error::{Error, Result};
use crate::http::{ApiClient, Auth, Pacing};
use crate::options::ExtractOptions;
use crate::rate::RateBudget;

pub const CREDENTIAL_ENV: &str =
    "ZENDESK_EMAIL / ZENDESK_API_TOKEN (or SKYFIT_ZENDESK_EMAIL / SKYFIT_ZENDESK_API_TOKEN)";

/// The client and the incremental-export budget.
pub fn client(
    config: &ZendeskConfig,
    opts: &ExtractOptions,
) -> Result<(Arc<ApiClient>, Arc<RateBudget>)> {
    let base = config.base_url().ok_or_else(|| {
        Error::config(
            Source::Zendesk,
            "no subdomain: set ZENDESK_SUBDOMAIN (or zendesk.api_url)",
        )
    })?;
    let (email, token) = config.credentials().ok_or_else(|| {
        Error::config(
            Source::Zendesk,
            format!("no credentials: set {CREDENTIAL_ENV}"),
        )
    })?;
    let budget = RateBudget::per_minute("zendesk", opts.zendesk.requests_per_minute);
    let exports =
        RateBudget::per_minute("zendesk:incremental", opts.zendesk.incremental_per_minute);
    let client = ApiClient::try_new(
        &base,
        Auth::Basic {
            user: format!("{email}/token"),
            password: token.clone(),
        },
        CREDENTIAL_ENV,
        Arc::new(budget),
        opts.retry.clone(),
    )?
    .with_pacing(Pacing::Zendesk, 0);
    Ok((Arc::new(client), Arc::new(exports)))
}
