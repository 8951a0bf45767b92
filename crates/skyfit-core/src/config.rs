//! The typed configuration of SkyFit Lake.
//!
//! Layers, lowest first (a later layer overrides an earlier one):
//! 1. defaults in code (`Default` impls below);
//! 2. the TOML file (`skyfit.toml`, or `--config PATH`);
//! 3. the reference deployment's environment names (`PG_HOST`, `EVO_USERNAME`, …), so an
//!    existing `.env` works unchanged;
//! 4. `SKYFIT_<SECTION>_<KEY>` environment variables (`SKYFIT_DATABASE_HOST`).
//!
//! `.env` files are read by the binary into the environment before this runs. Secrets are
//! accepted only from the environment: a secret in the TOML file is an error, because that
//! file is meant to be committed. Every problem is reported at once, each naming the setting
//! and where it can be set.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::Secret;

/// How a value is typed when it arrives as an environment string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Secret,
}

/// One setting: its key in `skyfit.toml` and the environment variables that set it.
#[derive(Debug)]
pub struct Setting {
    /// `section.key` in `skyfit.toml`.
    pub key: &'static str,
    /// Reference (legacy) environment names, lowest priority first.
    pub legacy_env: &'static [&'static str],
    pub kind: Kind,
    pub help: &'static str,
}

impl Setting {
    /// `SKYFIT_DATABASE_HOST` for `database.host`.
    pub fn env_name(&self) -> String {
        format!("SKYFIT_{}", self.key.replace('.', "_").to_ascii_uppercase())
    }

    /// Where this setting can be set, for error messages.
    pub fn where_to_set(&self) -> String {
        let mut envs = vec![self.env_name()];
        envs.extend(self.legacy_env.iter().map(|s| s.to_string()));
        if self.kind == Kind::Secret {
            format!("environment variable {} (or a .env file)", envs.join(" / "))
        } else {
            format!(
                "`{}` in skyfit.toml or environment variable {}",
                self.key,
                envs.join(" / ")
            )
        }
    }
}

macro_rules! setting {
    ($key:literal, [$($env:literal),*], $kind:ident, $help:literal) => {
        Setting { key: $key, legacy_env: &[$($env),*], kind: Kind::$kind, help: $help }
    };
}

/// Every setting that can come from the environment. Documentation (`docs/operations.md`)
/// and `skyfit doctor` are generated from this table.
pub const SETTINGS: &[Setting] = &[
    setting!(
        "lake.url",
        [],
        Text,
        "Lake location: a directory, file://, az://container/prefix or abfss://container@account.dfs.core.windows.net/prefix."
    ),
    setting!(
        "lake.azure_account",
        ["AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT"],
        Text,
        "Azure storage account of the lake."
    ),
    setting!(
        "lake.azure_key",
        ["AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_KEY"],
        Secret,
        "Azure storage account key."
    ),
    setting!(
        "lake.azure_sas",
        ["AZURE_STORAGE_SAS_TOKEN"],
        Secret,
        "Azure SAS token (instead of the account key)."
    ),
    setting!(
        "lake.azure_container",
        ["AZURE_CONTAINER_NAME", "ADLS_CONTAINER"],
        Text,
        "ADLS Gen2 container (default datalake)."
    ),
    setting!(
        "lake.azure_endpoint",
        [],
        Text,
        "Blob endpoint override, e.g. Azurite's http://127.0.0.1:10000/devstoreaccount1."
    ),
    setting!(
        "database.url",
        ["DATABASE_URL"],
        Secret,
        "Full PostgreSQL URL; overrides host/port/name/user/password."
    ),
    setting!(
        "database.host",
        ["PG_HOST"],
        Text,
        "PostgreSQL host. Unset: the embedded local server."
    ),
    setting!(
        "database.port",
        ["PG_PORT"],
        Integer,
        "PostgreSQL port (default 5432)."
    ),
    setting!(
        "database.name",
        ["PG_DATABASE"],
        Text,
        "Database name (default skyfit)."
    ),
    setting!("database.user", ["PG_USER"], Text, "Database user."),
    setting!(
        "database.password",
        ["PG_PASSWORD"],
        Secret,
        "Database password."
    ),
    setting!(
        "database.sslmode",
        ["PG_SSLMODE"],
        Text,
        "disable, prefer, require, verify-ca or verify-full (default prefer)."
    ),
    setting!("evo.api_url", ["EVO_API_URL"], Text, "EVO API base URL."),
    setting!(
        "evo.username",
        ["EVO_USERNAME"],
        Text,
        "EVO API user (HTTP basic)."
    ),
    setting!(
        "evo.password",
        ["EVO_PASSWORD"],
        Secret,
        "EVO API password."
    ),
    setting!(
        "evo.requests_per_minute",
        [],
        Integer,
        "EVO request budget per minute for all workers together (default 40)."
    ),
    setting!(
        "evo.source_timezone",
        [],
        Text,
        "Time zone of EVO timestamps without an offset (default UTC, as the reference)."
    ),
    setting!(
        "evo.resweep_days",
        [],
        Integer,
        "Every EVO member and prospect is re-read at least once in this many nights, a slice a night (default 7; 0 disables the re-sweep)."
    ),
    setting!(
        "evo.webhook_secret",
        [],
        Secret,
        "Shared secret EVO webhook callbacks must carry (header X-Skyfit-Webhook-Secret or ?secret=); required by the optional `skyfit webhook serve`."
    ),
    setting!(
        "evo.webhook_listen",
        [],
        Text,
        "Address `skyfit webhook serve` listens on (default 127.0.0.1:8787; --listen overrides)."
    ),
    setting!(
        "pipedrive.company_domain",
        ["PIPEDRIVE_COMPANY_DOMAIN"],
        Text,
        "Pipedrive company domain (the part before .pipedrive.com)."
    ),
    setting!(
        "pipedrive.api_url",
        [],
        Text,
        "Pipedrive base URL override (default https://{company_domain}.pipedrive.com)."
    ),
    setting!(
        "pipedrive.token_comercial",
        ["PIPEDRIVE_TOKEN_COMERCIAL"],
        Secret,
        "API token of the comercial account."
    ),
    setting!(
        "pipedrive.token_expansao",
        ["PIPEDRIVE_TOKEN_EXPANSAO"],
        Secret,
        "API token of the expansao account."
    ),
    setting!(
        "zendesk.subdomain",
        ["ZENDESK_SUBDOMAIN"],
        Text,
        "Zendesk subdomain (the part before .zendesk.com)."
    ),
    setting!(
        "zendesk.api_url",
        [],
        Text,
        "Zendesk base URL override (default https://{subdomain}.zendesk.com)."
    ),
    setting!(
        "zendesk.email",
        ["ZENDESK_EMAIL"],
        Text,
        "Zendesk agent e-mail for API-token auth."
    ),
    setting!(
        "zendesk.api_token",
        ["ZENDESK_API_TOKEN"],
        Secret,
        "Zendesk API token."
    ),
    setting!(
        "alerts.webhook_url",
        ["SKYFIT_ALERT_WEBHOOK_URL"],
        Secret,
        "Slack or Teams webhook for run alerts (the URL is the credential). Unset: no alerts."
    ),
    setting!(
        "alerts.quarantine_threshold",
        [],
        Integer,
        "Alert when a run quarantines more rows than this, all tables together (default 0)."
    ),
    setting!(
        "alerts.format",
        [],
        Text,
        "Webhook body: auto (default, by the URL's host), slack or teams."
    ),
    setting!(
        "metrics.textfile",
        [],
        Text,
        "OpenMetrics file rewritten after each run (node_exporter textfile collector, *.prom)."
    ),
    setting!(
        "metrics.pushgateway_url",
        [],
        Secret,
        "Prometheus Pushgateway base URL to push each run's metrics to (may hold credentials)."
    ),
    setting!(
        "freshness.evo_hours",
        [],
        Integer,
        "Hours after which EVO tables count as stale (default 26)."
    ),
    setting!(
        "freshness.pipedrive_hours",
        [],
        Integer,
        "Hours after which Pipedrive tables count as stale (default 26)."
    ),
    setting!(
        "freshness.zendesk_hours",
        [],
        Integer,
        "Hours after which Zendesk tables count as stale (default 26)."
    ),
];

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// All problems found while loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// `sslmode` as libpq spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl std::str::FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "allow" | "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(format!(
                "`{other}` is not an sslmode (disable, prefer, require, verify-ca, verify-full)"
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LakeConfig {
    /// Lake location. Default: `.skyfit/lake` under the working directory.
    pub url: String,
    pub azure_account: Option<String>,
    pub azure_key: Option<Secret>,
    pub azure_sas: Option<Secret>,
    pub azure_container: String,
    pub azure_endpoint: Option<String>,
}

impl Default for LakeConfig {
    fn default() -> Self {
        LakeConfig {
            url: ".skyfit/lake".into(),
            azure_account: None,
            azure_key: None,
            azure_sas: None,
            azure_container: "datalake".into(),
            azure_endpoint: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: Option<Secret>,
    /// Unset (and no `url`): the embedded local PostgreSQL managed by `skyfit`.
    pub host: Option<String>,
    pub port: u16,
    pub name: String,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub sslmode: SslMode,
    /// Application name shown in `pg_stat_activity`.
    pub application_name: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            host: None,
            port: 5432,
            name: "skyfit".into(),
            user: None,
            password: None,
            sslmode: SslMode::Prefer,
            application_name: "skyfit".into(),
        }
    }
}

impl DatabaseConfig {
    /// True when no server is configured and `skyfit` should use its own local one.
    pub fn is_embedded(&self) -> bool {
        self.url.is_none() && self.host.is_none()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvoConfig {
    pub api_url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub requests_per_minute: u32,
    /// Hours (local to `source_timezone`) `[start, end)` in which EVO does not throttle.
    pub free_window: Option<(u8, u8)>,
    pub source_timezone: String,
    /// Nights in which the rolling re-sweep re-reads the whole history of the entities the API
    /// cannot filter by change (members, prospects); 0 disables it.
    pub resweep_days: u32,
    /// Shared secret of the optional webhook receiver (environment only).
    pub webhook_secret: Option<Secret>,
    /// Listen address of the optional webhook receiver.
    pub webhook_listen: String,
}

impl Default for EvoConfig {
    fn default() -> Self {
        EvoConfig {
            api_url: "https://evo-integracao.w12app.com.br".into(),
            username: None,
            password: None,
            requests_per_minute: 40,
            free_window: None,
            source_timezone: "UTC".into(),
            resweep_days: 7,
            webhook_secret: None,
            webhook_listen: "127.0.0.1:8787".into(),
        }
    }
}

impl EvoConfig {
    /// Basic-auth credentials, or `None` when the simulator should stand in.
    pub fn credentials(&self) -> Option<(&str, &Secret)> {
        Some((self.username.as_deref()?, self.password.as_ref()?))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipedriveConfig {
    pub company_domain: Option<String>,
    pub api_url: Option<String>,
    pub token_comercial: Option<Secret>,
    pub token_expansao: Option<Secret>,
}

impl PipedriveConfig {
    /// The configured accounts: (scope, token).
    pub fn scopes(&self) -> Vec<(&'static str, &Secret)> {
        let mut v = Vec::new();
        if let Some(t) = &self.token_comercial {
            v.push(("comercial", t));
        }
        if let Some(t) = &self.token_expansao {
            v.push(("expansao", t));
        }
        v
    }

    pub fn base_url(&self) -> Option<String> {
        self.api_url.clone().or_else(|| {
            self.company_domain
                .as_ref()
                .map(|d| format!("https://{d}.pipedrive.com"))
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZendeskConfig {
    pub subdomain: Option<String>,
    pub api_url: Option<String>,
    pub email: Option<String>,
    pub api_token: Option<Secret>,
}

impl ZendeskConfig {
    pub fn base_url(&self) -> Option<String> {
        self.api_url.clone().or_else(|| {
            self.subdomain
                .as_ref()
                .map(|d| format!("https://{d}.zendesk.com"))
        })
    }

    pub fn credentials(&self) -> Option<(&str, &Secret)> {
        Some((self.email.as_deref()?, self.api_token.as_ref()?))
    }
}

/// The body shape of `alerts.webhook_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertFormat {
    /// Teams for Microsoft webhook hosts, Slack otherwise.
    #[default]
    Auto,
    Slack,
    Teams,
}

/// `[alerts]`: the chat message sent when a run needs a person.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// The webhook URL; it is the credential, so it comes from the environment only.
    pub webhook_url: Option<Secret>,
    /// Alert when a run quarantines more rows than this (all tables together).
    pub quarantine_threshold: u64,
    pub format: AlertFormat,
}

/// `[metrics]`: where each run's figures go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// File rewritten after each run, for node_exporter's textfile collector.
    pub textfile: Option<PathBuf>,
    /// Pushgateway base URL; may embed credentials, so it is a secret.
    pub pushgateway_url: Option<Secret>,
}

/// `[freshness]`: how old a source's tables may get before they count as stale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreshnessConfig {
    pub evo_hours: u32,
    pub pipedrive_hours: u32,
    pub zendesk_hours: u32,
}

impl Default for FreshnessConfig {
    fn default() -> Self {
        // A nightly job plus two hours of slack for a slow or late night.
        FreshnessConfig {
            evo_hours: 26,
            pipedrive_hours: 26,
            zendesk_hours: 26,
        }
    }
}

impl FreshnessConfig {
    /// The limit of `source` (`evo`, `pipedrive`, `zendesk`), in hours; 26 for any other.
    pub fn hours(&self, source: &str) -> u32 {
        match source {
            "evo" => self.evo_hours,
            "pipedrive" => self.pipedrive_hours,
            "zendesk" => self.zendesk_hours,
            _ => FreshnessConfig::default().evo_hours,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub lake: LakeConfig,
    pub database: DatabaseConfig,
    pub evo: EvoConfig,
    pub pipedrive: PipedriveConfig,
    pub zendesk: ZendeskConfig,
    pub alerts: AlertsConfig,
    pub metrics: MetricsConfig,
    pub freshness: FreshnessConfig,
}

/// Where the configuration comes from.
#[derive(Debug, Default)]
pub struct ConfigSources {
    /// TOML file; `None` reads `skyfit.toml` in the working directory if it exists.
    pub file: Option<PathBuf>,
    /// Environment variables (normally `std::env::vars()` after `.env` files were loaded).
    pub env: HashMap<String, String>,
}

impl Config {
    /// Loads and validates the configuration from all layers.
    pub fn load(sources: &ConfigSources) -> Result<Config> {
        let (text, origin) = match &sources.file {
            Some(p) => (read(p)?, p.display().to_string()),
            None => {
                let p = Path::new("skyfit.toml");
                if p.exists() {
                    (read(p)?, "skyfit.toml".to_string())
                } else {
                    (String::new(), String::new())
                }
            }
        };
        Self::from_parts(&text, &origin, &sources.env)
    }

    /// Loads from TOML text (with `origin` naming it in errors) and an environment map.
    pub fn from_parts(
        toml_text: &str,
        origin: &str,
        env: &HashMap<String, String>,
    ) -> Result<Config> {
        let mut problems = Vec::new();
        let mut table: toml::Table = match toml_text.parse() {
            Ok(t) => t,
            Err(e) => return Err(ConfigError::Invalid(vec![format!("{origin}: {e}")])),
        };
        // Secrets may not live in the file.
        for s in SETTINGS.iter().filter(|s| s.kind == Kind::Secret) {
            let (section, key) = split(s.key);
            if table.get(section).and_then(|t| t.get(key)).is_some() {
                problems.push(format!(
                    "`{}` is a secret and may not be written in {origin}: set {}",
                    s.key,
                    s.where_to_set()
                ));
                if let Some(t) = table.get_mut(section).and_then(|t| t.as_table_mut()) {
                    t.remove(key);
                }
            }
        }
        for s in SETTINGS {
            let mut value = None;
            for name in s
                .legacy_env
                .iter()
                .map(|n| n.to_string())
                .chain([s.env_name()])
            {
                if let Some(v) = env.get(&name).filter(|v| !v.trim().is_empty()) {
                    value = Some((name, v.trim().to_string()));
                }
            }
            let Some((name, v)) = value else { continue };
            let tv = match s.kind {
                Kind::Text | Kind::Secret => toml::Value::String(v),
                Kind::Integer => match v.parse::<i64>() {
                    Ok(i) => toml::Value::Integer(i),
                    Err(_) => {
                        problems.push(format!(
                            "`{}` must be a whole number, but {name} is `{v}`",
                            s.key
                        ));
                        continue;
                    }
                },
            };
            let (section, key) = split(s.key);
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(t) = entry.as_table_mut() {
                t.insert(key.to_string(), tv);
            }
        }
        let config: Config = match toml::Value::Table(table).try_into() {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!(
                    "{}: {}",
                    if origin.is_empty() {
                        "configuration"
                    } else {
                        origin
                    },
                    e.message()
                ));
                return Err(ConfigError::Invalid(problems));
            }
        };
        problems.extend(config.validate());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }

    /// Semantic checks; each message names the setting and where to set it.
    fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut need = |cond: bool, key: &str, why: &str| {
            if cond {
                let s = setting(key).map(|s| s.where_to_set()).unwrap_or_default();
                p.push(format!("`{key}` {why}: set {s}"));
            }
        };
        let lake = &self.lake.url;
        let azure = lake.starts_with("az://")
            || lake.starts_with("abfss://")
            || lake.starts_with("azure://");
        need(lake.trim().is_empty(), "lake.url", "is empty");
        need(
            lake.contains("://") && !azure && !lake.starts_with("file://"),
            "lake.url",
            "has an unsupported scheme (use a directory, file://, az:// or abfss://)",
        );
        need(
            azure && self.lake.azure_account.is_none() && !lake.starts_with("abfss://"),
            "lake.azure_account",
            "is required for an az:// lake",
        );
        need(
            azure && self.lake.azure_key.is_none() && self.lake.azure_sas.is_none(),
            "lake.azure_key",
            "is required for an Azure lake (or lake.azure_sas)",
        );
        need(self.database.port == 0, "database.port", "must be 1-65535");
        need(
            self.database.host.is_some()
                && self.database.user.is_none()
                && self.database.url.is_none(),
            "database.user",
            "is required when database.host is set",
        );
        need(
            self.evo.username.is_some() != self.evo.password.is_some(),
            if self.evo.username.is_some() {
                "evo.password"
            } else {
                "evo.username"
            },
            "is missing (EVO needs both user and password)",
        );
        need(
            self.evo.requests_per_minute == 0,
            "evo.requests_per_minute",
            "must be at least 1",
        );
        need(
            self.evo.source_timezone.trim().is_empty(),
            "evo.source_timezone",
            "is empty",
        );
        if let Some((a, b)) = self.evo.free_window {
            need(
                a > 23 || b > 24,
                "evo.free_window",
                "must be two hours 0-24",
            );
        }
        need(
            !self.pipedrive.scopes().is_empty() && self.pipedrive.base_url().is_none(),
            "pipedrive.company_domain",
            "is required when a Pipedrive token is set",
        );
        need(
            self.zendesk.api_token.is_some() && self.zendesk.email.is_none(),
            "zendesk.email",
            "is required when ZENDESK_API_TOKEN is set",
        );
        need(
            self.zendesk.api_token.is_some() && self.zendesk.base_url().is_none(),
            "zendesk.subdomain",
            "is required when ZENDESK_API_TOKEN is set",
        );
        p
    }
}

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|error| ConfigError::Read {
        path: p.to_path_buf(),
        error,
    })
}

fn split(key: &str) -> (&str, &str) {
    key.split_once('.').unwrap_or((key, ""))
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_demo() {
        let c = Config::from_parts("", "", &HashMap::new()).unwrap();
        assert!(c.database.is_embedded());
        assert!(c.evo.credentials().is_none());
        assert!(c.pipedrive.scopes().is_empty());
        assert_eq!(c.lake.url, ".skyfit/lake");
        assert_eq!(c.database.sslmode, SslMode::Prefer);
    }

    #[test]
    fn reference_env_names_work_and_skyfit_names_win() {
        let e = env(&[
            ("PG_HOST", "db.example"),
            ("PG_PORT", "6432"),
            ("PG_USER", "etl"),
            ("PG_PASSWORD", "pw-123"),
            ("PG_SSLMODE", "require"),
            ("EVO_USERNAME", "u"),
            ("EVO_PASSWORD", "p"),
            ("PIPEDRIVE_COMPANY_DOMAIN", "skyfit"),
            ("PIPEDRIVE_TOKEN_COMERCIAL", "tok1"),
            ("AZURE_STORAGE_ACCOUNT", "acct"),
            ("AZURE_STORAGE_KEY", "k"),
            ("ADLS_CONTAINER", "lake"),
            ("SKYFIT_DATABASE_HOST", "other.example"),
        ]);
        let c =
            Config::from_parts("[lake]\nurl = \"az://lake/prefix\"\n", "skyfit.toml", &e).unwrap();
        assert_eq!(c.database.host.as_deref(), Some("other.example"));
        assert_eq!(c.database.port, 6432);
        assert_eq!(c.database.sslmode, SslMode::Require);
        assert_eq!(
            c.database.password.as_ref().map(|s| s.expose()),
            Some("pw-123")
        );
        assert_eq!(
            c.pipedrive.base_url().as_deref(),
            Some("https://skyfit.pipedrive.com")
        );
        assert_eq!(c.pipedrive.scopes().len(), 1);
        assert_eq!(c.lake.azure_container, "lake");
        assert!(c.evo.credentials().is_some());
    }

    #[test]
    fn every_problem_is_reported_with_where_to_set_it() {
        let e = env(&[
            ("PG_PORT", "fifty"),
            ("EVO_USERNAME", "u"),
            ("PIPEDRIVE_TOKEN_EXPANSAO", "t"),
        ]);
        let err = Config::from_parts("", "", &e).unwrap_err().to_string();
        assert!(
            err.contains("`database.port` must be a whole number, but PG_PORT is `fifty`"),
            "{err}"
        );
        assert!(err.contains("`evo.password` is missing"), "{err}");
        assert!(err.contains("EVO_PASSWORD"), "{err}");
        assert!(err.contains("`pipedrive.company_domain`"), "{err}");
        assert!(err.contains("PIPEDRIVE_COMPANY_DOMAIN"), "{err}");
    }

    #[test]
    fn secrets_in_the_file_are_refused_and_not_echoed() {
        let err = Config::from_parts(
            "[database]\npassword = \"s3cr3t-value\"\n",
            "skyfit.toml",
            &HashMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`database.password` is a secret"), "{err}");
        assert!(err.contains("PG_PASSWORD"), "{err}");
        assert!(!err.contains("s3cr3t-value"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = Config::from_parts("[database]\nhots = \"x\"\n", "skyfit.toml", &HashMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("hots"), "{err}");
        let err = Config::from_parts("", "", &env(&[("PG_SSLMODE", "sometimes")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn alerts_metrics_and_freshness_keys() {
        let c = Config::from_parts("", "", &HashMap::new()).unwrap();
        assert!(c.alerts.webhook_url.is_none() && c.metrics.textfile.is_none());
        assert_eq!(c.freshness.hours("zendesk"), 26);
        let e = env(&[
            (
                "SKYFIT_ALERT_WEBHOOK_URL",
                "https://hooks.example/T/B/tok-42",
            ),
            ("SKYFIT_ALERTS_QUARANTINE_THRESHOLD", "10"),
            ("SKYFIT_FRESHNESS_EVO_HOURS", "2"),
        ]);
        let c = Config::from_parts(
            "[alerts]\nformat = \"teams\"\n[metrics]\ntextfile = \"/tmp/skyfit.prom\"\n[freshness]\nzendesk_hours = 48\n",
            "skyfit.toml",
            &e,
        )
        .unwrap();
        assert_eq!(
            c.alerts.webhook_url.as_ref().map(|s| s.expose()),
            Some("https://hooks.example/T/B/tok-42")
        );
        assert_eq!(c.alerts.quarantine_threshold, 10);
        assert_eq!(c.alerts.format, AlertFormat::Teams);
        assert_eq!(c.freshness.hours("evo"), 2);
        assert_eq!(c.freshness.hours("zendesk"), 48);
        assert_eq!(c.freshness.hours("pipedrive"), 26);
        assert!(!format!("{c:?}").contains("tok-42"));
        let err = Config::from_parts(
            "[alerts]\nwebhook_url = \"https://hooks.example/x\"\n",
            "skyfit.toml",
            &HashMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("SKYFIT_ALERT_WEBHOOK_URL"), "{err}");
    }

    #[test]
    fn debug_of_a_config_hides_secrets() {
        let e = env(&[
            ("PG_PASSWORD", "pw-xyz"),
            ("ZENDESK_API_TOKEN", "zd-tok"),
            ("ZENDESK_EMAIL", "a@b"),
            ("ZENDESK_SUBDOMAIN", "s"),
        ]);
        let c = Config::from_parts("", "", &e).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("pw-xyz") && !dbg.contains("zd-tok"), "{dbg}");
    }
}
