//! The lake fails under the extractor (a full disk, an Azure timeout or 503): the run stops
//! with an error naming the entity, and a `--resume` or a plain rerun then lands exactly the
//! records of an uninterrupted run, with nothing lost and nothing twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::memory::InMemory;
use skyfit_api_sim::{FaultConfig, Scale};
use skyfit_core::Source;
use skyfit_extract::ExtractRequest;
use skyfit_lake::{LakeStore, PartLimits};
use skyfit_test_utils::faults::{Fault, FaultyStore, Op};

use crate::common::{Env, day};

/// An extraction environment whose lake is in memory behind a [`FaultyStore`], with parts of
/// 100 records so a month of entries spans many parts.
async fn faulty_env() -> (Env, Arc<FaultyStore>) {
    let mut scale = Scale::tiny();
    scale.evo_entries = 50_000;
    let mut env = Env::start(scale, FaultConfig::none()).await;
    let store = FaultyStore::new(Arc::new(InMemory::new()));
    env.lake = LakeStore::from_object_store(store.clone(), "lake", "faulty://lake");
    env.opts.part_limits = PartLimits {
        max_records: 100,
        max_raw_bytes: u64::MAX,
    };
    (env, store)
}

fn request() -> ExtractRequest {
    ExtractRequest::new(Source::Evo)
        .with_entities(["entries"])
        .with_range(Some(day(2024, 3, 1)), Some(day(2024, 4, 30)))
}

async fn uninterrupted() -> BTreeMap<Vec<u8>, u32> {
    let (env, _) = faulty_env().await;
    env.extract(&request()).await.expect("clean extraction");
    let want = env.bronze(Source::Evo, None, "entries").await;
    assert!(want.len() > 500, "{} records", want.len());
    assert!(want.values().all(|n| *n == 1));
    want
}

/// The same records, each once; says how many differ instead of printing them all.
fn same(got: &BTreeMap<Vec<u8>, u32>, want: &BTreeMap<Vec<u8>, u32>, what: &str) {
    let missing = want.keys().filter(|k| !got.contains_key(*k)).count();
    let extra = got.keys().filter(|k| !want.contains_key(*k)).count();
    let twice = got.values().filter(|n| **n > 1).count();
    assert!(
        (missing, extra, twice) == (0, 0, 0),
        "{what}: {} records, want {}: {missing} missing, {extra} unexpected, {twice} more than once",
        got.len(),
        want.len()
    );
}

async fn fails_on(env: &Env, store: &FaultyStore, fault: Fault) {
    store.inject(fault);
    let e = env.extract(&request()).await.expect_err("the write fault");
    let msg = e.to_string();
    assert!(
        msg.contains("injected fault") && msg.contains("entries"),
        "{msg}"
    );
    assert_eq!(store.injected().len(), 1);
    store.heal();
    // Nothing of the failed run is visible to a loader.
    assert!(env.bronze(Source::Evo, None, "entries").await.is_empty());
}

#[tokio::test]
async fn a_failed_part_write_then_resume_lands_every_record_once() {
    let want = uninterrupted().await;
    for fault in [
        Fault::on(Op::Put).matching(".parquet").after(3).times(1),
        Fault::on(Op::Put).matching(".jsonl.gz").after(5).times(1),
        Fault::on(Op::Put).matching("_manifest").after(4).times(1),
    ] {
        let (env, store) = faulty_env().await;
        fails_on(&env, &store, fault.clone()).await;
        let s = env
            .extract(&request().with_resume(true))
            .await
            .expect("resume");
        assert_eq!(s.entities[0].status, "complete", "{fault:?}");
        assert_eq!(
            env.bronze(Source::Evo, None, "entries").await,
            want,
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn a_failed_part_write_then_a_plain_rerun_lands_every_record_once() {
    let want = uninterrupted().await;
    let (env, store) = faulty_env().await;
    fails_on(
        &env,
        &store,
        Fault::on(Op::Put).matching(".parquet").after(2).times(1),
    )
    .await;
    env.extract(&request()).await.expect("rerun");
    same(
        &env.bronze(Source::Evo, None, "entries").await,
        &want,
        "rerun",
    );
}
