//! Alerts: one chat message when a run needs a person's attention.
//!
//! A message is sent when the run failed (or partly failed), data tests failed, the run
//! quarantined more rows than [`AlertConfig::quarantine_threshold`], or tables are stale.
//! It names the run, what failed, the counts, and the command to look closer
//! (`skyfit status --run <id>`). A run with nothing to say sends nothing.
//!
//! The body is JSON for the webhook's kind ([`WebhookFormat`]): `{"text": …}` (Slack
//! incoming webhooks; Mattermost, Rocket.Chat and Google Chat read the same), or a message
//! with one Adaptive Card (Microsoft Teams: Workflows webhooks accept only cards, and the
//! older Office 365 connectors accept them too).
//!
//! What a message may hold: table, test, entity and source names, counts, durations, error
//! messages (shortened), and at most five sample keys per failing test. Never row values,
//! never a URL or credential (the webhook URL is a [`SecretUrl`]).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::delivery::{self, Delivery, Request, RetryPolicy};
use crate::error::Error;
use crate::report::{RunReport, RunStatus, Severity};
use crate::secret_url::SecretUrl;

/// Sample keys shown per failing test.
const SAMPLE_KEYS: usize = 5;
/// Items shown per section before "… and N more".
const ITEMS: usize = 10;
/// Characters kept of an error message or a sample key.
const MESSAGE_CHARS: usize = 300;
const KEY_CHARS: usize = 64;

/// The shape of the JSON body (`alerts.format`: `auto`, `slack` or `teams`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Teams for Microsoft hosts (`*.logic.azure.com`, `*.powerautomate.com`,
    /// `*.powerplatform.com`, `*.webhook.office.com`, `outlook.office.com`), else Slack.
    #[default]
    Auto,
    /// `{"text": "…"}` with Slack's `mrkdwn`.
    Slack,
    /// `{"type": "message", "attachments": [<Adaptive Card>]}`.
    Teams,
}

impl WebhookFormat {
    fn resolve(self, url: &SecretUrl) -> WebhookFormat {
        if self != WebhookFormat::Auto {
            return self;
        }
        let host = url.expose().host_str().unwrap_or("").to_ascii_lowercase();
        let teams = [
            ".logic.azure.com",
            ".powerautomate.com",
            ".powerplatform.com",
            ".webhook.office.com",
        ]
        .iter()
        .any(|suffix| host.ends_with(suffix))
            || host == "outlook.office.com";
        if teams {
            WebhookFormat::Teams
        } else {
            WebhookFormat::Slack
        }
    }
}

/// Where and when to alert.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// `alerts.webhook_url`, from `SKYFIT_ALERT_WEBHOOK_URL` only (it is a credential).
    pub webhook_url: SecretUrl,
    /// `alerts.quarantine_threshold`: alert when a run quarantines more rows than this, all
    /// targets together (default 0: any quarantined row).
    pub quarantine_threshold: u64,
    /// `alerts.format`: the body's shape (default: by the URL's host).
    pub format: WebhookFormat,
    pub retry: RetryPolicy,
}

impl AlertConfig {
    pub fn new(webhook_url: SecretUrl) -> Self {
        AlertConfig {
            webhook_url,
            quarantine_threshold: 0,
            format: WebhookFormat::Auto,
            retry: RetryPolicy::default(),
        }
    }

    pub fn try_new(webhook_url: &str) -> Result<Self, Error> {
        Ok(AlertConfig::new(SecretUrl::try_new(webhook_url)?))
    }

    pub fn with_quarantine_threshold(mut self, rows: u64) -> Self {
        self.quarantine_threshold = rows;
        self
    }

    pub fn with_format(mut self, format: WebhookFormat) -> Self {
        self.format = format;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// A message about a run, before it is shaped for a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// One line: `SkyFit run <id> failed (skyfit run, 12m 34s)`.
    pub title: String,
    /// Sections, each a heading and its items.
    pub sections: Vec<(String, Vec<String>)>,
    /// The command to look closer.
    pub command: String,
}

impl Alert {
    /// The alert `report` calls for, or `None` when there is nothing to say.
    pub fn for_report(report: &RunReport, quarantine_threshold: u64) -> Option<Alert> {
        let mut sections = Vec::new();

        let mut failed: Vec<String> = report
            .failed_entities()
            .map(|e| {
                let name = match &e.scope {
                    Some(s) => format!("{}/{s}/{}", e.source, e.entity),
                    None => format!("{}/{}", e.source, e.entity),
                };
                format!(
                    "extract {name}: {}",
                    shorten(e.error.as_deref().unwrap_or(""), MESSAGE_CHARS)
                )
            })
            .collect();
        failed.extend(report.failed_targets().map(|t| match &t.error {
            Some(e) => format!("load {}: {}", t.table, shorten(e, MESSAGE_CHARS)),
            None => format!("load {}", t.table),
        }));
        let error_tests = report
            .test_failures
            .iter()
            .any(|t| t.severity == Severity::Error);
        if let Some(e) = &report.error {
            failed.push(format!(
                "skyfit {}: {}",
                report.command,
                shorten(e, MESSAGE_CHARS)
            ));
        }
        if report.status != RunStatus::Succeeded || !failed.is_empty() {
            // A run failed by its `error` tests alone is explained by their section below.
            if failed.is_empty() && !error_tests {
                failed.push(format!(
                    "the `{}` command stopped with an error",
                    report.command
                ));
            }
            if !failed.is_empty() {
                sections.push(("Failed".to_string(), cap(failed)));
            }
        }

        if !report.test_failures.is_empty() {
            let mut tests: Vec<_> = report.test_failures.iter().collect();
            tests.sort_by_key(|t| std::cmp::Reverse(t.severity));
            let errors = tests
                .iter()
                .filter(|t| t.severity == Severity::Error)
                .count();
            let items = tests
                .iter()
                .map(|t| {
                    let mut s = format!(
                        "[{}] {} {}: {} failing row{}",
                        t.severity,
                        t.table,
                        t.test,
                        t.failing_rows,
                        plural(t.failing_rows)
                    );
                    if !t.sample_keys.is_empty() {
                        let keys: Vec<String> = t
                            .sample_keys
                            .iter()
                            .take(SAMPLE_KEYS)
                            .map(|k| shorten(k, KEY_CHARS))
                            .collect();
                        let _ = write!(s, " (e.g. {})", keys.join(", "));
                    }
                    s
                })
                .collect();
            sections.push((
                format!(
                    "Data tests failed: {} ({errors} error, {} warn)",
                    tests.len(),
                    tests.len() - errors
                ),
                cap(items),
            ));
        }

        let quarantined = report.quarantined();
        if quarantined > quarantine_threshold {
            let mut tables: Vec<_> = report
                .targets
                .iter()
                .filter(|t| t.quarantined > 0)
                .collect();
            tables.sort_by_key(|t| std::cmp::Reverse(t.quarantined));
            let items = tables
                .iter()
                .map(|t| format!("{}: {}", t.table, t.quarantined))
                .collect();
            sections.push((
                format!(
                    "Quarantined: {quarantined} row{} (threshold {quarantine_threshold})",
                    plural(quarantined)
                ),
                cap(items),
            ));
        }

        if !report.stale_tables.is_empty() {
            let items = report
                .stale_tables
                .iter()
                .map(|t| {
                    format!(
                        "{}: last loaded {} ago (limit {})",
                        t.table,
                        human_duration(t.age_secs),
                        human_duration(t.limit_secs)
                    )
                })
                .collect();
            sections.push((
                format!("Stale tables: {}", report.stale_tables.len()),
                cap(items),
            ));
        }

        if sections.is_empty() {
            return None;
        }
        let outcome = match report.status {
            RunStatus::Failed => "failed",
            RunStatus::Partial => "partly failed",
            RunStatus::Succeeded => "needs attention",
        };
        Some(Alert {
            title: format!(
                "SkyFit run {} {outcome} (skyfit {}, {})",
                report.run_id,
                report.command,
                human_duration(report.duration_secs().round() as u64)
            ),
            sections,
            command: format!("skyfit status --run {}", report.run_id),
        })
    }

    /// Plain text: the title, each section with `- ` items, then the command.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for (heading, items) in &self.sections {
            let _ = writeln!(out, "{heading}");
            for item in items {
                let _ = writeln!(out, "- {item}");
            }
        }
        let _ = write!(out, "Look closer: {}", self.command);
        out
    }

    /// The Slack body: `{"text": …}` in `mrkdwn`.
    pub fn to_slack(&self) -> Value {
        let mut text = format!("*{}*\n", slack_escape(&self.title));
        for (heading, items) in &self.sections {
            let _ = writeln!(text, "*{}*", slack_escape(heading));
            for item in items {
                let _ = writeln!(text, "• {}", slack_escape(item));
            }
        }
        let _ = write!(text, "Look closer: `{}`", slack_escape(&self.command));
        json!({ "text": text })
    }

    /// The Teams body: a message with one Adaptive Card.
    pub fn to_teams(&self) -> Value {
        let mut body = vec![json!({
            "type": "TextBlock",
            "text": self.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": true,
        })];
        for (heading, items) in &self.sections {
            body.push(json!({
                "type": "TextBlock",
                "text": heading,
                "weight": "Bolder",
                "spacing": "Medium",
                "wrap": true,
            }));
            for item in items {
                body.push(json!({
                    "type": "TextBlock",
                    "text": format!("- {item}"),
                    "spacing": "None",
                    "wrap": true,
                }));
            }
        }
        body.push(json!({
            "type": "TextBlock",
            "text": format!("Look closer: {}", self.command),
            "fontType": "Monospace",
            "spacing": "Medium",
            "wrap": true,
        }));
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": { "width": "Full" },
                    "body": body,
                },
            }],
        })
    }

    /// The body for `format` (resolved against `url` when [`WebhookFormat::Auto`]).
    pub fn to_json(&self, format: WebhookFormat, url: &SecretUrl) -> Value {
        match format.resolve(url) {
            WebhookFormat::Teams => self.to_teams(),
            _ => self.to_slack(),
        }
    }
}

/// Posts the alert `report` calls for, if any. Returns within `cfg.retry.total`; a failure is
/// reported in the [`Delivery`] (logged at WARN per retry), never as an error.
pub async fn notify(cfg: &AlertConfig, report: &RunReport) -> Delivery {
    let Some(alert) = Alert::for_report(report, cfg.quarantine_threshold) else {
        return Delivery::Skipped;
    };
    let body = alert.to_json(cfg.format, &cfg.webhook_url);
    let req = Request {
        what: "alert",
        method: reqwest::Method::POST,
        url: &cfg.webhook_url,
        content_type: "application/json",
        body: serde_json::to_vec(&body).unwrap_or_default(),
    };
    delivery::send(req, &cfg.retry).await
}

fn cap(mut items: Vec<String>) -> Vec<String> {
    if items.len() > ITEMS {
        let more = items.len() - ITEMS;
        items.truncate(ITEMS);
        items.push(format!("… and {more} more"));
    }
    items
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// At most `max` characters, on one line, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack treats `&`, `<` and `>` as control characters in `mrkdwn`.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `45s`, `12m 34s`, `3h 20m`, `2d 4h`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m {}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{StaleTable, TargetReport, TargetStatus, TestFailure};
    use chrono::TimeZone;

    fn report(status: RunStatus) -> RunReport {
        let start = chrono::Utc.with_ymd_and_hms(2025, 3, 4, 3, 0, 0).unwrap();
        let end = start + chrono::Duration::seconds(754);
        RunReport::new("20250304T030000Z-1a2b", "run", status, start, end)
    }

    fn target(table: &str, quarantined: u64) -> TargetReport {
        TargetReport {
            table: table.into(),
            rows: 100,
            quarantined,
            status: TargetStatus::Loaded,
            error: None,
        }
    }

    #[test]
    fn a_clean_run_says_nothing() {
        let mut r = report(RunStatus::Succeeded);
        r.targets.push(target("core.members", 3));
        assert_eq!(Alert::for_report(&r, 3), None);
        assert!(Alert::for_report(&r, 2).is_some());
    }

    #[test]
    fn a_failed_run_names_what_failed_and_the_command() {
        let mut r = report(RunStatus::Failed);
        r.targets.push(TargetReport {
            status: TargetStatus::Failed,
            error: Some("connection lost\nwhile copying".into()),
            ..target("core.entries", 0)
        });
        let a = Alert::for_report(&r, 0).unwrap();
        assert_eq!(
            a.title,
            "SkyFit run 20250304T030000Z-1a2b failed (skyfit run, 12m 34s)"
        );
        assert_eq!(
            a.sections,
            vec![(
                "Failed".to_string(),
                vec!["load core.entries: connection lost while copying".to_string()]
            )]
        );
        assert!(
            a.to_text()
                .ends_with("Look closer: skyfit status --run 20250304T030000Z-1a2b")
        );
    }

    #[test]
    fn shows_at_most_five_sample_keys_and_errors_first() {
        let mut r = report(RunStatus::Succeeded);
        r.test_failures.push(TestFailure {
            test: "not_null(email)".into(),
            table: "core.members".into(),
            severity: Severity::Warn,
            failing_rows: 1,
            sample_keys: vec!["m-1".into()],
        });
        r.test_failures.push(TestFailure {
            test: "unique(member_id)".into(),
            table: "core.members".into(),
            severity: Severity::Error,
            failing_rows: 7,
            sample_keys: (1..=7).map(|i| format!("m-{i}")).collect(),
        });
        let a = Alert::for_report(&r, 0).unwrap();
        let (heading, items) = &a.sections[0];
        assert_eq!(heading, "Data tests failed: 2 (1 error, 1 warn)");
        assert_eq!(
            items[0],
            "[error] core.members unique(member_id): 7 failing rows (e.g. m-1, m-2, m-3, m-4, m-5)"
        );
        assert_eq!(
            items[1],
            "[warn] core.members not_null(email): 1 failing row (e.g. m-1)"
        );
    }

    #[test]
    fn a_run_failed_by_its_tests_alone_is_explained_by_them() {
        let mut r = report(RunStatus::Failed);
        r.test_failures.push(TestFailure {
            test: "not_null(member_id)".into(),
            table: "core.entries".into(),
            severity: Severity::Error,
            failing_rows: 2,
            sample_keys: vec![],
        });
        let a = Alert::for_report(&r, 0).unwrap();
        assert!(a.title.contains(" failed "), "{}", a.title);
        let headings: Vec<_> = a.sections.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(headings, ["Data tests failed: 1 (1 error, 0 warn)"]);
        // Without a failing `error` test, a failed run still says so.
        r.test_failures[0].severity = Severity::Warn;
        let a = Alert::for_report(&r, 0).unwrap();
        assert_eq!(
            a.sections[0],
            (
                "Failed".to_string(),
                vec!["the `run` command stopped with an error".to_string()]
            )
        );
    }

    #[test]
    fn a_run_stopped_early_says_why() {
        let mut r = report(RunStatus::Failed);
        r.error = Some("cannot open the lake (lake.url)".into());
        let a = Alert::for_report(&r, 0).unwrap();
        assert_eq!(
            a.sections[0],
            (
                "Failed".to_string(),
                vec!["skyfit run: cannot open the lake (lake.url)".to_string()]
            )
        );
    }

    #[test]
    fn long_lists_are_capped() {
        let mut r = report(RunStatus::Succeeded);
        for i in 0..25 {
            r.stale_tables.push(StaleTable {
                table: format!("core.t{i}"),
                age_secs: 100_000,
                limit_secs: 93_600,
            });
        }
        let a = Alert::for_report(&r, 0).unwrap();
        assert_eq!(a.sections[0].1.len(), ITEMS + 1);
        assert_eq!(a.sections[0].1[ITEMS], "… and 15 more");
        assert_eq!(
            a.sections[0].1[0],
            "core.t0: last loaded 1d 3h ago (limit 1d 2h)"
        );
    }

    #[test]
    fn picks_the_format_by_host() {
        let slack = SecretUrl::try_new("https://hooks.slack.com/services/T/B/x").unwrap();
        let teams = SecretUrl::try_new(
            "https://prod-01.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke",
        )
        .unwrap();
        let connector =
            SecretUrl::try_new("https://contoso.webhook.office.com/webhookb2/x").unwrap();
        assert_eq!(WebhookFormat::Auto.resolve(&slack), WebhookFormat::Slack);
        assert_eq!(WebhookFormat::Auto.resolve(&teams), WebhookFormat::Teams);
        assert_eq!(
            WebhookFormat::Auto.resolve(&connector),
            WebhookFormat::Teams
        );
        assert_eq!(WebhookFormat::Teams.resolve(&slack), WebhookFormat::Teams);
    }

    #[test]
    fn slack_text_escapes_control_characters() {
        let mut r = report(RunStatus::Failed);
        r.targets.push(TargetReport {
            status: TargetStatus::Failed,
            error: Some("value <b> & more".into()),
            ..target("core.x", 0)
        });
        let text = Alert::for_report(&r, 0).unwrap().to_slack()["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.contains("value &lt;b&gt; &amp; more"), "{text}");
    }
}
