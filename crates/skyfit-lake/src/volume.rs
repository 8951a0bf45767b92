//! How much a night writes, estimated from what the last complete runs wrote: `skyfit doctor`
//! compares it with the free space where the lake and the database live.

use skyfit_core::Source;

use crate::error::Result;
use crate::store::LakeStore;

/// Bytes the newest complete run of every entity wrote, summed over the entities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NightlyVolume {
    /// Entities with at least one complete run.
    pub entities: usize,
    /// `.jsonl.gz` plus `.parquet` objects: what the lake grows by.
    pub lake_bytes: u64,
    /// Uncompressed JSON: a rough upper bound of what the load writes into PostgreSQL.
    pub raw_bytes: u64,
}

impl LakeStore {
    /// The expected volume of tonight's run, from the newest complete run of each entity.
    pub async fn nightly_volume(&self) -> Result<NightlyVolume> {
        let mut v = NightlyVolume::default();
        for source in Source::ALL {
            for key in self.entity_keys(source).await? {
                let runs = self.list_complete_runs(&key).await?;
                // Oldest first: the last is the newest.
                let Some((_, manifest)) = runs.last() else {
                    continue;
                };
                v.entities += 1;
                for p in &manifest.parts {
                    v.lake_bytes += p.bytes + p.parquet_bytes;
                    v.raw_bytes += p.raw_bytes;
                }
            }
        }
        Ok(v)
    }
}
