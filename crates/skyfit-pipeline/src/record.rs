//! What a load writes in the ledger, through [`skyfit_warehouse`]'s ledger module (which owns
//! the SQL of `meta.loaded_parts`, `meta.quarantine` and `meta.pipeline_runs`).
//!
//! * A target that loads records its parts, its quarantined values and its SUCCESS row in the
//!   transaction that writes its rows: a load killed before the commit leaves none of them,
//!   and the next load takes the same parts again.
//! * A target that fails gets a FAILED row (its transaction rolled back: nothing else).
//! * The load itself has one `load` row, RUNNING from the start, so a load killed half-way
//!   shows that it started and never ended, then SUCCESS or FAILED.

use skyfit_core::RunId;
use skyfit_transform::Strategy;
use skyfit_warehouse::{LoadedPart, QuarantineRow, RunOutcome, RunRecord, RunStatus};
use tokio_postgres::GenericClient;

use crate::error::Result;
use crate::plan::Planned;
use crate::summary::{LoadSummary, TargetSummary};
use crate::target::Target;

fn run_record(run_id: &RunId, source: &str, entity: &str, stage: &str) -> RunRecord {
    RunRecord {
        source: source.into(),
        scope: None,
        entity: entity.into(),
        run_id: run_id.to_string(),
        ingestion_date: run_id.ingestion_date().0,
        stage: stage.into(),
    }
}

/// The run a bronze part path belongs to (`…/run_id={id}/part-…`).
fn run_of(file: &str) -> Option<&str> {
    let rest = file.split("run_id=").nth(1)?;
    rest.split('/').next()
}

/// Everything a loaded target records, in `tx`, the transaction holding its rows.
pub(crate) async fn target_loaded(
    tx: &impl GenericClient,
    t: &Target,
    planned: &Planned,
    s: &TargetSummary,
    run_id: &RunId,
    simulated: bool,
) -> Result<()> {
    let (stage, source, entity) = (t.stage.as_str(), t.source().as_str(), t.entity());
    let (parts, fed, bad) = (&planned.pending, &planned.fed, &planned.quarantined());
    if s.strategy == Strategy::FullRefresh {
        // The rebuilt table holds exactly the parts recorded below.
        skyfit_warehouse::reset_loaded_parts(tx, stage, t.name()).await?;
    }
    let parts: Vec<LoadedPart> = parts
        .iter()
        .map(|p| LoadedPart {
            stage,
            target_table: t.name(),
            source,
            scope: p.scope.as_deref(),
            entity,
            part_path: &p.path,
            checksum: &p.sha256,
            run_id: &p.run_id,
            rows: p.records as i64,
        })
        .chain(fed.iter().map(|(b, p)| LoadedPart {
            stage,
            target_table: t.name(),
            source: b.source.as_str(),
            scope: p.scope.as_deref(),
            entity: &b.entity,
            part_path: &p.path,
            checksum: &p.sha256,
            run_id: &p.run_id,
            rows: p.records as i64,
        }))
        .collect();
    skyfit_warehouse::record_parts(tx, &parts).await?;
    let rows: Vec<QuarantineRow> = bad
        .iter()
        .map(|b| QuarantineRow {
            run_id: b.file.as_deref().and_then(run_of),
            source,
            entity,
            target_table: t.name(),
            bronze_file: b.file.as_deref(),
            line: b.line,
            column: (!b.column.is_empty()).then_some(b.column.as_str()),
            reason: &b.reason,
            raw_value: &b.raw,
        })
        .collect();
    skyfit_warehouse::quarantine(tx, &rows).await?;
    let metadata = serde_json::to_value(s).ok();
    let outcome = RunOutcome {
        status: RunStatus::Success,
        records_processed: s.rows as i64,
        records_rejected: s.quarantined as i64,
        error: None,
        metadata: metadata.as_ref(),
        simulated,
    };
    let record = run_record(run_id, source, t.name(), stage);
    skyfit_warehouse::record_run(tx, &record, &outcome).await?;
    Ok(())
}

/// The FAILED row of a target that did not load.
pub(crate) async fn target_failed(
    client: &impl GenericClient,
    t: &Target,
    run_id: &RunId,
    error: &str,
) -> Result<()> {
    let record = run_record(run_id, t.source().as_str(), t.name(), t.stage.as_str());
    skyfit_warehouse::record_run(client, &record, &RunOutcome::failed(error)).await?;
    Ok(())
}

fn load_record(run_id: &RunId) -> RunRecord {
    run_record(run_id, "*", "*", "load")
}

/// Opens the load's `load` row as RUNNING; returns its id.
pub(crate) async fn load_started(client: &impl GenericClient, run_id: &RunId) -> Result<i64> {
    Ok(skyfit_warehouse::start_run(client, &load_record(run_id)).await?)
}

/// Closes the `load` row: SUCCESS with the rows loaded, or FAILED with the error; marked
/// simulated when the load read runs of the built-in API simulator.
pub(crate) async fn load_finished(
    client: &impl GenericClient,
    id: i64,
    loaded: &Result<LoadSummary>,
) -> Result<()> {
    let summary = match loaded {
        Ok(s) => Some(s),
        Err(crate::error::Error::TargetsFailed { summary }) => Some(&**summary),
        Err(_) => None,
    };
    if summary.is_some_and(|s| !s.simulated.is_empty()) {
        skyfit_warehouse::mark_simulated(client, id).await?;
    }
    let (status, rows, bad, error) = match loaded {
        Ok(s) => (
            RunStatus::Success,
            s.targets.iter().map(|t| t.rows as i64).sum(),
            s.targets.iter().map(|t| t.quarantined as i64).sum(),
            None,
        ),
        Err(e) => (RunStatus::Failed, 0, 0, Some(e.to_string())),
    };
    skyfit_warehouse::finish_run(client, id, status, rows, bad, error.as_deref(), None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_run_of_a_part_is_read_from_its_path() {
        let f = "bronze/evo/entity=entries/ingestion_date=2026-01-09/run_id=20260109T203707Z/part-00001.jsonl.gz";
        assert_eq!(super::run_of(f), Some("20260109T203707Z"));
        assert_eq!(super::run_of("elsewhere.jsonl.gz"), None);
    }
}
