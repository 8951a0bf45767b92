//! Runs the built-in API simulator wrote (`simulated` in their manifests) and the targets that
//! would read them.
//!
//! Invented members and deals must never reach a real warehouse by accident, so before any
//! target writes, the load works out which simulated runs each selected target would read (its
//! pending parts, as `load_query` computes them: all of them on a full refresh or a reload)
//! and, unless [`crate::options::LoadOptions::allow_simulated`] says otherwise, refuses the whole load
//! when one of them is new to the target, naming them. Parts the target already holds
//! (`meta.loaded_parts`, same checksum) were let in once on purpose: rewriting them (a full
//! refresh) brings nothing new and is not refused. What the targets read is reported in
//! [`crate::summary::LoadSummary::simulated`] so the ledger can mark what they went into.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use skyfit_lake::LakeStore;
use tokio_postgres::Client;
use tracing::info;

use crate::bronze::{BronzePart, BronzeRef, complete_parts};
use crate::error::{Error, Result};
use crate::options::LoadOptions;
pub use crate::summary::SimulatedRun;
use crate::target::Target;

/// The simulated runs the selected `targets` would read; an error, before any target writes,
/// unless they are allowed. Lists each primary table's parts once (kept in `parts`); a table
/// that cannot be listed is left for its target to report.
pub(crate) async fn check(
    lake: &LakeStore,
    client: &Client,
    targets: &[Target],
    parts: &mut HashMap<BronzeRef, Vec<BronzePart>>,
    opts: &LoadOptions,
) -> Result<Vec<SimulatedRun>> {
    for t in targets {
        if !parts.contains_key(&t.primary)
            && let Ok(listed) = complete_parts(lake, t.primary.source, &t.primary.entity).await
        {
            parts.insert(t.primary.clone(), listed);
        }
    }
    let listed: Vec<(&Target, &[BronzePart])> = targets
        .iter()
        .filter_map(|t| Some((t, parts.get(&t.primary)?.as_slice())))
        .collect();
    let runs = pending(client, &listed, opts).await?;
    if let (false, Some(refused)) = (opts.allow_simulated, refusal(&runs)) {
        return Err(refused);
    }
    if !runs.is_empty() {
        info!(
            runs = runs.len(),
            "Loading runs written by the built-in API simulator."
        );
    }
    Ok(runs)
}

/// The simulated runs each target would read, given the parts of its primary bronze table.
async fn pending(
    client: &Client,
    targets: &[(&Target, &[BronzePart])],
    opts: &LoadOptions,
) -> Result<Vec<SimulatedRun>> {
    let mut out: BTreeMap<(String, String), SimulatedRun> = BTreeMap::new();
    for (t, parts) in targets {
        if !parts.iter().any(|p| p.simulated) {
            continue;
        }
        let full = crate::plan::reads_every_part(t, opts);
        let done = skyfit_warehouse::loaded_parts(client, t.stage.as_str(), t.name()).await?;
        for p in parts.iter().filter(|p| p.simulated) {
            let new = crate::plan::is_pending(&done, p);
            if !(new || full) {
                continue;
            }
            let run = out
                .entry((t.name().to_string(), p.run_id.clone()))
                .or_insert_with(|| SimulatedRun {
                    target: t.name().to_string(),
                    table: t.primary.name(),
                    run_id: p.run_id.clone(),
                    new: false,
                });
            run.new |= new;
        }
    }
    Ok(out.into_values().collect())
}

/// The refusal of the runs new to their targets: each (table, run id) once, the first few
/// named; `None` when there are none.
pub(crate) fn refusal(runs: &[SimulatedRun]) -> Option<Error> {
    let runs: Vec<&SimulatedRun> = runs.iter().filter(|r| r.new).collect();
    if runs.is_empty() {
        return None;
    }
    let distinct: BTreeSet<(&str, &str)> = runs
        .iter()
        .map(|r| (r.table.as_str(), r.run_id.as_str()))
        .collect();
    const SHOWN: usize = 8;
    let mut names: Vec<String> = distinct
        .iter()
        .take(SHOWN)
        .map(|(t, r)| format!("{t} run {r}"))
        .collect();
    if distinct.len() > SHOWN {
        names.push(format!("and {} more", distinct.len() - SHOWN));
    }
    let targets: BTreeSet<&str> = runs.iter().map(|r| r.target.as_str()).collect();
    Some(Error::SimulatedRuns {
        runs: distinct.len(),
        names: names.join(", "),
        targets: targets.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(target: &str, table: &str, run_id: &str) -> SimulatedRun {
        SimulatedRun {
            target: target.into(),
            table: table.into(),
            run_id: run_id.into(),
            new: true,
        }
    }

    #[test]
    fn the_refusal_names_each_run_once_and_says_what_to_do() {
        let runs = vec![
            run("stg_evo.entries_raw", "evo_entries", "20260109T203707Z"),
            run("core.evo_entries", "evo_entries", "20260109T203707Z"),
            run("core.evo_members", "evo_members", "20260109T203707Z"),
        ];
        let e = refusal(&runs).unwrap().to_string();
        assert!(
            e.contains("2 run(s)")
                && e.contains("evo_entries run 20260109T203707Z")
                && e.contains("evo_members run 20260109T203707Z")
                && e.contains("3 target(s)")
                && e.contains("--allow-simulated")
                && e.contains("nothing was loaded"),
            "{e}"
        );
        assert_eq!(e.matches("evo_entries run").count(), 1, "{e}");
    }

    #[test]
    fn a_long_list_is_cut_short() {
        let runs: Vec<SimulatedRun> = (0..20)
            .map(|i| run("core.evo_entries", "evo_entries", &format!("2026010{i:02}")))
            .collect();
        let e = refusal(&runs).unwrap().to_string();
        assert!(e.contains("20 run(s)") && e.contains("and 12 more"), "{e}");
    }

    #[test]
    fn runs_the_targets_already_hold_are_not_refused() {
        let mut held = run("core.evo_branches", "evo_branches", "20260109T203707Z");
        held.new = false;
        assert!(refusal(&[held.clone()]).is_none());
        let new = run("core.evo_members", "evo_members", "20260110T203707Z");
        let e = refusal(&[held, new]).unwrap().to_string();
        assert!(
            e.contains("1 run(s)") && e.contains("evo_members run") && !e.contains("evo_branches"),
            "{e}"
        );
    }
}
