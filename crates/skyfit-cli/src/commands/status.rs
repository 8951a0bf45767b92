//! `skyfit status`: is the data fresh and complete? Per core table and per source from the
//! ledger ([`skyfit_warehouse::freshness`]), the recent runs, and what adopting the original
//! system's lake left to do. `--run <id>` lists one run's ledger rows instead.
//!
//! Exit code 0 whatever it finds, unless `--fail-on-stale` asks for 3 when a table is stale.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use skyfit_core::Config;
use skyfit_warehouse::{Freshness, FreshnessLimits, RunRow};

use crate::cli::StatusArgs;
use crate::context::Context;

/// The exit code of `--fail-on-stale` when a table is stale.
const STALE_EXIT: u8 = 3;

/// The freshness limit of each source, from `freshness.<source>_hours`.
pub fn limits(config: &Config) -> FreshnessLimits {
    let mut limits = FreshnessLimits::default();
    for source in skyfit_core::Source::ALL {
        let hours = config.freshness.hours(source.as_str());
        limits.per_source.insert(
            source.as_str().to_string(),
            Duration::from_secs(u64::from(hours) * 3600),
        );
    }
    limits
}

pub async fn run(ctx: &Context, args: StatusArgs) -> Result<ExitCode> {
    if !args.json {
        adoption(ctx).await;
    }
    let client = ctx.migrated_client().await?;
    if let Some(run_id) = &args.run {
        let rows = skyfit_warehouse::freshness::run_rows(&client, run_id).await?;
        if args.json {
            let rows: Vec<_> = rows.iter().map(row_json).collect();
            println!("{}", serde_json::json!({ "run_id": run_id, "rows": rows }));
        } else if rows.is_empty() {
            println!("No ledger rows for run {run_id}. `skyfit status` lists the recent runs.");
        } else {
            print_rows(&rows);
        }
        return Ok(ExitCode::SUCCESS);
    }

    let fresh = skyfit_warehouse::freshness(&client, &limits(&ctx.config), Utc::now()).await?;
    let runs = skyfit_warehouse::freshness::recent_run_overview(&client, args.limit).await?;
    let stale = fresh.stale().count();
    if args.json {
        let v = serde_json::json!({
            "checked_at": fresh.checked_at,
            "stale_tables": stale,
            "tables": fresh.tables,
            "sources": fresh.sources,
            "runs": runs,
        });
        println!("{v}");
    } else if runs.is_empty() {
        println!("No runs yet. Start one with `skyfit run`.");
    } else {
        print_freshness(&fresh, &ctx.config);
        println!("\nRecent runs");
        println!(
            "  {:<18} {:<17} {:>8}  status",
            "run_id", "started", "seconds"
        );
        for r in &runs {
            let secs = r.finished_at.map(|f| {
                format!(
                    "{:.1}",
                    (f - r.started_at).num_milliseconds() as f64 / 1000.0
                )
            });
            let status = if r.running > 0 {
                format!(
                    "RUNNING ({} of {} rows)",
                    r.running,
                    r.succeeded + r.failed + r.running
                )
            } else if r.failed > 0 {
                format!("FAILED ({} of {} rows)", r.failed, r.succeeded + r.failed)
            } else {
                "SUCCESS".to_string()
            };
            println!(
                "  {:<18} {:<17} {:>8}  {status}",
                r.run_id,
                minute(r.started_at),
                secs.as_deref().unwrap_or("-")
            );
        }
        println!(
            "\n{}. `skyfit status --run <id>` lists one run's rows; `--json` for scripts.",
            match stale {
                0 => "No stale table".to_string(),
                1 => "1 stale table".to_string(),
                n => format!("{n} stale tables"),
            }
        );
    }
    if args.fail_on_stale && stale > 0 {
        return Ok(ExitCode::from(STALE_EXIT));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_freshness(f: &Freshness, config: &Config) {
    let limits: Vec<String> = skyfit_core::Source::ALL
        .iter()
        .map(|s| format!("{s} {}h", config.freshness.hours(s.as_str())))
        .collect();
    println!(
        "Core tables (stale when not current within the source's limit: {}; `~` = estimated rows)",
        limits.join(", ")
    );
    println!(
        "  {:<32} {:>12} {:<17} {:<17} {:>8} {:<7} {:>11}  watermark",
        "table", "rows", "last load", "current as of", "age", "state", "quarantined"
    );
    for t in &f.tables {
        let rows = if t.rows_exact {
            thousands(t.rows)
        } else {
            format!("~{}", thousands(t.rows))
        };
        let state = if t.current_as_of.is_none() {
            "never"
        } else if t.stale {
            "STALE"
        } else {
            "fresh"
        };
        let mut watermark = t.watermark.clone().unwrap_or_else(|| "-".into());
        if t.pending_runs > 0 {
            watermark.push_str(&format!(" ({} run(s) not loaded yet)", t.pending_runs));
        }
        println!(
            "  {:<32} {:>12} {:<17} {:<17} {:>8} {:<7} {:>11}  {watermark}",
            t.table,
            rows,
            t.last_load.map(minute).unwrap_or_else(|| "never".into()),
            t.current_as_of.map(minute).unwrap_or_else(|| "-".into()),
            t.age_secs
                .map(|a| skyfit_report::alert::human_duration(a as u64))
                .unwrap_or_else(|| "-".into()),
            state,
            t.quarantined,
        );
    }
    let failing: Vec<_> = f
        .tables
        .iter()
        .filter_map(|t| {
            t.last_failure
                .as_ref()
                .filter(|x| x.since_last_load)
                .map(|x| (t, x))
        })
        .collect();
    if !failing.is_empty() {
        println!("\nFailures since the table's last load");
        for (t, x) in failing {
            let what = if x.stage == "core" { "load" } else { "extract" };
            println!(
                "  {}: {what} {} in run {} at {}: {}",
                t.table,
                x.entity,
                x.run_id,
                minute(x.at),
                one_line(&x.message, 200)
            );
        }
    }
    println!("\nSources (the newest extraction)");
    if f.sources.is_empty() {
        println!("  no extraction in the ledger yet");
    }
    println!(
        "  {:<10} {:<18} {:<17} {:<22} {:>10} {:>10} {:>6}",
        "source", "run_id", "finished", "entities", "records", "requests", "429s"
    );
    for s in &f.sources {
        let mut entities = format!("{} ok", s.entities_succeeded);
        if s.entities_failed > 0 {
            entities.push_str(&format!(", {} failed", s.entities_failed));
        }
        if s.entities_running > 0 {
            entities.push_str(&format!(", {} running", s.entities_running));
        }
        let (requests, throttled) = match (s.requests, s.throttled) {
            (Some(r), t) if s.requests_recorded == s.entities => {
                (thousands(r), thousands(t.unwrap_or(0)))
            }
            (Some(r), t) => (
                format!("{}*", thousands(r)),
                format!("{}*", thousands(t.unwrap_or(0))),
            ),
            (None, _) => ("n/r".into(), "n/r".into()),
        };
        println!(
            "  {:<10} {:<18} {:<17} {:<22} {:>10} {:>10} {:>6}{}",
            s.source,
            s.last_run_id,
            s.finished_at
                .map(minute)
                .unwrap_or_else(|| "running".into()),
            entities,
            thousands(s.records),
            requests,
            throttled,
            if s.simulated { "  (simulated)" } else { "" }
        );
    }
    if f.sources.iter().any(|s| s.requests_recorded < s.entities) {
        println!(
            "  n/r: the ledger holds no request count for that run (failed before its summary, or written by an older version); *: only some entities' counts"
        );
    }
}

/// One run's ledger rows.
fn print_rows(rows: &[RunRow]) {
    println!(
        "{:<17} {:<10} {:<9} {:<32} {:<6} {:<8} {:>12} {:>8} {:>9}  error",
        "run_id", "source", "scope", "entity", "stage", "status", "records", "rejected", "seconds"
    );
    for r in rows {
        let secs = r.finished_at.map(|f| {
            format!(
                "{:.1}",
                (f - r.started_at).num_milliseconds() as f64 / 1000.0
            )
        });
        println!(
            "{:<17} {:<10} {:<9} {:<32} {:<6} {:<8} {:>12} {:>8} {:>9}  {}",
            r.run_id,
            r.source,
            r.scope.as_deref().unwrap_or("-"),
            r.entity,
            r.stage,
            r.status,
            r.records_processed,
            r.records_rejected,
            secs.as_deref().unwrap_or("running"),
            r.error_message.as_deref().unwrap_or("")
        );
    }
}

fn row_json(r: &RunRow) -> serde_json::Value {
    serde_json::json!({
        "source": r.source, "scope": r.scope, "entity": r.entity, "run_id": r.run_id,
        "stage": r.stage, "status": r.status, "started_at": r.started_at,
        "finished_at": r.finished_at, "records_processed": r.records_processed,
        "records_rejected": r.records_rejected, "error": r.error_message,
    })
}

fn minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn one_line(s: &str, max: usize) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut out: String = line.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// What the latest `skyfit lake adopt` could not do, so it stays in view until it is fixed.
async fn adoption(ctx: &Context) {
    let report = match ctx.lake() {
        Ok(lake) => lake.adoption_report().await,
        Err(e) => {
            tracing::warn!(error = %e, "Cannot open the lake to read the adoption report.");
            return;
        }
    };
    let report = match report {
        Ok(Some(report)) => report,
        Ok(None) => return,
        Err(e) => {
            println!("Adoption report unreadable: {e}");
            return;
        }
    };
    let lines = super::lake::attention_lines(&report);
    if lines.is_empty() {
        return;
    }
    println!(
        "The original system's lake (adopted {}): {} runs need attention",
        report
            .finished_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        report.attention().count()
    );
    for line in lines {
        println!("  {line}");
    }
    println!(
        "  (`skyfit lake adopt` retries what can be retried; `--dry-run` shows what it would do)\n"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(-1234567), "-1,234,567");
    }
}
