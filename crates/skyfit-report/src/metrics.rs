//! A [`RunReport`] in the Prometheus text format, for node_exporter's textfile collector and
//! the Pushgateway.
//!
//! Both consumers parse with the Prometheus text parser (format 0.0.4; `expfmt.TextParser`),
//! not an OpenMetrics parser, so the output is the subset both formats accept:
//! - every metric is a **gauge** describing the last run (a nightly batch's figures are
//!   reset each run: as counters, `rate()` would misread them), so no name ends in `_total`,
//!   which OpenMetrics reserves for counters;
//! - each family is one block: `# HELP`, `# TYPE`, then its samples, sorted, no duplicate
//!   label sets, no timestamps (the textfile collector refuses them);
//! - HELP texts contain no `"` or `\` (their escaping differs between the formats); label
//!   values escape `\`, `"` and newlines as both require;
//! - it ends with `# EOF` and a newline: required by OpenMetrics, an ordinary comment to the
//!   Prometheus parser (which needs the final newline).
//!
//! The metric names and labels are listed in `docs/operations.md` ("Metrics").

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::{EntityReport, RunReport, RunStatus, Severity, TargetStatus};

/// One metric family: name, help and its samples (label pairs, value).
struct Family {
    name: &'static str,
    help: &'static str,
    samples: BTreeMap<Vec<(&'static str, String)>, f64>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Self {
        debug_assert!(!help.contains(['"', '\\', '\n']), "{name}");
        Family {
            name,
            help,
            samples: BTreeMap::new(),
        }
    }

    /// Sets a sample; a repeated label set adds up (two rows of the same entity).
    fn add(&mut self, labels: Vec<(&'static str, String)>, value: f64) -> &mut Self {
        *self.samples.entry(labels).or_insert(0.0) += value;
        self
    }

    fn set(&mut self, labels: Vec<(&'static str, String)>, value: f64) -> &mut Self {
        self.samples.insert(labels, value);
        self
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label_value(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", format_value(*value));
        }
    }
}

/// A label value as the text formats quote it: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value as both formats spell it: integers without a fraction, `NaN`, `+Inf`,
/// `-Inf`, and an exponent (`1e300`) rather than hundreds of digits for huge values.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else if v.abs() >= 1e15 {
        format!("{v:e}")
    } else if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Reads one figure of an entity.
type EntityFigure = fn(&EntityReport) -> u64;

fn l(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Renders `report` as a metrics file (see the module docs for the format's rules).
pub fn render(report: &RunReport) -> String {
    let mut families = Vec::new();

    let mut f = Family::new(
        "skyfit_run_success",
        "1 if the last run succeeded, 0 if it failed or partly failed.",
    );
    f.set(vec![], f64::from(report.status == RunStatus::Succeeded));
    families.push(f);

    let mut f = Family::new(
        "skyfit_run_status",
        "The last run's outcome: 1 for its status, 0 for the others.",
    );
    for s in RunStatus::ALL {
        f.set(l(&[("status", s.as_str())]), f64::from(report.status == s));
    }
    families.push(f);

    let mut f = Family::new(
        "skyfit_run_start_timestamp_seconds",
        "Unix time the last run started.",
    );
    f.set(vec![], timestamp(report.started_at));
    families.push(f);

    let mut f = Family::new(
        "skyfit_run_finish_timestamp_seconds",
        "Unix time the last run finished.",
    );
    f.set(vec![], timestamp(report.finished_at));
    families.push(f);

    let mut f = Family::new(
        "skyfit_run_duration_seconds",
        "Wall-clock seconds of the last run, start to finish.",
    );
    f.set(vec![], report.duration_secs());
    families.push(f);

    let mut f = Family::new(
        "skyfit_stage_duration_seconds",
        "Seconds the last run spent in each stage.",
    );
    for (stage, secs) in &report.stages {
        f.set(l(&[("stage", stage.as_str())]), *secs);
    }
    families.push(f);

    let entity_families: [(&str, &str, EntityFigure); 5] = [
        (
            "skyfit_records_extracted",
            "Records the last run landed in bronze, per entity.",
            |e| e.records,
        ),
        (
            "skyfit_records_rejected",
            "Records the last run sent to _rejects, per entity.",
            |e| e.rejects,
        ),
        (
            "skyfit_pages_fetched",
            "API pages the last run fetched, per entity.",
            |e| e.pages,
        ),
        (
            "skyfit_api_requests",
            "HTTP requests the last run made to the API, retries included, per entity.",
            |e| e.requests,
        ),
        (
            "skyfit_api_throttled",
            "HTTP 429 answers (rate-limit waits) in the last run, per entity.",
            |e| e.throttled,
        ),
    ];
    for (name, help, value) in entity_families {
        let mut f = Family::new(name, help);
        for e in &report.entities {
            let labels = l(&[
                ("source", &e.source),
                ("scope", e.scope.as_deref().unwrap_or("")),
                ("entity", &e.entity),
            ]);
            f.add(labels, value(e) as f64);
        }
        families.push(f);
    }

    let mut f = Family::new(
        "skyfit_extract_failed",
        "1 per entity whose extraction failed in the last run.",
    );
    for e in &report.entities {
        let labels = l(&[
            ("source", &e.source),
            ("scope", e.scope.as_deref().unwrap_or("")),
            ("entity", &e.entity),
        ]);
        f.set(labels, f64::from(e.error.is_some()));
    }
    families.push(f);

    let mut rows = Family::new(
        "skyfit_rows_loaded",
        "Rows the last run wrote, per target table.",
    );
    let mut quarantined = Family::new(
        "skyfit_quarantined_rows",
        "Rows or values the last run quarantined, per target table.",
    );
    let mut failed = Family::new(
        "skyfit_load_failed",
        "1 per target table whose load failed in the last run.",
    );
    for t in &report.targets {
        let labels = l(&[("table", &t.table)]);
        rows.add(labels.clone(), t.rows as f64);
        quarantined.add(labels.clone(), t.quarantined as f64);
        failed.set(labels, f64::from(t.status == TargetStatus::Failed));
    }
    families.extend([rows, quarantined, failed]);

    let mut f = Family::new(
        "skyfit_data_test_failures",
        "Data tests that failed in the last run, per severity.",
    );
    for s in Severity::ALL {
        f.set(l(&[("severity", s.as_str())]), 0.0);
    }
    for t in &report.test_failures {
        f.add(l(&[("severity", t.severity.as_str())]), 1.0);
    }
    families.push(f);

    let mut f = Family::new(
        "skyfit_data_test_failing_rows",
        "Offending rows of each data test that failed in the last run.",
    );
    for t in &report.test_failures {
        let labels = l(&[
            ("table", &t.table),
            ("test", &t.test),
            ("severity", t.severity.as_str()),
        ]);
        f.add(labels, t.failing_rows as f64);
    }
    families.push(f);

    let mut f = Family::new(
        "skyfit_stale_tables",
        "Tables older than their freshness limit at the end of the last run.",
    );
    f.set(vec![], report.stale_tables.len() as f64);
    families.push(f);

    let mut f = Family::new(
        "skyfit_stale_table_age_seconds",
        "Age of each stale table's last successful load, in seconds.",
    );
    for t in &report.stale_tables {
        f.set(l(&[("table", &t.table)]), t.age_secs as f64);
    }
    families.push(f);

    let mut f = Family::new(
        "skyfit_last_success_timestamp_seconds",
        "Unix time of the last successful extraction of each source.",
    );
    for (source, at) in &report.last_success {
        f.set(l(&[("source", source)]), timestamp(*at));
    }
    families.push(f);

    let mut out = String::new();
    // A family without samples (no stale table, no failing test) is left out.
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        f.write(&mut out);
    }
    out.push_str("# EOF\n");
    out
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape_label_value("core.members"), "core.members");
        assert_eq!(escape_label_value(r#"a"b"#), r#"a\"b"#);
        assert_eq!(escape_label_value(r"C:\lake"), r"C:\\lake");
        assert_eq!(escape_label_value("two\nlines"), r"two\nlines");
        assert_eq!(escape_label_value(r#"\"x"#), r#"\\\"x"#);
        // Everything else passes as UTF-8, braces and commas included.
        assert_eq!(escape_label_value("{a=1,b}ção"), "{a=1,b}ção");
    }

    #[test]
    fn formats_values() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(42.0), "42");
        assert_eq!(format_value(12.5), "12.5");
        assert_eq!(format_value(1718000000.123), "1718000000.123");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(1e300), "1e300");
        assert_eq!(format_value(-0.25), "-0.25");
    }

    #[test]
    fn families_are_blocks_ending_in_eof() {
        let now = chrono::Utc::now();
        let r = RunReport::new("r1", "run", RunStatus::Failed, now, now);
        let text = render(&r);
        assert!(text.ends_with("\n# EOF\n"), "{text}");
        // Each family's HELP comes once, followed by its TYPE.
        let mut seen = std::collections::HashSet::new();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap();
                assert!(seen.insert(name.to_string()), "{name} twice");
                assert_eq!(lines[i + 1], format!("# TYPE {name} gauge"));
                assert!(!name.ends_with("_total"), "{name}");
            }
        }
        assert!(text.contains("skyfit_run_success 0\n"), "{text}");
        assert!(
            text.contains("skyfit_run_status{status=\"failed\"} 1\n"),
            "{text}"
        );
    }
}
