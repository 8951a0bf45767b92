//! Publishing the metrics: the textfile, and a push to a Prometheus Pushgateway.
//!
//! The push is `PUT {url}/metrics/job/{job}[/{label}/{value}…]` with the text format
//! (`text/plain; version=0.0.4`): a PUT replaces every metric of that group, so metrics of
//! an earlier run never linger beside this one's. A label value that is empty or holds
//! characters other than `[A-Za-z0-9_.-]` (a `/` would split the path) is sent base64url
//! encoded (`label@base64/…`), as the Pushgateway expects. Retried and bounded like alerts
//! ([`crate::delivery`]); the outcome is a [`Delivery`], never an error.

use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;

use crate::delivery::{self, Delivery, Request, RetryPolicy};
use crate::error::Error;
use crate::metrics;
use crate::report::RunReport;
use crate::secret_url::SecretUrl;
use crate::textfile;

/// The content type the Pushgateway parses as the text format.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Where the metrics of a run go. Both are optional; with neither, nothing is done.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// `metrics.textfile`: the file to (re)write, e.g.
    /// `/var/lib/prometheus/node-exporter/skyfit.prom`.
    pub textfile: Option<PathBuf>,
    /// `metrics.pushgateway_url`, with the grouping and retries of the push.
    pub pushgateway: Option<PushConfig>,
}

impl MetricsConfig {
    pub fn with_textfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.textfile = Some(path.into());
        self
    }

    pub fn with_pushgateway(mut self, push: PushConfig) -> Self {
        self.pushgateway = Some(push);
        self
    }
}

/// A Pushgateway and the group the metrics are pushed to.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// The Pushgateway's base URL (`http://pushgateway:9091`); it may embed credentials.
    pub url: SecretUrl,
    /// The `job` label of the group (default `skyfit`).
    pub job: String,
    /// Further grouping labels, e.g. `instance`; names must be valid label names.
    pub grouping: Vec<(String, String)>,
    pub retry: RetryPolicy,
}

impl PushConfig {
    pub fn new(url: SecretUrl) -> Self {
        PushConfig {
            url,
            job: "skyfit".into(),
            grouping: Vec::new(),
            retry: RetryPolicy::default(),
        }
    }

    pub fn try_new(url: &str) -> Result<Self, Error> {
        Ok(PushConfig::new(SecretUrl::try_new(url)?))
    }

    pub fn with_job(mut self, job: impl Into<String>) -> Self {
        self.job = job.into();
        self
    }

    /// Adds a grouping label (`instance`, `command`, …) to the push URL.
    pub fn with_grouping(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.grouping.push((name.into(), value.into()));
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The path below the base URL: `metrics/job/skyfit[/instance/…]`.
    pub fn group_path(&self) -> String {
        let mut path = format!("metrics/{}", segment("job", &self.job));
        for (name, value) in &self.grouping {
            path.push('/');
            path.push_str(&segment(name, value));
        }
        path
    }
}

/// `name/value`, or `name@base64/…` when the value cannot stand in a path as it is.
fn segment(name: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if plain {
        format!("{name}/{value}")
    } else if value.is_empty() {
        // The Pushgateway's spelling of an empty value.
        format!("{name}@base64/=")
    } else {
        format!("{name}@base64/{}", URL_SAFE.encode(value))
    }
}

/// Pushes an already rendered metrics text (see [`metrics::render`]).
pub async fn push(cfg: &PushConfig, text: &str) -> Delivery {
    let url = cfg.url.join_path(&cfg.group_path());
    let req = Request {
        what: "metrics push",
        method: reqwest::Method::PUT,
        url: &url,
        content_type: TEXT_CONTENT_TYPE,
        body: text.as_bytes().to_vec(),
    };
    delivery::send(req, &cfg.retry).await
}

/// What became of a run's metrics. `Display` is one line for the run's summary.
#[derive(Debug)]
pub struct Published {
    /// `None` when no textfile is configured.
    pub textfile: Option<Result<PathBuf, Error>>,
    /// [`Delivery::Skipped`] when no Pushgateway is configured.
    pub push: Delivery,
}

impl Published {
    /// Whether something configured did not happen.
    pub fn has_failure(&self) -> bool {
        matches!(self.textfile, Some(Err(_))) || self.push.is_failed()
    }
}

impl fmt::Display for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.textfile {
            None => f.write_str("metrics file: not configured")?,
            Some(Ok(path)) => write!(f, "metrics file: written to {}", path.display())?,
            Some(Err(e)) => write!(f, "metrics file: {e}")?,
        }
        match &self.push {
            Delivery::Skipped => f.write_str("; pushgateway: not configured"),
            d => write!(f, "; pushgateway: {d}"),
        }
    }
}

/// Renders `report` once, writes the textfile and pushes, as configured. Never fails: each
/// outcome is in [`Published`] for the caller to log.
pub async fn publish(cfg: &MetricsConfig, report: &RunReport) -> Published {
    if cfg.textfile.is_none() && cfg.pushgateway.is_none() {
        return Published {
            textfile: None,
            push: Delivery::Skipped,
        };
    }
    let text = metrics::render(report);
    let textfile = cfg.textfile.as_ref().map(|path| {
        let path = path.clone();
        textfile::write_atomic(&path, &text).map(|()| path)
    });
    let push = match &cfg.pushgateway {
        Some(p) => push(p, &text).await,
        None => Delivery::Skipped,
    };
    Published { textfile, push }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_paths_encode_what_a_path_cannot_hold() {
        let p = PushConfig::try_new("http://pg:9091").unwrap();
        assert_eq!(p.group_path(), "metrics/job/skyfit");
        let p = p
            .with_grouping("instance", "nightly-01.example.com")
            .with_grouping("command", "run");
        assert_eq!(
            p.group_path(),
            "metrics/job/skyfit/instance/nightly-01.example.com/command/run"
        );
        let p = PushConfig::try_new("http://pg:9091")
            .unwrap()
            .with_grouping("path", "/var/tmp")
            .with_grouping("empty", "");
        // The Pushgateway's own example: `/var/tmp` is `L3Zhci90bXA=`.
        assert_eq!(
            p.group_path(),
            "metrics/job/skyfit/path@base64/L3Zhci90bXA=/empty@base64/="
        );
    }
}
