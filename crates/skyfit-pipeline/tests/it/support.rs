//! Shared fixtures: bronze runs written with the lake's own writer from the simulator's
//! record generators, and small database helpers.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use skyfit_api_sim::Scale;
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, EntitySchema, LakeStore, PageRef};
use skyfit_test_utils::TestDb;

pub fn queries() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

pub fn run_id(day: u32) -> RunId {
    RunId::from_time(Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap())
}

/// EVO entries `range` as the simulator sends them.
pub fn entries(range: std::ops::Range<u64>) -> Vec<String> {
    let scale = Scale::small();
    range
        .map(|i| skyfit_api_sim::evo::entries::record_json(7, &scale, i))
        .collect()
}

/// EVO members `range` as the simulator sends them.
pub fn members(range: std::ops::Range<u64>) -> Vec<String> {
    let scale = Scale::small();
    range
        .map(|i| skyfit_api_sim::evo::members::record_json(7, &scale, i))
        .collect()
}

/// `record` with `field` set to `value`.
pub fn with_field(record: &str, field: &str, value: serde_json::Value) -> String {
    let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(record).unwrap();
    v.insert(field.into(), value);
    serde_json::to_string(&v).unwrap()
}

/// One complete bronze run of `evo/{entity}` holding `recs`, 300 records a page and part.
pub async fn write_run(lake: &LakeStore, entity: &str, run: &RunId, recs: &[String]) {
    write_run_with(lake, entity, run, recs, None).await
}

/// [`write_run`] with Parquet parts of `schema` instead of the entity's declared one (a lake
/// written by an older version).
pub async fn write_run_with(
    lake: &LakeStore,
    entity: &str,
    run: &RunId,
    recs: &[String],
    schema: Option<EntitySchema>,
) {
    write_pages(lake, entity, run, recs, schema, true).await
}

/// One complete run whose records all land in one part, as the extractor writes them (it rolls
/// parts at 50K records, not after every page).
pub async fn write_run_in_one_part(lake: &LakeStore, entity: &str, run: &RunId, recs: &[String]) {
    write_pages(lake, entity, run, recs, None, false).await
}

async fn write_pages(
    lake: &LakeStore,
    entity: &str,
    run: &RunId,
    recs: &[String],
    schema: Option<EntitySchema>,
    part_per_page: bool,
) {
    let key = EntityKey::try_new(Source::Evo, None, entity).unwrap();
    let mut b = BronzeWriter::builder(lake, key, run.clone());
    if let Some(schema) = schema {
        b = b.with_schema(schema);
    }
    let mut w = b.create().await.unwrap();
    w.begin_window("w1", None);
    for (page, chunk) in recs.chunks(300).enumerate() {
        let p = PageRef {
            window: "w1",
            page: page as u64,
            cursor: None,
        };
        w.write_page(&p, chunk.iter().map(String::as_str))
            .await
            .unwrap();
        if part_per_page {
            w.flush().await.unwrap();
        }
    }
    w.complete_window("w1").unwrap();
    w.finish().await.unwrap();
}

pub async fn count(db: &TestDb, table: &str) -> i64 {
    db.client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}
