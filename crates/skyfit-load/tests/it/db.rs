//! A fresh, empty database per test, from the workspace fixture.
//!
//! `skyfit_test_utils::TestDb` finds or starts the server (honouring
//! `SKYFIT_TEST_DATABASE_URL`) and drops the database when the test ends.

pub use skyfit_test_utils::TestDb as Db;

/// Schema the tests create their tables in.
pub const SCHEMA: &str = "public";

/// A fresh database with no migrations applied (these tests bring their own DDL).
pub async fn db() -> Db {
    Db::empty().await
}
