//! Azure Data Lake Storage Gen2 (and Azurite) as the lake.
//!
//! Accepted URLs (the path after the container is the lake prefix, so several lakes can share
//! one container):
//! - `az://{container}/{prefix}` and `azure://{container}/{prefix}` (account from the options)
//! - `abfss://{container}@{account}.dfs.core.windows.net/{prefix}` (also `abfs://`)
//!
//! Credentials come from [`AzureOptions`], never from the URL: a URL with a query string is
//! refused so a SAS token cannot leak into logs through the lake URL. Every secret is a
//! [`Secret`], which prints as `***`.
//!
//! Azurite: with `emulator` set, the account defaults to `devstoreaccount1` and its well-known
//! key. object_store only reads the emulator's address from `AZURITE_BLOB_STORAGE_URL`, so when
//! an explicit `endpoint` is given we configure a path-style endpoint
//! (`{endpoint}/{account}`) instead, which signs and addresses requests the same way.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use skyfit_core::Secret;

use crate::error::{Error, Result};

/// The account name of the Azure storage emulator.
pub const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
/// The well-known, public key of the Azure storage emulator account.
pub const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How to authenticate against Azure Storage.
#[derive(Debug, Clone, Default)]
pub enum AzureCredentials {
    /// Let object_store pick: managed identity / workload identity from the environment.
    #[default]
    Default,
    /// Shared account key.
    AccessKey(Secret),
    /// A SAS token (query string, with or without the leading `?`).
    Sas(Secret),
    /// Azure AD service principal with a client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: Secret,
    },
}

/// Options for an Azure lake; all optional except what the URL does not say.
#[derive(Debug, Clone, Default)]
pub struct AzureOptions {
    /// Storage account; required for `az://` URLs unless `emulator` is set.
    pub account: Option<String>,
    pub credentials: AzureCredentials,
    /// Talk to Azurite instead of Azure (HTTP, emulator account and key by default).
    pub emulator: bool,
    /// Blob endpoint override, e.g. `http://127.0.0.1:10000` for Azurite on a chosen port.
    pub endpoint: Option<String>,
}

impl AzureOptions {
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    pub fn with_credentials(mut self, credentials: AzureCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Azurite at `endpoint` (e.g. `http://127.0.0.1:10000`), emulator account and key.
    pub fn with_emulator(mut self, endpoint: impl Into<String>) -> Self {
        self.emulator = true;
        self.endpoint = Some(endpoint.into());
        self
    }
}

/// The parts of an Azure lake URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AzureUrl {
    pub container: String,
    pub account: Option<String>,
    pub prefix: String,
}

/// Split `scheme://authority/prefix` for the Azure schemes; `None` when the scheme is not Azure.
pub(crate) fn parse_azure_url(url: &str) -> Result<Option<AzureUrl>> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(None);
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "az" | "azure" | "adl" | "abfs" | "abfss") {
        return Ok(None);
    }
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact(url),
        reason: reason.to_string(),
    };
    if rest.contains('?') || rest.contains('#') {
        return Err(invalid(
            "query strings are not accepted; pass SAS tokens and keys as credentials",
        ));
    }
    let (authority, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let (container, account) = match authority.split_once('@') {
        Some((container, host)) => {
            let account = host
                .split_once('.')
                .filter(|(_, domain)| domain.ends_with(".core.windows.net"))
                .map(|(account, _)| account)
                .ok_or_else(|| invalid("expected container@account.dfs.core.windows.net"))?;
            (container, Some(account.to_string()))
        }
        None => (authority, None),
    };
    if container.is_empty() || container.contains('.') || container.contains(':') {
        return Err(invalid("missing or malformed container name"));
    }
    Ok(Some(AzureUrl {
        container: container.to_string(),
        account,
        prefix: prefix.trim_matches('/').to_string(),
    }))
}

/// Build the object store for an Azure URL (without its prefix; the caller wraps it).
pub(crate) fn build_azure(
    url: &str,
    parsed: &AzureUrl,
    opts: &AzureOptions,
) -> Result<Arc<dyn ObjectStore>> {
    let account = parsed
        .account
        .clone()
        .or_else(|| opts.account.clone())
        .or_else(|| opts.emulator.then(|| EMULATOR_ACCOUNT.to_string()));
    let mut builder = MicrosoftAzureBuilder::new().with_container_name(&parsed.container);
    match (&opts.endpoint, opts.emulator) {
        (Some(endpoint), true) => {
            // Path-style addressing: Azurite serves `{endpoint}/{account}/{container}/…`.
            let account = account
                .clone()
                .unwrap_or_else(|| EMULATOR_ACCOUNT.to_string());
            builder = builder
                .with_endpoint(format!("{}/{account}", endpoint.trim_end_matches('/')))
                .with_allow_http(true);
        }
        (Some(endpoint), false) => {
            builder = builder
                .with_endpoint(endpoint.clone())
                .with_allow_http(endpoint.starts_with("http://"));
        }
        (None, true) => builder = builder.with_use_emulator(true),
        (None, false) => {}
    }
    if let Some(account) = &account {
        builder = builder.with_account(account);
    }
    builder = match &opts.credentials {
        AzureCredentials::Default if opts.emulator => builder.with_access_key(EMULATOR_KEY),
        AzureCredentials::Default => builder,
        AzureCredentials::AccessKey(key) => builder.with_access_key(key.expose()),
        // object_store percent-decodes and splits the token itself.
        AzureCredentials::Sas(sas) => {
            builder.with_config(AzureConfigKey::SasKey, sas.expose().trim_start_matches('?'))
        }
        AzureCredentials::ClientSecret {
            tenant_id,
            client_id,
            client_secret,
        } => builder.with_client_secret_authorization(client_id, client_secret.expose(), tenant_id),
    };
    let store = builder.build().map_err(|source| Error::AzureConfig {
        url: redact(url),
        // object_store's builder errors name missing keys, never the key values.
        source,
    })?;
    Ok(Arc::new(store))
}

/// The URL without query string or user info that could hold a secret.
pub(crate) fn redact(url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or_default();
    match base.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            // `container@account` is not a secret, but `user:password@host` would be.
            Some((user, host)) if user.contains(':') => format!("{scheme}://***@{host}"),
            _ => base.to_string(),
        },
        None => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_azure_urls() {
        let u = parse_azure_url("az://lake/prod/a").unwrap().unwrap();
        assert_eq!(
            u,
            AzureUrl {
                container: "lake".into(),
                account: None,
                prefix: "prod/a".into()
            }
        );
        let u = parse_azure_url("abfss://datalake@skyfit.dfs.core.windows.net/x/")
            .unwrap()
            .unwrap();
        assert_eq!(u.container, "datalake");
        assert_eq!(u.account.as_deref(), Some("skyfit"));
        assert_eq!(u.prefix, "x");
        assert!(
            parse_azure_url("azure://c")
                .unwrap()
                .unwrap()
                .prefix
                .is_empty()
        );
        assert!(parse_azure_url("/tmp/lake").unwrap().is_none());
        assert!(parse_azure_url("file:///tmp/lake").unwrap().is_none());
        let err = parse_azure_url("az://c/p?sig=SECRETSIG")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRETSIG"), "{err}");
        assert!(parse_azure_url("abfss://c@host.example.com/p").is_err());
    }

    #[test]
    fn secrets_never_print() {
        let opts = AzureOptions::default()
            .with_account("acct")
            .with_credentials(AzureCredentials::ClientSecret {
                tenant_id: "t".into(),
                client_id: "c".into(),
                client_secret: Secret::new("TOPSECRET"),
            });
        assert!(!format!("{opts:?}").contains("TOPSECRET"));
        let key = AzureCredentials::AccessKey(Secret::new("KEYVALUE"));
        assert!(!format!("{key:?}").contains("KEYVALUE"));
    }

    #[test]
    fn missing_account_is_a_config_error_without_secrets() {
        let url = "az://lake/p";
        let parsed = parse_azure_url(url).unwrap().unwrap();
        let opts = AzureOptions::default()
            .with_credentials(AzureCredentials::AccessKey(Secret::new("S3CRET")));
        let err = build_azure(url, &parsed, &opts).err().unwrap().to_string();
        assert!(!err.contains("S3CRET"), "{err}");
    }
}
