//! The ledger: the one module that writes the `meta` tables describing what was loaded.
//!
//! * `meta.pipeline_runs`: one row per source/scope/entity/run/stage, opened as RUNNING and
//!   closed as SUCCESS or FAILED ([`record_run`] does both at once). `skyfit status` reads it.
//! * `meta.loaded_parts`: every bronze part a target has consumed ([`record_parts`]); a load
//!   takes the parts not listed yet ([`loaded_parts`]).
//! * `meta.quarantine`: values and records that could not be stored as they were
//!   ([`quarantine`]).
//!
//! Every function takes any [`GenericClient`]: a load writes a target's records in the
//! transaction that writes its rows, so both commit or neither does.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::{Client, GenericClient};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Success,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Success => "SUCCESS",
            RunStatus::Failed => "FAILED",
        }
    }
}

/// What a ledger row is about.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub source: String,
    pub scope: Option<String>,
    pub entity: String,
    pub run_id: String,
    pub ingestion_date: NaiveDate,
    /// `bronze`, `stg` or `core`.
    pub stage: String,
}

/// A row as `skyfit status` shows it.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub source: String,
    pub scope: Option<String>,
    pub entity: String,
    pub run_id: String,
    pub stage: String,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub records_processed: i64,
    pub records_rejected: i64,
    pub error_message: Option<String>,
}

impl RunRow {
    /// A row selected as `source, scope, entity, run_id, stage, status, started_at,
    /// finished_at, records_processed, records_rejected, error_message`.
    pub(crate) fn from_row(r: &tokio_postgres::Row) -> Self {
        RunRow {
            source: r.get(0),
            scope: r.get(1),
            entity: r.get(2),
            run_id: r.get(3),
            stage: r.get(4),
            status: r.get(5),
            started_at: r.get(6),
            finished_at: r.get(7),
            records_processed: r.get(8),
            records_rejected: r.get(9),
            error_message: r.get(10),
        }
    }
}

/// Opens (or reopens, on a rerun of the same run) a ledger row; returns its id.
pub async fn start_run(client: &impl GenericClient, r: &RunRecord) -> Result<i64> {
    let row = client
        .query_one(
            "INSERT INTO meta.pipeline_runs (source, scope, entity, run_id, ingestion_date, stage)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source, COALESCE(scope, ''), entity, run_id, stage)
             DO UPDATE SET started_at = NOW(), finished_at = NULL, status = 'RUNNING', error_message = NULL
             RETURNING id",
            &[&r.source, &r.scope, &r.entity, &r.run_id, &r.ingestion_date, &r.stage],
        )
        .await
        .map_err(Error::pg("opening a meta.pipeline_runs row"))?;
    Ok(row.get(0))
}

/// Closes a ledger row.
pub async fn finish_run(
    client: &impl GenericClient,
    id: i64,
    status: RunStatus,
    records_processed: i64,
    records_rejected: i64,
    error: Option<&str>,
    metadata: Option<&serde_json::Value>,
) -> Result<()> {
    client
        .execute(
            "UPDATE meta.pipeline_runs SET finished_at = NOW(), status = $2, records_processed = $3,
                 records_rejected = $4, error_message = $5, metadata = $6 WHERE id = $1",
            &[&id, &status.as_str(), &records_processed, &records_rejected, &error, &metadata],
        )
        .await
        .map_err(Error::pg("closing a meta.pipeline_runs row"))?;
    Ok(())
}

/// Marks a ledger row as being about records from the built-in API simulator
/// (`meta.pipeline_runs.simulated`): its extraction was served by the simulator, or its load
/// loaded simulated runs. Reopening the row ([`start_run`]) keeps the mark.
pub async fn mark_simulated(client: &impl GenericClient, id: i64) -> Result<()> {
    client
        .execute(
            "UPDATE meta.pipeline_runs SET simulated = true WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(Error::pg("marking a meta.pipeline_runs row simulated"))?;
    Ok(())
}

/// How a ledger row ends.
#[derive(Debug, Clone, Copy)]
pub struct RunOutcome<'a> {
    pub status: RunStatus,
    pub records_processed: i64,
    pub records_rejected: i64,
    pub error: Option<&'a str>,
    /// Details for `meta.pipeline_runs.metadata` (a summary as JSON).
    pub metadata: Option<&'a serde_json::Value>,
    /// The row is about records of the built-in API simulator ([`mark_simulated`]).
    pub simulated: bool,
}

impl<'a> RunOutcome<'a> {
    /// FAILED with `error`, nothing processed.
    pub fn failed(error: &'a str) -> Self {
        RunOutcome {
            status: RunStatus::Failed,
            records_processed: 0,
            records_rejected: 0,
            error: Some(error),
            metadata: None,
            simulated: false,
        }
    }
}

/// A ledger row opened and closed at once (what happened is already known); returns its id.
pub async fn record_run(
    client: &impl GenericClient,
    r: &RunRecord,
    outcome: &RunOutcome<'_>,
) -> Result<i64> {
    let id = start_run(client, r).await?;
    if outcome.simulated {
        mark_simulated(client, id).await?;
    }
    finish_run(
        client,
        id,
        outcome.status,
        outcome.records_processed,
        outcome.records_rejected,
        outcome.error,
        outcome.metadata,
    )
    .await?;
    Ok(id)
}

/// A bronze part a target consumed (`meta.loaded_parts`).
#[derive(Debug, Clone)]
pub struct LoadedPart<'a> {
    /// `stg` or `core`.
    pub stage: &'a str,
    /// `schema.table`.
    pub target_table: &'a str,
    pub source: &'a str,
    pub scope: Option<&'a str>,
    pub entity: &'a str,
    /// Lake-relative path of the part's `.jsonl.gz`.
    pub part_path: &'a str,
    /// Its SHA-256: a part rewritten under the same path is loaded again.
    pub checksum: &'a str,
    pub run_id: &'a str,
    pub rows: i64,
}

/// Path → checksum of every part `target_table` of `stage` has consumed.
pub async fn loaded_parts(
    client: &impl GenericClient,
    stage: &str,
    target_table: &str,
) -> Result<HashMap<String, String>> {
    let rows = client
        .query(
            "SELECT part_path, coalesce(checksum, '') FROM meta.loaded_parts WHERE stage = $1 AND target_table = $2",
            &[&stage, &target_table],
        )
        .await
        .map_err(Error::pg("reading meta.loaded_parts"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Forgets every part `target_table` consumed: a full refresh, in the transaction that
/// installs the rebuilt table, before it records the parts it was rebuilt from.
pub async fn reset_loaded_parts(
    client: &impl GenericClient,
    stage: &str,
    target_table: &str,
) -> Result<()> {
    client
        .execute(
            "DELETE FROM meta.loaded_parts WHERE stage = $1 AND target_table = $2",
            &[&stage, &target_table],
        )
        .await
        .map_err(Error::pg("resetting meta.loaded_parts"))?;
    Ok(())
}

/// Records the parts a target consumed (a part recorded before takes the new checksum).
pub async fn record_parts(client: &impl GenericClient, parts: &[LoadedPart<'_>]) -> Result<()> {
    if parts.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare(
            "INSERT INTO meta.loaded_parts (stage, target_table, source, scope, entity, part_path, checksum, run_id, rows)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (stage, target_table, part_path)
             DO UPDATE SET checksum = EXCLUDED.checksum, run_id = EXCLUDED.run_id, rows = EXCLUDED.rows, loaded_at = now()",
        )
        .await
        .map_err(Error::pg("preparing the meta.loaded_parts insert"))?;
    for p in parts {
        client
            .execute(
                &stmt,
                &[
                    &p.stage,
                    &p.target_table,
                    &p.source,
                    &p.scope,
                    &p.entity,
                    &p.part_path,
                    &p.checksum,
                    &p.run_id,
                    &p.rows,
                ],
            )
            .await
            .map_err(Error::pg("writing meta.loaded_parts"))?;
    }
    Ok(())
}

/// A value (or, without a column, a whole record) that could not be stored as it was.
#[derive(Debug, Clone)]
pub struct QuarantineRow<'a> {
    pub run_id: Option<&'a str>,
    pub source: &'a str,
    pub entity: &'a str,
    pub target_table: &'a str,
    /// The bronze part (`.jsonl.gz`) and line the value came from.
    pub bronze_file: Option<&'a str>,
    pub line: Option<i64>,
    /// `None`: the whole record.
    pub column: Option<&'a str>,
    pub reason: &'a str,
    /// The value as the source sent it.
    pub raw_value: &'a str,
}

/// Writes quarantine rows. PostgreSQL text cannot hold NUL, so a NUL in a raw value is
/// stored as the two characters `\0`.
pub async fn quarantine(client: &impl GenericClient, rows: &[QuarantineRow<'_>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare(
            "INSERT INTO meta.quarantine (run_id, source, entity, target_table, bronze_file, line, column_name, reason, raw_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await
        .map_err(Error::pg("preparing the meta.quarantine insert"))?;
    for r in rows {
        client
            .execute(
                &stmt,
                &[
                    &r.run_id,
                    &r.source,
                    &r.entity,
                    &r.target_table,
                    &r.bronze_file,
                    &r.line,
                    &r.column,
                    &r.reason,
                    &r.raw_value.replace('\0', "\\0"),
                ],
            )
            .await
            .map_err(Error::pg("writing meta.quarantine"))?;
    }
    Ok(())
}

/// The most recent ledger rows, newest first.
pub async fn recent_runs(client: &Client, limit: i64) -> Result<Vec<RunRow>> {
    let rows = client
        .query(
            "SELECT source, scope, entity, run_id, stage, status, started_at, finished_at,
                    records_processed, records_rejected, error_message
             FROM meta.pipeline_runs ORDER BY started_at DESC, id DESC LIMIT $1",
            &[&limit],
        )
        .await
        .map_err(Error::pg("reading meta.pipeline_runs"))?;
    Ok(rows.iter().map(RunRow::from_row).collect())
}
