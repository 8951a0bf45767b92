//! Values the API sends that cannot be stored as sent (issue 14, item 7), and bodies that break
//! on the way (invalid UTF-8, a connection reset mid-body).
//!
//! Every value changed or nulled on the way to stg/core must leave a `meta.quarantine` row with
//! its bronze file, line, column, reason and original value; a broken body must end as a
//! retried success or an error naming entity, window and page, never as fewer records.

use std::path::Path;

use skyfit_api_sim::{
    ApiFaults, BodyFault, FaultConfig, RunningSim, Scale, SimConfig, Simulator, ValueFault,
};
use skyfit_core::{Config, Secret, Source};
use skyfit_extract::{ExtractOptions, ExtractRequest, NoProgress};
use skyfit_lake::{EntityKey, LakeStore};
use skyfit_test_utils::TestDb;

use crate::support::{skyfit, text};

const SEED: u64 = 14;
const ENTRIES: &str = "/api/v1/entries";
/// The window start of one EVO entries window of 2024 (weekly windows from 2024-01-01).
const WINDOW: &str = "2024-01-15T00:00:00";

async fn start_sim(evo: ApiFaults) -> RunningSim {
    Simulator::start(
        SimConfig::new(SEED, Scale::tiny()).with_faults(FaultConfig {
            evo,
            ..FaultConfig::none()
        }),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator starts")
}

/// Runs `cmd` without blocking the test's runtime, which also serves the simulator.
async fn run(cmd: std::process::Command) -> std::process::Output {
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("skyfit runs")
}

fn value(field: &str, occurrence: u64, json: &str) -> ValueFault {
    ValueFault {
        path: ENTRIES.into(),
        field: field.into(),
        occurrence,
        value: json.into(),
    }
}

/// Every bronze record of EVO entries: (lake-relative `.jsonl.gz` path, line, record text).
async fn bronze_lines(lake_dir: &Path) -> Vec<(String, i64, String)> {
    let lake = LakeStore::try_new(lake_dir.to_str().expect("utf-8")).expect("lake");
    let key = EntityKey::try_new(Source::Evo, None, "entries").expect("key");
    let mut out = Vec::new();
    for (_, manifest) in lake.list_complete_runs(&key).await.expect("runs") {
        for part in &manifest.parts {
            let jsonl = lake.read_part_verified(part).await.expect("part");
            for (line, rec) in jsonl.records() {
                let rec = String::from_utf8_lossy(rec).into_owned();
                out.push((part.path.clone(), line as i64, rec));
            }
        }
    }
    out
}

/// `(target, file, line, column, reason, raw)` of every quarantine row.
type Row = (String, String, i64, String, String, String);

async fn quarantine(db: &TestDb) -> Vec<Row> {
    db.client()
        .query(
            "SELECT target_table, bronze_file, line, column_name, reason, raw_value
               FROM meta.quarantine ORDER BY id",
            &[],
        )
        .await
        .expect("quarantine")
        .iter()
        .map(|r| {
            (
                r.get::<_, Option<String>>(0).unwrap_or_default(),
                r.get::<_, Option<String>>(1).unwrap_or_default(),
                r.get::<_, Option<i64>>(2).unwrap_or(-1),
                r.get::<_, Option<String>>(3).unwrap_or_default(),
                r.get::<_, String>(4),
                r.get::<_, Option<String>>(5).unwrap_or_default(),
            )
        })
        .collect()
}

fn has_row(rows: &[Row], target: &str, file: &str, line: i64, column: &str, raw: &str) -> bool {
    rows.iter().any(|(t, f, l, c, reason, r)| {
        t == target && f == file && *l == line && c == column && !reason.is_empty() && r == raw
    })
}

#[tokio::test]
async fn changed_and_nulled_values_are_quarantined_with_file_line_column_and_value() {
    let sim = start_sim(ApiFaults {
        values: vec![
            // A number sent as text that is not a number: NULL in core.
            value("idMember", 0, r#""12abc""#),
            // A NUL inside a string: rewritten in the stg JSONB, removed in the core text.
            value("nameMember", 1, r#""Ana\u0000Paula""#),
        ],
        ..ApiFaults::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let lake_dir = dir.path().join("lake");
    let creds = sim.credentials();
    let mut cmd = skyfit(dir.path());
    cmd.args([
        "extract",
        "evo",
        "entries",
        "--since",
        "2024-01-01",
        "--until",
        "2024-03-31",
    ])
    .env("SKYFIT_LAKE_URL", &lake_dir)
    .env("EVO_API_URL", sim.evo_url())
    .env("EVO_USERNAME", &creds.evo_user)
    .env("EVO_PASSWORD", &creds.evo_password)
    .env("SKYFIT_EVO_REQUESTS_PER_MINUTE", "60000");
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(sim.stats().evo.fault_value > 0, "no value was injected");

    let db = TestDb::new().await;
    let mut cmd = skyfit(dir.path());
    cmd.args(["load", "--sources", "evo", "--entities", "entries"])
        .env("SKYFIT_LAKE_URL", &lake_dir)
        .env("DATABASE_URL", db.url());
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));

    let rows = quarantine(&db).await;
    let lines = bronze_lines(&lake_dir).await;
    let (mut numbers, mut nuls) = (0, 0);
    for (file, line, rec) in &lines {
        if rec.contains(r#""idMember":"12abc""#) {
            numbers += 1;
            assert!(
                has_row(&rows, "core.evo_entries", file, *line, "member_id", "12abc")
                    || has_row(
                        &rows,
                        "core.evo_entries",
                        file,
                        *line,
                        "member_id",
                        r#""12abc""#
                    ),
                "no quarantine row for 12abc at {file}:{line}: {rows:#?}"
            );
        }
        if rec.contains(r#""nameMember":"Ana\u0000Paula""#) {
            nuls += 1;
            assert!(
                has_row(
                    &rows,
                    "core.evo_entries",
                    file,
                    *line,
                    "member_name",
                    r#""Ana\u0000Paula""#
                ),
                "no quarantine row for the NUL removed from member_name at {file}:{line}: {rows:#?}"
            );
            assert!(
                has_row(&rows, "stg_evo.entries_raw", file, *line, "raw_data", rec),
                "no quarantine row for the NUL rewritten in raw_data at {file}:{line}: {rows:#?}"
            );
        }
    }
    assert!(numbers > 0 && nuls > 0, "the faults reached no record");
    // Nothing else was quarantined: one row per changed value.
    assert_eq!(rows.len(), numbers + 2 * nuls, "{rows:#?}");
}

/// A client configured for the simulator with millisecond back-offs.
fn client_config(sim: &RunningSim) -> (Config, ExtractOptions) {
    let creds = sim.credentials().clone();
    let mut config = Config::default();
    config.evo.api_url = sim.evo_url().to_string();
    config.evo.username = Some(creds.evo_user.clone());
    config.evo.password = Some(Secret::new(creds.evo_password.clone()));
    config.evo.requests_per_minute = 60_000;
    (config, ExtractOptions::fast_for_tests())
}

fn entries_q1() -> ExtractRequest {
    ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
            chrono::NaiveDate::from_ymd_opt(2024, 3, 31),
        )
}

/// Extracts EVO entries of 2024 Q1 into a fresh lake: the records landed, or the error.
async fn extract_entries(evo: ApiFaults) -> (RunningSim, Result<u64, skyfit_extract::Error>) {
    let sim = start_sim(evo).await;
    let (config, opts) = client_config(&sim);
    let dir = tempfile::tempdir().expect("dir");
    let lake = LakeStore::try_new(dir.path().to_str().expect("utf-8")).expect("lake");
    let result = skyfit_extract::extract(&entries_q1(), &config, &opts, &lake, &NoProgress).await;
    let landed = match result {
        Ok(_) => Ok(bronze_lines(dir.path()).await.len() as u64),
        Err(e) => Err(e),
    };
    (sim, landed)
}

fn page_fault(times: Option<u64>) -> BodyFault {
    BodyFault {
        path: ENTRIES.into(),
        param: "registerDateStart".into(),
        value: WINDOW.into(),
        times,
    }
}

#[tokio::test]
async fn broken_bodies_are_retried_or_fail_naming_entity_window_and_page() {
    let (_, clean) = extract_entries(ApiFaults::default()).await;
    let clean = clean.expect("clean extraction");
    assert!(clean > 0);

    // Once each: the retry gets the page whole, and nothing is missing.
    let (sim, landed) = extract_entries(ApiFaults {
        invalid_utf8_page: Some(page_fault(Some(1))),
        reset_page: Some(page_fault(Some(1))),
        ..ApiFaults::default()
    })
    .await;
    assert_eq!(landed.expect("retried to success"), clean);
    let stats = sim.stats().evo;
    assert_eq!((stats.fault_reset, stats.fault_invalid_utf8), (1, 1));

    // Every time: the run fails and says where.
    for faults in [
        ApiFaults {
            invalid_utf8_page: Some(page_fault(None)),
            ..ApiFaults::default()
        },
        ApiFaults {
            reset_page: Some(page_fault(None)),
            ..ApiFaults::default()
        },
    ] {
        let (_, landed) = extract_entries(faults.clone()).await;
        let msg = match landed {
            Ok(n) => panic!("{faults:?}: landed {n} of {clean} records instead of failing"),
            Err(e) => e.to_string(),
        };
        assert!(
            msg.contains("entries") && msg.contains(WINDOW) && msg.contains("page"),
            "{msg}"
        );
    }
}
