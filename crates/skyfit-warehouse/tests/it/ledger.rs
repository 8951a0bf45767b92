use chrono::NaiveDate;
use skyfit_test_utils::TestDb;
use skyfit_warehouse::{RunRecord, RunStatus, finish_run, recent_runs, start_run};

fn record(scope: Option<&str>) -> RunRecord {
    RunRecord {
        source: "evo".into(),
        scope: scope.map(Into::into),
        entity: "entries".into(),
        run_id: "20260109T203707Z".into(),
        ingestion_date: NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
        stage: "bronze".into(),
    }
}

#[tokio::test]
async fn a_run_is_opened_closed_and_reopened_without_duplicates() {
    let db = TestDb::new().await;
    let c = db.client();
    let id = start_run(c, &record(None)).await.unwrap();
    finish_run(
        c,
        id,
        RunStatus::Failed,
        10,
        1,
        Some("EVO answered 500 on page 3"),
        None,
    )
    .await
    .unwrap();
    // The rerun of the same run and stage reuses the row even though scope is NULL.
    let again = start_run(c, &record(None)).await.unwrap();
    assert_eq!(id, again);
    let meta = serde_json::json!({"pages": 4});
    finish_run(c, again, RunStatus::Success, 12, 0, None, Some(&meta))
        .await
        .unwrap();
    let rows = recent_runs(c, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "SUCCESS");
    assert_eq!(rows[0].records_processed, 12);
    assert!(rows[0].error_message.is_none());
    start_run(c, &record(Some("comercial"))).await.unwrap();
    assert_eq!(recent_runs(c, 10).await.unwrap().len(), 2);
}
