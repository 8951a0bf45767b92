//! The data tests' SQL, kind by kind, on a small table with known violations.

use serde_json::json;
use skyfit_test_utils::TestDb;
use skyfit_warehouse::{
    TableTest, TestKind, TestSeverity, offending_sql, record_data_tests, run_data_tests,
};

fn test(name: &str, kind: TestKind, columns: &[&str]) -> TableTest {
    TableTest {
        table: "core.dt_items".into(),
        name: name.into(),
        kind,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        key: vec!["id".into()],
        severity: TestSeverity::Error,
    }
}

#[tokio::test]
async fn each_kind_finds_its_violations_and_the_results_are_stored() {
    let db = TestDb::new().await;
    let c = db.client();
    c.batch_execute(
        "CREATE TABLE core.dt_parents (parent_id BIGINT PRIMARY KEY);
         INSERT INTO core.dt_parents VALUES (1), (2);
         CREATE TABLE core.dt_items (id BIGINT, code TEXT, status TEXT, parent_id BIGINT);
         INSERT INTO core.dt_items VALUES
           (1, 'a', 'open', 1),
           (2, 'a', 'won', 2),     -- code 'a' twice
           (3, NULL, 'lost', NULL), -- code NULL
           (4, 'b', 'weird', 9),    -- status not accepted, parent 9 missing
           (5, 'c', NULL, 7),       -- parent 7 missing
           (5, 'd', 'open', 1);     -- id 5 twice",
    )
    .await
    .unwrap();
    let tests = vec![
        test("unique(code)", TestKind::Unique, &["code"]),
        test("unique(id)", TestKind::Unique, &["id"]),
        test(
            "not_null(code, status)",
            TestKind::NotNull,
            &["code", "status"],
        ),
        test(
            "accepted_values(status)",
            TestKind::AcceptedValues {
                values: vec!["open".into(), "won".into(), "lost".into()],
            },
            &["status"],
        ),
        test(
            "relationships(parent_id)",
            TestKind::Relationships {
                table: "core.dt_parents".into(),
                column: "parent_id".into(),
            },
            &["parent_id"],
        ),
        test(
            "row_count(1..3)",
            TestKind::RowCount {
                min: 1,
                max: Some(3),
            },
            &[],
        ),
        test(
            "row_count(1..)",
            TestKind::RowCount { min: 1, max: None },
            &[],
        ),
        test("not_null(nope)", TestKind::NotNull, &["nope"]),
    ];
    assert!(
        offending_sql(&tests[0])
            .unwrap()
            .unwrap()
            .contains("HAVING count(*) > 1")
    );
    let results = run_data_tests(c, &tests).await;
    let got: Vec<(bool, u64)> = results.iter().map(|r| (r.passed, r.failing_rows)).collect();
    assert_eq!(
        got,
        [
            (false, 1), // code 'a'
            (false, 1), // id 5
            (false, 2), // ids 3 and 5
            (false, 1), // 'weird'
            (false, 2), // 9 and 7
            (false, 6), // 6 rows > 3
            (true, 0),
            (false, 0), // cannot run: no such column
        ]
    );
    assert_eq!(results[0].sample_keys, [json!({"code": "a"})]);
    let mut nulls = results[2].sample_keys.clone();
    nulls.sort_by_key(|k| k["id"].as_i64());
    assert_eq!(
        nulls,
        [
            json!({"id": 3, "code": null, "status": "lost"}),
            json!({"id": 5, "code": "c", "status": null})
        ]
    );
    assert_eq!(
        results[3].sample_keys,
        [json!({"id": 4, "status": "weird"})]
    );
    assert!(results[7].error.as_deref().unwrap_or("").contains("nope"));

    record_data_tests(c, "20261205T230000Z", &results)
        .await
        .unwrap();
    let rows = c
        .query(
            "SELECT test_name, test_kind, columns, severity, failing_rows, sample_keys, passed, error
             FROM meta.data_test_results WHERE run_id = '20261205T230000Z' ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), tests.len());
    assert_eq!(rows[0].get::<_, String>(0), "unique(code)");
    assert_eq!(rows[4].get::<_, String>(1), "relationships");
    assert_eq!(rows[2].get::<_, Vec<String>>(2), ["code", "status"]);
    assert_eq!(rows[0].get::<_, String>(3), "error");
    assert_eq!(rows[4].get::<_, i64>(4), 2);
    assert_eq!(
        rows[0].get::<_, serde_json::Value>(5),
        json!([{"code": "a"}])
    );
    assert!(rows[6].get::<_, bool>(6));
    assert!(rows[7].get::<_, Option<String>>(7).is_some());
}
