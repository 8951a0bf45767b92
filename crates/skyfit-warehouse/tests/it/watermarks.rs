use serde_json::json;
use skyfit_test_utils::TestDb;
use skyfit_warehouse::{upsert_watermark, watermarks};

#[tokio::test]
async fn watermarks_are_upserted_per_source_scope_and_entity() {
    let db = TestDb::new().await;
    let c = db.client();
    let first =
        json!({"last_successful_until": "2026-01-08T00:00:00Z", "run_id": "20260109T203707Z"});
    upsert_watermark(c, "evo", None, "entries", &first)
        .await
        .unwrap();
    upsert_watermark(
        c,
        "pipedrive",
        Some("comercial"),
        "deals",
        &json!({"cursor": "abc"}),
    )
    .await
    .unwrap();
    let rows = watermarks(c).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].source, "evo");
    assert_eq!(rows[0].scope, None);
    assert_eq!(rows[0].value, first);
    assert_eq!(rows[1].scope.as_deref(), Some("comercial"));

    // The next run replaces the document; no second row for the same key.
    let before = rows[0].updated_at;
    let second =
        json!({"last_successful_until": "2026-01-09T00:00:00Z", "run_id": "20260110T203707Z"});
    upsert_watermark(c, "evo", None, "entries", &second)
        .await
        .unwrap();
    let rows = watermarks(c).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].value, second);
    assert!(rows[0].updated_at >= before);
    let scope: String = c
        .query_one(
            "SELECT scope FROM meta.watermarks WHERE source = 'evo'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(scope, "", "EVO has no scope: stored as the empty string");
}
