//! Adopting the original system's warehouse: the fixture is its DDL (docs/data-contract.md,
//! #the-reference and #reference-bugs, defects included) with a few rows per table.

use skyfit_test_utils::TestDb;
use skyfit_warehouse::{Error, migrate, migrations, plan, upgrade};

const ORIGINAL: &str = include_str!("../fixtures/original_warehouse.sql");
const ROWS: &str = include_str!("../fixtures/original_rows.sql");

async fn original() -> TestDb {
    let db = TestDb::empty().await;
    db.client().batch_execute(ORIGINAL).await.unwrap();
    db.client().batch_execute(ROWS).await.unwrap();
    db
}

/// Every table, view, column, type, constraint and index of the database, plus every row of
/// every table as text: equal snapshots mean nothing changed.
async fn snapshot(db: &TestDb) -> Vec<String> {
    let mut out: Vec<String> = db
        .client()
        .query(
            "SELECT format('%s.%s %s', n.nspname, c.relname, c.relkind) || ' ' ||
                    coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod)
                              || CASE WHEN a.attnotnull THEN '!' ELSE '' END, ',' ORDER BY a.attnum)
                              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
                              AND NOT a.attisdropped), '') || ' ' || coalesce(c.relacl::text, '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
             UNION ALL
             SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
             WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
             UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname = 'skyfit_reader'
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tables: Vec<String> = db
        .client()
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ('stg_evo','stg_pipedrive','stg_zendesk','core','meta')
               AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for t in tables {
        let rows = db
            .client()
            .query(&format!("SELECT t::text FROM {t} t ORDER BY 1"), &[])
            .await
            .unwrap();
        out.extend(
            rows.iter()
                .map(|r| format!("{t} {}", r.get::<_, String>(0))),
        );
    }
    out
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_fresh_database_diffs_to_nothing_against_the_migrations() {
    // The target layout comes from running the migrations into shadow schemas; a database the
    // migrations built, minus its ledger, must therefore need no step at all.
    let mut db = TestDb::new().await;
    db.client()
        .batch_execute("DROP TABLE meta.schema_migrations")
        .await
        .unwrap();
    let p = plan(db.client_mut()).await.unwrap();
    assert!(p.adopt);
    assert!(p.steps.is_empty(), "unexpected steps: {:#?}", p.steps);
}

#[tokio::test]
async fn plain_migrate_refuses_the_original_warehouse_and_changes_nothing() {
    let mut db = original().await;
    let before = snapshot(&db).await;
    let err = migrate(db.client_mut()).await.unwrap_err();
    assert!(matches!(err, Error::OriginalWarehouse), "{err}");
    assert_eq!(before, snapshot(&db).await);
}

#[tokio::test]
async fn plan_lists_the_adoption_and_changes_nothing() {
    let mut db = original().await;
    let before = snapshot(&db).await;
    let p = plan(db.client_mut()).await.unwrap();
    let text = p.to_string();
    // Shown with --nocapture: the plan an operator reads.
    eprintln!("{text}");
    assert!(p.adopt, "{text}");
    assert_eq!(p.migrations.len(), migrations().len(), "{text}");
    assert!(
        p.steps.iter().any(
            |s| s.table == "stg_pipedrive.deals_raw" && s.action.contains("add column deal_id")
        ),
        "{text}"
    );
    assert!(text.contains("meta.pipeline_runs"), "{text}");
    assert_eq!(before, snapshot(&db).await, "--plan changed the database");
}

#[tokio::test]
async fn an_unrecognised_schema_is_refused_before_any_change() {
    let mut db = original().await;
    // Not the original layout, not SkyFit's: branch ids as text, a raw row without an id, a
    // report view with a column SkyFit's view of that name lacks.
    db.client()
        .batch_execute(
            "ALTER TABLE core.evo_members ALTER COLUMN branch_id TYPE text;
             ALTER VIEW core.vw_pd_seller_performance RENAME COLUMN win_rate_pct TO taxa;
             INSERT INTO stg_zendesk.users_raw (payload, source_blob_path, source_line_no, run_id, ingestion_date)
             VALUES ('{\"name\": \"no id\"}', 'bronze/zendesk/bad.jsonl.gz', 1, '20260101T020000Z', '2026-01-01');",
        )
        .await
        .unwrap();
    let before = snapshot(&db).await;
    let err = upgrade(db.client_mut()).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Unrecognised { .. }), "{msg}");
    assert!(
        msg.contains("core.evo_members: column branch_id is text here and bigint"),
        "{msg}"
    );
    assert!(
        msg.contains("stg_zendesk.users_raw: 1 row(s) have no numeric id"),
        "{msg}"
    );
    assert!(
        msg.contains("view core.vw_pd_seller_performance has columns"),
        "{msg}"
    );
    assert!(msg.contains("nothing was changed"), "{msg}");
    assert_eq!(
        before,
        snapshot(&db).await,
        "a refused adoption changed the database"
    );
    // --plan refuses the same way.
    assert!(matches!(
        plan(db.client_mut()).await,
        Err(Error::Unrecognised { .. })
    ));
}

#[tokio::test]
async fn adoption_keeps_rows_views_and_grants_and_fills_the_keys() {
    let mut db = original().await;
    let role = format!("powerbi_{}", db.name());
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} NOLOGIN; GRANT USAGE ON SCHEMA core TO {role};
             GRANT SELECT ON core.vw_pd_deals_comercial, core.evo_members TO {role};"
        ))
        .await
        .unwrap();
    let tables = [
        "meta.pipeline_runs",
        "stg_evo.members_raw",
        "stg_evo.sales_raw",
        "stg_evo.prospects_raw",
        "stg_evo.entries_raw",
        "core.evo_members",
        "core.evo_member_memberships",
        "core.evo_member_contacts",
        "core.evo_sales",
        "core.evo_sale_items",
        "core.evo_receivables",
        "core.evo_entries",
        "core.evo_prospects",
        "stg_pipedrive.persons_raw",
        "stg_pipedrive.organizations_raw",
        "stg_pipedrive.activities_raw",
        "stg_pipedrive.pipelines_raw",
        "stg_pipedrive.stages_raw",
        "stg_pipedrive.users_raw",
        "stg_zendesk.users_raw",
        "stg_zendesk.organizations_raw",
        "stg_zendesk.groups_raw",
        "stg_zendesk.ticket_fields_raw",
        "stg_zendesk.ticket_forms_raw",
        "core.pd_pipelines",
        "core.pd_stages",
        "core.pd_users",
        "core.pd_organizations",
        "core.pd_persons",
        "core.pd_deals",
        "core.pd_activities",
        "core.zd_organizations",
        "core.zd_users",
        "core.zd_groups",
        "core.zd_ticket_fields",
        "core.zd_ticket_forms",
        "core.zd_tickets",
        "core.zd_ticket_tags",
        "core.zd_ticket_custom_fields",
        "core.zd_ticket_collaborators",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&db, &format!("SELECT count(*) FROM {t}")).await);
    }

    let done = upgrade(db.client_mut()).await.unwrap();
    assert!(done.adopt);
    assert_eq!(done.migrations.len(), migrations().len());

    for (t, n) in tables.iter().zip(&before) {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {t}")).await,
            *n,
            "{t} lost rows"
        );
    }
    // STG history: the latest version per business key stays, older ones are archived.
    assert_eq!(
        count(&db, "SELECT count(*) FROM stg_pipedrive.deals_raw").await,
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM stg_pipedrive.deals_raw_superseded"
        )
        .await,
        1
    );
    assert_eq!(
        db.client()
            .query_one("SELECT payload->>'title' FROM stg_pipedrive.deals_raw WHERE scope = 'comercial' AND deal_id = 101", &[])
            .await
            .unwrap()
            .get::<_, String>(0),
        "New title"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM stg_zendesk.tickets_raw WHERE ticket_id = 9001"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM stg_zendesk.tickets_raw_superseded"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM stg_pipedrive.persons_raw WHERE person_id = 201"
        )
        .await,
        1
    );
    // Contact positions follow the original insertion order per member.
    let positions: Vec<i32> = db
        .client()
        .query(
            "SELECT contact_position FROM core.evo_member_contacts ORDER BY member_id, id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(positions, [0, 1, 0]);
    // Counters widened, the ledger's new column defaulted.
    assert_eq!(
        count(
            &db,
            "SELECT sum(records_processed + records_rejected)::bigint FROM meta.pipeline_runs"
        )
        .await,
        5
    );
    // Defects fixed: 2027 and default partitions exist; prospects_raw.source_line_no exists.
    db.client()
        .batch_execute(
            "INSERT INTO core.evo_entries (entry_id, entry_date) VALUES (1, '2031-05-01T00:00:00+00');
             UPDATE stg_evo.prospects_raw SET source_line_no = 1;",
        )
        .await
        .unwrap();
    // Views still select, with the kept rows; grants still hold.
    for v in [
        "core.vw_pd_deals_comercial",
        "core.vw_pd_users_expansao",
        "core.vw_pd_seller_performance",
        "core.vw_zd_ticket_metrics",
    ] {
        db.client()
            .query(&format!("SELECT * FROM {v}"), &[])
            .await
            .unwrap();
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM core.vw_pd_deals_comercial").await,
        2
    );
    for (obj, expect) in [
        ("core.vw_pd_deals_comercial", true),
        ("core.evo_members", true),
        ("stg_evo.members_raw", false),
    ] {
        let has: bool = db
            .client()
            .query_one(
                "SELECT has_table_privilege($1, $2, 'SELECT')",
                &[&role, &obj],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(has, expect, "{role} on {obj}");
    }
    let public: bool = db
        .client()
        .query_one(
            "SELECT has_table_privilege('public', 'core.pd_deals', 'SELECT')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(public, "the original PUBLIC grant on core is kept");
    // Now SkyFit-managed: migrate is a no-op, the plan is empty.
    assert!(migrate(db.client_mut()).await.unwrap().is_empty());
    let p = plan(db.client_mut()).await.unwrap();
    assert!(!p.adopt && p.migrations.is_empty(), "{p}");
    db.client()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .unwrap();
}
