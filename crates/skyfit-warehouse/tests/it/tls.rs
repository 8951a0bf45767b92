use skyfit_core::config::SslMode;
use skyfit_core::{Classify, Retry};
use skyfit_test_utils::TestDb;
use skyfit_warehouse::Database;

async fn ssl_in_use(db: &Database) -> bool {
    let c = db
        .connect()
        .await
        .unwrap_or_else(|e| panic!("connect with {:?}: {e}", db.sslmode()));
    c.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn sslmode_require_encrypts_and_disable_does_not() {
    let t = TestDb::empty().await;
    let url = t.url();
    let base = url.split('?').next().unwrap();
    let require = Database::from_url(base, SslMode::Require).unwrap();
    assert!(
        ssl_in_use(&require).await,
        "sslmode=require must give an encrypted session"
    );
    let disable = Database::from_url(base, SslMode::Disable).unwrap();
    assert!(!ssl_in_use(&disable).await);
}

#[tokio::test]
async fn verify_full_refuses_a_self_signed_server_certificate() {
    let t = TestDb::empty().await;
    let url = t.url();
    let base = url.split('?').next().unwrap();
    let strict = Database::from_url(base, SslMode::VerifyFull).unwrap();
    let err = strict.connect().await.unwrap_err().to_string();
    assert!(err.contains("cannot connect"), "{err}");
    assert!(!err.contains(":skyfit@"), "password leaked: {err}");
}

#[tokio::test]
async fn wrong_password_is_reported_without_the_password() {
    let t = TestDb::empty().await;
    let url = t.url().replace("skyfit:skyfit@", "skyfit:wrong-pass-42@");
    let db = Database::from_url(url.split('?').next().unwrap(), SslMode::Disable).unwrap();
    let err = skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("wrong-pass-42"), "{msg}");
    assert_eq!(err.retry(), Retry::Permanent);
    // The driver's error is kept: its SQLSTATE says the login was refused.
    assert_eq!(err.sqlstate(), Some("28P01"), "{msg}");
}
