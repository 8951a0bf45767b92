//! The run ledger, `meta.pipeline_runs`: one row per source/scope/entity/run/stage, opened
//! as RUNNING and closed as SUCCESS or FAILED. `skyfit status` reads it.

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Client;

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

/// Opens (or reopens, on a rerun of the same run) a ledger row; returns its id.
pub async fn start_run(client: &Client, r: &RunRecord) -> Result<i64> {
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
    client: &Client,
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
pub async fn mark_simulated(client: &Client, id: i64) -> Result<()> {
    client
        .execute(
            "UPDATE meta.pipeline_runs SET simulated = true WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(Error::pg("marking a meta.pipeline_runs row simulated"))?;
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
    Ok(rows
        .iter()
        .map(|r| RunRow {
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
        })
        .collect())
}
