//! A bronze lake of N EVO entries from the simulator's generator, written through
//! [`BronzeWriter`] exactly as the extractor writes it: a first run with entries `0..N`, and a
//! second run a day later that re-extracts the last `duplicate_pct` % of them (the overlap an
//! incremental window with a safety margin produces), so the loader has real duplicates to drop.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use skyfit_api_sim::{Gen, Scale};
use skyfit_core::{RunId, Source};
use skyfit_lake::{BronzeWriter, EntityKey, EntitySchema, LakeStore, PageRef};

use crate::error::{Error, Result};

/// Records per simulated API page (EVO's page size).
const PAGE: u64 = 1_000;

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct LakeStats {
    pub runs: usize,
    pub bronze_records: u64,
    /// Entries the warehouse must end up with (distinct records).
    pub distinct_records: u64,
    pub seconds: f64,
}

/// How many of `records` the second run re-extracts.
pub fn duplicates(records: u64, duplicate_pct: f64) -> u64 {
    ((records as f64) * duplicate_pct / 100.0)
        .round()
        .min(records as f64) as u64
}

/// The declared entries schema, or (`unclustered`) the same columns with each part's rows in
/// API order and default pages, as parts were written before clustering.
pub fn entries_schema(unclustered: bool) -> EntitySchema {
    let declared = skyfit_lake::declared_schema(Source::Evo, "entries");
    if unclustered {
        declared.without_cluster_by()
    } else {
        declared
    }
}

/// Writes the two runs into `lake`, Parquet parts in `schema`.
pub async fn build(
    lake: &LakeStore,
    schema: &EntitySchema,
    records: u64,
    duplicate_pct: f64,
    seed: u64,
) -> Result<LakeStats> {
    let started = Instant::now();
    // The benchmark scale's shape (members, branches, employees) with the timeline sized to
    // N, so entry dates spread over the same years whatever N is.
    let mut scale = Scale::medium();
    scale.evo_entries = records.max(1);
    let g = Gen::new(seed, scale);
    let dup = duplicates(records, duplicate_pct);
    let first = run_id(2026, 11, 20)?;
    let second = run_id(2026, 11, 21)?;
    write_run(lake, schema, &g, &first, 0..records).await?;
    let mut runs = 1;
    if dup > 0 {
        write_run(lake, schema, &g, &second, records - dup..records).await?;
        runs += 1;
    }
    Ok(LakeStats {
        runs,
        bronze_records: records + dup,
        distinct_records: records,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Most nights `--delta-connections` may ask for: their runs are dated 2026-11-22 onwards.
pub const MAX_DELTA_NIGHTS: usize = 8;

/// The run of the `night`th nightly delta (from 0), after the two nights of [`build`].
pub fn delta_run(night: usize) -> Result<RunId> {
    if night >= MAX_DELTA_NIGHTS {
        return Err(Error::Setup(format!(
            "night {} of at most {MAX_DELTA_NIGHTS}",
            night + 1
        )));
    }
    run_id(2026, 11, 22 + night as u32)
}

/// Writes the `night`th nightly delta (from 0): `delta` entries, a tenth of them re-extracted
/// from the end of what the lake holds by then (the incremental window's overlap), the rest
/// new. Returns how many are new.
pub async fn write_delta(
    lake: &LakeStore,
    schema: &EntitySchema,
    records: u64,
    delta: u64,
    seed: u64,
    night: usize,
) -> Result<u64> {
    let mut scale = Scale::medium();
    scale.evo_entries = records.max(1);
    let g = Gen::new(seed, scale);
    let again = (delta / 10).min(records);
    let new = delta - again;
    let end = records + new * night as u64;
    write_run(lake, schema, &g, &delta_run(night)?, end - again..end + new).await?;
    Ok(new)
}

/// Removes every delta run from a lake directory (a delta is measured, never kept: the lake is
/// reused by later runs, which must see the same two runs).
pub fn remove_delta(lake_dir: &std::path::Path) -> Result<()> {
    let entity = lake_dir.join("bronze/evo/entity=entries");
    let Ok(dates) = std::fs::read_dir(&entity) else {
        return Ok(());
    };
    let runs = (0..MAX_DELTA_NIGHTS)
        .map(|night| Ok(format!("run_id={}", delta_run(night)?)))
        .collect::<Result<Vec<_>>>()?;
    for date in dates.flatten() {
        for run in &runs {
            let dir = date.path().join(run);
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(Error::io(dir.display()))?;
            }
        }
    }
    Ok(())
}

fn run_id(y: i32, m: u32, d: u32) -> Result<RunId> {
    let t = Utc
        .with_ymd_and_hms(y, m, d, 2, 0, 0)
        .single()
        .ok_or_else(|| Error::Setup(format!("bad run date {y}-{m}-{d}")))?;
    Ok(RunId::from_time(t))
}

async fn write_run(
    lake: &LakeStore,
    schema: &EntitySchema,
    g: &Gen,
    run: &RunId,
    range: std::ops::Range<u64>,
) -> Result<()> {
    let key = EntityKey::try_new(Source::Evo, None, "entries")?;
    let mut w = BronzeWriter::builder(lake, key, run.clone())
        .with_schema(schema.clone())
        .create()
        .await?;
    w.begin_window("bench", None);
    let mut page: Vec<String> = Vec::with_capacity(PAGE as usize);
    let mut start = range.start;
    let mut n = 0;
    while start < range.end {
        let end = (start + PAGE).min(range.end);
        page.resize_with((end - start) as usize, String::new);
        for (s, i) in page.iter_mut().zip(start..end) {
            s.clear();
            skyfit_api_sim::evo::entries::write_record(g, i, s);
        }
        let p = PageRef {
            window: "bench",
            page: n,
            cursor: None,
        };
        w.write_page(&p, page.iter().map(String::as_str)).await?;
        start = end;
        n += 1;
    }
    w.flush().await?;
    w.complete_window("bench")?;
    w.finish().await?;
    Ok(())
}
