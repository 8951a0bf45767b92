//! The nightly data tests: after a load, the `@test` declarations of every core table it wrote
//! (or found up to date) run in PostgreSQL; the results are stored with the run and a `tests`
//! row in the ledger says whether an `error` test failed.

use chrono::Utc;
use skyfit_core::RunId;
use skyfit_transform::{DataTest, QueryFile};
use skyfit_warehouse::{
    RunOutcome, RunRecord, RunStatus, TableTest, TestKind, TestResult, TestSeverity,
};
use tokio_postgres::Client;

use crate::error::Result;
use crate::stage::Stage;
use crate::summary::LoadSummary;

/// A failed test that fails the run.
pub fn is_fatal(r: &TestResult) -> bool {
    !r.passed && r.test.severity == TestSeverity::Error
}

/// Runs the tests of every core table of `queries` that `loaded` wrote or found up to date,
/// stores the results (one statement) and the run's `tests` ledger row: FAILED when an
/// `error` test failed. The data stays loaded whatever the tests find.
pub async fn after_load(
    client: &Client,
    queries: &[QueryFile],
    run_id: &RunId,
    loaded: &LoadSummary,
) -> Result<Vec<TestResult>> {
    let tests: Vec<TableTest> = queries
        .iter()
        .filter(|q| Stage::of_schema(q.target_parts().0) == Some(Stage::Core))
        .filter(|q| loaded.targets.iter().any(|t| t.target == q.target))
        .flat_map(table_tests)
        .collect();
    if tests.is_empty() {
        return Ok(Vec::new());
    }
    let results = skyfit_warehouse::run_data_tests(client, &tests).await;
    skyfit_warehouse::record_data_tests(client, run_id.as_str(), &results).await?;
    let failed: Vec<String> = results
        .iter()
        .filter(|r| is_fatal(r))
        .map(|r| format!("{} {}", r.test.table, r.test.name))
        .collect();
    let error = (!failed.is_empty()).then(|| format!("data tests failed: {}", failed.join(", ")));
    let metadata = serde_json::json!({
        "tests": results.len(),
        "passed": results.iter().filter(|r| r.passed).count(),
        "failed": results.iter().filter(|r| !r.passed).count(),
    });
    let outcome = RunOutcome {
        status: if failed.is_empty() {
            RunStatus::Success
        } else {
            RunStatus::Failed
        },
        records_processed: results.len() as i64,
        records_rejected: results.iter().filter(|r| !r.passed).count() as i64,
        error: error.as_deref(),
        metadata: Some(&metadata),
        simulated: !loaded.simulated.is_empty(),
    };
    let record = RunRecord {
        source: "*".into(),
        scope: None,
        entity: "*".into(),
        run_id: run_id.to_string(),
        ingestion_date: Utc::now().date_naive(),
        stage: "tests".into(),
    };
    skyfit_warehouse::record_run(client, &record, &outcome).await?;
    Ok(results)
}

/// The warehouse's description of every `@test` of the query file.
fn table_tests(q: &QueryFile) -> Vec<TableTest> {
    q.tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (kind, columns) = match t {
                DataTest::Unique(c) => (TestKind::Unique, c.clone()),
                DataTest::NotNull(c) => (TestKind::NotNull, c.clone()),
                DataTest::AcceptedValues { column, values } => (
                    TestKind::AcceptedValues {
                        values: values.clone(),
                    },
                    vec![column.clone()],
                ),
                DataTest::Relationships {
                    column,
                    target_table,
                    target_column,
                } => (
                    TestKind::Relationships {
                        table: target_table.clone(),
                        column: target_column.clone(),
                    },
                    vec![column.clone()],
                ),
                DataTest::RowCount { min, max } => (
                    TestKind::RowCount {
                        min: *min,
                        max: *max,
                    },
                    Vec::new(),
                ),
            };
            let severity = match q.test_severities.get(i).copied().unwrap_or_default() {
                skyfit_transform::TestSeverity::Warn => TestSeverity::Warn,
                skyfit_transform::TestSeverity::Error => TestSeverity::Error,
            };
            TableTest {
                table: q.target.clone(),
                name: skyfit_transform::describe(t),
                kind,
                columns,
                key: q.key.clone(),
                severity,
            }
        })
        .collect()
}
