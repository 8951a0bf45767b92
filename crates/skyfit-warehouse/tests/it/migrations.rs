use skyfit_test_utils::TestDb;
use skyfit_warehouse::{MigrationState, migrate, migrations, status};

#[tokio::test]
async fn migrate_twice_is_idempotent_and_creates_the_schemas() {
    let mut db = TestDb::empty().await;
    let first = migrate(db.client_mut()).await.unwrap();
    assert_eq!(first.len(), migrations().len());
    let second = migrate(db.client_mut()).await.unwrap();
    assert!(second.is_empty(), "second migrate applied {second:?}");
    let schemas: Vec<String> = db
        .client()
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname IN
             ('stg_evo','stg_pipedrive','stg_zendesk','core','analytics','meta') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        schemas,
        [
            "analytics",
            "core",
            "meta",
            "stg_evo",
            "stg_pipedrive",
            "stg_zendesk"
        ]
    );
    let st = status(db.client()).await.unwrap();
    assert!(
        st.iter()
            .all(|(_, s)| matches!(s, MigrationState::Applied { .. }))
    );
}

#[tokio::test]
async fn an_edited_migration_is_refused_with_a_clear_message() {
    let mut db = TestDb::new().await;
    db.client()
        .execute(
            "UPDATE meta.schema_migrations SET checksum = 'deadbeef' WHERE version = 1",
            &[],
        )
        .await
        .unwrap();
    let err = migrate(db.client_mut()).await.unwrap_err().to_string();
    assert!(
        err.contains("0001_schemas_and_meta.sql was changed after it was applied"),
        "{err}"
    );
    assert!(err.contains("new migration"), "{err}");
    let st = status(db.client()).await.unwrap();
    assert_eq!(st[0].1, MigrationState::Edited);
}

#[tokio::test]
async fn status_of_a_fresh_database_is_all_pending() {
    let db = TestDb::empty().await;
    let st = status(db.client()).await.unwrap();
    assert!(st.iter().all(|(_, s)| *s == MigrationState::Pending));
}

#[tokio::test]
async fn concurrent_migrations_do_not_collide() {
    let db = TestDb::empty().await;
    let mut a = db.database().connect().await.unwrap();
    let mut b = db.database().connect().await.unwrap();
    let (ra, rb) = tokio::join!(migrate(&mut a), migrate(&mut b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.len() + rb.len(), migrations().len());
}

/// The reporting role reads core and analytics and nothing else: no temporary tables either
/// (PostgreSQL grants TEMPORARY to PUBLIC), while the loader keeps them for its merges.
#[tokio::test]
async fn the_reader_role_cannot_create_temporary_tables() {
    let mut db = TestDb::empty().await;
    migrate(db.client_mut()).await.unwrap();
    let row = db
        .client()
        .query_one(
            "SELECT has_database_privilege('skyfit_reader', current_database(), 'TEMPORARY'),
                    has_database_privilege(current_user, current_database(), 'TEMPORARY')",
            &[],
        )
        .await
        .unwrap();
    let (reader, loader): (bool, bool) = (row.get(0), row.get(1));
    assert!(!reader, "skyfit_reader can create temporary tables");
    assert!(loader, "the loader lost TEMPORARY");
}

/// The readable quoting (adoption plans, the catalog) leaves a name bare only when the server
/// accepts it bare as a column name: its keyword list is the server's own.
#[tokio::test]
async fn readable_quoting_knows_every_keyword_the_server_reserves() {
    let db = skyfit_test_utils::TestDb::new().await;
    let rows = db
        .client()
        .query(
            "SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T') ORDER BY word",
            &[],
        )
        .await
        .unwrap();
    let server: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let mut ours: Vec<&str> = skyfit_core::sql::NOT_A_COLUMN_NAME.to_vec();
    ours.sort_unstable();
    let missing: Vec<&String> = server
        .iter()
        .filter(|w| !ours.contains(&w.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "left bare but reserved by the server: {missing:?}"
    );
    for word in &server {
        let sql = format!(
            "CREATE TEMP TABLE kw_probe ({} int); DROP TABLE kw_probe;",
            skyfit_core::sql::ident_if_needed(word)
        );
        db.client().batch_execute(&sql).await.unwrap();
    }
}
