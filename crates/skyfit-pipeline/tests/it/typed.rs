//! Typed core values are what the simulator sent, with naive EVO times read in the configured
//! source zone; a second run with changed and new records changes exactly those rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeZone};
use skyfit_lake::LakeStore;
use skyfit_pipeline::{LoadOptions, load};
use skyfit_test_utils::{TestDb, temp_lake};

use crate::support::{members, queries, run_id, with_field, write_run};

const ZONE: &str = "America/Sao_Paulo";

/// One member as core.evo_members must hold it: id → (first name, branch, birth date,
/// register date and update date as epoch seconds, blocked).
type Row = (
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    bool,
);

/// The instant a timestamp text means: its own offset, else a wall-clock time in `ZONE`.
fn instant(text: Option<&str>) -> Option<i64> {
    let text = text?;
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok()?;
    let tz: chrono_tz::Tz = ZONE.parse().unwrap();
    Some(tz.from_local_datetime(&naive).single()?.timestamp())
}

/// What the records say, computed from the JSON the simulator generated.
fn expected(recs: &[String]) -> BTreeMap<i64, Row> {
    recs.iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            let s = |k: &str| v.get(k).and_then(|x| x.as_str());
            (
                v["idMember"].as_i64().unwrap(),
                (
                    s("firstName").unwrap().to_string(),
                    v.get("idBranch").and_then(|x| x.as_i64()),
                    s("birthDate").map(|d| d[..10].to_string()),
                    instant(s("registerDate")),
                    instant(s("updateDate")),
                    v.get("accessBlocked").and_then(|x| x.as_bool()).unwrap(),
                ),
            )
        })
        .collect()
}

async fn table(db: &TestDb) -> BTreeMap<i64, Row> {
    db.client()
        .query(
            "SELECT member_id, first_name, branch_id, birth_date::text,
                    extract(epoch FROM register_date)::bigint, extract(epoch FROM update_date)::bigint,
                    access_blocked
             FROM core.evo_members",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)),
            )
        })
        .collect()
}

/// A lake, a database and the members load with naive EVO times in `ZONE`.
async fn setup() -> (tempfile::TempDir, LakeStore, TestDb, LoadOptions) {
    let dir = temp_lake();
    let lake = LakeStore::try_new(dir.path().to_str().unwrap()).unwrap();
    let mut opts = LoadOptions::new(queries());
    opts.entities = vec!["members".into()];
    opts.session.evo_timezone = ZONE.into();
    (dir, lake, TestDb::new().await, opts)
}

#[tokio::test]
async fn typed_values_match_the_simulator_and_a_second_run_changes_exactly_its_rows() {
    let (_dir, lake, db, opts) = setup().await;

    let first = members(0..400);
    write_run(&lake, "members", &run_id(20), &first).await;
    load(&lake, db.database(), &opts).await.unwrap();
    let want = expected(&first);
    assert_eq!(want.len(), 400);
    let got = table(&db).await;
    assert_eq!(got, want);
    // The zone was applied: a naive registerDate lands three hours later in UTC (São Paulo has
    // had no daylight saving time since 2019), and the simulator's naive times dominate.
    let naive = first
        .iter()
        .filter(|r| {
            let v: serde_json::Value = serde_json::from_str(r).unwrap();
            v["registerDate"]
                .as_str()
                .is_some_and(|t| DateTime::parse_from_rfc3339(t).is_err())
        })
        .count();
    assert!(naive > 300, "{naive}");

    // Night two: 30 members changed, 50 new, and the rest re-extracted unchanged.
    let mut second: Vec<String> = first[..200].to_vec();
    for (i, r) in second.iter_mut().enumerate().take(30) {
        *r = with_field(r, "firstName", format!("Changed{i}").into());
        *r = with_field(r, "registerDate", "2025-06-01T08:00:00".into());
    }
    second.extend(members(400..450));
    write_run(&lake, "members", &run_id(21), &second).await;
    let s = load(&lake, db.database(), &opts).await.unwrap();
    let core = s
        .targets
        .iter()
        .find(|t| t.target == "core.evo_members")
        .unwrap();
    assert_eq!(core.inserted, 50, "{core:?}");

    let mut want2 = want.clone();
    want2.extend(expected(&second));
    let got2 = table(&db).await;
    assert_eq!(got2, want2);
    let changed: Vec<i64> = got2
        .iter()
        .filter(|(id, row)| got.get(id) != Some(row))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(changed.len(), 80, "30 changed + 50 new");
    assert_eq!(
        got2[&1].3,
        Some(
            chrono::Utc
                .with_ymd_and_hms(2025, 6, 1, 11, 0, 0)
                .unwrap()
                .timestamp()
        )
    );
}

#[tokio::test]
async fn an_impossible_timestamp_is_quarantined_with_its_line() {
    let (_dir, lake, db, opts) = setup().await;
    let mut recs = members(0..20);
    recs[6] = with_field(&recs[6], "registerDate", "2024-02-30T10:00:00".into());
    write_run(&lake, "members", &run_id(20), &recs).await;
    load(&lake, db.database(), &opts).await.unwrap();
    let q = db
        .client()
        .query(
            "SELECT target_table, column_name, line, raw_value FROM meta.quarantine WHERE column_name = 'register_date'",
            &[],
        )
        .await
        .unwrap();
    let rows: Vec<(String, String, Option<i64>, Option<String>)> = q
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        rows,
        [(
            "core.evo_members".to_string(),
            "register_date".to_string(),
            Some(7),
            Some("2024-02-30T10:00:00".to_string())
        )]
    );
}
