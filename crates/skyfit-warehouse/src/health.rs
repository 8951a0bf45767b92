//! Read-only facts about the server that `skyfit doctor` checks: version, the settings the
//! loader relies on, sizes, and what the reporting role may read.

use tokio_postgres::Client;

use crate::error::{Error, Result};
use crate::migrate::{SCHEMAS, STAGING_SCHEMAS};

/// The reporting role created by migration 0009.
pub const READER_ROLE: &str = "skyfit_reader";

/// Server facts, each as PostgreSQL reports it.
#[derive(Debug, Clone)]
pub struct ServerFacts {
    pub version_num: i32,
    pub version: String,
    pub max_connections: i64,
    /// Backends connected now, this one included.
    pub connections_in_use: i64,
    pub maintenance_work_mem: String,
    pub database_bytes: i64,
    /// `None` when this role may not read it (superusers and `pg_read_all_settings` only).
    pub data_directory: Option<String>,
}

pub async fn server_facts(client: &Client) -> Result<ServerFacts> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int,
                    current_setting('server_version'),
                    current_setting('max_connections')::bigint,
                    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                    current_setting('maintenance_work_mem'),
                    pg_database_size(current_database())",
            &[],
        )
        .await
        .map_err(Error::pg("reading the server's settings"))?;
    // Refused (42501) to roles that may not read server paths: not an error, just unknown.
    let data_directory = client
        .query_one("SHOW data_directory", &[])
        .await
        .ok()
        .map(|r| r.get::<_, String>(0));
    Ok(ServerFacts {
        version_num: row.get(0),
        version: row.get(1),
        max_connections: row.get(2),
        connections_in_use: row.get(3),
        maintenance_work_mem: row.get(4),
        database_bytes: row.get(5),
        data_directory,
    })
}

/// What is wrong with the reader role's privileges, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderProblem {
    /// No `core` schema yet: nothing to check before the first migration.
    NotMigrated,
    Missing,
    /// A core or analytics table or view it cannot SELECT from.
    CannotRead(String),
    /// A staging or meta table it can SELECT from.
    CanRead(String),
}

/// Checks [`READER_ROLE`] against every core/analytics table and view (SELECT expected) and
/// every staging/meta one (none expected). Partitions and refresh shadows are left out: access
/// goes through their parent, and a shadow is swapped in with its grants.
pub async fn reader_privileges(client: &Client) -> Result<(usize, Option<ReaderProblem>)> {
    let migrated: bool = client
        .query_one("SELECT to_regnamespace('core') IS NOT NULL", &[])
        .await
        .map_err(Error::pg("looking up the core schema"))?
        .get(0);
    if !migrated {
        return Ok((0, Some(ReaderProblem::NotMigrated)));
    }
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&READER_ROLE])
        .await
        .map_err(Error::pg("looking up the reader role"))?
        .is_some();
    if !exists {
        return Ok((0, Some(ReaderProblem::Missing)));
    }
    let schemas: Vec<&str> = SCHEMAS.to_vec();
    let rows = client
        .query(
            "SELECT n.nspname || '.' || c.relname, n.nspname,
                    has_schema_privilege($1, n.oid, 'USAGE')
                      AND has_table_privilege($1, c.oid, 'SELECT')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm')
               AND NOT c.relispartition AND c.relname NOT LIKE '%\\_\\_shadow'
             ORDER BY 2, 1",
            &[&READER_ROLE, &schemas],
        )
        .await
        .map_err(Error::pg("reading the reader role's privileges"))?;
    for r in &rows {
        let (table, schema, can): (String, String, bool) = (r.get(0), r.get(1), r.get(2));
        let private = schema == "meta" || STAGING_SCHEMAS.contains(&schema.as_str());
        if private && can {
            return Ok((rows.len(), Some(ReaderProblem::CanRead(table))));
        }
        if !private && !can {
            return Ok((rows.len(), Some(ReaderProblem::CannotRead(table))));
        }
    }
    Ok((rows.len(), None))
}
