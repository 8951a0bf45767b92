//! Reading the bronze lake: complete runs, their parts, records with lineage, Parquet batches.
//!
//! A run exists for readers only when its `_manifest.json` says `complete`, and its parts are
//! exactly those the manifest lists (orphans from a crashed attempt are ignored). JSONL parts
//! are read whole (parts are bounded by the writer's limits) and accept both trailing-newline
//! and no-trailing-newline files, skipping blank lines but keeping physical line numbers, so
//! the original system's files (docs/data-contract.md#reference-lake) read too. For
//! DataFusion, [`LakeStore::object_store`] plus the `parquet_path`s of [`PartEntry`] are all a
//! listing table needs.

use std::io::Read;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};
use skyfit_core::{IngestionDate, RunId};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, PartEntry};
use crate::paths::{EntityKey, RunRef};
use crate::rejects::{self, Reject};
use crate::store::LakeStore;

/// An entity's runs, as [`LakeStore::scan_runs`] finds them.
#[derive(Debug, Default)]
pub struct RunScan {
    /// Complete runs with their manifests, oldest first.
    pub complete: Vec<(RunRef, Manifest)>,
    /// Runs written by the original system and not adopted yet.
    pub unadopted: Vec<RunRef>,
}

/// Arrow batches of one Parquet part.
pub type ParquetStream = BoxStream<'static, Result<RecordBatch>>;

/// A decompressed `.jsonl.gz` part.
#[derive(Debug, Clone)]
pub struct JsonlPart {
    pub path: Path,
    pub data: Bytes,
}

impl JsonlPart {
    /// `(line number, record bytes)` for every non-blank line; line numbers are 1-based and
    /// match the Parquet `_line` column.
    pub fn records(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let data: &[u8] = &self.data;
        // A final `\n` ends the last line rather than starting an empty one.
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        data.split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, line)| (i as u64 + 1, line.strip_suffix(b"\r").unwrap_or(line)))
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
    }
}

impl LakeStore {
    /// The run's SkyFit manifest, or `None` if it has none (yet).
    ///
    /// For a run the original system wrote this is the adoption's `_skyfit_run.json`: its EVO
    /// runs carry a `_manifest.json` of their own, which is recognised and passed over.
    pub async fn read_manifest(&self, run: &RunRef) -> Result<Option<Manifest>> {
        let path = run.manifest_path();
        if let Some(bytes) = self.get_opt(&path).await? {
            match serde_json::from_slice(&bytes) {
                Ok(m) => return Ok(Some(m)),
                Err(_) if crate::original::is_original_manifest(&bytes) => {}
                Err(source) => {
                    return Err(Error::Json {
                        path: path.to_string(),
                        source,
                    });
                }
            }
        }
        let path = run.adopted_manifest_path();
        let Some(bytes) = self.get_opt(&path).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Json {
                path: path.to_string(),
                source,
            })
    }

    /// Every run directory of the entity (any status, with or without a manifest), oldest
    /// first by run id.
    pub async fn list_runs(&self, key: &EntityKey) -> Result<Vec<RunRef>> {
        let mut runs = Vec::new();
        for date_dir in self.list_dirs(&key.bronze_dir()).await? {
            let Some(date) = date_dir
                .filename()
                .and_then(|s| s.strip_prefix("ingestion_date="))
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            else {
                continue;
            };
            for run_dir in self.list_dirs(&date_dir).await? {
                let Some(run_id) = run_dir
                    .filename()
                    .and_then(|s| s.strip_prefix("run_id="))
                    .and_then(|s| RunId::parse(s).ok())
                else {
                    continue;
                };
                runs.push(RunRef {
                    key: key.clone(),
                    ingestion_date: IngestionDate(date),
                    run_id,
                });
            }
        }
        runs.sort_by(|a, b| (&a.run_id, a.ingestion_date).cmp(&(&b.run_id, b.ingestion_date)));
        Ok(runs)
    }

    /// Runs whose manifest says complete, oldest first: what loaders may read.
    pub async fn list_complete_runs(&self, key: &EntityKey) -> Result<Vec<(RunRef, Manifest)>> {
        Ok(self.scan_runs(key).await?.complete)
    }

    /// The entity's runs as a loader sees them: complete ones, and runs the original system
    /// wrote that are not adopted yet (their records exist but cannot be read until they are).
    pub async fn scan_runs(&self, key: &EntityKey) -> Result<RunScan> {
        let mut scan = RunScan::default();
        for run in self.list_runs(key).await? {
            match self.read_manifest(&run).await? {
                Some(m) if m.is_complete() => {
                    if let Some(problem) = m.inconsistency() {
                        return Err(Error::RunState {
                            run: run.to_string(),
                            reason: format!(
                                "{problem}; it was edited or damaged after the run completed. \
                                 Restore the manifest, or re-extract the run"
                            ),
                        });
                    }
                    scan.complete.push((run, m))
                }
                Some(m) => {
                    tracing::debug!(run = %run, status = ?m.status, "Skipping run that is not complete.");
                }
                // SkyFit writes a run's manifest before its first part, so data without one
                // is the original system's.
                None if self.has_jsonl_parts(&run).await? => scan.unadopted.push(run),
                None => tracing::debug!(run = %run, "Skipping run directory without parts."),
            }
        }
        Ok(scan)
    }

    async fn has_jsonl_parts(&self, run: &RunRef) -> Result<bool> {
        Ok(self
            .list_all(&run.dir())
            .await?
            .iter()
            .any(|o| o.location.as_ref().ends_with(".jsonl.gz")))
    }

    /// The parts of a complete run, in order. An incomplete run has no readable parts.
    pub async fn list_parts(&self, run: &RunRef) -> Result<Vec<PartEntry>> {
        match self.read_manifest(run).await? {
            Some(m) if m.is_complete() => Ok(m.parts),
            Some(m) => Err(Error::RunState {
                run: run.to_string(),
                reason: format!("run is {:?}, not complete", m.status),
            }),
            None => Err(Error::RunState {
                run: run.to_string(),
                reason: "run has no manifest".into(),
            }),
        }
    }

    /// Read and decompress a `.jsonl.gz` part.
    pub async fn read_jsonl(&self, path: &Path) -> Result<JsonlPart> {
        let gz = self.get(path).await?;
        decompress(path, &gz)
    }

    /// Read a part listed in a manifest, checking its sha256 first.
    pub async fn read_part_verified(&self, part: &PartEntry) -> Result<JsonlPart> {
        let path = Path::from(part.path.as_str());
        let gz = self.get(&path).await?;
        let actual = hex::encode(Sha256::digest(&gz));
        if actual != part.sha256 {
            return Err(Error::Checksum {
                path: part.path.clone(),
                expected: part.sha256.clone(),
                actual,
            });
        }
        decompress(&path, &gz)
    }

    /// A Parquet part as a stream of Arrow batches of at most `batch_size` rows.
    ///
    /// The part is fetched whole (parts are bounded by the writer's limits) and decoded lazily,
    /// batch by batch, as the stream is polled.
    pub async fn read_parquet(&self, path: &Path, batch_size: usize) -> Result<ParquetStream> {
        let perr = |source| Error::Parquet {
            path: path.to_string(),
            source,
        };
        let bytes = self.get(path).await?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(perr)?
            .with_batch_size(batch_size.max(1))
            .build()
            .map_err(perr)?;
        let label = path.to_string();
        Ok(futures::stream::iter(reader.map(move |r| {
            r.map_err(|source| Error::Arrow {
                entity: label.clone(),
                source,
            })
        }))
        .boxed())
    }

    /// All rejects of a run, in the order they were written.
    pub async fn read_rejects(&self, run: &RunRef, manifest: &Manifest) -> Result<Vec<Reject>> {
        let mut out = Vec::new();
        for file in &manifest.reject_files {
            let path = Path::from(file.as_str());
            let bytes = self.get(&path).await?;
            let mut rs = rejects::decode(&bytes).map_err(|(line, source)| Error::Json {
                path: format!("{path}:{line}"),
                source,
            })?;
            out.append(&mut rs);
        }
        tracing::debug!(run = %run, rejects = out.len(), "Read rejects.");
        Ok(out)
    }

    /// Every object of a run directory, including orphans and rejects (for tooling and tests).
    pub async fn list_run_objects(&self, run: &RunRef) -> Result<Vec<Path>> {
        let mut v: Vec<Path> = self
            .list_all(&run.dir())
            .await?
            .into_iter()
            .map(|m| m.location)
            .collect();
        v.sort();
        Ok(v)
    }
}

pub(crate) fn decompress(path: &Path, gz: &[u8]) -> Result<JsonlPart> {
    let mut data = Vec::with_capacity(gz.len() * 6);
    // Multi-member: concatenated gzip streams are valid gzip and `gzip -dc` reads them.
    MultiGzDecoder::new(gz)
        .read_to_end(&mut data)
        .map_err(|source| Error::Gzip {
            path: path.to_string(),
            source,
        })?;
    Ok(JsonlPart {
        path: path.clone(),
        data: Bytes::from(data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_with_and_without_trailing_newline() {
        for text in [
            "{\"a\":1}\n\n{\"b\":2}",
            "{\"a\":1}\n\n{\"b\":2}\n",
            "{\"a\":1}\r\n\r\n{\"b\":2}\r\n",
        ] {
            let part = JsonlPart {
                path: Path::from("x"),
                data: Bytes::from(text.to_string()),
            };
            let got: Vec<(u64, &[u8])> = part.records().collect();
            assert_eq!(
                got,
                vec![(1, &b"{\"a\":1}"[..]), (3, &b"{\"b\":2}"[..])],
                "{text:?}"
            );
        }
    }
}
