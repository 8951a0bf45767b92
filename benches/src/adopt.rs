//! `skyfit bench adopt`: [`LakeStore::adopt`] over an EVO entries lake in the original
//! (Python) system's layout, timed (issue 15).
//!
//! [`build_original_lake`] writes N entries from the simulator's generator as the original
//! extractor wrote them (docs/data-contract.md#reference-lake): one run directory, 7-day
//! windows, parts of 10,000 records named `{window start}_part-NNNNN.jsonl.gz` (gzip level 9,
//! Python's `", "` / `": "` separators, `\n` between lines and none after the last), and the
//! run's `_manifest.json`. The entries are the *last* N of a 110M-entry history, so a window holds
//! as many entries as in production (~350K: ~35 full parts) whatever N is. The lake is kept
//! under the work directory and reused by later runs with the same parameters.
//!
//! Each repetition first removes what an adoption writes (Parquet twins, `_skyfit_run.json`,
//! `_rejects/`, `_meta/skyfit/`), resets the process's peak RSS, then times one
//! `LakeStore::adopt` of the lake, and checks that every entry was adopted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use skyfit_api_sim::{Gen, Scale};
use skyfit_core::Source;
use skyfit_lake::{AdoptOptions, AdoptStatus, LakeStore};

use crate::error::{Error, Result};

/// The production history the bench's entries are the end of (docs/data-contract.md#volumes).
pub const HISTORY_ENTRIES: u64 = 110_000_000;
/// Records per original part (the EVO extractor flushed at ≥ 10,000 = 10 pages of 1,000).
pub const PART_RECORDS: usize = 10_000;
/// Days per original entries window.
const WINDOW_DAYS: i64 = 7;
/// The original run (any fixed id: the lake is rebuilt only when its parameters change).
const RUN_ID: &str = "20250120T030000Z";
const INGESTION_DATE: &str = "2025-01-20";

/// What to run.
#[derive(Debug, Clone)]
pub struct AdoptBench {
    pub records: u64,
    pub seed: u64,
    /// The original-layout lake is kept here and reused.
    pub work_dir: PathBuf,
    /// Timed adoptions of the same lake, one after the other.
    pub repeat: usize,
    /// Parts converted at once; `None`: the adoption's default (one per core).
    pub concurrency: Option<usize>,
}

/// The original-layout lake.
#[derive(Debug, Clone, Default)]
pub struct OriginalLake {
    pub dir: PathBuf,
    pub records: u64,
    pub parts: u64,
    pub windows: u64,
    /// Bytes of the `.jsonl.gz` parts, and of their text uncompressed.
    pub gz_bytes: u64,
    pub raw_bytes: u64,
    /// Seconds spent building it (0 when reused).
    pub seconds: f64,
    pub reused: bool,
}

/// One timed adoption.
#[derive(Debug, Clone, Default)]
pub struct AdoptRun {
    pub seconds: f64,
    pub records: u64,
    pub parts: usize,
    /// Peak RSS of the process during the adoption (bytes), if the platform reports it.
    pub peak_rss: Option<u64>,
    /// Whether the peak could be reset first (else it includes what came before).
    pub peak_is_adopt_only: bool,
    /// Bytes of the Parquet twins written.
    pub parquet_bytes: u64,
}

impl AdoptRun {
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }
}

/// Everything measured.
#[derive(Debug, Clone, Default)]
pub struct AdoptBenchReport {
    pub lake: OriginalLake,
    pub concurrency: usize,
    pub cores: usize,
    pub runs: Vec<AdoptRun>,
}

impl AdoptBenchReport {
    /// A plain-text table for the terminal.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let l = &self.lake;
        let _ = writeln!(
            s,
            "original lake  {} entries in {} parts over {} windows, {:.0} MiB gzip ({:.0} MiB of JSON), {}",
            l.records,
            l.parts,
            l.windows,
            l.gz_bytes as f64 / 1048576.0,
            l.raw_bytes as f64 / 1048576.0,
            if l.reused {
                "reused".to_string()
            } else {
                format!("built in {:.1} s", l.seconds)
            }
        );
        let _ = writeln!(s, "               {}", l.dir.display());
        let _ = writeln!(
            s,
            "machine        {} cores; {} parts converted at once",
            self.cores, self.concurrency
        );
        let _ = writeln!(
            s,
            "{:<6} {:>10} {:>12} {:>12} {:>10} {:>12}",
            "run", "seconds", "records", "records/s", "parts", "peak RSS"
        );
        for (i, r) in self.runs.iter().enumerate() {
            let rss = match r.peak_rss {
                Some(b) => format!(
                    "{:.0} MiB{}",
                    b as f64 / 1048576.0,
                    if r.peak_is_adopt_only { "" } else { "*" }
                ),
                None => "n/a".into(),
            };
            let _ = writeln!(
                s,
                "{:<6} {:>10.2} {:>12} {:>12.0} {:>10} {:>12}",
                i + 1,
                r.seconds,
                r.records,
                r.records_per_second(),
                r.parts,
                rss
            );
        }
        if let Some(best) = self
            .runs
            .iter()
            .map(AdoptRun::records_per_second)
            .reduce(f64::max)
        {
            let _ = writeln!(
                s,
                "at the best rate, {HISTORY_ENTRIES} entries would take {:.1} min",
                HISTORY_ENTRIES as f64 / best / 60.0
            );
        }
        if self.runs.iter().any(|r| !r.peak_is_adopt_only) {
            let _ = writeln!(
                s,
                "* the peak could not be reset: it includes building the lake"
            );
        }
        s
    }
}

/// Builds (or reuses) the lake, then times `bench.repeat` adoptions of it.
pub async fn run(bench: &AdoptBench) -> Result<AdoptBenchReport> {
    let dir = bench
        .work_dir
        .join(format!("adopt-n{}-s{}", bench.records, bench.seed));
    let lake = {
        let (records, seed, dir) = (bench.records, bench.seed, dir.clone());
        tokio::task::spawn_blocking(move || build_original_lake(&dir, records, seed))
            .await
            .map_err(|e| Error::Setup(format!("building the original lake: {e}")))??
    };
    let store = LakeStore::try_new(&dir.display().to_string())?;
    let mut opts = AdoptOptions {
        sources: vec![Source::Evo],
        ..AdoptOptions::default()
    };
    if let Some(c) = bench.concurrency {
        opts.concurrency = c.max(1);
    }
    let mut report = AdoptBenchReport {
        concurrency: opts.concurrency,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        lake,
        runs: Vec::new(),
    };
    for _ in 0..bench.repeat.max(1) {
        remove_adoption(&dir)?;
        let peak_is_adopt_only = crate::rss::reset_peak();
        let started = Instant::now();
        let adopted = store.adopt(&opts).await?;
        let seconds = started.elapsed().as_secs_f64();
        let peak_rss = crate::rss::peak_rss_bytes();
        let outcome = match adopted.runs.as_slice() {
            [one] if one.status == AdoptStatus::Adopted && !one.needs_attention() => one,
            _ => {
                return Err(Error::Setup(format!(
                    "the adoption did not adopt the one run cleanly: {adopted:#?}"
                )));
            }
        };
        if outcome.records != report.lake.records {
            return Err(Error::Setup(format!(
                "adopted {} entries of {}",
                outcome.records, report.lake.records
            )));
        }
        report.runs.push(AdoptRun {
            seconds,
            records: outcome.records,
            parts: outcome.parts,
            peak_rss,
            peak_is_adopt_only,
            parquet_bytes: files_ending(&dir, ".parquet")?.iter().map(|(_, n)| n).sum(),
        });
    }
    Ok(report)
}

/// Writes the original-layout lake of the last `records` entries of the history into `dir`,
/// unless a finished one is there already.
pub fn build_original_lake(dir: &Path, records: u64, seed: u64) -> Result<OriginalLake> {
    let marker = dir.join(".complete");
    if let Ok(text) = std::fs::read_to_string(&marker)
        && let Some(lake) = parse_marker(dir, &text)
    {
        return Ok(lake);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(Error::io(dir.display()))?;
    }
    let started = Instant::now();
    let run_dir = dir.join(format!(
        "bronze/evo/entity=entries/ingestion_date={INGESTION_DATE}/run_id={RUN_ID}"
    ));
    std::fs::create_dir_all(&run_dir).map_err(Error::io(run_dir.display()))?;

    let mut scale = Scale::medium();
    scale.evo_entries = HISTORY_ENTRIES.max(records);
    let g = Gen::new(seed, scale);
    let first = scale.evo_entries - records;

    // Generation is sequential (windows follow the dates); compressing at level 9 is the slow
    // part, so parts go to one gzip thread per core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = mpsc::sync_channel::<(PathBuf, Vec<String>)>(workers * 2);
    let rx = Arc::new(Mutex::new(rx));
    let mut lake = OriginalLake {
        dir: dir.to_path_buf(),
        records,
        ..OriginalLake::default()
    };
    let mut windows: Vec<Window> = Vec::new();
    let written = std::thread::scope(|scope| -> Result<(u64, u64)> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = Arc::clone(&rx);
                scope.spawn(move || -> Result<(u64, u64)> {
                    let (mut gz, mut raw) = (0u64, 0u64);
                    loop {
                        let job = rx.lock().map_err(|_| poisoned())?.recv();
                        let Ok((path, lines)) = job else {
                            return Ok((gz, raw));
                        };
                        raw += lines.iter().map(|l| l.len() as u64 + 1).sum::<u64>() - 1;
                        let bytes = skyfit_test_utils::original::jsonl_gz(&lines, false);
                        gz += bytes.len() as u64;
                        std::fs::write(&path, &bytes).map_err(Error::io(path.display()))?;
                    }
                })
            })
            .collect();
        let mut lines: Vec<String> = Vec::with_capacity(PART_RECORDS);
        let mut compact = String::with_capacity(512);
        let flush = |w: &mut Window, lines: &mut Vec<String>| -> Result<()> {
            w.parts += 1;
            let path = run_dir.join(format!("{}_part-{:05}.jsonl.gz", w.start, w.parts));
            tx.send((path, std::mem::take(lines)))
                .map_err(|_| Error::Setup("a gzip thread stopped".into()))
        };
        for i in first..first + records {
            compact.clear();
            skyfit_api_sim::evo::entries::write_record(&g, i, &mut compact);
            let date = record_date(&compact)?;
            let start = match windows.last() {
                Some(w) if date < w.start + Duration::days(WINDOW_DAYS) => None,
                Some(w) => Some(window_start(w.start, date)),
                None => Some(date),
            };
            if let Some(start) = start {
                if let Some(w) = windows.last_mut()
                    && !lines.is_empty()
                {
                    flush(w, &mut lines)?;
                }
                windows.push(Window {
                    start,
                    records: 0,
                    parts: 0,
                });
            }
            let w = windows.last_mut().expect("a window was just opened");
            lines.push(python_separators(&compact));
            w.records += 1;
            if lines.len() >= PART_RECORDS {
                flush(w, &mut lines)?;
                lines.reserve(PART_RECORDS);
            }
        }
        if let Some(w) = windows.last_mut()
            && !lines.is_empty()
        {
            flush(w, &mut lines)?;
        }
        drop(tx);
        let mut total = (0, 0);
        for h in handles {
            let (gz, raw) = h
                .join()
                .map_err(|_| Error::Setup("a gzip thread panicked".into()))??;
            total.0 += gz;
            total.1 += raw;
        }
        Ok(total)
    })?;
    (lake.gz_bytes, lake.raw_bytes) = written;
    lake.windows = windows.len() as u64;
    lake.parts = windows.iter().map(|w| w.parts).sum();
    lake.seconds = started.elapsed().as_secs_f64();
    let manifest = original_manifest(&windows, records, lake.seconds);
    let path = run_dir.join("_manifest.json");
    std::fs::write(&path, manifest).map_err(Error::io(path.display()))?;
    std::fs::write(
        &marker,
        format!(
            "{} {} {} {} {}\n",
            lake.records, lake.parts, lake.windows, lake.gz_bytes, lake.raw_bytes
        ),
    )
    .map_err(Error::io(marker.display()))?;
    Ok(lake)
}

/// One original 7-day window: `[start, start + 6 days]`.
struct Window {
    start: NaiveDate,
    records: u64,
    parts: u64,
}

/// The start of the window holding `date`, windows stepping by 7 days from `previous`.
fn window_start(previous: NaiveDate, date: NaiveDate) -> NaiveDate {
    let steps = (date - previous).num_days().div_euclid(WINDOW_DAYS);
    previous + Duration::days(steps * WINDOW_DAYS)
}

fn record_date(record: &str) -> Result<NaiveDate> {
    record
        .strip_prefix("{\"date\":\"")
        .and_then(|r| r.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            Error::Setup(format!(
                "the generator's entry does not start with its date: {record}"
            ))
        })
}

/// Compact JSON re-spaced as Python's `json.dumps` writes it: `", "` and `": "` between
/// tokens, strings untouched.
pub fn python_separators(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() + compact.len() / 8);
    let (mut in_string, mut escaped) = (false, false);
    for c in compact.chars() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '"' => in_string = true,
                ',' | ':' => out.push(' '),
                _ => {}
            }
        }
    }
    out
}

/// The run's `_manifest.json` as the original EVO extractor wrote it (pretty-printed).
fn original_manifest(windows: &[Window], records: u64, seconds: f64) -> String {
    let end = windows
        .last()
        .map(|w| w.start + Duration::days(WINDOW_DAYS - 1));
    let results: Vec<serde_json::Value> = windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let to = w.start + Duration::days(WINDOW_DAYS - 1);
            serde_json::json!({
                "period": format!("{} - {}", w.start, to),
                "records": w.records,
                "parts": w.parts,
                "elapsed": 1.0,
                "requests": w.records.div_ceil(1_000) + 1,
                "worker_id": i % 8,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "entity": "entries",
        "mode": "full_parallel",
        "run_id": RUN_ID,
        "start_date": windows.first().map(|w| w.start.to_string()),
        "end_date": end.map(|d| d.to_string()),
        "workers": 8,
        "total_records": records,
        "total_parts": windows.iter().map(|w| w.parts).sum::<u64>(),
        "total_elapsed_seconds": seconds,
        "periods": windows.len(),
        "errors": 0,
        "results": results,
    });
    serde_json::to_string_pretty(&manifest).unwrap_or_default()
}

fn parse_marker(dir: &Path, text: &str) -> Option<OriginalLake> {
    let v: Vec<u64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    let [records, parts, windows, gz_bytes, raw_bytes] = v.as_slice() else {
        return None;
    };
    Some(OriginalLake {
        dir: dir.to_path_buf(),
        records: *records,
        parts: *parts,
        windows: *windows,
        gz_bytes: *gz_bytes,
        raw_bytes: *raw_bytes,
        seconds: 0.0,
        reused: true,
    })
}

/// Removes everything an adoption wrote, leaving the original files.
fn remove_adoption(dir: &Path) -> Result<()> {
    for (path, _) in files_ending(dir, ".parquet")?
        .into_iter()
        .chain(files_ending(dir, "_skyfit_run.json")?)
    {
        std::fs::remove_file(&path).map_err(Error::io(path.display()))?;
    }
    let mut dirs = vec![dir.join("_meta/skyfit")];
    dirs.extend(dirs_named(dir, "_rejects")?);
    for d in dirs {
        if d.exists() {
            std::fs::remove_dir_all(&d).map_err(Error::io(d.display()))?;
        }
    }
    Ok(())
}

/// Files under `dir` whose names end with `suffix`, with their sizes.
fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    walk(dir, &mut |path, meta| {
        if meta.is_file() && path.to_string_lossy().ends_with(suffix) {
            out.push((path.to_path_buf(), meta.len()));
        }
    })?;
    Ok(out)
}

fn dirs_named(dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut |path, meta| {
        if meta.is_dir() && path.file_name().is_some_and(|n| n == name) {
            out.push(path.to_path_buf());
        }
    })?;
    Ok(out)
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(dir.display()))?;
        let path = entry.path();
        let meta = entry.metadata().map_err(Error::io(path.display()))?;
        f(&path, &meta);
        if meta.is_dir() {
            walk(&path, f)?;
        }
    }
    Ok(())
}

fn poisoned() -> Error {
    Error::Setup("a gzip thread panicked".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_separators_space_tokens_not_strings() {
        assert_eq!(
            python_separators(r#"{"a":1,"b":"x, y: \"z\"","c":[1,2],"d":null}"#),
            r#"{"a": 1, "b": "x, y: \"z\"", "c": [1, 2], "d": null}"#
        );
        assert_eq!(
            python_separators(r#"{"a":"\\","b":2}"#),
            r#"{"a": "\\", "b": 2}"#
        );
    }

    #[test]
    fn windows_step_by_seven_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            window_start(d("2024-01-01"), d("2024-01-08")),
            d("2024-01-08")
        );
        assert_eq!(
            window_start(d("2024-01-01"), d("2024-01-20")),
            d("2024-01-15")
        );
    }

    /// The bench end to end on a tiny lake: built in the original layout, adopted twice (the
    /// second time after removing the first adoption's files), reused by a second call.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn adopts_a_small_original_lake_twice_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let bench = AdoptBench {
            records: 23_000,
            seed: 42,
            work_dir: dir.path().to_path_buf(),
            repeat: 2,
            concurrency: Some(2),
        };
        let report = run(&bench).await.unwrap();
        assert!(!report.lake.reused);
        assert_eq!(report.lake.records, 23_000);
        assert!(report.lake.parts >= 3, "{:?}", report.lake);
        assert_eq!(report.runs.len(), 2);
        for r in &report.runs {
            assert_eq!(r.records, 23_000);
            assert_eq!(r.parts as u64, report.lake.parts);
            assert!(r.parquet_bytes > 0);
        }
        let part = files_ending(&report.lake.dir, ".jsonl.gz").unwrap();
        let name = part[0].0.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.len() == "2025-01-01_part-00001.jsonl.gz".len() && name.contains("_part-"),
            "{name}"
        );
        let again = run(&AdoptBench { repeat: 1, ..bench }).await.unwrap();
        assert!(again.lake.reused);
        assert!(again.render().contains("reused"));
    }
}
