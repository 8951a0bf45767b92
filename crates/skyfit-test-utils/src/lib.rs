//! Fixtures for tests and benchmarks: a fresh PostgreSQL database per test on one shared
//! server, dropped when the fixture is dropped.
//!
//! The server is `SKYFIT_TEST_DATABASE_URL` (an administrative URL) when set, otherwise the
//! embedded local server (`skyfit_warehouse::ensure_local_server`), which starts the
//! machine's PostgreSQL if it is down. Tests therefore run in parallel without sharing
//! tables and leave nothing behind.
//!
//! Also: [`azurite`] starts the Azure Storage emulator for tests of the Azure lake, and
//! [`faults`] is an object store that fails chosen calls, [`counting`] one that records them
//! (both hooks of [`hooked::HookedStore`]).

pub mod azurite;
pub mod counting;
pub mod faults;
pub mod hooked;
pub mod original;

use std::sync::atomic::{AtomicU32, Ordering};

use skyfit_core::config::SslMode;
use skyfit_warehouse::Database;
use tokio::sync::OnceCell;
use tokio_postgres::Client;

static ADMIN_URL: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The administrative connection of the test server.
pub async fn admin_database() -> Database {
    let url = ADMIN_URL
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("SKYFIT_TEST_DATABASE_URL") {
                return url;
            }
            let server = skyfit_warehouse::ensure_local_server()
                .await
                .unwrap_or_else(|e| panic!("test PostgreSQL server: {e}"));
            server.admin.url_with_password()
        })
        .await;
    Database::from_url(url, SslMode::Disable).unwrap_or_else(|e| panic!("test database URL: {e}"))
}

/// A database of its own for one test.
pub struct TestDb {
    db: Database,
    admin: Database,
    client: Client,
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> TestDb {
        let mut t = Self::empty().await;
        skyfit_warehouse::migrate(&mut t.client)
            .await
            .unwrap_or_else(|e| panic!("migrate test database: {e}"));
        t
    }

    /// A fresh, empty database.
    pub async fn empty() -> TestDb {
        let admin = admin_database().await;
        let name = format!(
            "skyfit_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let c = admin
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect to test server: {e}"));
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        let db = admin.with_dbname(&name);
        let client = db
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
        TestDb { db, admin, client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// URL with password, for child processes (`skyfit` under test) via `DATABASE_URL`.
    pub fn url(&self) -> String {
        self.db.url_with_password()
    }

    pub fn name(&self) -> &str {
        self.db.dbname()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.db.dbname().to_string();
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread
        // with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let c = admin.connect().await.ok()?;
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A temporary directory for a local lake.
pub fn temp_lake() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("skyfit-lake-")
        .tempdir()
        .unwrap_or_else(|e| panic!("temp dir: {e}"))
}
