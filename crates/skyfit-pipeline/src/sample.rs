//! `skyfit query sample`: a small, valid copy of the lake for work on a laptop.
//!
//! What is copied, and why it is still a lake:
//! - Only **complete runs**, and of them only **whole parts** (`.jsonl.gz` and its `.parquet`
//!   twin, byte for byte, so checksums and lineage stay true). Each copied run gets its
//!   `_manifest.json` rewritten to list only the sampled parts (records and type drift summed
//!   over them; rejects are not copied), so every reader — `skyfit query`, the loader — sees a
//!   consistent lake. Runs none of whose parts were chosen are left out entirely.
//! - **Deterministic**: a part is chosen when a stable hash (FNV-1a) of its lake path falls
//!   below `fraction`, so the same lake and fraction give the same sample on any machine.
//! - **At least one part per entity** (per source, scope and entity): when the hash chooses
//!   none, the part with the smallest hash is taken.
//! - **Related entities together**: bronze parts are cut by extraction window, not by business
//!   key, so a part-level sample cannot keep a fact's parents by key. Instead, small entities —
//!   dimensions such as branches, members, pipelines, users, field definitions, with no more
//!   than `whole_below` records over all their complete runs — are copied whole, so facts in the
//!   sample (entries, deals, tickets) find their parents. Children exploded from a parent's
//!   JSON (sale items, ticket tags) travel inside the parent's record anyway.
//! - Watermarks (`_meta/`) and rejects are not copied: the sample is for reading; extracting
//!   into it starts from scratch.

use std::collections::{BTreeMap, HashSet};

use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use futures::TryStreamExt;
use skyfit_lake::{BronzeObject, BronzePath, EntityKey, LakeStore, Manifest, RunRef};
use tracing::info;

use crate::error::{Error, Result};

/// What to sample.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Share of the parts to keep, in (0, 1].
    pub fraction: f64,
    /// Entities with at most this many records (all complete runs) are copied whole.
    pub whole_below: u64,
}

impl SampleOptions {
    pub fn try_new(fraction: f64) -> Result<Self> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::Query {
                query: "sample".into(),
                message: format!("--fraction must be in (0, 1], not {fraction}"),
            });
        }
        Ok(SampleOptions {
            fraction,
            whole_below: 10_000,
        })
    }

    pub fn with_whole_below(mut self, records: u64) -> Self {
        self.whole_below = records;
        self
    }
}

/// What one entity contributed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EntitySample {
    /// `evo/entity=entries`, `pipedrive/scope=comercial/entity=deals`.
    pub entity: String,
    pub runs: usize,
    pub parts: usize,
    pub parts_total: usize,
    pub records: u64,
    pub records_total: u64,
    /// Copied whole because it is small (see the module docs).
    pub whole: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SampleSummary {
    pub entities: Vec<EntitySample>,
    pub bytes: u64,
}

/// FNV-1a, 64 bits: stable across platforms and releases (unlike `DefaultHasher`).
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a part at `path` is in a `fraction` sample.
fn chosen(path: &str, fraction: f64) -> bool {
    (stable_hash(path) as f64 / u64::MAX as f64) < fraction
}

/// The complete runs of every entity in `lake`, by entity.
async fn complete_runs(lake: &LakeStore) -> Result<BTreeMap<EntityKey, Vec<(RunRef, Manifest)>>> {
    let store = lake.object_store();
    let prefix = Path::from(skyfit_lake::paths::BRONZE);
    let objects: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(|source| store_error("list", &prefix, source))?;
    let mut out: BTreeMap<EntityKey, Vec<(RunRef, Manifest)>> = BTreeMap::new();
    // An adopted EVO run has two manifests (the original's and SkyFit's): read each run once.
    let mut seen = std::collections::HashSet::new();
    for o in objects {
        let Ok(p) = BronzePath::parse(&o.location) else {
            continue;
        };
        if !matches!(
            p.object,
            BronzeObject::Manifest | BronzeObject::AdoptedManifest
        ) || !seen.insert(p.run.clone())
        {
            continue;
        }
        if let Some(m) = lake.read_manifest(&p.run).await?
            && m.is_complete()
        {
            out.entry(p.run.key.clone()).or_default().push((p.run, m));
        }
    }
    for runs in out.values_mut() {
        runs.sort_by(|a, b| a.0.run_id.cmp(&b.0.run_id));
    }
    Ok(out)
}

fn store_error(op: &'static str, path: &Path, source: datafusion::object_store::Error) -> Error {
    Error::Lake(skyfit_lake::Error::Store {
        op,
        path: path.to_string(),
        source,
    })
}

async fn copy(from: &dyn ObjectStore, to: &dyn ObjectStore, path: &str) -> Result<u64> {
    let p = Path::from(path);
    let bytes = from
        .get(&p)
        .await
        .map_err(|e| store_error("get", &p, e))?
        .bytes()
        .await
        .map_err(|e| store_error("read", &p, e))?;
    let n = bytes.len() as u64;
    to.put(&p, PutPayload::from_bytes(bytes))
        .await
        .map_err(|e| store_error("put", &p, e))?;
    Ok(n)
}

/// Copies a sample of `from` into `to` (which should be empty).
pub async fn sample(
    from: &LakeStore,
    to: &LakeStore,
    opts: &SampleOptions,
) -> Result<SampleSummary> {
    let (src, dst) = (from.object_store(), to.object_store());
    let mut summary = SampleSummary::default();
    for (key, runs) in complete_runs(from).await? {
        let records_total: u64 = runs.iter().map(|(_, m)| m.records).sum();
        let whole = records_total <= opts.whole_below;
        let all: Vec<&str> = runs
            .iter()
            .flat_map(|(_, m)| m.parts.iter().map(|p| p.path.as_str()))
            .collect();
        let mut picked: Vec<&str> = all
            .iter()
            .copied()
            .filter(|p| whole || chosen(p, opts.fraction))
            .collect();
        if picked.is_empty()
            && let Some(first) = all.iter().min_by_key(|p| stable_hash(p))
        {
            picked.push(first);
        }
        let picked: HashSet<&str> = picked.into_iter().collect();
        let mut e = EntitySample {
            entity: key.to_string(),
            runs: 0,
            parts: 0,
            parts_total: all.len(),
            records: 0,
            records_total,
            whole,
        };
        for (run, manifest) in &runs {
            let mut m = manifest.clone();
            m.parts.retain(|p| picked.contains(p.path.as_str()));
            if m.parts.is_empty() {
                continue;
            }
            for p in &m.parts {
                summary.bytes += copy(src.as_ref(), dst.as_ref(), &p.path).await?;
                summary.bytes += copy(src.as_ref(), dst.as_ref(), &p.parquet_path).await?;
            }
            m.records = m.parts.iter().map(|p| p.records).sum();
            m.type_drift = BTreeMap::new();
            for (col, n) in m.parts.iter().flat_map(|p| &p.type_drift) {
                *m.type_drift.entry(col.clone()).or_default() += n;
            }
            (m.rejects, m.reject_files) = (0, Vec::new());
            let body = serde_json::to_vec_pretty(&m).map_err(|e| Error::Query {
                query: "sample".into(),
                message: format!("serialising the manifest of {run}: {e}"),
            })?;
            let path = run.manifest_path();
            dst.put(&path, PutPayload::from(body))
                .await
                .map_err(|e| store_error("put", &path, e))?;
            e.runs += 1;
            e.parts += m.parts.len();
            e.records += m.records;
        }
        info!(entity = %e.entity, parts = e.parts, of = e.parts_total, records = e.records, whole = e.whole, "Sampled.");
        summary.entities.push(e);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_the_choice_follows_the_fraction() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        let paths: Vec<String> = (0..10_000)
            .map(|i| format!("bronze/evo/entity=entries/ingestion_date=2026-01-01/run_id=20260101T000000Z/part-{i:05}.jsonl.gz"))
            .collect();
        let n = paths.iter().filter(|p| chosen(p, 0.1)).count();
        assert!((800..1200).contains(&n), "{n}");
        assert!(paths.iter().all(|p| chosen(p, 1.0)));
    }

    #[test]
    fn fractions_outside_zero_to_one_are_refused() {
        assert!(SampleOptions::try_new(0.0).is_err());
        assert!(SampleOptions::try_new(1.5).is_err());
        assert!(SampleOptions::try_new(f64::NAN).is_err());
        assert!(SampleOptions::try_new(0.01).is_ok());
    }
}
