//! `skyfit db migrate` on the original system's warehouse, then a nightly run into it: the kept
//! rows are merged with the new data, not duplicated, and rows the new data lacks stay.

use skyfit_test_utils::TestDb;

use crate::lakes::{LakeKind, TestLake};
use crate::support::{skyfit, text};

const ORIGINAL: &str =
    include_str!("../../../skyfit-warehouse/tests/fixtures/original_warehouse.sql");
const ROWS: &str = include_str!("../../../skyfit-warehouse/tests/fixtures/original_rows.sql");

async fn one<T: for<'a> tokio_postgres::types::FromSql<'a>>(db: &TestDb, sql: &str) -> T {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn migrate_adopts_the_original_warehouse_and_a_run_merges_into_the_kept_rows() {
    let lake = TestLake::start(LakeKind::Local);
    let db = TestDb::empty().await;
    db.client().batch_execute(ORIGINAL).await.unwrap();
    db.client().batch_execute(ROWS).await.unwrap();
    let role = format!("bi_{}", db.name());
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} NOLOGIN; GRANT USAGE ON SCHEMA core TO {role};
             GRANT SELECT ON core.evo_members, core.vw_pd_deals_comercial TO {role};"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cmd = |args: &[&str]| {
        lake.apply(&mut skyfit(dir.path()))
            .args(args)
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap()
    };

    // The nightly job does not restructure a warehouse on its own.
    let out = cmd(&["run", "--sim-scale", "tiny"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("skyfit db migrate --plan"),
        "{}",
        text(&out)
    );

    let out = cmd(&["db", "migrate", "--plan"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Original warehouse found"), "{t}");
    assert!(t.contains("stg_pipedrive.deals_raw"), "{t}");
    assert!(t.contains("nothing was changed"), "{t}");
    let ledger: bool = one(
        &db,
        "SELECT to_regclass('meta.schema_migrations') IS NOT NULL",
    )
    .await;
    assert!(!ledger, "--plan created the ledger");

    let out = cmd(&["db", "migrate"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Adopted the original warehouse"), "{t}");

    let out = cmd(&["run", "--sim-scale", "tiny"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("All steps succeeded"), "{t}");

    // The simulator's members are 1..=200: member 1 was in the original warehouse and is now
    // the simulator's version, in one row; member 999001 is not in the new data and stays.
    assert_eq!(
        one::<i64>(&db, "SELECT count(*) FROM core.evo_members").await,
        201
    );
    assert_eq!(
        one::<i64>(&db, "SELECT count(*) FROM stg_evo.members_raw").await,
        201
    );
    assert_eq!(
        one::<i64>(
            &db,
            "SELECT count(*) FROM core.evo_members WHERE member_id = 1"
        )
        .await,
        1
    );
    let merged: String = one(
        &db,
        "SELECT _source_run_id FROM core.evo_members WHERE member_id = 1",
    )
    .await;
    assert_ne!(merged, "20260101T020000Z", "member 1 was not merged");
    let kept: String = one(
        &db,
        "SELECT full_name FROM core.evo_members WHERE member_id = 999001",
    )
    .await;
    assert_eq!(kept, "Kept Only");
    // Rows of other entities the new data lacks are kept too.
    for sql in [
        "SELECT count(*) FROM core.pd_deals WHERE deal_id = 101 AND scope = 'expansao' AND title = 'Same id, other account'",
        "SELECT count(*) FROM core.zd_ticket_collaborators",
        "SELECT count(*) FROM stg_pipedrive.deals_raw_superseded",
        "SELECT count(*) FROM meta.pipeline_runs WHERE run_id = '20260101T020000Z'",
    ] {
        assert!(one::<i64>(&db, sql).await >= 1, "{sql}");
    }
    // The report views and the grants Power BI reads through still work.
    assert!(one::<i64>(&db, "SELECT count(*) FROM core.vw_pd_deals_comercial").await >= 2);
    let granted: bool = one(
        &db,
        &format!("SELECT has_table_privilege('{role}', 'core.evo_members', 'SELECT')"),
    )
    .await;
    assert!(granted);
    db.client()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .unwrap();
}
